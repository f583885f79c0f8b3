/* Differential test of client-side validation against PostgreSQL 15, for every table.

   Each table gets at least 2,000 rows:
   - valid rows from the factory (many seeds);
   - rows from the factory's violate mode, for every CHECK and for not_null, length and
     numeric_precision;
   - boundary rows: a valid row with one column set to an edge of its type or of a CHECK:
     numeric(p,s) at p-s integer digits and at one more, values that need rounding at
     scale s (ties x.xxxxxxxx5 both signs, 9...9.9...95 that rounds into overflow),
     varchar(n) at n and n+1 characters (ASCII, two-, three- and four-byte characters,
     excess trailing spaces, which PostgreSQL cuts), int4 at INT32_MIN and INT32_MAX,
     and every constant a CHECK compares a column with, exactly, just inside and just
     outside (also char_length and cardinality bounds, IN-list members and near misses);
   - random mutations of one to three columns of valid rows.
   Every row is judged by the library (cerd_row_validate, CERD_VALIDATE_INSERT) and by
   PostgreSQL: an INSERT with the row's values as text parameters (not through the
   library's encoder, which refuses some rows itself), inside a savepoint that is rolled
   back, in one transaction per table whose parent rows (one per foreign key, made with
   the factory's create_parents) stay for all of its rows.

   The verdicts (valid or not) must agree on every row. When PostgreSQL refuses a row, the
   error it reports must be among the library's violations: 23514 and the CHECK's name,
   23502 not_null, 22001 length, 22003 numeric_precision (or a CHECK that fails to
   evaluate, as for an integer overflow inside it), 22021 encoding. When it accepts, every
   numeric column comes back (RETURNING) as cerd_numeric_round_to_typmod() said it would
   be stored. Counts per table are printed; any disagreement fails the test and is
   printed with the row. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cJSON.h>
#include <libpq-fe.h>

#include <cryptoerd/cryptoerd.h>
#include "wire/codec.h"
#include "wire/field.h"
#include "conn/conn_internal.h"
#include "check.h"
#include "ops/expr.h"
#include "testdb.h"
#include "rows.h"
#include "strbuf.h"

#define ROWS_PER_TABLE 2000
#define VALID_SEEDS 300
#define VIOLATE_SEEDS 12

static testdb db;
static cerd_conn *conn;
static PGconn *pg; /* the library connection's session: parents are visible to it */

static int setup(void **state)
{
    int applied = 0;
    (void)state;
    if (testdb_create(&db, "differential"))
        return -1;
    if (cerd_conn_open(&conn, db.conninfo) || cerd_migrate(&applied, conn)) {
        fprintf(stderr, "setup: %s\n", cerd_error_last()->message);
        return -1;
    }
    pg = conn->pg;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

static void exec_ok(const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    PQclear(r);
}

/* ---------------------------------------------------------------- randomness */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static unsigned rnd_below(unsigned n)
{
    return n ? (unsigned)(rnd() % n) : 0;
}

/* ---------------------------------------------------------------- statistics */

typedef struct stats {
    size_t rows, lib_valid, lib_invalid, pg_refused, agree, disagree, wrong_reason,
        left_to_server, stored_checked, stored_wrong, skipped;
    size_t by_source[5]; /* valid, violate, boundary, random, skipped-by-factory */
} stats;

enum { SRC_VALID, SRC_VIOLATE, SRC_BOUNDARY, SRC_RANDOM };

static stats total;

/* The server's refusals by SQLSTATE: 23514, 23502, 22001, 22003, 22021, other. */
static const char *const STATES[] = {"23514", "23502", "22001", "22003", "22021"};
static size_t by_state[6];

/* Where the time goes: making rows (factory, parents), the library's verdict, the
   server's verdict. */
static double t_factory, t_library, t_server;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- PostgreSQL's verdict */

typedef struct pg_verdict {
    bool ok;
    char state[6];
    char constraint[128];
    char message[512];
    int nnum;               /* numeric columns sent with a value */
    int num_col[CERD_MAX_COLUMNS];
    char *num_text[CERD_MAX_COLUMNS]; /* as stored (RETURNING col::text), when ok */
} pg_verdict;

static void pg_verdict_free(pg_verdict *v)
{
    for (int i = 0; i < v->nnum; i++)
        free(v->num_text[i]);
    v->nnum = 0;
}

/* An element of a text[] literal: quoted, with " and \ escaped. */
static void array_elem(strbuf *b, const char *s)
{
    strbuf_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            strbuf_put(b, "\\", 1);
        strbuf_put(b, s, 1);
    }
    strbuf_put(b, "\"", 1);
}

/* The value of column c of row as text for PostgreSQL's input function (into b), or an
   SQL expression (into expr, then true). */
