/* A SERIALIZABLE counter incremented by 16 threads x 500 through the pool and the retry
   helper ends at exactly 8,000: every serialization failure was retried, no increment
   was lost or counted twice. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "pool_support.h"
#include "testdb.h"

#define THREADS 16
#define INCREMENTS 500

static testdb db;
static int64_t counter_id;

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    cerd_assets a = {.symbol = "CTR", .name = "Counter", .asset_type = "crypto"}, out = {0};
    int rc;
    (void)state;
    if (testdb_create(&db, "pool_serializable") || cerd_conn_open(&conn, db.conninfo))
        return -1;
    a.access_count = CERD_SOME(cerd_opt_int32, 0);
    rc = cerd_migrate(NULL, conn) || cerd_assets_insert(&out, conn, &a);
    counter_id = out.id;
    cerd_assets_clear(&out);
    cerd_conn_free(conn);
    return rc ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    testdb_drop(&db);
    return 0;
}

typedef struct worker {
    cerd_pool *pool;
    int attempts, failures;
    char failure[256];
} worker;

/* One attempt: read the counter, write it back plus one. */
static int increment(cerd_conn *c, void *arg)
{
    worker *w = arg;
    cerd_assets row = {0}, upd = {0};
    cerd_colset cols = {{0}};
    int rc;

    w->attempts++;
    if ((rc = cerd_assets_get(&row, c, counter_id)))
        return rc;
    upd.id = row.id;
    upd.access_count = CERD_SOME(cerd_opt_int32, row.access_count.value + 1);
    cerd_colset_add(&cols, CERD_ASSETS_ACCESS_COUNT);
    rc = cerd_assets_update_columns(NULL, c, &upd, &cols);
    cerd_assets_clear(&row);
    return rc;
}

static void *work(void *arg)
{
    worker *w = arg;
    cerd_txn_options opts = CERD_TXN_OPTIONS_INIT;

    opts.isolation = CERD_ISOLATION_SERIALIZABLE;
    opts.max_attempts = 10000;
    for (int i = 0; i < INCREMENTS; i++) {
        int rc = cerd_pool_transact(w->pool, &opts, increment, w);
        if (rc && w->failures++ == 0)
            snprintf(w->failure, sizeof w->failure, "%s", cerd_error_last()->message);
    }
    return NULL;
}

static void test_pool_serializable__counter_reaches_exactly_eight_thousand(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    pthread_t threads[THREADS];
    worker w[THREADS];
    cerd_conn *c = NULL;
    cerd_assets row = {0};
    int attempts = 0;
    int64_t t0 = pt_now_ms();
    (void)state;

    o.conninfo = db.conninfo;
    o.max_size = 8;
    o.acquire_timeout_ms = 60000;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.pool = pool};
        assert_int_equal(pthread_create(&threads[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        if (w[i].failures)
            print_error("thread %d: %d failures, first: %s\n", i, w[i].failures, w[i].failure);
        assert_int_equal(w[i].failures, 0);
        attempts += w[i].attempts;
    }
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    CERD_ASSERT_OK(cerd_assets_get(&row, c, counter_id));
    assert_int_equal(row.access_count.value, THREADS * INCREMENTS);
    print_message("%d increments took %d attempts in %lld ms\n", THREADS * INCREMENTS, attempts,
                  (long long)(pt_now_ms() - t0));
    assert_true(attempts > THREADS * INCREMENTS); /* conflicts happened and were retried */
    cerd_assets_clear(&row);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_serializable__counter_reaches_exactly_eight_thousand),
    };
    return cmocka_run_group_tests_name("pool_serializable", tests, setup, teardown);
}
