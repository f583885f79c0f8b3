/* The pool's fast path (a released connection parked in its thread's cell, taken back
   without the mutex): what it must not change. Parked connections of other threads are
   lent when the idle stack is empty (never a wait or a time-out while one is parked);
   waiters are still served first come, first served; a parked connection whose backend
   was killed is not lent; lifetime and idle retirement reach parked connections; the
   statistics count parked connections as idle and every lending. */
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

static testdb db;
static PGconn *admin;

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "pool_fastpath"))
        return -1;
    admin = testdb_connect(&db);
    return admin ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(admin);
    testdb_drop(&db);
    return 0;
}

static char conninfo[2300];

/* Options for a pool on the test database whose sessions are named app. */
static cerd_pool_options options(const char *app, unsigned min, unsigned max)
{
    return pt_pool_options(conninfo, sizeof conninfo, db.conninfo, app, min, max);
}

static cerd_pool_statistics stats_of(cerd_pool *pool)
{
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
    return s;
}

static int backend_pid(cerd_conn *c)
{
    return PQbackendPID(pt_pg(c));
}

/* A thread that borrows a connection once and gives it back (it stays parked in the
   thread's cell after the thread is gone). */
static void *borrow_once(void *arg)
{
    cerd_pool *pool = arg;
    cerd_conn *c = NULL;
    if (cerd_pool_acquire(&c, pool))
        return (void *)1;
    cerd_pool_release(pool, c);
    return NULL;
}

static void test_pool_fastpath__other_threads_parked_connections_are_lent(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_fast_other", 2, 2);
    cerd_conn *c[3] = {NULL, NULL, NULL};
    cerd_pool_statistics s;
    pthread_t t[2];
    void *r;
    (void)state;

    o.acquire_timeout_ms = 300;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    for (int i = 0; i < 2; i++) { /* one after the other: both connections get parked */
        CERD_ASSERT_OK(cerd_pool_acquire(&c[i], pool));
    }
    for (int i = 0; i < 2; i++)
        cerd_pool_release(pool, c[i]);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, borrow_once, pool), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], &r);
        assert_null(r);
    }
    s = stats_of(pool);
    assert_int_equal(s.total, 2);
    assert_int_equal(s.idle, 2);
    assert_int_equal(s.in_use, 0);
    assert_int_equal(s.acquires, 4);

    /* this thread takes both, whoever parked them, without waiting */
    CERD_ASSERT_OK(cerd_pool_acquire(&c[0], pool));
    CERD_ASSERT_OK(cerd_pool_acquire(&c[1], pool));
    assert_int_not_equal(backend_pid(c[0]), backend_pid(c[1]));
    s = stats_of(pool);
    assert_int_equal(s.idle, 0);
    assert_int_equal(s.in_use, 2);
    assert_int_equal(s.waits, 0);
    /* and there is no third */
    assert_int_equal(cerd_pool_acquire(&c[2], pool), CERD_ETIMEOUT);
    cerd_pool_release(pool, c[0]);
    cerd_pool_release(pool, c[1]);
    s = stats_of(pool);
    assert_int_equal(s.idle, 2);
    assert_int_equal(s.in_use, 0);
    assert_int_equal(s.acquires, 6);
    assert_int_equal(s.timeouts, 1);
    cerd_pool_free(pool);
}

typedef struct waiter_arg {
    cerd_pool *pool;
    pthread_mutex_t *mu;
    int *order, *n, id;
} waiter_arg;

static void *wait_in_line(void *arg)
{
    waiter_arg *a = arg;
    cerd_conn *c = NULL;
    if (cerd_pool_acquire(&c, a->pool))
        return (void *)1;
    pthread_mutex_lock(a->mu);
    a->order[(*a->n)++] = a->id;
    pthread_mutex_unlock(a->mu);
    pt_sleep_ms(20);
    cerd_pool_release(a->pool, c); /* someone waits: handed over, not parked */
    return NULL;
}

