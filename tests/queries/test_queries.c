/* Typed queries (the files of queries/, docs/queries.md) against a real server: for every query,
   the generated C types equal what PostgreSQL's PQdescribePrepared reports (parameter and
   result type OIDs, numeric and varchar typmods); the rows of every starter query on the
   seeded scenario (tests/queries/seed.sql) equal, in text form, what psql prints for the
   same SQL; NULLs from the nullable side of outer joins arrive as NULL optionals;
   parameters are checked against the CHECKs of the columns they are compared with; :one,
   :exec and streams behave as documented. Nothing is timed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "check.h"
#include "testdb.h"

#include <cryptoerd/cryptoerd.h>
#include <cryptoerd/query.h>
#include <cryptoerd/queries/market.h>
#include <cryptoerd/queries/operations.h>
#include <cryptoerd/queries/portfolio.h>
#include <cryptoerd/queries/signals.h>
#include <cryptoerd/queries/users.h>

#include "wire/field.h"

/* Nullability is in the C types: the nullable side of a LEFT JOIN is an optional, a NOT
   NULL column of an inner join a plain value. */
#define FIELD_IS(type, expr) _Generic((expr), type: 1, default: 0)
_Static_assert(FIELD_IS(cerd_opt_numeric,
                        ((cerd_q_latest_candles_in_sector_row *)0)->close_price),
               "LEFT JOIN LATERAL side is nullable");
_Static_assert(FIELD_IS(char *, ((cerd_q_latest_candles_in_sector_row *)0)->symbol),
               "assets.symbol is NOT NULL text");
_Static_assert(FIELD_IS(int64_t, ((cerd_q_latest_candles_in_sector_row *)0)->asset_id),
               "assets.id is NOT NULL bigint");
_Static_assert(FIELD_IS(cerd_numeric, ((cerd_q_resample_candles_row *)0)->open_price),
               "inner join on a NOT NULL column is not null");
_Static_assert(FIELD_IS(int64_t, ((cerd_q_resample_candles_row *)0)->candles),
               "count(*) is NOT NULL bigint");
_Static_assert(FIELD_IS(cerd_opt_numeric, ((cerd_q_portfolio_positions_valued_row *)0)
                                              ->market_value),
               "arithmetic over a nullable side is nullable");
_Static_assert(FIELD_IS(bool, ((cerd_q_model_performance_history_row *)0)->is_best_in_category),
               "COALESCE(x, false) is not null");
_Static_assert(FIELD_IS(cerd_opt_numeric,
                        ((cerd_q_model_performance_history_row *)0)->previous_score),
               "lag() is nullable");

static testdb db;
static cerd_conn *conn;
static PGconn *pg;

static const cerd_query *const ALL[] = {
    &cerd_q_latest_candles_in_sector_query, &cerd_q_resample_candles_query,
    &cerd_q_sector_rotation_ranked_query,   &cerd_q_latest_close_query,
    &cerd_q_portfolio_positions_valued_query, &cerd_q_active_signals_with_regime_query,
    &cerd_q_expire_stale_signals_query,     &cerd_q_model_performance_history_query,
    &cerd_q_unread_notifications_query,     &cerd_q_triggered_signal_alerts_query,
    &cerd_q_activity_feed_page_query,       &cerd_q_user_activity_count_query,
    &cerd_q_endpoint_latency_hourly_query,  &cerd_q_set_signal_status_query,
};

