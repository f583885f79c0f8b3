/* The per-thread error record: fixed-size thread-local buffers, so recording an error
   never allocates and nothing needs freeing when a thread ends. */
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error_internal.h"

#define NAME_MAX_LEN 64 /* PostgreSQL identifiers are at most NAMEDATALEN - 1 bytes */

static _Thread_local struct {
    cerd_error pub;
    char message[2048];
    char detail[1024];
    char table[NAME_MAX_LEN + 1];
    char column[NAME_MAX_LEN + 1];
    char constraint[NAME_MAX_LEN + 1];
    bool from_message; /* table and constraint read from the message (names_from_message) */
} tls;

static void reset(int code)
{
    tls.pub.code = code;
    tls.pub.sqlstate[0] = '\0';
    tls.message[0] = tls.detail[0] = tls.table[0] = tls.column[0] = tls.constraint[0] = '\0';
    tls.from_message = false;
    tls.pub.line = 0;
    tls.pub.message = tls.message;
    tls.pub.detail = tls.detail;
    tls.pub.table = tls.table;
    tls.pub.column = tls.column;
    tls.pub.constraint = tls.constraint;
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void cerd__error_line(int64_t line)
{
    cerd_error_last(); /* initialises the record if this thread has none yet */
    tls.pub.line = line;
}

const cerd_error *cerd_error_last(void)
{
    if (!tls.pub.message)
        reset(CERD_OK);
    return &tls.pub;
}

void cerd_error_clear(void)
{
    reset(CERD_OK);
}

const char *cerd_strerror(int code)
{
#define CASE(name, value, text) case value: return text;
    switch (code) {
        CERD_ERROR_CODES(CASE)
    }
#undef CASE
    return "unknown error code";
}

const char *cerd_error_name(int code)
{
#define CASE(name, value, text) case value: return #name;
    switch (code) {
        CERD_ERROR_CODES(CASE)
    }
#undef CASE
    return "CERD_EUNKNOWN";
}

int cerd__error(int code, const char *fmt, ...)
{
    va_list ap;
    reset(code);
    va_start(ap, fmt);
    vsnprintf(tls.message, sizeof tls.message, fmt, ap);
    va_end(ap);
    return code;
}

void cerd__error_names(const char *table, const char *column, const char *constraint)
{
    cerd_error_last(); /* initialises the record if this thread has none yet */
    copy(tls.table, sizeof tls.table, table);
    copy(tls.column, sizeof tls.column, column);
    copy(tls.constraint, sizeof tls.constraint, constraint);
}

int cerd__error_prefix(const char *fmt, ...)
{
    char old[sizeof tls.message], prefix[256];
    va_list ap;

    cerd_error_last(); /* initialises the record if this thread has none yet */
    snprintf(old, sizeof old, "%s", tls.message);
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* The old message may be cut to fit: the context must come first. */
    {
        size_t n = strlen(prefix), room = sizeof tls.message;
        if (n + 2 >= room)
            n = room - 3;
        memcpy(tls.message, prefix, n);
        memcpy(tls.message + n, ": ", 2);
        n += 2;
        size_t rest = strlen(old);
        if (rest > room - 1 - n)
            rest = room - 1 - n;
        memcpy(tls.message + n, old, rest);
        tls.message[n + rest] = '\0';
    }
    return tls.pub.code;
}

int cerd__error_code_for_sqlstate(const char *s)
{
    if (!s || strlen(s) != 5)
        return CERD_ESERVER;
    if (!strcmp(s, "23505")) return CERD_EUNIQUE;
    if (!strcmp(s, "23503")) return CERD_EFOREIGNKEY;
    if (!strcmp(s, "23514")) return CERD_ECHECK;
    if (!strcmp(s, "23502")) return CERD_ENOTNULL;
    if (!strcmp(s, "40001") || !strcmp(s, "40P01")) return CERD_ESERIALIZATION;
    if (!strcmp(s, "57014") || !strcmp(s, "55P03")) return CERD_ETIMEOUT;
    if (!strcmp(s, "22003")) return CERD_ERANGE;          /* numeric_value_out_of_range */
    if (!strcmp(s, "42501")) return CERD_EPRIVILEGE;      /* insufficient_privilege, RLS refusal */
    if (!strcmp(s, "22021") || !strcmp(s, "22P05")) return CERD_EENCODING;
    /* connection exceptions, and the server shutting down or terminating the backend */
    if (!strncmp(s, "08", 2) || !strcmp(s, "57P01") || !strcmp(s, "57P02") || !strcmp(s, "57P03"))
        return CERD_ECONNLOST;
    return CERD_ESERVER;
}

/* The connections cerd_conn_cancel() is canceling: few at once, so a small table. A
   connection that cannot get a slot (table full) is reported as a timeout, as before. */
#define CANCEL_SLOTS 64
static pthread_mutex_t cancel_lock = PTHREAD_MUTEX_INITIALIZER;
static const PGconn *cancel_marks[CANCEL_SLOTS];

void cerd__cancel_mark(const PGconn *pg, int on)
{
    int free_slot = -1;

    if (!pg)
        return;
    pthread_mutex_lock(&cancel_lock);
    for (int i = 0; i < CANCEL_SLOTS; i++) {
        if (cancel_marks[i] == pg) {
            if (!on)
                cancel_marks[i] = NULL;
            free_slot = -2; /* already marked (or now unmarked) */
            break;
        }
        if (!cancel_marks[i] && free_slot == -1)
            free_slot = i;
    }
    if (on && free_slot >= 0)
        cancel_marks[free_slot] = pg;
    pthread_mutex_unlock(&cancel_lock);
}

/* Takes pg's cancel mark off; 1 when it had one. */
static int cancel_take(const PGconn *pg)
{
    int found = 0;

    pthread_mutex_lock(&cancel_lock);
    for (int i = 0; i < CANCEL_SLOTS; i++)
        if (cancel_marks[i] == pg) {
            cancel_marks[i] = NULL;
            found = 1;
            break;
        }
    pthread_mutex_unlock(&cancel_lock);
    return found;
}

/* libpq messages end with a newline; the record holds one line. */
static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

/* The quoted name after the first `key` in msg (`constraint "x"` -> x), into out: up to
   the next quote (messages quote names without escaping). False when there is none. */
static bool quoted_after(char *out, size_t size, const char *msg, const char *key)
{
    const char *p = msg ? strstr(msg, key) : NULL, *end;
    if (!p)
        return false;
    p += strlen(key);
    if (!(end = strchr(p, '"')) || end == p || (size_t)(end - p) >= size)
        return false;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return true;
}

/* Integrity violations whose constraint or table field is empty (Citus passes a worker's
   error on with the message only): the names come from the primary message, as
   PostgreSQL words it for each kind. */
static void names_from_message(const char *msg)
{
    tls.from_message = !tls.constraint[0] || !tls.table[0];
    if (!tls.constraint[0])
        quoted_after(tls.constraint, sizeof tls.constraint, msg, "constraint \"");
    if (!tls.table[0]) {
        /* "update or delete on table "parent" violates foreign key constraint "c" on
           table "child"": the constraint is the child's, as the server's field says */
        const char *child = msg ? strstr(msg, "\" on table \"") : NULL;
        if (!(child && quoted_after(tls.table, sizeof tls.table, child + 1, "table \""))
            && !quoted_after(tls.table, sizeof tls.table, msg, "relation \""))
            quoted_after(tls.table, sizeof tls.table, msg, "table \"");
    }
    if (!tls.column[0])
        quoted_after(tls.column, sizeof tls.column, msg, "null value in column \"");
}

void cerd__error_server(int code, const char *sqlstate, const char *msg, const char *detail,
                        const char *table, const char *column, const char *constraint,
                        const char *what)
{
    reset(code);
    if (!msg)
        msg = "";
    if (what && *what)
        snprintf(tls.message, sizeof tls.message, "%s: %s", what, msg);
    else
        copy(tls.message, sizeof tls.message, msg);
    chomp(tls.message);
    if (sqlstate)
        copy(tls.pub.sqlstate, sizeof tls.pub.sqlstate, sqlstate);
    copy(tls.detail, sizeof tls.detail, detail);
    copy(tls.table, sizeof tls.table, table);
    copy(tls.column, sizeof tls.column, column);
    copy(tls.constraint, sizeof tls.constraint, constraint);
    if (sqlstate && !strncmp(sqlstate, "23", 2))
        names_from_message(msg);
}

int cerd__error_worker_foreign_key(void)
{
    cerd_error_last(); /* initialises the record if this thread has none yet */
    if (!strcmp(tls.pub.sqlstate, "XX000")
        && strstr(tls.message, "violates foreign key constraint \"")) {
        tls.pub.code = CERD_EFOREIGNKEY;
        copy(tls.pub.sqlstate, sizeof tls.pub.sqlstate, "23503");
        names_from_message(tls.message);
    }
    return tls.pub.code;
}

/* The length of name without a Citus shard suffix "_<digits>", or 0 when it has none. */
static size_t unsuffixed_len(const char *name)
{
    size_t n = strlen(name), i = n;
    while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
        i--;
    return i < n && i > 1 && name[i - 1] == '_' ? i - 1 : 0;
}

static bool is_known(const char *name, size_t len, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strlen(names[i]) == len && !strncmp(names[i], name, len))
            return true;
    return false;
}