static bool value_text(const cerd_column *c, const void *row, strbuf *b, strbuf *expr)
{
    const char *f = (const char *)row + c->offset;
    bool opt = c->flags & CERD_COL_OPTIONAL;
    switch (c->type) {
    case CERD_TYPE_INT64:
        strbuf_printf(b, "%" PRId64, opt ? ((const cerd_opt_int64 *)f)->value : *(const int64_t *)f);
        return false;
    case CERD_TYPE_INT32:
        strbuf_printf(b, "%" PRId32, opt ? ((const cerd_opt_int32 *)f)->value : *(const int32_t *)f);
        return false;
    case CERD_TYPE_BOOL:
        strbuf_puts(b, (opt ? ((const cerd_opt_bool *)f)->value : *(const bool *)f) ? "t" : "f");
        return false;
    case CERD_TYPE_NUMERIC: {
        char buf[256];
        cerd_numeric_format(opt ? &((const cerd_opt_numeric *)f)->value
                                : (const cerd_numeric *)f,
                            buf, sizeof buf);
        strbuf_puts(b, buf);
        return false;
    }
    case CERD_TYPE_TIMESTAMPTZ: {
        /* exact, and for any year: microseconds from the epoch */
        cerd_timestamp ts = opt ? ((const cerd_opt_timestamp *)f)->value
                                : *(const cerd_timestamp *)f;
        if (ts == CERD_TIMESTAMP_INFINITY)
            strbuf_puts(expr, "'infinity'::timestamptz");
        else if (ts == CERD_TIMESTAMP_NEG_INFINITY)
            strbuf_puts(expr, "'-infinity'::timestamptz");
        else
            strbuf_printf(expr, "(timestamptz 'epoch' + (%" PRId64 "::bigint) * interval "
                            "'1 microsecond')",
                      ts);
        return true;
    }
    case CERD_TYPE_INET: {
        char buf[CERD_INET_BUFSIZE];
        cerd_inet_format(opt ? &((const cerd_opt_inet *)f)->value : (const cerd_inet *)f, buf);
        strbuf_puts(b, buf);
        return false;
    }
    case CERD_TYPE_TEXT:
        strbuf_puts(b, *(char *const *)f); /* as it is: bytes that are not UTF-8 too */
        return false;
    case CERD_TYPE_JSONB: {
        char *s = cJSON_PrintUnformatted(*(cJSON *const *)f);
        assert_non_null(s);
        strbuf_puts(b, s);
        free(s);
        return false;
    }
    case CERD_TYPE_INT32_ARRAY: {
        const cerd_int32_array *a = (const cerd_int32_array *)f;
        strbuf_puts(b, "{");
        for (size_t i = 0; i < a->count; i++) {
            if (i)
                strbuf_puts(b, ",");
            if (a->nulls && a->nulls[i])
                strbuf_puts(b, "NULL");
            else
                strbuf_printf(b, "%" PRId32, a->values[i]);
        }
        strbuf_puts(b, "}");
        return false;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        const cerd_text_array *a = (const cerd_text_array *)f;
        strbuf_puts(b, "{");
        for (size_t i = 0; i < a->count; i++) {
            if (i)
                strbuf_puts(b, ",");
            if (!a->values[i])
                strbuf_puts(b, "NULL");
            else
                array_elem(b, a->values[i]);
        }
        strbuf_puts(b, "}");
        return false;
    }
    }
    fail_msg("%s: unknown column type", c->name);
    return false;
}

/* Inserts row as an INSERT with text parameters would: a NOT NULL column that is NULL
   (identity: 0) and has a default is left out, as cerd_row_insert() leaves it (the write
   rule); a nullable one is written as NULL. */
static pg_verdict pg_judge(const cerd_table *t, const void *row)
{
    pg_verdict v;
    strbuf sql = {0}, vals = {0}, ret = {0};
    strbuf params[CERD_MAX_COLUMNS];
    const char *pv[CERD_MAX_COLUMNS];
    int np = 0, ncols = 0;
    PGresult *r;

    memset(&v, 0, sizeof v);
    memset(params, 0, sizeof params);
    strbuf_printf(&sql, "INSERT INTO %s (", t->name);
    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        bool null = cerd__field_is_null(c, row);
        if (null && (c->flags & CERD_COL_HAS_DEFAULT) && (c->flags & CERD_COL_NOT_NULL))
            continue;
        strbuf_printf(&sql, "%s%s", ncols ? ", " : "", c->name);
        if (vals.len)
            strbuf_puts(&vals, ", ");
        ncols++;
        if (null) {
            strbuf_puts(&vals, "NULL");
            continue;
        }
        if (!value_text(c, row, &params[np], &vals)) {
            pv[np] = params[np].data ? params[np].data : "";
            strbuf_printf(&vals, "$%d", ++np);
        }
        if (c->type == CERD_TYPE_NUMERIC) {
            strbuf_printf(&ret, "%s%s::text", v.nnum ? ", " : "", c->name);
            v.num_col[v.nnum++] = i;
        }
    }
    if (!ncols)
        strbuf_puts(&sql, ") DEFAULT VALUES");
    else {
        strbuf_puts(&sql, ") VALUES (");
        strbuf_puts(&sql, vals.data);
        strbuf_puts(&sql, ")");
    }
    if (v.nnum) {
        strbuf_puts(&sql, " RETURNING ");
        strbuf_puts(&sql, ret.data);
    }
    r = PQexecParams(pg, sql.data, np, NULL, pv, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) {
        v.ok = true;
        for (int i = 0; i < v.nnum; i++)
            v.num_text[i] = strdup(PQgetvalue(r, 0, i));
    } else {
        const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        const char *c = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
        const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        snprintf(v.state, sizeof v.state, "%s", s ? s : "?????");
        snprintf(v.constraint, sizeof v.constraint, "%s", c ? c : "");
        snprintf(v.message, sizeof v.message, "%s", m ? m : PQerrorMessage(pg));
        for (int i = 0; i < v.nnum; i++)
            v.num_text[i] = NULL;
    }
    PQclear(r);
    r = PQexec(pg, "ROLLBACK TO SAVEPOINT cerd_diff");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("rollback to savepoint: %s", PQerrorMessage(pg));
    PQclear(r);
    for (int i = 0; i < np; i++)
        free(params[i].data);
    free(sql.data);
    free(vals.data);
    free(ret.data);
    return v;
}

/* ---------------------------------------------------------------- comparing */

static bool has(const cerd_violations *v, cerd_violation_kind kind, const char *constraint)
{
    for (size_t i = 0; i < v->count; i++)
        if (v->items[i].kind == kind &&
            (!constraint || !strcmp(v->items[i].constraint, constraint)))
            return true;
    return false;
}

static bool check_failed_to_evaluate(const cerd_violations *v)
{
    for (size_t i = 0; i < v->count; i++)
        if (v->items[i].kind == CERD_VIOLATION_CHECK && strstr(v->items[i].message,
                                                               "fails to evaluate"))
            return true;
    return false;
}

/* Whether the server's error is among the library's violations. */
static bool same_reason(const pg_verdict *p, const cerd_violations *v)
{
    if (!strcmp(p->state, "23514"))
        return has(v, CERD_VIOLATION_CHECK, p->constraint);
    if (!strcmp(p->state, "23502"))
        return has(v, CERD_VIOLATION_NOT_NULL, NULL);
    if (!strcmp(p->state, "22001"))
        return has(v, CERD_VIOLATION_LENGTH, NULL);
    if (!strcmp(p->state, "22003"))
        return has(v, CERD_VIOLATION_NUMERIC_PRECISION, NULL) || check_failed_to_evaluate(v);
    if (!strcmp(p->state, "22012")) /* division by zero inside a CHECK */
        return check_failed_to_evaluate(v);
    if (!strcmp(p->state, "22021") || !strcmp(p->state, "22P05"))
        return has(v, CERD_VIOLATION_ENCODING, NULL);
    if (!strcmp(p->state, "22008") || !strcmp(p->state, "22P02") ||
        !strcmp(p->state, "22007"))
        return has(v, CERD_VIOLATION_TYPE, NULL);
    return false;
}