static int setup(void **state)
{
    char *seed;
    (void)state;
    if (testdb_create(&db, "queries") || cerd_conn_open(&conn, db.conninfo) ||
        cerd_migrate(NULL, conn) || !(pg = testdb_connect(&db)))
        return -1;
    seed = testdb_read_file(CERD_SOURCE_DIR "/tests/queries/seed.sql");
    if (!seed)
        return -1;
    PQclear(testdb_ok(pg, seed));
    free(seed);
    setenv("CERD_TEST_CONNINFO", db.conninfo, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(pg);
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

/* ------------------------------------------------------------------ text forms */

typedef struct text {
    char *s;
    size_t len;
    FILE *f;
} text;

static void text_open(text *t)
{
    t->s = NULL;
    t->len = 0;
    t->f = open_memstream(&t->s, &t->len);
    assert_non_null(t->f);
}

static char *text_close(text *t)
{
    fclose(t->f);
    return t->s;
}

/* jsonb's text output: keys as stored, ", " and ": " separators. */
static void json_text(FILE *f, const cJSON *v)
{
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        bool obj = cJSON_IsObject(v);
        fputc(obj ? '{' : '[', f);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child)
                fputs(", ", f);
            if (obj)
                fprintf(f, "\"%s\": ", c->string);
            json_text(f, c);
        }
        fputc(obj ? '}' : ']', f);
    } else if (cJSON_IsString(v)) {
        fprintf(f, "\"%s\"", v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        char *s = NULL;
        assert_int_equal(cerd_json_print(&s, v, 0), 0);
        fputs(s, f);
        free(s);
    } else if (cJSON_IsBool(v)) {
        fputs(cJSON_IsTrue(v) ? "true" : "false", f);
    } else {
        fputs("null", f);
    }
}

/* PostgreSQL's text output of timestamptz with TimeZone UTC and DateStyle ISO. */
static void timestamp_text(FILE *f, cerd_timestamp ts)
{
    char buf[CERD_TIMESTAMP_BUFSIZE];
    assert_int_equal(cerd_timestamp_format(ts, buf), 0);
    if (!strcmp(buf, "infinity") || !strcmp(buf, "-infinity")) {
        fputs(buf, f);
        return;
    }
    char *z = strchr(buf, 'Z');
    char *dot = strchr(buf, '.');
    buf[10] = ' ';
    if (z)
        *z = '\0';
    if (dot) {
        char *e = dot + strlen(dot);
        while (e > dot + 1 && e[-1] == '0')
            *--e = '\0';
        if (e == dot + 1)
            *dot = '\0';
    }
    fprintf(f, "%s+00", buf);
}

/* One row as psql -A prints it: fields separated by |, NULL as <NULL>. */
static void row_text(FILE *f, const cerd_table *t, const void *row)
{
    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        const char *p = (const char *)row + c->offset;
        if (i)
            fputc('|', f);
        if (cerd__field_is_null(c, row)) {
            fputs("<NULL>", f);
            continue;
        }
        switch (c->type) {
        case CERD_TYPE_INT64:
            fprintf(f, "%lld", (long long)*(const int64_t *)p);
            break;
        case CERD_TYPE_INT32:
            fprintf(f, "%d", *(const int32_t *)p);
            break;
        case CERD_TYPE_BOOL:
            fputs(*(const bool *)p ? "t" : "f", f);
            break;
        case CERD_TYPE_NUMERIC: {
            char buf[256];
            cerd_numeric_format((const cerd_numeric *)p, buf, sizeof buf);
            fputs(buf, f);
            break;
        }
        case CERD_TYPE_TIMESTAMPTZ:
            timestamp_text(f, *(const cerd_timestamp *)p);
            break;
        case CERD_TYPE_TEXT:
            fputs(*(char *const *)p, f);
            break;
        case CERD_TYPE_JSONB:
            json_text(f, *(cJSON *const *)p);
            break;
        case CERD_TYPE_INET: {
            char buf[CERD_INET_BUFSIZE];
            cerd_inet_format((const cerd_inet *)p, buf);
            fputs(buf, f);
            break;
        }
        default:
            fail_msg("column %s: no text form in this test", c->name);
        }
    }
    fputc('\n', f);
}

static char *rows_text(const cerd_table *t, const void *rows, size_t n)
{
    text x;
    text_open(&x);
    for (size_t i = 0; i < n; i++)
        row_text(x.f, t, (const char *)rows + i * t->row_size);
    return text_close(&x);
}

/* What psql prints for q's SQL with these arguments ("('1h', 1)"), in unaligned
   tuples-only form. */
