/* A server restart (pg_ctl restart -m fast) under load, on a server of the test's own:
   operations fail cleanly while it is down (lost connection, cannot connect, timeout),
   succeed again after, and no connection is leaked. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "pool_support.h"

#define THREADS 8
#define MAX 6
#define MAX_OPS 200000 /* per thread: bounded in count as well as time */

static char base[256];
static pt_server server;
static char conninfo[512];
static int64_t asset_id;

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    cerd_assets a = {.symbol = "RST", .name = "Restart", .asset_type = "crypto"}, out = {0};
    int rc;
    (void)state;
    pt_tempdir(base, sizeof base, "restart");
    if (!base[0] || pt_server_start_primary(&server, base))
        return -1;
    pt_server_conninfo(&server, conninfo, sizeof conninfo);
    if (cerd_conn_open(&conn, conninfo))
        return -1;
    rc = cerd_migrate(NULL, conn) || cerd_assets_insert(&out, conn, &a);
    asset_id = out.id;
    cerd_assets_clear(&out);
    cerd_conn_free(conn);
    return rc ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    pt_server_stop(&server, "immediate");
    pt_rmtree(base);
    return 0;
}

typedef struct worker {
    cerd_pool *pool;
    atomic_int *stop;
    atomic_int *phase; /* 0 before the restart, 1 during, 2 after */
    int ok[3], lost, connect, timeout, other;
    atomic_int recovered; /* succeeded after the restart */
    char other_message[256];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    cerd_assets row = {0};

    for (int i = 0; i < MAX_OPS && !atomic_load(w->stop); i++) {
        int phase = atomic_load(w->phase);
        cerd_conn *c = NULL;
        int rc = cerd_pool_acquire(&c, w->pool);

        if (rc == 0) {
            rc = cerd_assets_get(&row, c, asset_id);
            cerd_pool_release(w->pool, c);
        }
        switch (rc) {
        case 0:
            w->ok[phase]++;
            if (phase == 2)
                atomic_store(&w->recovered, 1);
            break;
        case CERD_ECONNLOST:
            w->lost++;
            break;
        case CERD_ECONNECT:
            w->connect++;
            pt_sleep_ms(5);
            break;
        case CERD_ETIMEOUT:
            w->timeout++;
            break;
        default:
            if (w->other++ == 0)
                snprintf(w->other_message, sizeof w->other_message, "%s: %s",
                         cerd_strerror(rc), cerd_error_last()->message);
        }
    }
    cerd_assets_clear(&row);
    return NULL;
}

static int backends(PGconn *admin)
{
    return pt_count_backends(admin, "cerd_restart", NULL, 0);
}

static void test_pool_restart__operations_fail_cleanly_and_recover_without_leaks(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    pthread_t threads[THREADS];
    worker w[THREADS];
    atomic_int stop = 0, phase = 0;
    char app_conninfo[600];
    int failed = 0, ok_after = 0;
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    PGconn *admin;
    int64_t t0;
    (void)state;

    snprintf(app_conninfo, sizeof app_conninfo, "%s application_name=cerd_restart", conninfo);
    o.conninfo = app_conninfo;
    o.min_size = 2;
    o.max_size = MAX;
    o.acquire_timeout_ms = 2000;
    o.health_check_period_ms = 500;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.pool = pool, .stop = &stop, .phase = &phase};
        assert_int_equal(pthread_create(&threads[i], NULL, work, &w[i]), 0);
    }
    pt_sleep_ms(300);
    atomic_store(&phase, 1);
    assert_int_equal(pt_server_restart(&server, "fast"), 0);
    atomic_store(&phase, 2);
    /* load goes on until every thread has succeeded again (at most 10 s) */
    t0 = pt_now_ms();
    for (bool all = false; !all && pt_now_ms() - t0 < 10000;) {
        pt_sleep_ms(50);
        all = true;
        for (int i = 0; i < THREADS; i++)
            all &= atomic_load(&w[i].recovered) != 0;
    }
    pt_sleep_ms(200);
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);

    for (int i = 0; i < THREADS; i++) {
        if (w[i].other)
            print_error("worker %d: %d unexpected failures, first: %s\n", i, w[i].other,
                        w[i].other_message);
        assert_int_equal(w[i].other, 0);
        assert_true(w[i].ok[0] > 0);
        assert_true(w[i].ok[2] > 0);
        failed += w[i].lost + w[i].connect + w[i].timeout;
        ok_after += w[i].ok[2];
        print_message("worker %d: ok %d/%d/%d, lost %d, cannot connect %d, timeouts %d\n", i,
                      w[i].ok[0], w[i].ok[1], w[i].ok[2], w[i].lost, w[i].connect,
                      w[i].timeout);
    }
    assert_true(failed > 0); /* the restart was felt */
    assert_true(ok_after > 0);

    /* no leak: the server has exactly the pool's sessions, then none */
    admin = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(admin), CONNECTION_OK);
    CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
    assert_int_equal(s.in_use, 0);
    assert_true(s.total <= MAX);
    t0 = pt_now_ms();
    while (backends(admin) != (int)s.total && pt_now_ms() - t0 < 5000) {
        pt_sleep_ms(20);
        CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
    }
    assert_int_equal(backends(admin), (int)s.total);
    cerd_pool_free(pool);
    t0 = pt_now_ms();
    while (backends(admin) > 0 && pt_now_ms() - t0 < 5000)
        pt_sleep_ms(20);
    assert_int_equal(backends(admin), 0);
    PQfinish(admin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_restart__operations_fail_cleanly_and_recover_without_leaks),
    };
    return cmocka_run_group_tests_name("pool_restart", tests, setup, teardown);
}
