/* The generated per-table bulk API (cerdgen: copy, bulk upsert, range_by/stream_by on each
   index) and the shared builder under batches:
     the time-ordered read of the candles of one asset and timeframe returns them by
     candle_time after a backfill (an older candle inserted last), where list_by_asset_id
     (id order) does not;
     keyset pages and streams over an index continue in its order;
     typed COPY and bulk upsert on the unique key;
     a batch writes DEFAULT for columns in a row's `defaults` and NULL for NULL fields, as
     the single operations do, and runs one prepared statement per shape, shared with the
     single operations. */
#include "bulk_support.h"

#define HOUR (3600 * INT64_C(1000000))

enum { NCANDLES = 12 };
static cerd_timestamp t0; /* the first candle of the series (in time) */

static int setup(void **state)
{
    (void)state;
    if (bulk_setup("bulk_typed"))
        return -1;
    t0 = 1767225600000000; /* 2026-01-01 00:00:00+00 */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bulk_teardown();
    return 0;
}

static long long session_value(const char *sql)
{
    char *s = testdb_scalar(cerd_conn_pgconn(conn), sql);
    long long v;
    assert_non_null(s);
    v = atoll(s);
    free(s);
    return v;
}

/* Candles of base_candle's asset, timeframe "1d": NCANDLES in time order from t0 + HOUR *
   24, then a backfilled one at t0 (older than all, inserted last, so the highest id). */
static void insert_series(void)
{
    cerd_price_data c = base_candle;
    c.timeframe = "1d";
    for (int i = 0; i <= NCANDLES; i++) {
        c.id = 0;
        c.candle_time = i < NCANDLES ? t0 + (int64_t)(i + 1) * 24 * HOUR : t0;
        check(cerd_price_data_insert(NULL, conn, &c), "insert");
    }
}