static char *psql(const char *sql, const char *args)
{
    char path[] = "/tmp/cerd_query_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "SET TimeZone = 'UTC';\nPREPARE q AS %s;\nEXECUTE q%s;\n", sql, args);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "psql -X -q -A -t -F '|' -P null='<NULL>' -v ON_ERROR_STOP=1 "
             "-d \"$CERD_TEST_CONNINFO\" -f %s", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    text x;
    text_open(&x);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, n, x.f);
    assert_int_equal(pclose(p), 0);
    unlink(path);
    return text_close(&x);
}

static void assert_same_as_psql(const cerd_query *q, const void *rows, size_t n,
                                const char *args, size_t min_rows)
{
    char *got = rows_text(q->result, rows, n);
    char *want = psql(q->sql, args);
    if (strcmp(got, want) != 0)
        fail_msg("query %s%s:\n--- psql\n%s--- generated function\n%s", q->name, args, want,
                 got);
    assert_true(n >= min_rows);
    free(got);
    free(want);
}

static cerd_timestamp ts(const char *s)
{
    cerd_timestamp t;
    assert_int_equal(cerd_timestamp_parse(&t, s), 0);
    return t;
}

/* ------------------------------------------------------------------ types */

static uint32_t oid_of(cerd_type type, uint32_t declared)
{
    switch (type) {
    case CERD_TYPE_INT64: return 20;
    case CERD_TYPE_INT32: return 23;
    case CERD_TYPE_BOOL: return 16;
    case CERD_TYPE_NUMERIC: return 1700;
    case CERD_TYPE_TIMESTAMPTZ: return 1184;
    case CERD_TYPE_TEXT: return declared == 1043 ? 1043 : 25;
    case CERD_TYPE_JSONB: return 3802;
    case CERD_TYPE_INET: return 869;
    case CERD_TYPE_INT32_ARRAY: return 1007;
    case CERD_TYPE_TEXT_ARRAY: return declared == 1015 ? 1015 : 1009;
    }
    return 0;
}

static void test_types__equal_what_the_server_describes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ALL / sizeof ALL[0]; i++) {
        const cerd_query *q = ALL[i];
        char name[32];
        snprintf(name, sizeof name, "describe_%zu", i);
        /* no parameter types given: the server infers them itself */
        PGresult *r = PQprepare(pg, name, q->sql, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("query %s: prepare: %s", q->name, PQerrorMessage(pg));
        PQclear(r);
        PGresult *d = PQdescribePrepared(pg, name);
        assert_int_equal(PQresultStatus(d), PGRES_COMMAND_OK);
        int np = q->params ? q->params->ncolumns : 0;
        if (PQnparams(d) != np)
            fail_msg("query %s: %d parameters, the server says %d", q->name, np, PQnparams(d));
        for (int k = 0; k < np; k++) {
            const cerd_column *c = &q->params->columns[k];
            if (PQparamtype(d, k) != q->param_oids[k] ||
                oid_of(c->type, q->param_oids[k]) != q->param_oids[k])
                fail_msg("query %s: parameter $%d (%s): generated type %u (C %d), server %u",
                         q->name, k + 1, c->name, q->param_oids[k], (int)c->type,
                         PQparamtype(d, k));
        }
        int nc = q->result ? q->result->ncolumns : 0;
        if (PQnfields(d) != nc)
            fail_msg("query %s: %d result columns, the server says %d", q->name, nc,
                     PQnfields(d));
        for (int k = 0; k < nc; k++) {
            const cerd_column *c = &q->result->columns[k];
            if (strcmp(PQfname(d, k), c->name) != 0 || PQftype(d, k) != q->result_oids[k] ||
                PQfmod(d, k) != q->result_typmods[k] ||
                oid_of(c->type, q->result_oids[k]) != q->result_oids[k])
                fail_msg("query %s: column %d: generated %s type %u typmod %d, server %s type "
                         "%u typmod %d", q->name, k, c->name, q->result_oids[k],
                         q->result_typmods[k], PQfname(d, k), PQftype(d, k), PQfmod(d, k));
            /* the descriptor's precision and scale are the typmod's */
            if (c->type == CERD_TYPE_NUMERIC && q->result_typmods[k] >= 4) {
                assert_int_equal(c->precision, ((q->result_typmods[k] - 4) >> 16) & 0xffff);
                assert_int_equal(c->scale, (q->result_typmods[k] - 4) & 0xffff);
            }
        }
        PQclear(d);
    }
}