static void test_pool_fastpath__waiters_are_served_in_order(void **state)
{
    enum { WAITERS = 4 };
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_fast_fifo", 1, 1);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    int order[WAITERS], n = 0;
    waiter_arg args[WAITERS];
    pthread_t t[WAITERS];
    cerd_conn *c = NULL;
    void *r;
    (void)state;

    o.acquire_timeout_ms = 20000;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    /* parked in this thread's cell, then taken back: the one connection is lent */
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    cerd_pool_release(pool, c);
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    for (int i = 0; i < WAITERS; i++) {
        int64_t start = pt_now_ms();
        args[i] = (waiter_arg){pool, &mu, order, &n, i};
        assert_int_equal(pthread_create(&t[i], NULL, wait_in_line, &args[i]), 0);
        while (stats_of(pool).waiting < (unsigned)i + 1 && pt_now_ms() - start < 10000)
            pt_sleep_ms(1);
        assert_int_equal(stats_of(pool).waiting, i + 1);
    }
    cerd_pool_release(pool, c);
    for (int i = 0; i < WAITERS; i++) {
        pthread_join(t[i], &r);
        assert_null(r);
    }
    assert_int_equal(n, WAITERS);
    for (int i = 0; i < WAITERS; i++)
        assert_int_equal(order[i], i);
    assert_int_equal(stats_of(pool).idle, 1);
    cerd_pool_free(pool);
}

static void test_pool_fastpath__a_parked_connection_killed_is_not_lent(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_fast_kill", 1, 1);
    cerd_conn *c = NULL;
    char sql[128], *v;
    int pid;
    (void)state;

    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    for (int round = 1; round <= 3; round++) {
        CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
        pid = backend_pid(c);
        cerd_pool_release(pool, c); /* parked */
        snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d, 5000)", pid);
        v = pt_value(admin, sql);
        assert_string_equal(v, "t");
        free(v);
        CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
        assert_int_not_equal(backend_pid(c), pid);
        v = pt_conn_value(c, "SELECT 1");
        assert_string_equal(v, "1");
        free(v);
        cerd_pool_release(pool, c);
        assert_int_equal(stats_of(pool).destroyed_broken, round);
    }
    cerd_pool_free(pool);
}

static void test_pool_fastpath__lifetime_and_idle_timeout_reach_parked_connections(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_fast_life", 1, 1);
    cerd_pool_statistics s;
    cerd_conn *c = NULL;
    int first, pids = 1, last;
    int64_t start = pt_now_ms();
    (void)state;

    /* borrowed again and again by one thread (always the fast path when nobody waits):
       the connection is still retired at its lifetime */
    o.max_lifetime_ms = 150;
    o.lifetime_jitter_ms = 0;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    first = last = backend_pid(c);
    cerd_pool_release(pool, c);
    while (pids < 3 && pt_now_ms() - start < 20000) {
        CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
        if (backend_pid(c) != last) {
            last = backend_pid(c);
            pids++;
        }
        cerd_pool_release(pool, c);
    }
    assert_int_equal(pids, 3);
    assert_int_not_equal(last, first);
    s = stats_of(pool);
    assert_true(s.destroyed_lifetime >= 2);
    assert_int_equal(s.destroyed_broken + s.destroyed_dirty, 0);
    cerd_pool_free(pool);

    /* parked and left alone: retired after idle_timeout_ms above min_size */
    o = options("cerd_fast_idle", 0, 1);
    o.idle_timeout_ms = 100;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    cerd_pool_release(pool, c);
    start = pt_now_ms();
    while (stats_of(pool).total > 0 && pt_now_ms() - start < 10000)
        pt_sleep_ms(10);
    s = stats_of(pool);
    assert_int_equal(s.total, 0);
    assert_int_equal(s.idle, 0);
    assert_int_equal(s.destroyed_idle, 1);
    start = pt_now_ms(); /* the server ends the session after the pool has closed it */
    while (pt_count_backends(admin, "cerd_fast_idle", NULL, 0) > 0 && pt_now_ms() - start < 5000)
        pt_sleep_ms(10);
    assert_int_equal(pt_count_backends(admin, "cerd_fast_idle", NULL, 0), 0);
    cerd_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_fastpath__other_threads_parked_connections_are_lent),
        cmocka_unit_test(test_pool_fastpath__waiters_are_served_in_order),
        cmocka_unit_test(test_pool_fastpath__a_parked_connection_killed_is_not_lent),
        cmocka_unit_test(test_pool_fastpath__lifetime_and_idle_timeout_reach_parked_connections),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
