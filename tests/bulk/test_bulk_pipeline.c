/* Pipelined batches (bulk.h) against PostgreSQL: 10,000 mixed operations with a few
   failing ones, each result in order with its own code; atomic batches all or nothing. */
#include "bulk_support.h"

static int setup(void **state)
{
    (void)state;
    return bulk_setup("bulk_pipeline");
}

static int teardown(void **state)
{
    (void)state;
    bulk_teardown();
    return 0;
}

enum { N = 10000 };
#define HOUR (3600 * INT64_C(1000000))

static void test_batch__ten_thousand_mixed_operations_each_with_its_own_result(void **state)
{
    const cerd_table *t = &cerd_price_data_table;
    cerd_timestamp start = ts_of("2026-03-01 00:00:00+00");
    cerd_price_data *rows = candles(N, start, HOUR);
    int *expect = calloc(N, sizeof *expect);
    bool *stored = calloc(N, sizeof *stored);
    cerd_batch *b = NULL;
    long long before = scalar_ll("SELECT count(*) FROM price_data"), live = 0;
    size_t first_fail = (size_t)-1;
    int rc;
    (void)state;

    assert_non_null(expect);
    assert_non_null(stored);
    check(cerd_batch_new(&b, NULL), "new");
    for (int i = 0; i < N; i++) {
        cerd_price_data *r = &rows[i];
        r->id = 9000000 + i;
        switch (i % 5) {
        case 0: /* insert */
            if (i == 1000 || i == 5000 || i == 9000) { /* the unique key of row i - 5 */
                r->candle_time = rows[i - 5].candle_time;
                expect[i] = CERD_EUNIQUE;
            } else if (i == 2500) {
                r->asset_id = 987654321;
                expect[i] = CERD_EFOREIGNKEY;
            } else if (i == 8000) {
                r->timeframe = "2h"; /* refused client-side */
                expect[i] = CERD_EINVALID;
            } else {
                stored[i] = true;
            }
            check(cerd_batch_insert(b, t, r), "insert");
            break;
        case 1: /* get the candle inserted just before (a missing one at 7001) */
            if (i == 7001)
                rows[i - 1].id = 1; /* no such id: after its insert was queued */
            check(cerd_batch_get(b, t, -1, &rows[i - 1]), "get");
            expect[i] = stored[i - 1] && i != 7001 ? 0 : CERD_ENOTFOUND;
            break;
        case 2: /* update the candle inserted two before */
            set_num(&rows[i - 2].close_price, "0.44900000");
            if (i == 7002)
                rows[i - 2].id = 9000000 + i - 2;
            check(cerd_batch_update(b, t, &rows[i - 2], NULL), "update");
            expect[i] = i - 2 == 8000 ? CERD_EINVALID /* its timeframe is refused */
                        : stored[i - 2] ? 0 : CERD_ENOTFOUND;
            break;
        case 3: /* upsert a new candle on the unique key */
            check(cerd_batch_upsert(b, t, 0, r), "upsert");
            stored[i] = true;
            break;
        case 4: /* delete the candle inserted four before, every other time */
            if (i % 10 == 4) {
                check(cerd_batch_delete(b, t, &rows[i - 4], 0), "delete");
                expect[i] = stored[i - 4] ? 0 : CERD_ENOTFOUND;
                stored[i - 4] = false;
            } else {
                check(cerd_batch_get(b, t, 0, &rows[i - 1]), "get by unique key");
                expect[i] = 0;
            }
            break;
        }
    }
    assert_int_equal(cerd_batch_count(b), N);
    rc = cerd_batch_run(b, conn);
    for (int i = 0; i < N; i++) {
        const cerd_batch_result *r = cerd_batch_result_at(b, (size_t)i);
        assert_non_null(r);
        if (r->code != expect[i])
            fail_msg("operation %d: code %s, expected %s (%s)", i, cerd_error_name(r->code),
                     cerd_error_name(expect[i]), r->message);
        if (expect[i] && first_fail == (size_t)-1)
            first_fail = (size_t)i;
        if (r->code == 0 && i % 5 == 1) { /* the row read is the one inserted */
            const cerd_price_data *got = r->row;
            assert_non_null(got);
            assert_int_equal(got->id, 9000000 + i - 1);
            assert_int_equal(got->candle_time, rows[i - 1].candle_time);
        }
        if (r->code == CERD_EUNIQUE) { /* the server names the partition's index */
            assert_string_equal(r->sqlstate, "23505");
            assert_non_null(strstr(r->constraint, "asset_id_timeframe_candle_time"));
        }
        if (r->code == CERD_EFOREIGNKEY)
            assert_string_equal(r->sqlstate, "23503");
        assert_false(r->rolled_back);
    }
    assert_int_equal(rc, expect[first_fail]);
    for (int i = 0; i < N; i++)
        live += stored[i];
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data"), before + live);
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data WHERE close_price = 0.449"),
                     scalar_ll("SELECT count(*) FROM price_data WHERE id >= 9000000 AND "
                               "id % 5 = 0 AND close_price = 0.449"));
    assert_int_equal(cerd_conn_exec(conn, "SELECT 1"), 0);
    cerd_batch_free(b);
    free(rows);
    free(expect);
    free(stored);
}