/* ------------------------------------------------------------------ results */

static void test_latest_candles_in_sector__equals_psql_with_nulls_for_missing_candles(
    void **state)
{
    cerd_q_latest_candles_in_sector_rows rows = {0};
    cerd_q_latest_candles_in_sector_params p = {.timeframe = "1h", .sector_id = 1};
    (void)state;
    CERD_ASSERT_OK(cerd_q_latest_candles_in_sector(&rows, conn, &p));
    assert_same_as_psql(&cerd_q_latest_candles_in_sector_query, rows.rows, rows.count,
                        "('1h', 1)", 3);
    /* AAVE has no candle: its side of the LEFT JOIN is NULL */
    bool seen = false;
    for (size_t i = 0; i < rows.count; i++)
        if (!strcmp(rows.rows[i].symbol, "AAVE")) {
            seen = true;
            assert_false(rows.rows[i].close_price.valid);
            assert_false(rows.rows[i].candle_time.valid);
        } else {
            assert_true(rows.rows[i].close_price.valid);
        }
    assert_true(seen);
    assert_true(cerd_q_latest_candles_in_sector_query.result->columns[7].flags &
                CERD_COL_OPTIONAL);

    p.sector_id = 2;
    p.timeframe = "1d";
    CERD_ASSERT_OK(cerd_q_latest_candles_in_sector(&rows, conn, &p));
    assert_same_as_psql(&cerd_q_latest_candles_in_sector_query, rows.rows, rows.count,
                        "('1d', 2)", 2);
    cerd_q_latest_candles_in_sector_rows_free(&rows);
    assert_null(rows.rows);
}

static void test_latest_candles_in_sector__timeframe_checked_before_the_server(void **state)
{
    cerd_q_latest_candles_in_sector_rows rows = {0};
    cerd_q_latest_candles_in_sector_params p = {.timeframe = "2h", .sector_id = 1};
    (void)state;
    assert_int_equal(cerd_q_latest_candles_in_sector(&rows, conn, &p), CERD_EINVALID);
    const cerd_error *e = cerd_error_last();
    assert_non_null(strstr(e->message, "chk_price_data_timeframe"));
    assert_string_equal(e->constraint, "chk_price_data_timeframe");
    assert_non_null(strstr(e->message, "query latest_candles_in_sector (queries/market.sql:3)"));
    assert_non_null(strstr(e->message, "timeframe"));
    assert_int_equal(rows.count, 0);
    /* with validation off the server answers: no row has that timeframe */
    cerd_conn_set_validation(conn, false);
    CERD_ASSERT_OK(cerd_q_latest_candles_in_sector(&rows, conn, &p));
    cerd_conn_set_validation(conn, true);
    for (size_t i = 0; i < rows.count; i++)
        assert_false(rows.rows[i].close_price.valid);
    cerd_q_latest_candles_in_sector_rows_free(&rows);

    cerd_q_user_activity_count_row one = {0};
    cerd_q_user_activity_count_params cp = {.user_id = 1, .activity_type = "logout"};
    assert_int_equal(cerd_q_user_activity_count(&one, conn, &cp), CERD_EINVALID);
    assert_non_null(strstr(cerd_error_last()->message, "chk_user_activities_activity_type"));
}

static void test_latest_candles_in_sector__stream_gives_the_same_rows(void **state)
{
    cerd_q_latest_candles_in_sector_rows rows = {0};
    cerd_q_latest_candles_in_sector_params p = {.timeframe = "1h", .sector_id = 1};
    cerd_q_latest_candles_in_sector_row row = {0};
    cerd_stream *s = NULL;
    text x;
    int rc;
    size_t n = 0;
    (void)state;
    CERD_ASSERT_OK(cerd_q_latest_candles_in_sector(&rows, conn, &p));
    CERD_ASSERT_OK(cerd_q_latest_candles_in_sector_stream(&s, conn, &p, 2));
    text_open(&x);
    while ((rc = cerd_stream_next(s, &row)) == 1) {
        row_text(x.f, cerd_q_latest_candles_in_sector_query.result, &row);
        n++;
    }
    assert_int_equal(rc, 0);
    CERD_ASSERT_OK(cerd_stream_close(s));
    cerd_q_latest_candles_in_sector_clear(&row);
    char *streamed = text_close(&x);
    char *listed = rows_text(cerd_q_latest_candles_in_sector_query.result, rows.rows,
                             rows.count);
    assert_string_equal(streamed, listed);
    assert_int_equal(n, rows.count);
    free(streamed);
    free(listed);
    cerd_q_latest_candles_in_sector_rows_free(&rows);
}

