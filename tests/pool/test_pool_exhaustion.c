/* Exhaustion and fairness: 20 threads on a pool of at most 4 open exactly 4 server
   connections, the others time out within the acquire timeout + 10%, and waiters are
   served in the order they arrived. */
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

#define THREADS 20
#define MAX 4
#define TIMEOUT_MS 1000

static testdb db;
static PGconn *admin;
static char conninfo[2300];

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "pool_exhaustion"))
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

static cerd_pool *new_pool(const char *app, unsigned min)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    snprintf(conninfo, sizeof conninfo, "%s application_name='%s'", db.conninfo, app);
    o.conninfo = conninfo;
    o.min_size = min;
    o.max_size = MAX;
    o.acquire_timeout_ms = TIMEOUT_MS;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    return pool;
}

/* --- a burst of 20 at once ---------------------------------------------------- */

typedef struct burst {
    cerd_pool *pool;
    pthread_barrier_t *start;
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *release; /* set by the main thread: holders may release */
    int rc;
    int64_t elapsed_ms;
} burst;

static void *burst_thread(void *arg)
{
    burst *b = arg;
    cerd_conn *c = NULL;
    int64_t t0;

    pthread_barrier_wait(b->start);
    t0 = pt_now_ms();
    b->rc = cerd_pool_acquire(&c, b->pool);
    b->elapsed_ms = pt_now_ms() - t0;
    if (b->rc == 0) {
        pthread_mutex_lock(b->mu);
        while (!*b->release)
            pthread_cond_wait(b->cv, b->mu);
        pthread_mutex_unlock(b->mu);
        cerd_pool_release(b->pool, c);
    }
    return NULL;
}

static void test_pool_exhaustion__twenty_threads_open_four_and_the_rest_time_out_on_time(void **state)
{
    cerd_pool *pool = new_pool("cerd_burst", 0);
    pthread_t threads[THREADS];
    burst b[THREADS];
    pthread_barrier_t start;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int release = 0, got = 0, timed_out = 0;
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    (void)state;

    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        b[i] = (burst){pool, &start, &mu, &cv, &release, -1, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, burst_thread, &b[i]), 0);
    }
    /* wait until every thread has its answer: 4 holding, 16 timed out */
    for (int64_t t0 = pt_now_ms(); pt_now_ms() - t0 < 10000;) {
        CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
        if (s.in_use == MAX && s.timeouts == THREADS - MAX)
            break;
        pt_sleep_ms(20);
    }
    /* while they hold them: exactly 4 sessions on the server */
    assert_int_equal(pt_count_backends(admin, "cerd_burst", NULL, 0), MAX);
    pthread_mutex_lock(&mu);
    release = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);

    for (int i = 0; i < THREADS; i++) {
        if (b[i].rc == 0) {
            got++;
        } else {
            assert_int_equal(b[i].rc, CERD_ETIMEOUT);
            timed_out++;
            /* not before the timeout, and within 10% after it */
            assert_in_range(b[i].elapsed_ms, TIMEOUT_MS - 1, TIMEOUT_MS + TIMEOUT_MS / 10);
        }
    }
    assert_int_equal(got, MAX);
    assert_int_equal(timed_out, THREADS - MAX);
    CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
    assert_int_equal(s.created, MAX);
    assert_int_equal(s.timeouts, THREADS - MAX);
    assert_int_equal(s.total, MAX);
    assert_int_equal(s.waiting, 0);
    cerd_pool_free(pool);
    pthread_barrier_destroy(&start);
}

/* --- arrival order --------------------------------------------------------------- */

typedef struct queued {
    cerd_pool *pool;
    int index;
    pthread_mutex_t *mu;
    int *order, *served;
    int rc;
} queued;

static void *queued_thread(void *arg)
{
    queued *q = arg;
    cerd_conn *c = NULL;

    q->rc = cerd_pool_acquire(&c, q->pool);
    if (q->rc == 0) {
        pthread_mutex_lock(q->mu);
        q->order[(*q->served)++] = q->index;
        pthread_mutex_unlock(q->mu);
        cerd_pool_release(q->pool, c);
    }
    return NULL;
}

static void test_pool_fairness__waiters_are_served_in_arrival_order(void **state)
{
    enum { WAITERS = THREADS - MAX };
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    cerd_conn *held[MAX];
    pthread_t threads[WAITERS];
    queued q[WAITERS];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    int order[WAITERS], served = 0;
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    (void)state;

    snprintf(conninfo, sizeof conninfo, "%s application_name='cerd_fifo'", db.conninfo);
    o.conninfo = conninfo;
    o.max_size = MAX;
    o.acquire_timeout_ms = 30000;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    for (int i = 0; i < MAX; i++)
        CERD_ASSERT_OK(cerd_pool_acquire(&held[i], pool));
    /* 16 waiters arrive one after the other */
    for (int i = 0; i < WAITERS; i++) {
        q[i] = (queued){pool, i, &mu, order, &served, -1};
        assert_int_equal(pthread_create(&threads[i], NULL, queued_thread, &q[i]), 0);
        do {
            pt_sleep_ms(1);
            CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
        } while (s.waiting < (unsigned)i + 1);
    }
    assert_int_equal(pt_count_backends(admin, "cerd_fifo", NULL, 0), MAX);
    /* one connection goes round: each waiter takes it, notes its turn, passes it on */
    cerd_pool_release(pool, held[0]);
    for (int i = 0; i < WAITERS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(q[i].rc, 0);
    }
    assert_int_equal(served, WAITERS);
    for (int i = 0; i < WAITERS; i++)
        assert_int_equal(order[i], i);
    for (int i = 1; i < MAX; i++)
        cerd_pool_release(pool, held[i]);
    CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
    assert_int_equal(s.created, MAX);
    assert_true(s.waits >= WAITERS);
    cerd_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_exhaustion__twenty_threads_open_four_and_the_rest_time_out_on_time),
        cmocka_unit_test(test_pool_fairness__waiters_are_served_in_arrival_order),
    };
    return cmocka_run_group_tests_name("pool_exhaustion", tests, setup, teardown);
}
