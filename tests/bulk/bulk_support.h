/* Helpers shared by the bulk tests (tests/bulk/): a fresh migrated database, candles of
   price_data built from one factory row, assertions that print the error record. */
#ifndef CERD_BULK_SUPPORT_H
#define CERD_BULK_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>
#include "testdb.h"
#include "testconn.h"

static testdb db;
static cerd_conn *conn;
static PGconn *pg;      /* plain libpq, for checks made outside the library */
static cerd_price_data base_candle; /* a valid candle whose parents exist */

static inline void check(int rc, const char *what)
{
    if (rc) {
        const cerd_error *e = cerd_error_last();
        fail_msg("%s: %s (%s) sqlstate=%s column=%s constraint=%s", what, e->message,
                 cerd_error_name(rc), e->sqlstate, e->column, e->constraint);
    }
}

static int bulk_setup(const char *tag)
{
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    if (testdb_create(&db, tag))
        return -1;
    if (testdb_migrate(&db) || testdb_open(&conn, &db)) {
        fprintf(stderr, "%s: %s\n", tag, cerd_error_last()->message);
        return -1;
    }
    if (!(pg = testdb_connect(&db)))
        return -1;
    o.seed = 424242;
    o.create_parents = conn;
    if (cerd_factory_make(&base_candle, &cerd_price_data_table, &o)) {
        fprintf(stderr, "%s: factory: %s\n", tag, cerd_error_last()->message);
        return -1;
    }
    return 0;
}

static void bulk_teardown(void)
{
    cerd_row_clear(&cerd_price_data_table, &base_candle);
    PQfinish(pg);
    cerd_conn_free(conn);
    testdb_drop(&db);
}

/* Reconnects after a test killed the library's connection. */
static inline void reconnect(void)
{
    cerd_conn_free(conn);
    conn = NULL;
    check(testdb_open(&conn, &db), "reconnect");
}

static inline cerd_timestamp ts_of(const char *text)
{
    cerd_timestamp ts = 0;
    check(cerd_timestamp_parse(&ts, text), text);
    return ts;
}

static inline void set_num(cerd_numeric *n, const char *text)
{
    check(cerd_numeric_parse(n, text), text);
}

/* n candles: shallow copies of base_candle (they share its strings and JSON: never clear
   them), id 0 (the server assigns it), candle_time start + i * step microseconds. */
static inline cerd_price_data *candles(size_t n, cerd_timestamp start, int64_t step)
{
    cerd_price_data *rows = calloc(n ? n : 1, sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++) {
        rows[i] = base_candle;
        rows[i].id = 0;
        rows[i].candle_time = start + (int64_t)i * step;
    }
    return rows;
}

static inline long long scalar_ll(const char *sql)
{
    char *s = testdb_scalar(pg, sql);
    long long v;
    assert_non_null(s);
    v = atoll(s);
    free(s);
    return v;
}

static inline bool rows_equal_json(const cerd_table *t, const void *a, const void *b)
{
    cJSON *ja = NULL, *jb = NULL;
    bool eq;
    check(cerd_row_to_json(&ja, t, a), "to_json");
    check(cerd_row_to_json(&jb, t, b), "to_json");
    {
        /* printed and parsed again: JSON values may be raw text, and jsonb orders keys */
        char *sa = cJSON_PrintUnformatted(ja), *sb = cJSON_PrintUnformatted(jb);
        cJSON *pa = cJSON_Parse(sa), *pb = cJSON_Parse(sb);
        eq = pa && pb && cJSON_Compare(pa, pb, true);
        cJSON_Delete(pa);
        cJSON_Delete(pb);
        if (eq) {
            free(sa);
            free(sb);
        }
        if (!eq) {
        print_error("%s differs:\n  sent %s\n  read %s\n", t->name, sa, sb);
        free(sa);
        free(sb);
        }
    }
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    return eq;
}

#endif