static void test_resample_candles__4h_and_1d_exact(void **state)
{
    cerd_q_resample_candles_rows rows = {0};
    cerd_q_resample_candles_params p = {.bucket_hours = 4, .asset_id = 1,
                                        .from_time = ts("2026-01-01T00:00:00Z"),
                                        .to_time = ts("2026-01-03T00:00:00Z")};
    (void)state;
    CERD_ASSERT_OK(cerd_q_resample_candles(&rows, conn, &p));
    assert_int_equal(rows.count, 12);
    assert_same_as_psql(&cerd_q_resample_candles_query, rows.rows, rows.count,
                        "(4, 1, '2026-01-01 00:00:00+00', '2026-01-03 00:00:00+00')", 12);
    /* exact: the first bucket opens at the first candle's open, 100.00000000 */
    char buf[64];
    cerd_numeric_format(&rows.rows[0].open_price, buf, sizeof buf);
    assert_string_equal(buf, "100.00000000");
    p.bucket_hours = 24;
    p.asset_id = 3;
    CERD_ASSERT_OK(cerd_q_resample_candles(&rows, conn, &p));
    assert_int_equal(rows.count, 2);
    assert_same_as_psql(&cerd_q_resample_candles_query, rows.rows, rows.count,
                        "(24, 3, '2026-01-01 00:00:00+00', '2026-01-03 00:00:00+00')", 2);
    cerd_q_resample_candles_rows_free(&rows);
}

static void test_portfolio_positions_valued__equals_psql(void **state)
{
    cerd_q_portfolio_positions_valued_rows rows = {0};
    cerd_q_portfolio_positions_valued_params p = {.timeframe = "1h", .portfolio_id = 1};
    (void)state;
    CERD_ASSERT_OK(cerd_q_portfolio_positions_valued(&rows, conn, &p));
    assert_same_as_psql(&cerd_q_portfolio_positions_valued_query, rows.rows, rows.count,
                        "('1h', 1)", 4);
    /* AAVE has no price: value and P&L are NULL; UNI has no entry price: P&L NULL */
    for (size_t i = 0; i < rows.count; i++) {
        if (!strcmp(rows.rows[i].symbol, "AAVE"))
            assert_false(rows.rows[i].market_value.valid);
        if (!strcmp(rows.rows[i].symbol, "UNI")) {
            assert_true(rows.rows[i].market_value.valid);
            assert_false(rows.rows[i].unrealized_pnl.valid);
        }
    }
    cerd_q_portfolio_positions_valued_rows_free(&rows);
}

static void test_active_signals_with_regime__equals_psql(void **state)
{
    cerd_q_active_signals_with_regime_rows rows = {0};
    cerd_q_active_signals_with_regime_params p = {.regime_timeframe = "4h",
                                                  .now = ts("2026-01-02T00:00:00Z")};
    (void)state;
    CERD_ASSERT_OK(cerd_q_active_signals_with_regime(&rows, conn, &p));
    assert_same_as_psql(&cerd_q_active_signals_with_regime_query, rows.rows, rows.count,
                        "('4h', '2026-01-02 00:00:00+00')", 3);
    assert_string_equal(rows.rows[0].current_regime, "Sideways");
    /* no regime analysis of 1w: the regime columns are NULL */
    p.regime_timeframe = "1w";
    CERD_ASSERT_OK(cerd_q_active_signals_with_regime(&rows, conn, &p));
    assert_same_as_psql(&cerd_q_active_signals_with_regime_query, rows.rows, rows.count,
                        "('1w', '2026-01-02 00:00:00+00')", 3);
    assert_null(rows.rows[0].current_regime);
    assert_false(rows.rows[0].regime_confidence.valid);
    cerd_q_active_signals_with_regime_rows_free(&rows);
}

