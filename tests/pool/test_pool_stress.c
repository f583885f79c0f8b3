/* 16 threads x 10,000 acquire / query / release on a pool of 8: every query is
   answered, with the right row. Also run under ThreadSanitizer (scripts/test.sh). */
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
#define CYCLES 10000
#define ASSETS 16

static testdb db;
static PGconn *admin;
static int64_t ids[ASSETS];

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    int rc = 0;
    (void)state;
    if (testdb_create(&db, "pool_stress") || cerd_conn_open(&conn, db.conninfo))
        return -1;
    rc = cerd_migrate(NULL, conn);
    for (int i = 0; i < ASSETS && !rc; i++) {
        char symbol[16];
        cerd_assets a = {.symbol = symbol, .name = "Stress", .asset_type = "crypto"}, out = {0};
        snprintf(symbol, sizeof symbol, "S%02d", i);
        rc = cerd_assets_insert(&out, conn, &a);
        ids[i] = out.id;
        cerd_assets_clear(&out);
    }
    cerd_conn_free(conn);
    admin = testdb_connect(&db);
    return rc || !admin ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(admin);
    testdb_drop(&db);
    return 0;
}

typedef struct worker {
    cerd_pool *pool;
    int index;
    int answered, failed;
    char failure[256];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    cerd_assets row = {0};

    for (int i = 0; i < CYCLES; i++) {
        cerd_conn *c = NULL;
        int k = (w->index + i) % ASSETS, rc;
        char symbol[16];

        if ((rc = cerd_pool_acquire(&c, w->pool)) == 0) {
            rc = cerd_assets_get(&row, c, ids[k]);
            cerd_pool_release(w->pool, c);
        }
        snprintf(symbol, sizeof symbol, "S%02d", k);
        if (rc == 0 && row.id == ids[k] && row.symbol && !strcmp(row.symbol, symbol)) {
            w->answered++;
        } else if (w->failed++ == 0) {
            snprintf(w->failure, sizeof w->failure, "cycle %d: %d %s", i, rc,
                     rc ? cerd_error_last()->message : "wrong row");
        }
    }
    cerd_assets_clear(&row);
    return NULL;
}

static void test_pool_stress__sixteen_threads_each_get_every_query_answered(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    pthread_t threads[THREADS];
    worker w[THREADS];
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    char conninfo[2300];
    int64_t t0 = pt_now_ms();
    (void)state;

    snprintf(conninfo, sizeof conninfo, "%s application_name='cerd_stress'", db.conninfo);
    o.conninfo = conninfo;
    o.min_size = 2;
    o.max_size = 8;
    o.acquire_timeout_ms = 30000;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){pool, i, 0, 0, ""};
        assert_int_equal(pthread_create(&threads[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        if (w[i].failed)
            print_error("thread %d: %d failures, first: %s\n", i, w[i].failed, w[i].failure);
        assert_int_equal(w[i].failed, 0);
        assert_int_equal(w[i].answered, CYCLES);
    }
    CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
    print_message("%d cycles in %lld ms; %llu waits, %llu ms waiting; %llu connections\n",
                  THREADS * CYCLES, (long long)(pt_now_ms() - t0), (unsigned long long)s.waits,
                  (unsigned long long)s.wait_us / 1000, (unsigned long long)s.created);
    assert_int_equal(s.acquires, THREADS * CYCLES);
    assert_true(s.total <= 8);
    assert_int_equal(s.in_use, 0);
    assert_int_equal(s.destroyed_broken + s.destroyed_dirty, 0);
    assert_true(pt_count_backends(admin, "cerd_stress", NULL, 0) <= 8);
    cerd_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_stress__sixteen_threads_each_get_every_query_answered),
    };
    return cmocka_run_group_tests_name("pool_stress", tests, setup, teardown);
}