/* Whether the first len bytes of name are one of table's partitions as
   create_monthly_partitions() names them (schema/003_market_data.sql: "<table>_yYYYYmMM")
   or its default partition ("<table>_default"). */
static bool is_partition_of(const char *name, size_t len, const char *table)
{
    size_t tl = strlen(table);
    const char *p = name + tl + 1;
    if (len <= tl + 1 || strncmp(name, table, tl) || name[tl] != '_')
        return false;
    len -= tl + 1;
    if (len == 7 && !strncmp(p, "default", 7))
        return true;
    if (len != 8 || p[0] != 'y' || p[5] != 'm')
        return false;
    for (int i = 1; i < 8; i++)
        if (i != 5 && (p[i] < '0' || p[i] > '9'))
            return false;
    return true;
}

void cerd__error_to_logical_names(const char *table, const char *const *names, size_t n)
{
    size_t len;

    cerd_error_last(); /* initialises the record if this thread has none yet */
    if (strncmp(tls.pub.sqlstate, "23", 2))
        return;
    /* "users_email_key_102008": not the table's own constraint, and without the shard
       suffix it is */
    if (tls.constraint[0] && !is_known(tls.constraint, strlen(tls.constraint), names, n)
        && (len = unsuffixed_len(tls.constraint)) && is_known(tls.constraint, len, names, n))
        tls.constraint[len] = '\0';
    /* "... on table "portfolio_assets_102087"" with "portfolio_assets_..._fkey_102087":
       another table's constraint, both names read from a worker's message with the same
       shard id */
    if (tls.from_message && (len = unsuffixed_len(tls.table)) && strlen(tls.table) > len) {
        const char *suffix = tls.table + len;
        size_t cl = strlen(tls.constraint), sl = strlen(suffix);
        if (cl > sl && !strcmp(tls.constraint + cl - sl, suffix)) {
            tls.constraint[cl - sl] = '\0';
            tls.table[len] = '\0';
        }
    }
    if (!table)
        return;
    /* "watchlists_102040", the shard of the table; "price_data_y2025m07_102345", the
       shard of one of its partitions */
    if (tls.table[0] && strcmp(tls.table, table) && (len = unsuffixed_len(tls.table))
        && ((strlen(table) == len && !strncmp(tls.table, table, len))
            || is_partition_of(tls.table, len, table)))
        tls.table[len] = '\0';
    /* "price_data_y2025m07", a partition of the table */
    if (is_partition_of(tls.table, strlen(tls.table), table))
        copy(tls.table, sizeof tls.table, table);
    /* a unique violation's message names no table: the constraint is the table's own */
    if (!tls.table[0] && tls.constraint[0]
        && is_known(tls.constraint, strlen(tls.constraint), names, n))
        copy(tls.table, sizeof tls.table, table);
}

int cerd__error_from_pg(PGconn *pg, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    int code = cerd__error_code_for_sqlstate(state);

    if (!msg)
        msg = pg ? PQerrorMessage(pg) : "unknown libpq failure";
    if (!state && pg && PQstatus(pg) == CONNECTION_BAD)
        code = CERD_ECONNLOST;
    else if (!state)
        code = CERD_ESERVER;
    else if (!strcmp(state, "57014") && pg && cancel_take(pg))
        code = CERD_ECANCELED; /* the cancel cerd_conn_cancel() asked for */

    if (res)
        cerd__error_server(code, state, msg, PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL),
                           PQresultErrorField(res, PG_DIAG_TABLE_NAME),
                           PQresultErrorField(res, PG_DIAG_COLUMN_NAME),
                           PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME), what);
    else
        cerd__error_server(code, state, msg, NULL, NULL, NULL, NULL, what);
    return code;
}