/* Whether the CHECK named name reads a column row leaves to a default the library does
   not know (now(), say): then the library leaves that CHECK to the server. */
static bool left_to_server(const cerd_table *t, const void *row, const char *name)
{
    for (uint16_t k = 0; k < t->nchecks; k++) {
        const cerd_check *ck = t->checks[k];
        if (strcmp(ck->name, name))
            continue;
        for (uint16_t i = 0; i < ck->ncolumns; i++) {
            const cerd_column *c = &t->columns[ck->columns[i]];
            if ((c->flags & CERD_COL_HAS_DEFAULT) && (c->flags & CERD_COL_NOT_NULL) &&
                cerd__field_is_null(c, row) && !(ck->defaults && ck->defaults[i]))
                return true;
        }
    }
    return false;
}

static void print_row(const cerd_table *t, const void *row)
{
    cJSON *j = NULL;
    char *s;
    if (cerd_row_to_json(&j, t, row))
        return;
    s = cJSON_PrintUnformatted(j);
    print_error("    row: %s\n", s ? s : "?");
    free(s);
    cJSON_Delete(j);
}

static void judge(stats *st, const cerd_table *t, const void *row, int source, const char *what)
{
    cerd_violations v;
    pg_verdict p;
    double t0 = now_s();
    int rc = cerd_row_validate(&v, t, row, CERD_VALIDATE_INSERT);
    bool lib_ok = rc == 0;
    double t1 = now_s();

    t_library += t1 - t0;
    if (rc && rc != CERD_EINVALID)
        fail_msg("%s: validate: %s", what, cerd_error_last()->message);
    p = pg_judge(t, row);
    t_server += now_s() - t1;
    st->rows++;
    st->by_source[source]++;
    if (lib_ok)
        st->lib_valid++;
    else
        st->lib_invalid++;
    if (!p.ok) {
        size_t k = 0;
        while (k < 5 && strcmp(p.state, STATES[k]))
            k++;
        by_state[k]++;
        st->pg_refused++;
    }

    if (lib_ok == p.ok) {
        if (!p.ok && !same_reason(&p, &v)) {
            st->wrong_reason++;
            print_error("REASON %s: server %s %s (%s); library: %s\n", what, p.state,
                        p.constraint, p.message, v.items[0].message);
            print_row(t, row);
        } else {
            st->agree++;
        }
    } else if (lib_ok && !strcmp(p.state, "23514") && left_to_server(t, row, p.constraint)) {
        st->left_to_server++; /* documented: a default the client does not know */
        st->agree++;
    } else {
        st->disagree++;
        print_error("DISAGREE %s: server %s %s%s%s; library %s%s\n", what,
                    p.ok ? "accepts" : p.state, p.constraint, p.ok ? "" : ": ",
                    p.ok ? "" : p.message, lib_ok ? "accepts" : "refuses: ",
                    lib_ok ? "" : v.items[0].message);
        print_row(t, row);
    }

    /* numerics as stored */
    if (p.ok) {
        for (int i = 0; i < p.nnum; i++) {
            const cerd_column *c = &t->columns[p.num_col[i]];
            const char *f = (const char *)row + c->offset;
            const cerd_numeric *n = (c->flags & CERD_COL_OPTIONAL)
                                        ? &((const cerd_opt_numeric *)f)->value
                                        : (const cerd_numeric *)f;
            cerd_numeric stored;
            char expect[256] = "(refused)";
            if (!cerd_numeric_round_to_typmod(&stored, n, c->precision, c->scale))
                cerd_numeric_format(&stored, expect, sizeof expect);
            st->stored_checked++;
            if (!p.num_text[i] || strcmp(expect, p.num_text[i])) {
                st->stored_wrong++;
                print_error("STORED %s: %s.%s stored as %s, library says %s\n", what, t->name,
                            c->name, p.num_text[i] ? p.num_text[i] : "?", expect);
            }
        }
    }
    pg_verdict_free(&p);
    cerd_violations_free(&v);
}

/* ---------------------------------------------------------------- value menus */

/* Values (in to_jsonb form) to put in one column. */
typedef struct menu {
    cJSON **vals;
    int n, cap;
} menu;

static void menu_add(menu *m, cJSON *v)
{
    assert_non_null(v);
    for (int i = 0; i < m->n; i++)
        if (cJSON_Compare(m->vals[i], v, true)) {
            cJSON_Delete(v);
            return;
        }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 32;
        m->vals = realloc(m->vals, (size_t)m->cap * sizeof *m->vals);
        assert_non_null(m->vals);
    }
    m->vals[m->n++] = v;
}