static void test_typed_range__latest_ten_by_candle_time_after_a_backfill(void **state)
{
    cerd_price_data_rows latest = {0}, by_id = {0}, all = {0};
    cerd_page page = {0};
    (void)state;
    insert_series();

    /* id order: the backfilled candle (highest id) comes first */
    page.descending = true;
    page.limit = 10;
    check(cerd_price_data_list_by_asset_id(&by_id, conn, base_candle.asset_id, &page), "list");
    assert_int_equal(by_id.count, 10);
    assert_int_equal(by_id.rows[0].candle_time, t0);

    /* time order: the ten newest candles, newest first; the backfilled one is not there */
    check(cerd_price_data_range_by_asset_timeframe_time(&latest, conn, base_candle.asset_id,
                                                         "1d", NULL, NULL, true, 10, NULL),
          "latest ten");
    assert_int_equal(latest.count, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(latest.rows[i].candle_time,
                         t0 + (int64_t)(NCANDLES - i) * 24 * HOUR);
    assert_true(latest.next.valid);

    /* ascending, every candle: the backfilled one first */
    check(cerd_price_data_range_by_asset_timeframe_time(&all, conn, base_candle.asset_id, "1d",
                                                         NULL, NULL, false, 0, NULL),
          "all");
    assert_int_equal(all.count, NCANDLES + 1);
    for (size_t i = 0; i < all.count; i++)
        assert_int_equal(all.rows[i].candle_time, t0 + (int64_t)i * 24 * HOUR);

    cerd_price_data_list_free(&latest);
    cerd_price_data_list_free(&by_id);
    cerd_price_data_list_free(&all);
}

static void test_typed_range__bounds_pages_and_streams_follow_the_index(void **state)
{
    cerd_timestamp from = t0 + 2 * 24 * HOUR, to = t0 + 9 * 24 * HOUR;
    cerd_price_data_rows p1 = {0}, p2 = {0};
    cerd_stream *s = NULL;
    cerd_price_data row = {0};
    int64_t expect;
    int n = 0, rc;
    (void)state;
    if (session_value("SELECT count(*) FROM price_data WHERE timeframe = '1d'") == 0)
        insert_series();

    /* [from, to) newest first, pages of 4: 8, 7, 6, 5 then 4, 3, 2 (days after t0) */
    check(cerd_price_data_range_by_asset_timeframe_time(&p1, conn, base_candle.asset_id, "1d",
                                                         &from, &to, true, 4, NULL), "p1");
    assert_int_equal(p1.count, 4);
    check(cerd_price_data_range_by_asset_timeframe_time(&p2, conn, base_candle.asset_id, "1d",
                                                         &from, &to, true, 4, &p1.rows[3]),
          "p2");
    assert_int_equal(p2.count, 3);
    for (int i = 0; i < 4; i++)
        assert_int_equal(p1.rows[i].candle_time, t0 + (int64_t)(8 - i) * 24 * HOUR);
    for (int i = 0; i < 3; i++)
        assert_int_equal(p2.rows[i].candle_time, t0 + (int64_t)(4 - i) * 24 * HOUR);
    assert_false(p2.next.valid);

    /* the same range streamed on the (asset_id, candle_time) index, oldest first */
    check(cerd_price_data_stream_by_asset_time(&s, conn, base_candle.asset_id, &from, &to,
                                               false, 2), "stream");
    expect = from;
    while ((rc = cerd_stream_next(s, &row)) == 1) {
        if (strcmp(row.timeframe, "1d") == 0) {
            assert_int_equal(row.candle_time, expect);
            expect += 24 * HOUR;
            n++;
        }
    }
    check(rc, "next");
    check(cerd_stream_close(s), "close");
    assert_int_equal(n, 7);
    cerd_price_data_clear(&row);
    cerd_price_data_list_free(&p1);
    cerd_price_data_list_free(&p2);
}

static void test_typed_copy_and_bulk_upsert_by_candle(void **state)
{
    enum { M = 50 };
    cerd_price_data *rows = candles(M, ts_of("2026-05-01 00:00:00+00"), HOUR);
    cerd_copy *w = NULL;
    cerd_bulk_result res = {0};
    int64_t n = 0;
    (void)state;

    for (int i = 0; i < M; i++)
        rows[i].timeframe = "15m";
    check(cerd_price_data_copy_begin(&w, conn, NULL, NULL), "copy begin");
    check(cerd_price_data_copy_put(w, &rows[0]), "put");
    check(cerd_price_data_copy_put_rows(w, rows + 1, M - 1), "put rows");
    check(cerd_copy_end(&n, w), "copy end");
    assert_int_equal(n, M);

    for (int i = 0; i < M; i++)
        set_num(&rows[i].close_price, "0.44900000");
    check(cerd_price_data_bulk_upsert_by_candle(&res, conn, rows, M, NULL), "bulk upsert");
    assert_int_equal(res.inserted, 0);
    assert_int_equal(res.updated, M);
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data WHERE timeframe = '15m' "
                               "AND close_price = 0.449"), M);
    free(rows);
}

static void make_job(cerd_model_jobs *out, uint64_t seed)
{
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    o.seed = seed;
    o.create_parents = conn;
    check(cerd_factory_make(out, &cerd_model_jobs_table, &o), "factory");
    out->retry_count.valid = true;
    out->retry_count.value = 0;
}

