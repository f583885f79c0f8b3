/* Bulk upsert (bulk.h) against PostgreSQL: exact inserted/updated counts on a unique key
   and on the primary key, stored values equal the last sent, duplicates in a batch
   reported with both ordinals or resolved last-wins, all or nothing, inside a caller's
   transaction under a savepoint. */
#include "bulk_support.h"

static int setup(void **state)
{
    (void)state;
    return bulk_setup("bulk_upsert");
}

static int teardown(void **state)
{
    (void)state;
    bulk_teardown();
    return 0;
}

static int candle_key(void)
{
    const cerd_table *t = &cerd_price_data_table;
    for (int k = 0; k < t->nunique; k++)
        if (!strcmp(t->unique_keys[k].name, "unique_asset_timeframe_candle"))
            return k;
    fail_msg("no unique_asset_timeframe_candle");
    return -1;
}

static long long count_between(const char *from, const char *to)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM price_data WHERE candle_time >= '%s' "
             "AND candle_time < '%s'", from, to);
    return scalar_ll(sql);
}

static void test_upsert__counts_are_exact_and_stored_values_are_the_last_sent(void **state)
{
    enum { OLD = 100, NEW = 50 };
    const cerd_table *t = &cerd_price_data_table;
    cerd_timestamp start = ts_of("2025-10-01 00:00:00+00");
    cerd_price_data *first = candles(OLD, start, 3600 * INT64_C(1000000));
    cerd_price_data *second = candles(OLD + NEW, start, 3600 * INT64_C(1000000));
    cerd_bulk_result res = {-1, -1, -1};
    char *v;
    (void)state;

    check(cerd_bulk_upsert(&res, conn, t, candle_key(), first, OLD, NULL), "first");
    assert_int_equal(res.inserted, OLD);
    assert_int_equal(res.updated, 0);
    /* the same candles re-sent with other prices, plus NEW later ones */
    for (int i = 0; i < OLD + NEW; i++) {
        set_num(&second[i].close_price, i % 2 ? "0.44500000" : "0.44600000");
        set_num(&second[i].open_price, "0.44400000");
        set_num(&second[i].high_price, "0.90000000");
        set_num(&second[i].low_price, "0.40000000");
    }
    check(cerd_bulk_upsert(&res, conn, t, candle_key(), second, OLD + NEW, NULL), "second");
    assert_int_equal(res.inserted, NEW);
    assert_int_equal(res.updated, OLD);
    assert_int_equal(res.skipped, 0);
    assert_int_equal(count_between("2025-10-01", "2025-11-01"), OLD + NEW);
    v = testdb_scalar(pg, "SELECT count(*) FILTER (WHERE close_price = 0.445) || '/' || "
                          "count(*) FILTER (WHERE close_price = 0.446) || '/' || "
                          "count(*) FILTER (WHERE high_price = 0.9) FROM price_data "
                          "WHERE candle_time >= '2025-10-01' AND candle_time < '2025-11-01'");
    assert_string_equal(v, "75/75/150");
    free(v);
    assert_int_equal(PQtransactionStatus(pg), PQTRANS_IDLE);
    free(first);
    free(second);
}

static void test_upsert__on_the_primary_key(void **state)
{
    const cerd_table *t = &cerd_price_data_table;
    cerd_price_data *rows = candles(10, ts_of("2025-11-01 00:00:00+00"), 60 * INT64_C(1000000));
    cerd_bulk_result res = {0};
    (void)state;
    for (int i = 0; i < 10; i++)
        rows[i].id = 7000000 + i;
    check(cerd_bulk_upsert(&res, conn, t, -1, rows, 6, NULL), "first six");
    assert_int_equal(res.inserted, 6);
    check(cerd_bulk_upsert(&res, conn, t, -1, rows, 10, NULL), "all ten");
    assert_int_equal(res.inserted, 4);
    assert_int_equal(res.updated, 6);
    free(rows);
}

static void test_upsert__duplicates_in_a_batch_are_named_or_last_wins(void **state)
{
    const cerd_table *t = &cerd_price_data_table;
    cerd_price_data *rows = candles(10, ts_of("2025-12-01 00:00:00+00"), 60 * INT64_C(1000000));
    cerd_bulk_options o = CERD_BULK_OPTIONS_INIT;
    cerd_bulk_result res = {0};
    char *v;
    (void)state;

    rows[7].candle_time = rows[3].candle_time; /* same asset, timeframe, candle_time */
    set_num(&rows[7].close_price, "0.45000000");
    assert_int_equal(cerd_bulk_upsert(&res, conn, t, candle_key(), rows, 10, NULL),
                     CERD_EINVALID);
    assert_non_null(strstr(cerd_error_last()->message, "rows 3 and 7"));
    assert_string_equal(cerd_error_last()->constraint, "unique_asset_timeframe_candle");
    assert_int_equal(count_between("2025-12-01", "2026-01-01"), 0);

    o.last_wins = true;
    check(cerd_bulk_upsert(&res, conn, t, candle_key(), rows, 10, &o), "last wins");
    assert_int_equal(res.inserted, 9);
    assert_int_equal(res.skipped, 1);
    v = testdb_scalar(pg, "SELECT close_price FROM price_data WHERE candle_time = "
                          "'2025-12-01 00:03:00+00'");
    assert_string_equal(v, "0.45000000");
    free(v);
    free(rows);
}

static void test_upsert__fails_whole_and_keeps_the_callers_transaction(void **state)
{
    const cerd_table *t = &cerd_price_data_table;
    cerd_price_data *rows = candles(20, ts_of("2026-01-05 00:00:00+00"), 60 * INT64_C(1000000));
    cerd_bulk_result res = {0};
    (void)state;

    /* an invalid row: nothing sent */
    rows[12].timeframe = "7h";
    assert_int_equal(cerd_bulk_upsert(&res, conn, t, candle_key(), rows, 20, NULL),
                     CERD_EINVALID);
    assert_non_null(strstr(cerd_error_last()->message, "upsert row 12"));
    rows[12].timeframe = base_candle.timeframe;

    /* a server-side failure (foreign key) inside the caller's transaction */
    check(cerd_conn_begin(conn), "begin");
    check(cerd_bulk_upsert(&res, conn, t, candle_key(), rows, 5, NULL), "five");
    rows[15].asset_id = 987654321;
    assert_int_equal(cerd_bulk_upsert(&res, conn, t, candle_key(), rows + 5, 15, NULL),
                     CERD_EFOREIGNKEY);
    /* the transaction is still usable and keeps the first five */
    check(cerd_conn_exec(conn, "SELECT 1"), "still usable");
    check(cerd_conn_commit(conn), "commit");
    assert_int_equal(count_between("2026-01-05", "2026-01-06"), 5);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upsert__counts_are_exact_and_stored_values_are_the_last_sent),
        cmocka_unit_test(test_upsert__on_the_primary_key),
        cmocka_unit_test(test_upsert__duplicates_in_a_batch_are_named_or_last_wins),
        cmocka_unit_test(test_upsert__fails_whole_and_keeps_the_callers_transaction),
    };
    return cmocka_run_group_tests_name("bulk_upsert", tests, setup, teardown);
}