static void menu_free(menu *m)
{
    for (int i = 0; i < m->n; i++)
        cJSON_Delete(m->vals[i]);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static void add_raw(menu *m, const char *text)
{
    menu_add(m, cJSON_CreateRaw(text));
}

static void add_int(menu *m, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    add_raw(m, buf);
}

static void add_str(menu *m, const char *s)
{
    menu_add(m, cJSON_CreateString(s));
}

/* A string of n copies of the UTF-8 character ch, then tail. */
static void add_rep(menu *m, const char *ch, int n, const char *tail)
{
    size_t l = strlen(ch), tl = strlen(tail);
    char *s;
    if (n < 0)
        return;
    s = malloc(l * (size_t)n + tl + 1);
    assert_non_null(s);
    for (int i = 0; i < n; i++)
        memcpy(s + l * (size_t)i, ch, l);
    memcpy(s + l * (size_t)n, tail, tl + 1);
    add_str(m, s);
    free(s);
}

/* Decimal text of the numeric n + k * 10^-e (k small), exactly. */
static void numeric_shift(char *out, size_t size, const cerd_numeric *n, int k, int e)
{
    /* Work in text: n as a fixed-point number with enough decimals, plus k units of the
       last place, through cerd_numeric arithmetic-free integer steps. */
    char text[256], digits[256];
    int scale, neg, len, pos = 0;
    long long carry;
    char *dot;

    cerd_numeric_format(n, text, sizeof text);
    if (n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG) {
        snprintf(out, size, "%s", text);
        return;
    }
    neg = text[0] == '-';
    dot = strchr(text, '.');
    scale = dot ? (int)strlen(dot + 1) : 0;
    /* digits: the absolute value times 10^max(scale, e), as a decimal string */
    for (const char *p = text + neg; *p; p++)
        if (*p != '.')
            digits[pos++] = *p;
    while (scale < e) {
        digits[pos++] = '0';
        scale++;
    }
    digits[pos] = '\0';
    len = pos;
    /* add (or subtract) k at the place 10^-e, that is at index len-1-(scale-e) */
    {
        int place = len - 1 - (scale - e);
        long long delta = neg ? -k : k; /* on the absolute value */
        /* make a signed big decimal: simple schoolbook with borrow, falling back to
           flipping the sign when the magnitude goes below zero */
        int i;
        carry = delta;
        for (i = place; i >= 0 && carry; i--) {
            long long d = digits[i] - '0' + carry;
            carry = 0;
            while (d < 0) {
                d += 10;
                carry--;
            }
            while (d > 9) {
                d -= 10;
                carry++;
            }
            digits[i] = (char)('0' + d);
        }
        if (carry > 0) {
            memmove(digits + 1, digits, (size_t)len + 1);
            digits[0] = (char)('0' + carry);
            len++;
        } else if (carry < 0) {
            /* crossed zero: the result is -(10^len - digits) */
            for (i = 0; i < len; i++)
                digits[i] = (char)('9' - (digits[i] - '0'));
            for (i = len - 1; i >= 0; i--) {
                if (digits[i] == '9') {
                    digits[i] = '0';
                } else {
                    digits[i]++;
                    break;
                }
            }
            neg = !neg;
        }
    }
    /* write back with scale decimals */
    {
        int intlen = len - scale, o = 0;
        char buf[300];
        if (neg)
            buf[o++] = '-';
        if (intlen <= 0) {
            buf[o++] = '0';
        } else {
            memcpy(buf + o, digits, (size_t)intlen);
            o += intlen;
        }
        if (scale) {
            buf[o++] = '.';
            for (int i = 0; i < scale; i++) {
                int k2 = intlen + i;
                buf[o++] = k2 >= 0 ? digits[k2] : '0';
            }
        }
        buf[o] = '\0';
        snprintf(out, size, "%s", buf);
    }
}

/* Adds c, c +- one unit at scale s, and +- half a unit (ties) around numeric constant c. */
static void add_numeric_edges(menu *m, const cerd_numeric *c, int s)
{
    char buf[300];
    int e = s < 0 ? 4 : s;
    add_raw(m, (cerd_numeric_format(c, buf, sizeof buf), buf));
    for (int k = -1; k <= 1; k += 2) {
        numeric_shift(buf, sizeof buf, c, k, e);         /* just outside / inside */
        add_raw(m, buf);
        numeric_shift(buf, sizeof buf, c, 5 * k, e + 1); /* a tie at scale s */
        add_raw(m, buf);
        numeric_shift(buf, sizeof buf, c, 4 * k, e + 1); /* rounds back to c */
        add_raw(m, buf);
        numeric_shift(buf, sizeof buf, c, 49 * k, e + 2);
        add_raw(m, buf);
    }
}

/* Constants a CHECK compares column col with, and functions of it (char_length,
   cardinality) compared with constants. */
static void collect_constants(const cerd_table *t, const cerd_expr *e, int col, menu *m,
                              int *lengths, int *nlengths)
{
    const cerd_column *c = &t->columns[col];
    bool cmp = e->op == CERD_EXPR_EQ || e->op == CERD_EXPR_NE || e->op == CERD_EXPR_LT ||
               e->op == CERD_EXPR_LE || e->op == CERD_EXPR_GT || e->op == CERD_EXPR_GE ||
               e->op == CERD_EXPR_BETWEEN || e->op == CERD_EXPR_IN;
    if (cmp && e->nargs >= 2) {
        bool mine = false, func = false;
        for (uint16_t i = 0; i < e->nargs; i++) {
            const cerd_expr *a = e->args[i];
            if (a->op == CERD_EXPR_COLUMN && a->column == col)
                mine = true;
            if (a->op == CERD_EXPR_FUNC && a->nargs >= 1 && a->args[0]->op == CERD_EXPR_COLUMN &&
                a->args[0]->column == col)
                func = true;
        }
        for (uint16_t i = 0; (mine || func) && i < e->nargs; i++) {
            const cerd_expr *a = e->args[i];
            if (a->op != CERD_EXPR_CONST || !a->text)
                continue;
            if (func) {
                if ((a->type == CERD_TYPE_INT32 || a->type == CERD_TYPE_INT64) &&
                    *nlengths < 32)
                    lengths[(*nlengths)++] = (int)a->ival;
                continue;
            }
            switch (c->type) {
            case CERD_TYPE_INT32:
            case CERD_TYPE_INT64:
                if (a->type == CERD_TYPE_INT32 || a->type == CERD_TYPE_INT64) {
                    add_int(m, a->ival);
                    add_int(m, a->ival - 1);
                    add_int(m, a->ival + 1);
                } else if (a->num) {
                    add_numeric_edges(m, a->num, 0);
                }
                break;
            case CERD_TYPE_NUMERIC:
                if (a->num)
                    add_numeric_edges(m, a->num, c->scale);
                else if (a->type == CERD_TYPE_INT32 || a->type == CERD_TYPE_INT64) {
                    cerd_numeric n;
                    cerd_numeric_from_int64(&n, a->ival);
                    add_numeric_edges(m, &n, c->scale);
                }
                break;
            case CERD_TYPE_TEXT:
                if (a->type == CERD_TYPE_TEXT) {
                    char buf[512];
                    add_str(m, a->text);
                    snprintf(buf, sizeof buf, "%s ", a->text); /* a near miss */
                    add_str(m, buf);
                    snprintf(buf, sizeof buf, "%s", a->text);
                    for (char *p = buf; *p; p++)
                        if (*p >= 'a' && *p <= 'z')
                            *p = (char)(*p - 32);
                        else if (*p >= 'A' && *p <= 'Z')
                            *p = (char)(*p + 32);
                    add_str(m, buf);
                    if (c->max_chars > 0) { /* with spaces beyond the limit: cut */
                        snprintf(buf, sizeof buf, "%s%*s", a->text, c->max_chars, "");
                        add_str(m, buf);
                    }
                }
                break;
            case CERD_TYPE_TIMESTAMPTZ:
                if (a->type == CERD_TYPE_TIMESTAMPTZ) {
                    char buf[CERD_TIMESTAMP_BUFSIZE];
                    for (int k = -1; k <= 1; k++)
                        if (!cerd_timestamp_format(a->ival + k, buf))
                            add_str(m, buf);
                }
                break;
            default:
                break;
            }
        }
    }
    for (uint16_t i = 0; i < e->nargs; i++)
        collect_constants(t, e->args[i], col, m, lengths, nlengths);
}

static bool is_foreign_key(const cerd_table *t, int col)
{
    for (int k = 0; k < t->nforeign; k++)
        for (int c = 0; c < t->foreign_keys[k].ncolumns; c++)
            if (t->foreign_keys[k].columns[c] == col)
                return true;
    return false;
}

/* The menu of column col of t: its type's edges, the CHECKs' constants and NULL. */
static void build_menu(const cerd_table *t, int col, const cJSON *base, menu *m)
{
    const cerd_column *c = &t->columns[col];
    int lengths[32], nlengths = 0;

    if (is_foreign_key(t, col)) {
        /* another parent would be a foreign-key question, not validation's; NULL only
           where the row can hold it (else it reads as id 0) */
        if (c->flags & CERD_COL_OPTIONAL)
            menu_add(m, cJSON_CreateNull());
        return;
    }
    menu_add(m, cJSON_CreateNull());
    for (uint16_t k = 0; k < t->nchecks; k++)
        collect_constants(t, t->checks[k]->expr, col, m, lengths, &nlengths);

    switch (c->type) {
    case CERD_TYPE_INT32:
        add_int(m, INT32_MAX);
        add_int(m, INT32_MIN);
        add_int(m, INT32_MAX - 1);
        add_int(m, INT32_MIN + 1);
        /* fall through */
    case CERD_TYPE_INT64:
        add_int(m, 0);
        add_int(m, 1);
        add_int(m, -1);
        add_int(m, 100);
        add_int(m, 101);
        if (c->type == CERD_TYPE_INT64) {
            add_int(m, INT64_MAX);
            add_int(m, INT64_MIN);
        }
        break;
    case CERD_TYPE_NUMERIC: {
        static const char *const common[] = {"0", "0.0", "-0", "1", "-1", "100", "NaN",
                                             "Infinity", "-Infinity", "0.5", "99.995",
                                             "100.005", "1e-30", "123456.789"};
        for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
            add_raw(m, common[i]);
        if (c->precision > 0) {
            /* built in a growable buffer: precision may be up to 1000 digits */
            int ip = c->precision - c->scale, s = c->scale;
            strbuf b = {0};
            for (int sign = 0; sign < 2; sign++) {
                const char *minus = sign ? "-" : "";
                /* the largest value: ip nines, s nines */
                b.len = 0;
                strbuf_puts(&b, minus);
                for (int i = 0; i < ip; i++) strbuf_puts(&b, "9");
                if (!ip) strbuf_puts(&b, "0");
                if (s) strbuf_puts(&b, ".");
                for (int i = 0; i < s; i++) strbuf_puts(&b, "9");
                add_raw(m, b.data);
                /* ... plus a digit that rounds it up into overflow, or not */
                strbuf_puts(&b, s ? "5" : ".5");
                add_raw(m, b.data);
                b.data[b.len - 1] = '4';
                add_raw(m, b.data);
                /* one integer digit more: 10^ip */
                b.len = 0;
                strbuf_printf(&b, "%s1", minus);
                for (int i = 0; i < ip; i++) strbuf_puts(&b, "0");
                add_raw(m, b.data);
                /* the smallest unit, half of it (a tie) and just below half */
                b.len = 0;
                strbuf_printf(&b, "%s0.", minus);
                for (int i = 0; i < s; i++) strbuf_puts(&b, "0");
                strbuf_puts(&b, "5");
                add_raw(m, b.data);
                b.data[b.len - 1] = '4';
                strbuf_puts(&b, "9");
                add_raw(m, b.data);
                /* a tie at scale s with digits all over: d...d.d...d5 */
                b.len = 0;
                strbuf_puts(&b, minus);
                for (int i = 0; i < ip; i++) strbuf_putc(&b, (char)('1' + i % 9));
                if (!ip) strbuf_puts(&b, "0");
                strbuf_puts(&b, ".");
                for (int i = 0; i < s; i++) strbuf_putc(&b, (char)('0' + (i * 7 + 3) % 10));
                strbuf_puts(&b, "5");
                add_raw(m, b.data);
            }
            strbuf_free(&b);
        }
        break;
    }
    case CERD_TYPE_TEXT: {
        int n = c->max_chars;
        static const char *const chars[] = {"x", "\xc3\xa9", "\xe6\xbc\xa2",
                                            "\xf0\x9f\x9a\x80"};
        add_str(m, "");
        add_str(m, "bad \xff byte");
        add_str(m, "\xc3\x28");
        if (n > 0) {
            for (size_t i = 0; i < 4; i++) {
                add_rep(m, chars[i], n, "");
                add_rep(m, chars[i], n + 1, "");
                add_rep(m, chars[i], n, "   ");  /* excess spaces: cut */
                add_rep(m, chars[i], n, " x");   /* not only spaces: too long */
                add_rep(m, chars[i], n - 1, "  ");
            }
            add_rep(m, " ", n + 2, "");
        } else {
            add_rep(m, "x", 300, "");
            add_rep(m, "\xe6\xbc\xa2", 300, "");
        }
        if (!strcmp(c->name, "email")) {
            add_str(m, "a@b.cd");
            add_str(m, "A.B+c@Example.COM");
            add_str(m, "a@b.c");
            add_str(m, "caf\xc3\xa9@example.com");
            add_str(m, "a@b.cd\n");
        }
        for (int i = 0; i < nlengths; i++)
            for (int k = -1; k <= 1; k++)
                add_rep(m, "y", lengths[i] + k, "");
        break;
    }
    case CERD_TYPE_BOOL:
        menu_add(m, cJSON_CreateTrue());
        menu_add(m, cJSON_CreateFalse());
        break;
    case CERD_TYPE_TIMESTAMPTZ: {
        /* the other timestamps of the row, equal and one microsecond either side */
        for (int i = 0; i < t->ncolumns; i++) {
            const cJSON *o;
            cerd_timestamp ts;
            char buf[CERD_TIMESTAMP_BUFSIZE];
            if (t->columns[i].type != CERD_TYPE_TIMESTAMPTZ || i == col)
                continue;
            o = cJSON_GetObjectItemCaseSensitive(base, t->columns[i].name);
            if (!cJSON_IsString(o) || cerd_timestamp_parse(&ts, o->valuestring))
                continue;
            for (int k = -1; k <= 1; k++)
                if (!cerd_timestamp_format(ts + k, buf))
                    add_str(m, buf);
        }
        add_str(m, "2025-01-02T03:04:05Z");
        add_str(m, "0001-01-01T00:00:00Z");
        add_str(m, "9999-12-31T23:59:59.999999Z");
        add_str(m, "infinity");
        add_str(m, "-infinity");
        break;
    }
    case CERD_TYPE_JSONB: {
        static const char *const docs[] = {"{}", "[]", "\"x\"", "1.50", "{\"a\": [1, null, "
                                           "{\"b\": 12345678901234567890.123456789}]}",
                                           "{\"k\": \"\\u00e9\"}"};
        for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
            cJSON *j = NULL;
            CERD_ASSERT_OK(cerd_json_parse(&j, docs[i], strlen(docs[i])));
            menu_add(m, j);
        }
        break;
    }
    case CERD_TYPE_INET:
        add_str(m, "10.0.0.1");
        add_str(m, "::1");
        add_str(m, "192.168.0.0/16");
        add_str(m, "2001:db8::/32");
        break;
    case CERD_TYPE_INT32_ARRAY: {
        int sizes[40], ns = 0;
        sizes[ns++] = 0;
        sizes[ns++] = 1;
        sizes[ns++] = 3;
        for (int i = 0; i < nlengths && ns < 37; i++)
            for (int k = -1; k <= 1; k++)
                if (lengths[i] + k >= 0)
                    sizes[ns++] = lengths[i] + k;
        for (int i = 0; i < ns; i++) {
            cJSON *a = cJSON_CreateArray();
            for (int k = 0; k < sizes[i] && k < 200; k++)
                cJSON_AddItemToArray(a, cJSON_CreateRaw(k == 1 ? "2147483647" : "7"));
            menu_add(m, a);
        }
        {
            cJSON *a = cJSON_CreateArray();
            cJSON_AddItemToArray(a, cJSON_CreateNull());
            menu_add(m, a);
        }
        break;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        int n = c->max_chars > 0 ? c->max_chars : 40;
        int sizes[40], ns = 0;
        sizes[ns++] = 0;
        sizes[ns++] = 1;
        sizes[ns++] = 3;
        for (int i = 0; i < nlengths && ns < 37; i++)
            for (int k = -1; k <= 1; k++)
                if (lengths[i] + k >= 0)
                    sizes[ns++] = lengths[i] + k;
        for (int i = 0; i < ns; i++) {
            cJSON *a = cJSON_CreateArray();
            for (int k = 0; k < sizes[i] && k < 200; k++)
                cJSON_AddItemToArray(a, cJSON_CreateString("tag"));
            menu_add(m, a);
        }
        for (int len = n - 1; len <= n + 1; len++) {
            menu tmp = {0};
            cJSON *a = cJSON_CreateArray();
            add_rep(&tmp, "\xc3\xa9", len, "");
            cJSON_AddItemToArray(a, cJSON_CreateString("ok"));
            cJSON_AddItemToArray(a, cJSON_Duplicate(tmp.vals[0], true));
            menu_add(m, a);
            menu_free(&tmp);
        }
        {
            cJSON *a = cJSON_CreateArray();
            cJSON_AddItemToArray(a, cJSON_CreateNull());
            cJSON_AddItemToArray(a, cJSON_CreateString("bad \xfe"));
            menu_add(m, a);
        }
        break;
    }
    }
}

