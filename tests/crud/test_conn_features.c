/* Connections and the typed API's error reporting: concurrent migration, transactions,
   savepoints, the retry helper, error codes with constraint names, lost connections,
   statements prepared again after the session lost them. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <libpq-fe.h>

#include <cryptoerd/cryptoerd.h>
#include "check.h"
#include "testdb.h"

static testdb db;
static cerd_conn *conn;
static int64_t btc_id;

static int setup(void **state)
{
    (void)state;
    return testdb_create(&db, "conn");
}

static int teardown(void **state)
{
    (void)state;
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

static void *migrate_thread(void *arg)
{
    cerd_conn *c = NULL;
    int *applied = arg;
    if (cerd_conn_open(&c, db.conninfo) || cerd_migrate(applied, c))
        *applied = -1000;
    cerd_conn_free(c);
    return NULL;
}

static void test_migrate__concurrent_runs_apply_each_file_once(void **state)
{
    pthread_t threads[4];
    int applied[4] = {0}, total = 0;
    (void)state;

    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, migrate_thread, &applied[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_true(applied[i] >= 0);
        total += applied[i];
    }
    assert_int_equal(total, (int)cerd_migration_count());
    CERD_ASSERT_OK(cerd_conn_open(&conn, db.conninfo));
}

static void test_crud__violations_map_to_codes_with_constraint_names(void **state)
{
    cerd_assets a = {.symbol = "BTC", .name = "Bitcoin", .asset_type = "crypto"}, out = {0};
    cerd_price_data candle = {.asset_id = 999999, .timeframe = "1h"};
    (void)state;

    /* The server's verdicts: client-side validation (on by default) would refuse the
       CHECK and NOT NULL cases below with CERD_EINVALID before sending them. */
    cerd_conn_set_validation(conn, false);
    CERD_ASSERT_OK(cerd_assets_insert(&out, conn, &a));
    btc_id = out.id;
    assert_int_equal(cerd_assets_insert(NULL, conn, &a), CERD_EUNIQUE);
    assert_string_equal(cerd_error_last()->constraint, "assets_symbol_key");
    assert_string_equal(cerd_error_last()->table, "assets");

    a.symbol = "ETH";
    a.asset_type = "meme";
    assert_int_equal(cerd_assets_insert(NULL, conn, &a), CERD_ECHECK);
    assert_string_equal(cerd_error_last()->constraint, "chk_assets_asset_type");

    a.asset_type = "crypto";
    a.name = NULL;
    assert_int_equal(cerd_assets_insert(NULL, conn, &a), CERD_ENOTNULL);
    assert_string_equal(cerd_error_last()->column, "name");

    cerd_numeric_from_int64(&candle.open_price, 1);
    candle.high_price = candle.low_price = candle.close_price = candle.open_price;
    candle.candle_time = cerd_timestamp_now();
    assert_int_equal(cerd_price_data_insert(NULL, conn, &candle), CERD_EFOREIGNKEY);
    assert_string_equal(cerd_error_last()->constraint, "price_data_asset_id_fkey");

    assert_int_equal(cerd_assets_get(&out, conn, 424242), CERD_ENOTFOUND);
    assert_non_null(strstr(cerd_error_last()->message, "id = 424242"));
    assert_int_equal(cerd_assets_delete(conn, 424242), CERD_ENOTFOUND);
    cerd_assets_clear(&out);
    cerd_conn_set_validation(conn, true);
}

static void test_crud__in_and_out_must_differ(void **state)
{
    cerd_assets a = {.symbol = "X", .name = "X", .asset_type = "crypto"};
    (void)state;
    assert_int_equal(cerd_assets_insert(&a, conn, &a), CERD_EMISUSE);
}

static void test_crud__numeric_is_stored_as_its_column_rounds_it(void **state)
{
    cerd_assets in = {.symbol = "RND", .name = "Rounding", .asset_type = "crypto"}, out = {0};
    char text[64];
    (void)state;

    in.current_price.valid = true; /* numeric(20,8): the 9th decimal rounds half away */
    CERD_ASSERT_OK(cerd_numeric_parse(&in.current_price.value, "1.123456785"));
    CERD_ASSERT_OK(cerd_assets_insert(&out, conn, &in));
    cerd_numeric_format(&out.current_price.value, text, sizeof text);
    assert_string_equal(text, "1.12345679");
    cerd_assets_clear(&out);
}

