/* Hostile text through every string column of every table, generically from the
   descriptors and factory rows: embedded quotes, backslashes, SQL injection attempts,
   samples of every Unicode plane (4-byte sequences included), 1 MiB strings (unbounded
   columns; varchar(n) refuses them with its length), invalid UTF-8 and NUL.
   - text that fits: stored byte for byte (read back by the library, and found by the
     server with `col = $1` on a plain libpq connection), or refused by a CHECK of the
     column (CERD_EINVALID, before the server) — never a server error, never SQL;
   - longer than varchar(n): CERD_EINVALID (validation) or CERD_ERANGE (encoder, with
     validation off), nothing written;
   - invalid UTF-8: refused before the server, nothing written: CERD_EINVALID (a
     violation of kind encoding) with validation on, CERD_EENCODING with it off; NUL
     (only expressible through JSON input): refused by the JSON parser (CERD_EINVALID,
     "\u0000 cannot be converted to text", as PostgreSQL says) or CERD_EENCODING;
   - 1 MiB in a column with a B-tree index (a unique key): the server's index limit
     (SQLSTATE 54000, CERD_ESERVER), nothing written;
   - afterwards every table still exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>
#include "testconn.h"
#include "testdb.h"

static testdb db;
static cerd_conn *conn;
static PGconn *pg;
static uint64_t seed = 7000;

static void check(int rc, const char *what)
{
    if (rc) {
        const cerd_error *e = cerd_error_last();
        print_error("%s: %s (%s) sqlstate=%s constraint=%s\n", what, e->message,
                    cerd_error_name(rc), e->sqlstate, e->constraint);
        fail();
    }
}

/* ---------------------------------------------------------------- the values */

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Code points of every plane (0..16): the first, one in the middle and the last of each
   (U+0001 rather than U+0000; the BMP's surrogates are skipped: not Unicode scalars). */
static char *every_plane(void)
{
    char *s = malloc(17 * 4 * 4 + 16), *p = s;
    for (uint32_t plane = 0; plane <= 16; plane++) {
        uint32_t base = plane << 16;
        uint32_t samples[] = {base ? base : 1, base + 0x7FFF, base + 0xFFFD, base + 0xFFFF};
        for (size_t i = 0; i < 4; i++)
            p += put_utf8(p, samples[i]);
    }
    *p = '\0';
    return s;
}

/* Only 4-byte sequences: U+10000, U+1F600 (emoji), U+20000 (CJK ext. B), U+10FFFF. */
static const char FOUR_BYTES[] = "\xF0\x90\x80\x80\xF0\x9F\x98\x80\xF0\xA0\x80\x80\xF4\x8F\xBF\xBF";

/* 1 MiB (1,048,576 bytes) of mixed ASCII, quotes, backslashes and multi-byte text. */
static char *one_mib(void)
{
    static const char unit[] = "a'b\"c\\d \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80;--\n"; /* 20 bytes */
    size_t n = 1u << 20, u = sizeof unit - 1, i = 0;
    char *s = malloc(n + 1);
    while (i + u <= n) {
        memcpy(s + i, unit, u);
        i += u;
    }
    memset(s + i, 'z', n - i);
    s[n] = '\0';
    return s;
}

static const char *const INVALID_UTF8[] = {
    "bad \xC3\x28 pair",        /* a lead byte without its continuation */
    "\xED\xA0\x80",             /* a surrogate, U+D800 */
    "\xF4\x90\x80\x80",         /* above U+10FFFF */
    "\xC0\xAF",                 /* overlong '/' */
    "\xFF\xFE",                 /* never in UTF-8 */
    "cut \xE2\x82",             /* truncated sequence at the end */
    "\x80 continuation first",
};

/* ---------------------------------------------------------------- helpers */

static bool is_text(const cerd_column *c)
{
    return c->type == CERD_TYPE_TEXT || c->type == CERD_TYPE_TEXT_ARRAY;
}

static size_t chars_of(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static long long count_rows(const cerd_table *t)
{
    char sql[160], *v;
    long long n;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", t->name);
    v = testdb_scalar(pg, sql);
    n = atoll(v);
    free(v);
    return n;
}

/* The server finds value in the column (plain libpq, text parameter). */
static bool server_has(const cerd_table *t, const cerd_column *c, const char *value)
{
    char sql[256];
    const char *params[1] = {value};
    PGresult *res;
    bool found;
    snprintf(sql, sizeof sql,
             c->type == CERD_TYPE_TEXT ? "SELECT count(*) FROM \"%s\" WHERE \"%s\" = $1"
                                       : "SELECT count(*) FROM \"%s\" WHERE $1 = ANY(\"%s\")",
             t->name, c->name);
    res = PQexecParams(pg, sql, 1, NULL, params, NULL, NULL, 0);
    found = PQresultStatus(res) == PGRES_TUPLES_OK && atoll(PQgetvalue(res, 0, 0)) >= 1;
    PQclear(res);
    return found;
}

/* A fresh valid row of t (parents inserted as needed), with column c set to value;
   what the field held before goes to *saved (restored by restore()). */
typedef struct slot {
    char *text;
    cerd_text_array array;
    char *element[1];
} slot;

static void *fresh_row(const cerd_table *t)
{
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    void *row = calloc(1, t->row_size);
    assert_non_null(row);
    o.seed = seed++;
    o.create_parents = conn;
    check(cerd_factory_make(row, t, &o), t->name);
    return row;
}

static void set_value(void *row, const cerd_column *c, const char *value, slot *saved)
{
    char *f = (char *)row + c->offset;
    if (c->type == CERD_TYPE_TEXT) {
        saved->text = *(char **)f;
        *(char **)f = (char *)value;
    } else {
        cerd_text_array a = {saved->element, 1, true};
        saved->array = *(cerd_text_array *)f;
        saved->element[0] = (char *)value;
        *(cerd_text_array *)f = a;
    }
}

static void restore(void *row, const cerd_column *c, const slot *saved)
{
    char *f = (char *)row + c->offset;
    if (c->type == CERD_TYPE_TEXT)
        *(char **)f = saved->text;
    else
        *(cerd_text_array *)f = saved->array;
}

static const char *field_text(const void *row, const cerd_column *c)
{
    const char *f = (const char *)row + c->offset;
    if (c->type == CERD_TYPE_TEXT)
        return *(char *const *)f;
    {
        const cerd_text_array *a = (const cerd_text_array *)f;
        return a->valid && a->count == 1 ? a->values[0] : NULL;
    }
}

typedef struct tally {
    int stored, refused_check, refused_length, refused_encoding, refused_index;
} tally;

/* Inserts a fresh row of t with value in column c and checks the outcome. */
static void try_value(const cerd_table *t, int col, const char *value, tally *n)
{
    const cerd_column *c = &t->columns[col];
    void *row = fresh_row(t), *out = calloc(1, t->row_size), *got = calloc(1, t->row_size);
    bool too_long = c->max_chars >= 0 && chars_of(value) > (size_t)c->max_chars;
    long long before = count_rows(t);
    slot saved;
    int rc;

    set_value(row, c, value, &saved);
    rc = cerd_row_insert(out, conn, t, row);
    restore(row, c, &saved);
    if (too_long) {
        if (rc != CERD_EINVALID && rc != CERD_ERANGE)
            print_error("%s.%s: %zu characters in varchar(%d): %s\n", t->name, c->name,
                        chars_of(value), (int)c->max_chars, cerd_error_name(rc));
        assert_true(rc == CERD_EINVALID || rc == CERD_ERANGE);
        assert_int_equal(count_rows(t), before);
        n->refused_length++;
    } else if (rc == CERD_ESERVER && !strcmp(cerd_error_last()->sqlstate, "54000")
               && strlen(value) > 2700) {
        /* a B-tree index (unique key) holds at most ~2.7 kB per entry: the server
           refuses the 1 MiB value (program_limit_exceeded), nothing is written */
        assert_int_equal(count_rows(t), before);
        n->refused_index++;
    } else if (rc == CERD_EINVALID) {
        /* a CHECK of the column (a list of values, a pattern) refuses it, client-side */
        assert_non_null(cerd_error_last()->message);
        assert_int_equal(count_rows(t), before);
        n->refused_check++;
    } else {
        if (rc)
            print_error("%s.%s: %s: %s\n", t->name, c->name, cerd_error_name(rc),
                        cerd_error_last()->message);
        assert_int_equal(rc, 0);
        check(cerd_row_get(got, conn, t, -1, out, CERD_ROW_INCLUDE_DELETED), "get");
        assert_non_null(field_text(got, c));
        assert_int_equal(strlen(field_text(got, c)), strlen(value));
        assert_memory_equal(field_text(got, c), value, strlen(value));
        assert_true(server_has(t, c, value));
        n->stored++;
    }
    cerd_row_clear(t, got);
    cerd_row_clear(t, out);
    cerd_row_clear(t, row);
    free(got);
    free(out);
    free(row);
}

/* Invalid UTF-8: refused before the server, with validation on and off. */
static void try_invalid(const cerd_table *t, int col, const char *value, tally *n)
{
    const cerd_column *c = &t->columns[col];
    void *row = fresh_row(t);
    long long before = count_rows(t);
    slot saved;

    set_value(row, c, value, &saved);
    /* validation on: refused as a violation of kind encoding (validate.h) */
    assert_int_equal(cerd_row_insert(NULL, conn, t, row), CERD_EINVALID);
    assert_non_null(strstr(cerd_error_last()->message, "UTF-8"));
    assert_string_equal(cerd_error_last()->column, c->name);
    assert_string_equal(cerd_error_last()->sqlstate, ""); /* not the server's verdict */
    /* validation off: the encoder refuses it */
    cerd_conn_set_validation(conn, false);
    assert_int_equal(cerd_row_insert(NULL, conn, t, row), CERD_EENCODING);
    assert_string_equal(cerd_error_last()->sqlstate, "");
    assert_non_null(strstr(cerd_error_last()->message, c->name));
    cerd_conn_set_validation(conn, true);
    restore(row, c, &saved);
    assert_int_equal(count_rows(t), before);
    n->refused_encoding++;
    cerd_row_clear(t, row);
    free(row);
}

/* NUL can only come in through JSON: the row's JSON with "\u0000" in the column. */
static void try_nul_json(const cerd_table *t, int col)
{
    const cerd_column *c = &t->columns[col];
    void *row = fresh_row(t), *back = calloc(1, t->row_size);
    cJSON *j = NULL, *parsed = NULL;
    char *text, *doc;
    int rc;

    check(cerd_row_to_json(&j, t, row), "to_json");
    cJSON_DeleteItemFromObjectCaseSensitive(j, c->name);
    cJSON_AddItemToObject(j, c->name, c->type == CERD_TYPE_TEXT
                                          ? cJSON_CreateString("NULHERE")
                                          : cJSON_CreateStringArray((const char *[]){"NULHERE"}, 1));
    text = cJSON_PrintUnformatted(j);
    doc = malloc(strlen(text) + 2);
    assert_non_null(doc);
    {
        /* "NULHERE" -> "a\u0000b" */
        const char *at = strstr(text, "NULHERE");
        assert_non_null(at);
        sprintf(doc, "%.*sa\\u0000b%s", (int)(at - text), text, at + 7);
    }
    cJSON_free(text);
    text = doc;
    rc = cerd_json_parse(&parsed, text, strlen(text));
    if (rc == 0) {
        rc = cerd_row_from_json(back, t, parsed);
        if (rc == 0)
            rc = cerd_row_insert(NULL, conn, t, back);
    }
    /* the exact JSON parser refuses \u0000 as PostgreSQL does (CERD_EINVALID, "cannot
       be converted to text"); whatever got past it would meet the encoder's NUL check */
    if (!(rc == CERD_EENCODING
          || (rc == CERD_EINVALID && strstr(cerd_error_last()->message, "\\u0000"))))
        print_error("%s.%s: NUL through JSON gave %s: %s\n", t->name, c->name,
                    cerd_error_name(rc), rc ? cerd_error_last()->message : "accepted");
    assert_true(rc == CERD_EENCODING
                || (rc == CERD_EINVALID && strstr(cerd_error_last()->message, "\\u0000")));
    cJSON_Delete(parsed);
    cJSON_Delete(j);
    free(text);
    cerd_row_clear(t, back);
    cerd_row_clear(t, row);
    free(back);
    free(row);
}

/* ---------------------------------------------------------------- the test */

static void test_hostile_text(void **state)
{
    const cerd_table *t = *state;
    char *planes = every_plane(), *big = one_mib();
    char exact_4byte[4 * 64 + 1] = "", longer[3 * 300 + 1] = "";
    const char *fits[] = {
        "it's \"quoted\" `twice` '' \"\"",
        "back\\slash \\\\ \\' \\x00 \\n E'\\\\'",
        "'; drop table users; --",
        "x'); DROP TABLE assets CASCADE; SELECT ('",
        "$1 $$dollar$$ %s %n :name ?",
        "\x01\x02\x1F\x7F tab\tnewline\ncr\r",
        planes,
        FOUR_BYTES,
        big,
    };
    tally n = {0};
    int columns = 0;

    for (int col = 0; col < t->ncolumns; col++) {
        const cerd_column *c = &t->columns[col];
        if (!is_text(c))
            continue;
        columns++;
        for (size_t v = 0; v < sizeof fits / sizeof fits[0]; v++)
            try_value(t, col, fits[v], &n);
        if (c->max_chars > 0 && c->max_chars <= 64) {
            /* exactly n four-byte characters fit; n + 1 (two-byte) do not */
            exact_4byte[0] = longer[0] = '\0';
            for (int i = 0; i < c->max_chars; i++)
                strcat(exact_4byte, "\xF0\x9F\x98\x80");
            for (int i = 0; i <= c->max_chars; i++)
                strcat(longer, "\xC3\xA9");
            try_value(t, col, exact_4byte, &n);
            try_value(t, col, longer, &n);
        }
        for (size_t v = 0; v < sizeof INVALID_UTF8 / sizeof INVALID_UTF8[0]; v++)
            try_invalid(t, col, INVALID_UTF8[v], &n);
        try_nul_json(t, col);
    }
    if (columns)
        printf("[ %s ] %d text columns: %d stored, %d refused by a CHECK, %d by length, "
               "%d too big for an index, %d invalid UTF-8 refused\n", t->name, columns, n.stored,
               n.refused_check, n.refused_length, n.refused_index, n.refused_encoding);
    /* the injection attempts were values, never SQL */
    for (size_t i = 0; i < cerd_table_count(); i++) {
        char sql[160], *v;
        snprintf(sql, sizeof sql, "SELECT to_regclass('\"%s\"') IS NOT NULL", cerd_table_at(i)->name);
        v = testdb_scalar(pg, sql);
        assert_string_equal(v, "t");
        free(v);
    }
    free(planes);
    free(big);
}

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "hostile") || testdb_migrate(&db) || testdb_open(&conn, &db))
        return -1;
    pg = testdb_connect(&db);
    return pg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(pg);
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

int main(void)
{
    struct CMUnitTest tests[64];
    size_t n = 0;

    for (size_t i = 0; i < cerd_table_count() && n < 64; i++) {
        const cerd_table *t = cerd_table_at(i);
        bool has_text = false;
        for (int c = 0; c < t->ncolumns; c++)
            has_text |= is_text(&t->columns[c]);
        if (has_text)
            tests[n++] = (struct CMUnitTest){t->name, test_hostile_text, NULL, NULL, (void *)t};
    }
    return _cmocka_run_group_tests("hostile_text", tests, n, setup, teardown);
}