/* A random value for column col (beyond its menu). */
static cJSON *random_value(const cerd_table *t, int col)
{
    const cerd_column *c = &t->columns[col];
    char buf[256];
    switch (c->type) {
    case CERD_TYPE_NUMERIC: {
        int ip = c->precision > 0 ? c->precision - c->scale : 12;
        int s = c->scale > 0 ? c->scale : 4;
        int idig = (int)rnd_below((unsigned)ip + 2), fdig = (int)rnd_below((unsigned)s + 4);
        int o = 0;
        if (rnd_below(4) == 0)
            buf[o++] = '-';
        if (!idig)
            buf[o++] = '0';
        for (int i = 0; i < idig; i++)
            buf[o++] = (char)((i == 0 ? '1' : '0') + rnd_below(i == 0 ? 9 : 10));
        if (fdig) {
            buf[o++] = '.';
            for (int i = 0; i < fdig; i++)
                buf[o++] = (char)('0' + rnd_below(10));
            if (rnd_below(3) == 0)
                buf[o - 1] = '5'; /* a tie */
        }
        buf[o] = '\0';
        return cJSON_CreateRaw(buf);
    }
    case CERD_TYPE_INT32:
    case CERD_TYPE_INT64: {
        int64_t v;
        switch (rnd_below(4)) {
        case 0: v = (int64_t)rnd_below(200) - 100; break;
        case 1: v = (int64_t)rnd_below(20000); break;
        case 2: v = c->type == CERD_TYPE_INT32 ? (int32_t)rnd() : (int64_t)rnd(); break;
        default: v = (int64_t)rnd_below(10); break;
        }
        snprintf(buf, sizeof buf, "%" PRId64, v);
        return cJSON_CreateRaw(buf);
    }
    case CERD_TYPE_TEXT: {
        static const char *const alphabet[] = {"a", "b", "Z", "0", " ", "-", "_", "@", ".",
                                               "\xc3\xa9", "\xe6\xbc\xa2", "\xf0\x9f\x9a\x80"};
        int n = c->max_chars > 0 ? c->max_chars : 30;
        int len = (int)rnd_below((unsigned)n + 4);
        size_t o = 0;
        for (int i = 0; i < len; i++) {
            const char *ch = alphabet[rnd_below(12)];
            size_t l = strlen(ch);
            memcpy(buf + o, ch, l);
            o += l;
            if (o > sizeof buf - 8)
                break;
        }
        buf[o] = '\0';
        return cJSON_CreateString(buf);
    }
    case CERD_TYPE_BOOL:
        return cJSON_CreateBool(rnd_below(2));
    default:
        return NULL; /* the menu has enough */
    }
}