static void test_conn__savepoint_keeps_the_transaction_usable(void **state)
{
    cerd_assets a = {.symbol = "SP1", .name = "Savepoint", .asset_type = "crypto"};
    bool exists = true;
    int64_t count = 0;
    (void)state;

    CERD_ASSERT_OK(cerd_conn_begin(conn));
    CERD_ASSERT_OK(cerd_assets_insert(NULL, conn, &a));
    CERD_ASSERT_OK(cerd_conn_savepoint(conn, "before_dup"));
    assert_int_equal(cerd_assets_insert(NULL, conn, &a), CERD_EUNIQUE);
    CERD_ASSERT_OK(cerd_conn_rollback_to(conn, "before_dup"));
    CERD_ASSERT_OK(cerd_assets_count(&count, conn));
    CERD_ASSERT_OK(cerd_conn_release(conn, "before_dup"));
    CERD_ASSERT_OK(cerd_conn_rollback(conn));
    CERD_ASSERT_OK(cerd_assets_exists(&exists, conn, 0));
    assert_false(exists);
    assert_int_equal(cerd_conn_savepoint(conn, "x; DROP TABLE assets"), CERD_EMISUSE);
    assert_int_equal(cerd_conn_savepoint(conn, "outside"), CERD_EMISUSE);
}

typedef struct counter_job {
    int64_t asset_id;
    int attempts;
} counter_job;

/* Reads access_count and writes it back plus one: under SERIALIZABLE, concurrent
   increments fail with 40001 and are retried by cerd_conn_transact. */
static int increment(cerd_conn *c, void *arg)
{
    counter_job *job = arg;
    cerd_assets row = {0}, upd = {0};
    cerd_colset cols = {{0}};
    int rc;

    job->attempts++;
    if ((rc = cerd_assets_get(&row, c, job->asset_id)))
        return rc;
    upd.id = row.id;
    upd.access_count = CERD_SOME(cerd_opt_int32, row.access_count.value + 1);
    cerd_colset_add(&cols, CERD_ASSETS_ACCESS_COUNT);
    rc = cerd_assets_update_columns(NULL, c, &upd, &cols);
    cerd_assets_clear(&row);
    return rc;
}

static void *increment_thread(void *arg)
{
    counter_job *job = arg;
    cerd_conn *c = NULL;
    cerd_txn_options opts = CERD_TXN_OPTIONS_INIT;
    opts.isolation = CERD_ISOLATION_SERIALIZABLE;
    opts.max_attempts = 100;
    if (cerd_conn_open(&c, db.conninfo))
        return (void *)1;
    for (int i = 0; i < 25; i++)
        if (cerd_conn_transact(c, &opts, increment, job)) {
            cerd_conn_free(c);
            return (void *)1;
        }
    cerd_conn_free(c);
    return NULL;
}