static void test_batch__atomic_is_all_or_nothing(void **state)
{
    enum { M = 200 };
    const cerd_table *t = &cerd_price_data_table;
    cerd_price_data *rows = candles(M, ts_of("2028-06-01 00:00:00+00"), HOUR);
    cerd_batch_options o = CERD_BATCH_OPTIONS_INIT;
    cerd_batch *b = NULL;
    long long before = scalar_ll("SELECT count(*) FROM price_data");
    int rc;
    (void)state;

    o.atomic = true;
    rows[150].candle_time = rows[20].candle_time; /* a unique violation on the server */
    check(cerd_batch_new(&b, &o), "new");
    for (int i = 0; i < M; i++)
        check(cerd_batch_insert(b, t, &rows[i]), "insert");
    rc = cerd_batch_run(b, conn);
    assert_int_equal(rc, CERD_EUNIQUE);
    for (int i = 0; i < M; i++) {
        const cerd_batch_result *r = cerd_batch_result_at(b, (size_t)i);
        if (i < 150) {
            assert_int_equal(r->code, 0);
            assert_true(r->rolled_back);
        } else if (i == 150) {
            assert_int_equal(r->code, CERD_EUNIQUE);
        } else {
            assert_int_not_equal(r->code, 0);
        }
    }
    cerd_batch_free(b);
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data"), before);
    assert_int_equal(PQtransactionStatus(pg), PQTRANS_IDLE);

    /* the same batch without the clash commits every row */
    rows[150].candle_time = rows[149].candle_time + HOUR / 2;
    check(cerd_batch_new(&b, &o), "new");
    for (int i = 0; i < M; i++)
        check(cerd_batch_insert(b, t, &rows[i]), "insert");
    check(cerd_batch_run(b, conn), "run");
    for (int i = 0; i < M; i++) {
        assert_int_equal(cerd_batch_result_at(b, (size_t)i)->code, 0);
        assert_false(cerd_batch_result_at(b, (size_t)i)->rolled_back);
    }
    cerd_batch_free(b);
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data"), before + M);

    /* inside the caller's transaction: a savepoint; the transaction stays usable */
    for (int i = 0; i < M; i++)
        rows[i].candle_time += 400 * HOUR;
    rows[10].asset_id = 987654321;
    check(cerd_conn_begin(conn), "begin");
    check(cerd_batch_new(&b, &o), "new");
    for (int i = 0; i < M; i++)
        check(cerd_batch_insert(b, t, &rows[i]), "insert");
    assert_int_equal(cerd_batch_run(b, conn), CERD_EFOREIGNKEY);
    cerd_batch_free(b);
    check(cerd_conn_exec(conn, "SELECT 1"), "usable");
    check(cerd_conn_commit(conn), "commit");
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data"), before + M);

    /* a row refused client-side: nothing is sent */
    rows[10].asset_id = base_candle.asset_id;
    rows[3].timeframe = "9h";
    check(cerd_batch_new(&b, &o), "new");
    for (int i = 0; i < M; i++)
        check(cerd_batch_insert(b, t, &rows[i]), "insert");
    assert_int_equal(cerd_batch_run(b, conn), CERD_EINVALID);
    assert_int_equal(cerd_batch_result_at(b, 3)->code, CERD_EINVALID);
    assert_int_not_equal(cerd_batch_result_at(b, 4)->code, 0);
    cerd_batch_free(b);
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data"), before + M);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch__ten_thousand_mixed_operations_each_with_its_own_result),
        cmocka_unit_test(test_batch__atomic_is_all_or_nothing),
    };
    return cmocka_run_group_tests_name("bulk_pipeline", tests, setup, teardown);
}