/* ---------------------------------------------------------------- the rows of a table */

/* Judges the row obj describes (skipped when the row cannot hold it). */
static void judge_json(stats *st, const cerd_table *t, const cJSON *obj, int source,
                       const char *what)
{
    void *row = new_row(t);
    if (cerd_row_from_json(row, t, obj))
        st->skipped++;
    else
        judge(st, t, row, source, what);
    free_row(t, row);
}

/* One parent row per foreign key's table (made with create_parents, inserted); the
   stored rows go with them (parents[i].row, released by free_parents), so foreign keys
   of several columns take all of them from the parent. */
static size_t make_parents(const cerd_table *t, cerd_factory_parent *parents)
{
    size_t n = 0;
    for (int k = 0; k < t->nforeign; k++) {
        const cerd_foreign_key *fk = &t->foreign_keys[k];
        const cerd_table *ref = cerd_table_find(fk->ref_table);
        cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
        void *row, *stored;
        cJSON *j = NULL, *id;
        bool seen = false;
        for (size_t i = 0; i < n; i++)
            seen = seen || !strcmp(parents[i].table, fk->ref_table);
        if (seen)
            continue;
        assert_non_null(ref);
        row = new_row(ref);
        stored = new_row(ref);
        o.seed = UINT64_C(0xD1FF0000) + (uint64_t)k;
        o.create_parents = conn;
        if (cerd_factory_make(row, ref, &o) || cerd_row_insert(stored, conn, ref, row))
            fail_msg("%s: parent %s: %s", t->name, ref->name, cerd_error_last()->message);
        CERD_ASSERT_OK(cerd_row_to_json(&j, ref, stored));
        id = cJSON_GetObjectItemCaseSensitive(
            j, ref->columns[ref->primary_key.columns[0]].name);
        assert_true(cJSON_IsRaw(id) || cJSON_IsNumber(id));
        parents[n].table = fk->ref_table;
        parents[n].id = cJSON_IsRaw(id) ? strtoll(id->valuestring, NULL, 10)
                                        : (int64_t)id->valuedouble;
        parents[n].row = stored;
        n++;
        cJSON_Delete(j);
        free_row(ref, row);
    }
    return n;
}

