/* Streams and COPY out with bounded memory (bulk.h): 2,000,000 candles iterated through a
   cursor and through binary COPY out, every row seen once, with the growth of the peak
   resident set (getrusage ru_maxrss) under 64 MiB. Nothing is timed. */
#include <sys/resource.h>

#include "bulk_support.h"

enum { TOTAL = 2000000 };
#define RSS_BOUND_KIB (64 * 1024)

static int setup(void **state)
{
    char sql[768];
    PGresult *res;
    (void)state;
    if (bulk_setup("bulk_stream"))
        return -1;
    /* made by the server, so that the client's memory is not touched by the data */
    snprintf(sql, sizeof sql,
             "INSERT INTO price_data (asset_id, timeframe, open_price, high_price, low_price, "
             "close_price, volume, technical_indicators, candle_time) "
             "SELECT %lld, '1m', 1.5, 2.25 + g %% 100, 0.5, 1.75, g, "
             "jsonb_build_object('rsi', g %% 97), "
             "timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute' "
             "FROM generate_series(1, %d) g",
             (long long)base_candle.asset_id, TOTAL);
    res = PQexec(pg, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "stream setup: %s\n", PQerrorMessage(pg));
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bulk_teardown();
    return 0;
}

static long max_rss_kib(void)
{
    struct rusage u;
    assert_int_equal(getrusage(RUSAGE_SELF, &u), 0);
    return u.ru_maxrss; /* KiB on Linux */
}

static void test_stream__two_million_rows_with_bounded_memory(void **state)
{
    cerd_price_data row = {0}, eq = base_candle;
    cerd_range r;
    cerd_stream *s = NULL;
    long before, after;
    long long n = 0, sum = 0, prev = INT64_MIN;
    char *want;
    char got[32];
    int rc;
    (void)state;

    memset(&r, 0, sizeof r);
    r.ncolumns = 3;
    r.columns[0] = CERD_PRICE_DATA_ASSET_ID;
    r.columns[1] = CERD_PRICE_DATA_TIMEFRAME;
    r.columns[2] = CERD_PRICE_DATA_CANDLE_TIME;
    r.nequal = 2;
    eq.timeframe = "1m";
    r.equal = &eq;

    before = max_rss_kib();
    check(cerd_stream_open(&s, conn, &cerd_price_data_table, &r, 2000), "open");
    while ((rc = cerd_stream_next(s, &row)) == 1) {
        assert_true(row.candle_time > prev); /* in index order */
        prev = row.candle_time;
        assert_non_null(row.technical_indicators);
        sum += row.id;
        n++;
    }
    check(rc < 0 ? rc : 0, "next");
    check(cerd_stream_close(s), "close");
    cerd_row_clear(&cerd_price_data_table, &row);
    after = max_rss_kib();
    print_message("stream: %lld rows, peak RSS grew by %ld KiB (bound %d KiB)\n", n,
                  after - before, RSS_BOUND_KIB);
    assert_int_equal(n, TOTAL);
    want = testdb_scalar(pg, "SELECT sum(id) FROM price_data WHERE timeframe = '1m'");
    snprintf(got, sizeof got, "%lld", sum);
    assert_string_equal(got, want);
    free(want);
    assert_true(after - before < RSS_BOUND_KIB);
}

static void test_copy_out__two_million_rows_with_bounded_memory(void **state)
{
    cerd_price_data row = {0};
    cerd_copy_out *c = NULL;
    long before, after;
    long long n = 0, sum = 0;
    char *want;
    char got[32];
    int rc;
    (void)state;

    before = max_rss_kib();
    check(cerd_copy_out_open(&c, conn, &cerd_price_data_table), "open");
    while ((rc = cerd_copy_out_next(c, &row)) == 1) {
        sum += row.id;
        n++;
    }
    check(rc < 0 ? rc : 0, "next");
    check(cerd_copy_out_close(c), "close");
    cerd_row_clear(&cerd_price_data_table, &row);
    after = max_rss_kib();
    print_message("copy out: %lld rows, peak RSS grew by %ld KiB (bound %d KiB)\n", n,
                  after - before, RSS_BOUND_KIB);
    want = testdb_scalar(pg, "SELECT count(*) FROM price_data");
    snprintf(got, sizeof got, "%lld", n);
    assert_string_equal(got, want);
    free(want);
    want = testdb_scalar(pg, "SELECT sum(id) FROM price_data");
    snprintf(got, sizeof got, "%lld", sum);
    assert_string_equal(got, want);
    free(want);
    assert_true(after - before < RSS_BOUND_KIB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream__two_million_rows_with_bounded_memory),
        cmocka_unit_test(test_copy_out__two_million_rows_with_bounded_memory),
    };
    return cmocka_run_group_tests_name("bulk_stream", tests, setup, teardown);
}