static void test_conn__transact_retries_serialization_failures(void **state)
{
    pthread_t threads[4];
    counter_job jobs[4];
    cerd_assets row = {0};
    int attempts = 0;
    (void)state;

    for (int i = 0; i < 4; i++) {
        jobs[i] = (counter_job){btc_id, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, increment_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *failed;
        pthread_join(threads[i], &failed);
        assert_null(failed);
        attempts += jobs[i].attempts;
    }
    CERD_ASSERT_OK(cerd_assets_get(&row, conn, btc_id));
    assert_int_equal(row.access_count.value, 100);
    print_message("100 increments took %d attempts\n", attempts);
    cerd_assets_clear(&row);
}

static void test_conn__transact_does_not_retry_other_errors(void **state)
{
    counter_job job = {424242, 0};
    (void)state;
    assert_int_equal(cerd_conn_transact(conn, NULL, increment, &job), CERD_ENOTFOUND);
    assert_int_equal(job.attempts, 1);
}

/* The server's WAL insert position now, as a 64-bit number. */
static uint64_t insert_lsn_now(void)
{
    PGresult *res = PQexec(cerd_conn_pgconn(conn), "SELECT pg_current_wal_insert_lsn()");
    unsigned hi = 0, lo = 0;
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_int_equal(sscanf(PQgetvalue(res, 0, 0), "%X/%X", &hi, &lo), 2);
    PQclear(res);
    return (uint64_t)hi << 32 | lo;
}

static int insert_asset(cerd_conn *c, void *arg)
{
    cerd_assets a = {.symbol = arg, .name = "Commit position", .asset_type = "crypto"};
    return cerd_assets_insert(NULL, c, &a);
}

static void test_conn__commit_lsn_gives_the_position_of_each_commit(void **state)
{
    cerd_txn_options v1 = {1, CERD_ISOLATION_DEFAULT, 3, NULL};
    cerd_txn_options o = CERD_TXN_OPTIONS_INIT;
    cerd_lsn first = {0}, second = {7};
    uint64_t before;
    (void)state;

    before = insert_lsn_now();
    CERD_ASSERT_OK(cerd_conn_begin(conn));
    CERD_ASSERT_OK(insert_asset(conn, "LSN1"));
    CERD_ASSERT_OK(cerd_conn_commit_lsn(&first, conn));
    /* past the position before the write, and not past where the WAL is now */
    assert_true(first.value > before);
    assert_true(first.value <= insert_lsn_now());
    /* through cerd_conn_transact, with the option */
    o.commit_lsn = &second;
    CERD_ASSERT_OK(cerd_conn_transact(conn, &o, insert_asset, "LSN2"));
    assert_true(second.value > first.value);
    /* version 1 options (without commit_lsn) are still read */
    CERD_ASSERT_OK(cerd_conn_transact(conn, &v1, insert_asset, "LSN3"));
    /* no transaction open: misuse, no position */
    assert_int_equal(cerd_conn_commit_lsn(&first, conn), CERD_EMISUSE);
    assert_int_equal(first.value, 0);
    /* a failed transaction is rolled back, not committed: no position */
    second.value = 7;
    CERD_ASSERT_OK(cerd_conn_begin(conn));
    assert_int_equal(insert_asset(conn, "LSN1"), CERD_EUNIQUE);
    assert_int_equal(cerd_conn_commit_lsn(&second, conn), CERD_EMISUSE);
    assert_int_equal(second.value, 0);
    assert_int_equal(PQtransactionStatus(cerd_conn_pgconn(conn)), PQTRANS_IDLE);
}

static void test_conn__statements_are_prepared_again_after_discard_all(void **state)
{
    cerd_assets out = {0};
    (void)state;
    CERD_ASSERT_OK(cerd_assets_get(&out, conn, btc_id));
    CERD_ASSERT_OK(cerd_conn_exec(conn, "DISCARD ALL"));
    CERD_ASSERT_OK(cerd_assets_get(&out, conn, btc_id));
    assert_string_equal(out.symbol, "BTC");
    cerd_assets_clear(&out);
}

static void test_conn__killed_backend_is_a_lost_connection(void **state)
{
    cerd_conn *victim = NULL;
    cerd_assets out = {0};
    PGconn *admin = testdb_connect(&db);
    (void)state;

    CERD_ASSERT_OK(cerd_conn_open(&victim, db.conninfo));
    CERD_ASSERT_OK(cerd_conn_exec(victim, "SET application_name = 'cerd_victim'"));
    PQclear(testdb_ok(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                             " WHERE application_name = 'cerd_victim'"));
    assert_int_equal(cerd_assets_get(&out, victim, btc_id), CERD_ECONNLOST);
    assert_false(cerd_conn_ok(victim));
    cerd_conn_free(victim);
    PQfinish(admin);
}

/* cerd_conn_cancel from another thread interrupts the statement the connection runs. */
typedef struct cancel_arg {
    cerd_conn *victim;
    int rc;
} cancel_arg;

static void *cancel_thread(void *arg)
{
    cancel_arg *a = arg;
    PGconn *admin = testdb_connect(&db);
    /* wait until the victim's pg_sleep is running (bounded: 60 s of polling) */
    for (int i = 0; i < 6000; i++) {
        char *n = testdb_scalar(admin, "SELECT count(*) FROM pg_stat_activity WHERE"
                                       " application_name = 'cerd_cancel' AND state = 'active'"
                                       " AND query LIKE '%pg_sleep%'");
        int active = atoi(n);
        free(n);
        if (active)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    a->rc = cerd_conn_cancel(a->victim);
    PQfinish(admin);
    return NULL;
}

static void test_conn__cancel_from_another_thread_interrupts_the_statement(void **state)
{
    cancel_arg a = {NULL, -1};
    pthread_t th;
    (void)state;

    CERD_ASSERT_OK(cerd_conn_open(&a.victim, db.conninfo));
    CERD_ASSERT_OK(cerd_conn_exec(a.victim, "SET application_name = 'cerd_cancel'"));
    assert_int_equal(pthread_create(&th, NULL, cancel_thread, &a), 0);
    assert_int_equal(cerd_conn_exec(a.victim, "SELECT pg_sleep(60)"), CERD_ECANCELED);
    assert_string_equal(cerd_error_last()->sqlstate, "57014");
    pthread_join(th, NULL);
    assert_int_equal(a.rc, 0);
    /* the connection stays usable */
    CERD_ASSERT_OK(cerd_conn_exec(a.victim, "SELECT 1"));
    assert_int_equal(cerd_conn_cancel(NULL), CERD_EMISUSE);
    cerd_conn_free(a.victim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate__concurrent_runs_apply_each_file_once),
        cmocka_unit_test(test_crud__violations_map_to_codes_with_constraint_names),
        cmocka_unit_test(test_crud__in_and_out_must_differ),
        cmocka_unit_test(test_crud__numeric_is_stored_as_its_column_rounds_it),
        cmocka_unit_test(test_conn__savepoint_keeps_the_transaction_usable),
        cmocka_unit_test(test_conn__transact_retries_serialization_failures),
        cmocka_unit_test(test_conn__transact_does_not_retry_other_errors),
        cmocka_unit_test(test_conn__commit_lsn_gives_the_position_of_each_commit),
        cmocka_unit_test(test_conn__statements_are_prepared_again_after_discard_all),
        cmocka_unit_test(test_conn__killed_backend_is_a_lost_connection),
        cmocka_unit_test(test_conn__cancel_from_another_thread_interrupts_the_statement),
    };
    return cmocka_run_group_tests_name("conn_features", tests, setup, teardown);
}