static void test_sector_rotation_ranked__equals_psql(void **state)
{
    cerd_q_sector_rotation_ranked_rows rows = {0};
    cerd_q_sector_rotation_ranked_params p = {.from_time = ts("2026-01-02T00:00:00Z"),
                                              .to_time = ts("2026-01-03T00:00:00Z"),
                                              .max_rows = 10};
    (void)state;
    CERD_ASSERT_OK(cerd_q_sector_rotation_ranked(&rows, conn, &p));
    assert_same_as_psql(&cerd_q_sector_rotation_ranked_query, rows.rows, rows.count,
                        "('2026-01-02 00:00:00+00', '2026-01-03 00:00:00+00', 10)", 4);
    assert_int_equal(rows.rows[1].score_rank, 1); /* a tie shares rank 1 */
    cerd_q_sector_rotation_ranked_rows_free(&rows);
}

static void test_model_performance_history__equals_psql(void **state)
{
    cerd_q_model_performance_history_rows rows = {0};
    cerd_q_model_performance_history_params p = {.since = ts("2026-01-01T00:00:00Z")};
    (void)state;
    CERD_ASSERT_OK(cerd_q_model_performance_history(&rows, conn, &p));
    assert_same_as_psql(&cerd_q_model_performance_history_query, rows.rows, rows.count,
                        "('2026-01-01 00:00:00+00')", 7);
    cerd_q_model_performance_history_rows_free(&rows);
}

static void test_user_notifications_and_alerts__equal_psql(void **state)
{
    cerd_q_unread_notifications_rows n = {0};
    cerd_q_unread_notifications_params np = {.user_id = 1};
    cerd_q_triggered_signal_alerts_rows a = {0};
    cerd_q_triggered_signal_alerts_params ap = {.user_id = 1};
    (void)state;
    CERD_ASSERT_OK(cerd_q_unread_notifications(&n, conn, &np));
    assert_same_as_psql(&cerd_q_unread_notifications_query, n.rows, n.count, "(1)", 2);
    CERD_ASSERT_OK(cerd_q_triggered_signal_alerts(&a, conn, &ap));
    assert_same_as_psql(&cerd_q_triggered_signal_alerts_query, a.rows, a.count, "(1)", 2);
    cerd_q_unread_notifications_rows_free(&n);
    cerd_q_triggered_signal_alerts_rows_free(&a);
}

static void test_endpoint_latency_hourly__equals_psql(void **state)
{
    cerd_q_endpoint_latency_hourly_rows rows = {0};
    cerd_q_endpoint_latency_hourly_params p = {.from_time = ts("2026-01-01T00:00:00Z"),
                                               .to_time = ts("2026-01-02T00:00:00Z")};
    (void)state;
    CERD_ASSERT_OK(cerd_q_endpoint_latency_hourly(&rows, conn, &p));
    assert_same_as_psql(&cerd_q_endpoint_latency_hourly_query, rows.rows, rows.count,
                        "('2026-01-01 00:00:00+00', '2026-01-02 00:00:00+00')", 10);
    cerd_q_endpoint_latency_hourly_rows_free(&rows);
}

static void test_activity_feed_page__pages_equal_psql(void **state)
{
    cerd_q_activity_feed_page_rows rows = {0};
    cerd_q_activity_feed_page_params p = {.user_id = 1,
                                          .before_time = CERD_TIMESTAMP_INFINITY,
                                          .before_id = 0, .page_size = 10};
    char args[160];
    size_t total = 0;
    (void)state;
    snprintf(args, sizeof args, "(1, 'infinity', 0, 10)");
    for (int page = 0;; page++) {
        CERD_ASSERT_OK(cerd_q_activity_feed_page(&rows, conn, &p));
        assert_same_as_psql(&cerd_q_activity_feed_page_query, rows.rows, rows.count, args, 0);
        total += rows.count;
        if (rows.count < 10)
            break;
        const cerd_q_activity_feed_page_row *last = &rows.rows[rows.count - 1];
        p.before_time = last->created_at;
        p.before_id = last->id;
        text x;
        text_open(&x);
        fputs("(1, '", x.f);
        timestamp_text(x.f, last->created_at);
        fprintf(x.f, "', %lld, 10)", (long long)last->id);
        char *a = text_close(&x);
        snprintf(args, sizeof args, "%s", a);
        free(a);
        assert_true(page < 5);
    }
    assert_int_equal(total, 25);
    cerd_q_activity_feed_page_rows_free(&rows);
}