static void free_parents(cerd_factory_parent *parents, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free_row(cerd_table_find(parents[i].table), (void *)parents[i].row);
}

static void differential_table(const cerd_table *t, stats *st)
{
    cerd_factory_parent parents[CERD_MAX_COLUMNS];
    size_t nparents;
    void **made = NULL;          /* factory rows, judged after all are made */
    char (*made_what)[160] = NULL;
    int *made_source = NULL;
    size_t nmade = 0, cap = 0;
    cJSON *bases[VALID_SEEDS];
    size_t nbases = 0;
    menu menus[CERD_MAX_COLUMNS];
    const char *rules[CERD_MAX_COLUMNS + 8];
    size_t nrules = 0;

    memset(st, 0, sizeof *st);
    memset(menus, 0, sizeof menus);
    rng_state = UINT64_C(14695981039346656037);
    for (const char *p = t->name; *p; p++)
        rng_state = (rng_state ^ (unsigned char)*p) * UINT64_C(1099511628211);
    double t0 = now_s();
    exec_ok("BEGIN");
    nparents = make_parents(t, parents);

    /* factory rows: valid ones, and ones breaking each rule (they may insert parents, so
       all are made before the savepoint) */
    for (uint16_t k = 0; k < t->nchecks; k++)
        rules[nrules++] = t->checks[k]->name;
    rules[nrules++] = "not_null";
    rules[nrules++] = "length";
    rules[nrules++] = "numeric_precision";
    for (size_t r = 0; r <= nrules; r++) {
        const char *rule = r == 0 ? NULL : rules[r - 1];
        uint64_t seeds = rule ? VIOLATE_SEEDS : VALID_SEEDS;
        for (uint64_t s = 1; s <= seeds; s++) {
            cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
            void *row = new_row(t);
            int rc;
            o.seed = s * 7919 + r;
            o.violate = rule;
            o.parents = parents;
            o.nparents = nparents;
            o.create_parents = conn;
            rc = cerd_factory_make(row, t, &o);
            if (rc == CERD_EMISUSE || rc == CERD_EINVALID) {
                free_row(t, row);
                st->by_source[4]++;
                continue; /* no such rule here, or none breakable alone */
            }
            if (rc)
                fail_msg("%s: factory %s seed %llu: %s", t->name, rule ? rule : "(valid)",
                         (unsigned long long)o.seed, cerd_error_last()->message);
            if (nmade == cap) {
                cap = cap ? cap * 2 : 512;
                made = realloc(made, cap * sizeof *made);
                made_what = realloc(made_what, cap * sizeof *made_what);
                made_source = realloc(made_source, cap * sizeof *made_source);
                assert_true(made && made_what && made_source);
            }
            made[nmade] = row;
            snprintf(made_what[nmade], sizeof made_what[nmade], "%s: factory %s seed %llu",
                     t->name, rule ? rule : "valid", (unsigned long long)o.seed);
            made_source[nmade++] = rule ? SRC_VIOLATE : SRC_VALID;
            if (!rule && nbases < VALID_SEEDS) {
                CERD_ASSERT_OK(cerd_row_to_json(&bases[nbases], t, row));
                nbases++;
            }
        }
    }
    assert_true(nbases > 0);
    t_factory += now_s() - t0;

    exec_ok("SAVEPOINT cerd_diff");
    for (size_t i = 0; i < nmade; i++) {
        judge(st, t, made[i], made_source[i], made_what[i]);
        free_row(t, made[i]);
    }
    free(made);
    free(made_what);
    free(made_source);

    /* boundary rows: each menu value of each column, in a valid row */
    for (int col = 0; col < t->ncolumns; col++) {
        if (t->columns[col].flags & CERD_COL_IDENTITY)
            continue;
        build_menu(t, col, bases[0], &menus[col]);
        for (int i = 0; i < menus[col].n; i++) {
            cJSON *obj = cJSON_Duplicate(bases[(size_t)i % nbases], true);
            char what[400], *v = cJSON_PrintUnformatted(menus[col].vals[i]);
            cJSON_ReplaceItemInObjectCaseSensitive(obj, t->columns[col].name,
                                                   cJSON_Duplicate(menus[col].vals[i], true));
            snprintf(what, sizeof what, "%s: boundary %s = %.200s", t->name,
                     t->columns[col].name, v ? v : "?");
            judge_json(st, t, obj, SRC_BOUNDARY, what);
            free(v);
            cJSON_Delete(obj);
        }
    }

    /* random mutations of one to three columns, up to the table's quota */
    while (st->rows < ROWS_PER_TABLE + 100) {
        cJSON *obj = cJSON_Duplicate(bases[rnd_below((unsigned)nbases)], true);
        char what[600];
        int changes = 1 + (int)rnd_below(3), o;
        o = snprintf(what, sizeof what, "%s: random", t->name);
        for (int k = 0; k < changes; k++) {
            int col = (int)rnd_below(t->ncolumns);
            cJSON *v;
            char *text;
            if ((t->columns[col].flags & CERD_COL_IDENTITY) || !menus[col].n)
                continue;
            v = rnd_below(3) == 0 && !is_foreign_key(t, col) ? random_value(t, col) : NULL;
            if (!v)
                v = cJSON_Duplicate(menus[col].vals[rnd_below((unsigned)menus[col].n)], true);
            text = cJSON_PrintUnformatted(v);
            if (o < (int)sizeof what)
                o += snprintf(what + o, sizeof what - (size_t)o, " %s = %.100s",
                              t->columns[col].name, text ? text : "?");
            free(text);
            cJSON_ReplaceItemInObjectCaseSensitive(obj, t->columns[col].name, v);
        }
        judge_json(st, t, obj, SRC_RANDOM, what);
        cJSON_Delete(obj);
    }

    for (int col = 0; col < t->ncolumns; col++)
        menu_free(&menus[col]);
    for (size_t i = 0; i < nbases; i++)
        cJSON_Delete(bases[i]);
    free_parents(parents, nparents);
    exec_ok("ROLLBACK");
}