static void test_batch__writes_default_and_null_as_the_single_operations_do(void **state)
{
    const cerd_table *t = &cerd_model_jobs_table;
    cerd_model_jobs as_null = {0}, as_default = {0}, single = {0}, stored = {0}, set_null;
    cerd_batch *b = NULL;
    const cerd_batch_result *r0, *r1, *r2;
    (void)state;

    make_job(&as_null, 501);
    make_job(&as_default, 502);
    as_null.max_retries.valid = false; /* NULL in a nullable column with a default */
    as_default.max_retries.valid = true;
    as_default.max_retries.value = 9;  /* ignored: the column is written as DEFAULT */
    cerd_colset_add(&as_default.defaults, CERD_MODEL_JOBS_MAX_RETRIES);

    /* the single operation, for comparison */
    {
        cerd_model_jobs one = {0};
        make_job(&one, 503);
        cerd_colset_add(&one.defaults, CERD_MODEL_JOBS_MAX_RETRIES);
        check(cerd_model_jobs_insert(&single, conn, &one), "single insert");
        assert_true(single.max_retries.valid);
        cerd_model_jobs_clear(&one);
    }

    check(cerd_batch_new(&b, NULL), "new");
    check(cerd_batch_insert(b, t, &as_null), "insert null");
    check(cerd_batch_insert(b, t, &as_default), "insert default");
    check(cerd_batch_run(b, conn), "run");
    r0 = cerd_batch_result_at(b, 0);
    r1 = cerd_batch_result_at(b, 1);
    assert_false(((const cerd_model_jobs *)r0->row)->max_retries.valid);
    assert_true(((const cerd_model_jobs *)r1->row)->max_retries.valid);
    assert_int_equal(((const cerd_model_jobs *)r1->row)->max_retries.value,
                     single.max_retries.value);
    check(cerd_model_jobs_get(&stored, conn, ((const cerd_model_jobs *)r1->row)->id), "get");
    cerd_batch_free(b);

    /* a batch update writes NULL, then DEFAULT, as cerd_model_jobs_update() does */
    set_null = stored;
    set_null.max_retries.valid = false;
    check(cerd_batch_new(&b, NULL), "new");
    check(cerd_batch_update(b, t, &set_null, NULL), "update to null");
    check(cerd_batch_run(b, conn), "run");
    r2 = cerd_batch_result_at(b, 0);
    assert_false(((const cerd_model_jobs *)r2->row)->max_retries.valid);
    cerd_batch_free(b);
    cerd_colset_add(&set_null.defaults, CERD_MODEL_JOBS_MAX_RETRIES);
    check(cerd_batch_new(&b, NULL), "new");
    check(cerd_batch_update(b, t, &set_null, NULL), "update to default");
    check(cerd_batch_run(b, conn), "run");
    r2 = cerd_batch_result_at(b, 0);
    assert_true(((const cerd_model_jobs *)r2->row)->max_retries.valid);
    assert_int_equal(((const cerd_model_jobs *)r2->row)->max_retries.value,
                     single.max_retries.value);
    cerd_batch_free(b);

    cerd_model_jobs_clear(&as_null);
    cerd_model_jobs_clear(&as_default);
    cerd_model_jobs_clear(&single);
    cerd_model_jobs_clear(&stored);
}

static void test_batch__one_prepared_statement_per_shape_shared_with_single_operations(
    void **state)
{
    enum { M = 40 };
    cerd_price_data *rows = candles(M, ts_of("2026-07-01 00:00:00+00"), HOUR);
    cerd_batch *b = NULL;
    const char *count_sql = "SELECT count(*) FROM pg_prepared_statements WHERE statement "
                            "LIKE 'INSERT INTO \"price_data\" (\"asset_id\"%'";
    long long before;
    (void)state;

    before = session_value(count_sql);
    for (int round = 0; round < 2; round++) {
        check(cerd_batch_new(&b, NULL), "new");
        for (int i = round * M / 2; i < (round + 1) * M / 2; i++) {
            rows[i].timeframe = "5m";
            check(cerd_batch_insert(b, &cerd_price_data_table, &rows[i]), "insert");
        }
        check(cerd_batch_run(b, conn), "run");
        for (size_t i = 0; i < cerd_batch_count(b); i++)
            assert_int_equal(cerd_batch_result_at(b, i)->code, 0);
        cerd_batch_free(b);
    }
    /* at most one new statement for the shape (none when an earlier test prepared it) */
    assert_true(session_value(count_sql) - before <= 1);
    assert_int_equal(session_value(count_sql), before > 0 ? before : 1);
    {
        cerd_price_data one = rows[0];
        one.candle_time += 1000 * HOUR;
        check(cerd_price_data_insert(NULL, conn, &one), "single insert of the same shape");
    }
    assert_int_equal(session_value(count_sql), before > 0 ? before : 1);
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data WHERE timeframe = '5m'"), M + 1);
    free(rows);
}