static void test_one__row_or_enotfound(void **state)
{
    cerd_q_user_activity_count_row c = {0};
    cerd_q_user_activity_count_params cp = {.user_id = 1, .activity_type = "login"};
    cerd_q_latest_close_row r = {0};
    cerd_q_latest_close_params rp = {.asset_id = 1, .timeframe = "1d"};
    (void)state;
    CERD_ASSERT_OK(cerd_q_user_activity_count(&c, conn, &cp));
    assert_same_as_psql(&cerd_q_user_activity_count_query, &c, 1, "(1, 'login')", 1);
    CERD_ASSERT_OK(cerd_q_latest_close(&r, conn, &rp));
    assert_same_as_psql(&cerd_q_latest_close_query, &r, 1, "(1, '1d')", 1);
    rp.asset_id = 4;
    assert_int_equal(cerd_q_latest_close(&r, conn, &rp), CERD_ENOTFOUND);
    cerd_q_latest_close_clear(&r);
}

static void test_expire_stale_signals__counts_and_updates_as_psql_sees(void **state)
{
    cerd_q_expire_stale_signals_params p = {.now = ts("2026-01-02T12:00:00Z")};
    int64_t n = -1;
    (void)state;
    char *want = psql("SELECT count(*) FROM ai_trading_signals WHERE status = 'active' AND "
                      "expires_at IS NOT NULL AND expires_at <= $1::timestamptz",
                      "('2026-01-02 12:00:00+00')");
    CERD_ASSERT_OK(cerd_q_expire_stale_signals(&n, conn, &p));
    char got[32];
    snprintf(got, sizeof got, "%lld\n", (long long)n);
    assert_string_equal(got, want);
    assert_int_equal(n, 2); /* signals 3 and 5 */
    free(want);
    want = psql("SELECT string_agg(id || ':' || status, ',' ORDER BY id) FROM "
                "ai_trading_signals WHERE $1::int = 1", "(1)");
    assert_string_equal(want, "1:active,2:active,3:expired,4:executed,5:expired\n");
    free(want);
    CERD_ASSERT_OK(cerd_q_expire_stale_signals(&n, conn, &p));
    assert_int_equal(n, 0);
    CERD_ASSERT_OK(cerd_q_expire_stale_signals(NULL, conn, &p));
}

static void assert_statuses(const char *want)
{
    char *got = psql("SELECT string_agg(id || ':' || status, ',' ORDER BY id) FROM "
                     "ai_trading_signals WHERE $1::int = 1", "(1)");
    assert_string_equal(got, want);
    free(got);
}