static void test_differential_pg__every_table_agrees_with_postgresql(void **state)
{
    struct timespec t0, t1;
    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cerd_conn_set_validation(conn, true);
    print_message("%-28s %6s %6s %6s %6s %10s %7s %6s %6s %6s %6s\n", "table", "rows", "valid",
                  "invalid", "pg-ref", "agreement", "server", "fact", "mutv", "bound", "random");
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        stats st;
        differential_table(t, &st);
        print_message("%-28s %6zu %6zu %6zu %6zu %4zu/%-5zu %7zu %6zu %6zu %6zu %6zu%s\n",
                      t->name, st.rows, st.lib_valid, st.lib_invalid, st.pg_refused, st.agree,
                      st.rows, st.left_to_server, st.by_source[SRC_VALID],
                      st.by_source[SRC_VIOLATE], st.by_source[SRC_BOUNDARY],
                      st.by_source[SRC_RANDOM],
                      st.disagree || st.wrong_reason || st.stored_wrong ? "  <-- FAILED" : "");
        assert_true(st.rows >= ROWS_PER_TABLE);
        assert_true(st.lib_valid > 0 && st.pg_refused < st.rows);
        total.rows += st.rows;
        total.lib_valid += st.lib_valid;
        total.lib_invalid += st.lib_invalid;
        total.pg_refused += st.pg_refused;
        total.agree += st.agree;
        total.disagree += st.disagree;
        total.wrong_reason += st.wrong_reason;
        total.left_to_server += st.left_to_server;
        total.stored_checked += st.stored_checked;
        total.stored_wrong += st.stored_wrong;
        total.skipped += st.skipped;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("total: %zu rows (%zu valid, %zu invalid by the library; %zu refused by the "
                  "server); agreement %zu/%zu; %zu disagreements, %zu with another reason; "
                  "%zu checks left to the server; stored numerics: %zu checked, %zu wrong; "
                  "%zu menu rows a C row cannot hold; %.1f s (factory %.1f s, library %.2f s, "
                  "server %.1f s)\n",
                  total.rows, total.lib_valid, total.lib_invalid, total.pg_refused,
                  total.agree, total.rows, total.disagree, total.wrong_reason,
                  total.left_to_server, total.stored_checked, total.stored_wrong,
                  total.skipped,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                  t_factory, t_library, t_server);
    print_message("server refusals: %zu check (23514), %zu not null (23502), %zu too long "
                  "(22001), %zu numeric overflow (22003), %zu encoding (22021), %zu other\n",
                  by_state[0], by_state[1], by_state[2], by_state[3], by_state[4], by_state[5]);
    assert_int_equal(total.disagree, 0);
    assert_int_equal(total.wrong_reason, 0);
    assert_int_equal(total.stored_wrong, 0);
    assert_true(total.stored_checked > 10000);
    assert_true(total.lib_invalid > total.rows / 5);
    for (int k = 0; k < 5; k++) /* every kind of refusal was compared */
        assert_true(by_state[k] > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential_pg__every_table_agrees_with_postgresql),
    };
    return cmocka_run_group_tests_name("differential_pg", tests, setup, teardown);
}