/* A shape's first use prepares and executes in one round trip: when that execution fails
   (here a unique violation), the statement stays prepared, once, and serves the next call. */
static void test_first_use__a_failing_first_execution_keeps_one_prepared_statement(void **state)
{
    const char *count_sql = "SELECT count(*) FROM pg_prepared_statements WHERE statement "
                            "LIKE 'INSERT INTO \"price_data\"%DEFAULT%'";
    cerd_price_data c = base_candle, out = {0};
    (void)state;

    c.id = 0;
    c.timeframe = "1w";
    c.candle_time = ts_of("2026-02-02 00:00:00+00");
    check(cerd_price_data_insert(NULL, conn, &c), "insert without defaults");
    assert_int_equal(session_value(count_sql), 0);

    cerd_colset_add(&c.defaults, CERD_PRICE_DATA_IS_VALIDATED);
    assert_int_equal(cerd_price_data_insert(NULL, conn, &c), CERD_EUNIQUE);
    assert_non_null(strstr(cerd_error_last()->constraint, "asset_id_timeframe_candle_time"));
    assert_int_equal(session_value(count_sql), 1);

    c.candle_time = ts_of("2026-02-09 00:00:00+00");
    check(cerd_price_data_insert(&out, conn, &c), "insert with defaults");
    assert_int_equal(out.candle_time, c.candle_time);
    assert_int_equal(session_value(count_sql), 1);
    cerd_price_data_clear(&out);
}

/* Without named statements (PgBouncer in transaction mode) a batch sends every operation
   as the unnamed statement and leaves nothing prepared. */
static void test_batch__runs_with_unnamed_statements(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    cerd_conn *c = NULL;
    cerd_batch *b = NULL;
    cerd_price_data *rows = candles(3, ts_of("2026-08-01 00:00:00+00"), HOUR);
    char *v;
    (void)state;

    o.conninfo = db.conninfo;
    o.min_size = 1;
    o.max_size = 1;
    o.named_statements = 0;
    check(cerd_pool_new(&pool, &o), "pool");
    check(cerd_pool_acquire(&c, pool), "acquire");
    check(cerd_batch_new(&b, NULL), "new");
    for (int i = 0; i < 3; i++) {
        rows[i].timeframe = "1M";
        check(cerd_batch_insert(b, &cerd_price_data_table, &rows[i]), "insert");
    }
    check(cerd_batch_get(b, &cerd_price_data_table, 0, &rows[1]), "get");
    check(cerd_batch_run(b, c), "run");
    assert_int_equal(((const cerd_price_data *)cerd_batch_result_at(b, 3)->row)->candle_time,
                     rows[1].candle_time);
    cerd_batch_free(b);
    v = testdb_scalar(cerd_conn_pgconn(c), "SELECT count(*) FROM pg_prepared_statements");
    assert_non_null(v);
    assert_string_equal(v, "0");
    free(v);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data WHERE timeframe = '1M'"), 3);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed_range__latest_ten_by_candle_time_after_a_backfill),
        cmocka_unit_test(test_typed_range__bounds_pages_and_streams_follow_the_index),
        cmocka_unit_test(test_typed_copy_and_bulk_upsert_by_candle),
        cmocka_unit_test(test_batch__writes_default_and_null_as_the_single_operations_do),
        cmocka_unit_test(test_batch__one_prepared_statement_per_shape_shared_with_single_operations),
        cmocka_unit_test(test_first_use__a_failing_first_execution_keeps_one_prepared_statement),
        cmocka_unit_test(test_batch__runs_with_unnamed_statements),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