/* The bulk variant of an :exec query: every parameter set in one pipelined, atomic batch. */
static void test_exec_many__one_round_trip_all_or_nothing(void **state)
{
    int64_t n = -1;
    (void)state;
    assert_statuses("1:active,2:active,3:expired,4:executed,5:expired\n");
    /* a refused parameter set: nothing is sent, nothing written, its index named */
    cerd_q_set_signal_status_params bad[] = {
        {.status = "executed", .now = ts("2026-01-03T00:00:00Z"), .signal_id = 1},
        {.status = "bogus", .now = ts("2026-01-03T00:00:00Z"), .signal_id = 2},
    };
    assert_int_equal(cerd_q_set_signal_status_many(&n, conn, bad, 2), CERD_EINVALID);
    assert_int_equal(n, 0);
    assert_non_null(strstr(cerd_error_last()->message, "batch operation 1 (query set_signal_status)"));
    assert_string_equal(cerd_error_last()->constraint, "chk_ai_trading_signals_status");
    assert_statuses("1:active,2:active,3:expired,4:executed,5:expired\n");
    /* three sets, one matching no row: the affected rows are summed */
    cerd_q_set_signal_status_params ok[] = {
        {.status = "executed", .now = ts("2026-01-03T00:00:00Z"), .signal_id = 1},
        {.status = "cancelled", .now = ts("2026-01-03T00:00:00Z"), .signal_id = 2},
        {.status = "active", .now = ts("2026-01-03T00:00:00Z"), .signal_id = 99},
        {.status = "active", .now = ts("2026-01-03T00:00:00Z"), .signal_id = 3},
        {.status = "active", .now = ts("2026-01-03T00:00:00Z"), .signal_id = 5},
    };
    CERD_ASSERT_OK(cerd_q_set_signal_status_many(&n, conn, ok, 5));
    assert_int_equal(n, 4);
    assert_statuses("1:executed,2:cancelled,3:active,4:executed,5:active\n");
    /* the same statement as the single call: it runs again, prepared or not */
    cerd_q_expire_stale_signals_params e[] = {{.now = ts("2026-01-02T12:00:00Z")},
                                              {.now = ts("2026-01-02T12:00:00Z")}};
    CERD_ASSERT_OK(cerd_q_expire_stale_signals_many(&n, conn, e, 2));
    assert_int_equal(n, 2); /* 3 and 5 by the first set, none by the second */
    assert_statuses("1:executed,2:cancelled,3:expired,4:executed,5:expired\n");
    CERD_ASSERT_OK(cerd_q_expire_stale_signals(&n, conn, &e[0]));
    assert_int_equal(n, 0);
    /* inside a transaction of the caller: a savepoint; nothing (n = 0) is nothing */
    CERD_ASSERT_OK(cerd_conn_begin(conn));
    CERD_ASSERT_OK(cerd_q_set_signal_status_many(&n, conn, ok, 1));
    assert_int_equal(n, 1);
    assert_int_equal(cerd_q_set_signal_status_many(&n, conn, bad, 2), CERD_EINVALID);
    CERD_ASSERT_OK(cerd_conn_rollback(conn));
    CERD_ASSERT_OK(cerd_q_set_signal_status_many(&n, conn, NULL, 0));
    assert_int_equal(n, 0);
    assert_int_equal(cerd_query_execmany(&n, conn, &cerd_q_latest_close_query, NULL, 1),
                     CERD_EMISUSE);
}

static void test_misuse__wrong_shape_and_null_params(void **state)
{
    cerd_rows rows = {0};
    (void)state;
    assert_int_equal(cerd_query_many(&rows, conn, &cerd_q_latest_close_query, NULL),
                     CERD_EMISUSE);
    assert_int_equal(cerd_query_exec(NULL, conn, &cerd_q_latest_candles_in_sector_query, NULL),
                     CERD_EMISUSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types__equal_what_the_server_describes),
        cmocka_unit_test(test_latest_candles_in_sector__equals_psql_with_nulls_for_missing_candles),
        cmocka_unit_test(test_latest_candles_in_sector__timeframe_checked_before_the_server),
        cmocka_unit_test(test_latest_candles_in_sector__stream_gives_the_same_rows),
        cmocka_unit_test(test_resample_candles__4h_and_1d_exact),
        cmocka_unit_test(test_portfolio_positions_valued__equals_psql),
        cmocka_unit_test(test_active_signals_with_regime__equals_psql),
        cmocka_unit_test(test_sector_rotation_ranked__equals_psql),
        cmocka_unit_test(test_model_performance_history__equals_psql),
        cmocka_unit_test(test_user_notifications_and_alerts__equal_psql),
        cmocka_unit_test(test_endpoint_latency_hourly__equals_psql),
        cmocka_unit_test(test_activity_feed_page__pages_equal_psql),
        cmocka_unit_test(test_one__row_or_enotfound),
        cmocka_unit_test(test_misuse__wrong_shape_and_null_params),
        /* last: it changes the signals the queries above read */
        cmocka_unit_test(test_expire_stale_signals__counts_and_updates_as_psql_sees),
        cmocka_unit_test(test_exec_many__one_round_trip_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
