/* Failover on servers of the test's own: a primary and a streaming standby on loopback
   (pg_basebackup -R, synchronous replication). A pool for writes lists both hosts and
   never writes to a read-only server: a primary fenced read-only has its connections
   retired by the health check; when the primary is stopped and the standby promoted,
   writes go to the new primary within one health-check period and no acknowledged write
   is lost. The read pool (prefer-standby) reads from the standby while it is one. */
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

#define WRITERS 4
#define MAX_WRITES 100000 /* per writer: bounded in count as well as time */
#define PERIOD_MS 1000    /* health-check period of the pool for writes */

static char base[256];
static pt_server primary, standby;
static char both_hosts[512];
static bool primary_stopped;

/* Waits until the standby has replayed everything the primary has written so far; fails
   the test after ms. */
static void wait_for_standby_replay(int ms)
{
    char why[256];
    if (!pt_server_wait_replay(&primary, &standby, ms, why, sizeof why))
        fail_msg("%s", why);
}

static int setup(void **state)
{
    (void)state;
    if (pt_pair_start(&primary, &standby, base, sizeof base, "failover", true))
        return -1;
    snprintf(both_hosts, sizeof both_hosts,
             "host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres",
             primary.port, standby.port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!primary_stopped)
        pt_server_stop(&primary, "immediate");
    pt_server_stop(&standby, "immediate");
    pt_rmtree(base);
    return 0;
}

static cerd_pool *new_pool(cerd_pool_target target, const char *app, unsigned min,
                           unsigned max, unsigned period_ms, unsigned acquire_ms)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    char ci[600];
    snprintf(ci, sizeof ci, "%s application_name=%s", both_hosts, app);
    o.conninfo = ci;
    o.target = target;
    o.min_size = min;
    o.max_size = max;
    o.health_check_period_ms = period_ms;
    o.acquire_timeout_ms = acquire_ms;
    o.connect_timeout_ms = 2000;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    return pool;
}

static int port_of(cerd_conn *c)
{
    return atoi(PQport(pt_pg(c)));
}

static void test_pool_failover__read_pool_uses_the_standby_write_pool_the_primary(void **state)
{
    cerd_pool *reads = new_pool(CERD_POOL_PREFER_STANDBY, "cerd_r", 1, 3, PERIOD_MS, 5000);
    cerd_pool *writes = new_pool(CERD_POOL_READ_WRITE, "cerd_w", 1, 3, PERIOD_MS, 5000);
    cerd_conn *c[3];
    int64_t n = -1;
    (void)state;

    /* the schema migrated on the primary in setup is there to read on the standby */
    wait_for_standby_replay(30000);
    for (int i = 0; i < 3; i++) {
        char *v;
        CERD_ASSERT_OK(cerd_pool_acquire(&c[i], reads));
        assert_int_equal(port_of(c[i]), standby.port);
        v = pt_conn_value(c[i], "SELECT pg_is_in_recovery()");
        assert_string_equal(v, "t");
        free(v);
        CERD_ASSERT_OK(cerd_assets_count(&n, c[i]));
    }
    for (int i = 0; i < 3; i++)
        cerd_pool_release(reads, c[i]);
    for (int i = 0; i < 3; i++)
        CERD_ASSERT_OK(cerd_pool_acquire(&c[i], writes));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(port_of(c[i]), primary.port);
        cerd_pool_release(writes, c[i]);
    }
    cerd_pool_free(reads);
    cerd_pool_free(writes);
}

static void fence_primary(bool on)
{
    assert_true(pt_server_exec(&primary, on ? "ALTER SYSTEM SET default_transaction_read_only = on"
                                      : "ALTER SYSTEM RESET default_transaction_read_only"));
    assert_true(pt_server_exec(&primary, "SELECT pg_reload_conf()"));
}

static void test_pool_failover__health_check_retires_connections_to_a_read_only_server(void **state)
{
    cerd_pool *writes = new_pool(CERD_POOL_READ_WRITE, "cerd_fence", 3, 3, 300, 300);
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    cerd_assets a = {.symbol = "FENCE", .name = "After fencing", .asset_type = "crypto"};
    cerd_conn *c = NULL;
    int64_t t0 = pt_now_ms();
    int rc = -1;
    (void)state;

    do {
        pt_sleep_ms(10);
        CERD_ASSERT_OK(cerd_pool_stats(&s, writes));
    } while (s.total < 3 && pt_now_ms() - t0 < 5000);
    assert_int_equal(s.total, 3);
    /* the primary is fenced: still up, but read-only */
    fence_primary(true);
    t0 = pt_now_ms();
    do {
        pt_sleep_ms(10);
        CERD_ASSERT_OK(cerd_pool_stats(&s, writes));
    } while (s.destroyed_failover < 3 && pt_now_ms() - t0 < 5000);
    print_message("3 connections retired %lld ms after fencing\n", (long long)(pt_now_ms() - t0));
    assert_int_equal(s.destroyed_failover, 3);
    /* and no connection to a read-only server is lent */
    for (int i = 0; i < 5; i++) {
        rc = cerd_pool_acquire(&c, writes);
        assert_true(rc == CERD_ECONNECT || rc == CERD_ETIMEOUT);
    }
    fence_primary(false);
    t0 = pt_now_ms();
    while ((rc = cerd_pool_acquire(&c, writes)) != 0 && pt_now_ms() - t0 < 5000)
        pt_sleep_ms(20);
    assert_int_equal(rc, 0);
    assert_int_equal(port_of(c), primary.port);
    CERD_ASSERT_OK(cerd_assets_insert(NULL, c, &a));
    cerd_pool_release(writes, c);
    cerd_pool_free(writes);
}

typedef struct writer {
    cerd_pool *pool;
    int index;
    atomic_int *stop;
    atomic_int *promoting;     /* set just before the standby is promoted */
    int *ledger, acknowledged;
    int on_primary, on_new_primary, wrong_server, read_only, other;
    long long first_after_promotion; /* ms */
    char other_message[256];
} writer;

static void *write_loop(void *arg)
{
    writer *w = arg;

    for (int n = 0; n < MAX_WRITES && !atomic_load(w->stop); n++) {
        int promoting = atomic_load(w->promoting);
        char symbol[24];
        cerd_assets a = {.symbol = symbol, .name = "Failover", .asset_type = "crypto"};
        cerd_conn *c = NULL;
        int rc, port = 0;

        snprintf(symbol, sizeof symbol, "F%d_%d", w->index, n);
        if ((rc = cerd_pool_acquire(&c, w->pool)) == 0) {
            port = port_of(c);
            rc = cerd_assets_insert(NULL, c, &a);
            cerd_pool_release(w->pool, c);
        }
        if (rc == 0) {
            w->ledger[w->acknowledged++] = n;
            if (port == primary.port && !promoting) {
                w->on_primary++;
            } else if (port == standby.port && promoting) {
                w->on_new_primary++;
                if (!w->first_after_promotion)
                    w->first_after_promotion = pt_now_ms();
            } else {
                w->wrong_server++;
            }
        } else if (!strcmp(cerd_error_last()->sqlstate, "25006")) {
            w->read_only++; /* a write attempted on a read-only server */
        } else if (rc == CERD_ECONNLOST || rc == CERD_ECOMMITUNKNOWN || rc == CERD_ECONNECT
                   || rc == CERD_ETIMEOUT) {
            pt_sleep_ms(5);
        } else if (w->other++ == 0) {
            snprintf(w->other_message, sizeof w->other_message, "%s: %s", cerd_strerror(rc),
                     cerd_error_last()->message);
        }
    }
    return NULL;
}

typedef struct reader {
    cerd_pool *pool;
    atomic_int *stop, *failed_over;
    int reads_on_standby, reads_elsewhere_before, failures_before;
} reader;

static void *read_loop(void *arg)
{
    reader *r = arg;

    for (int n = 0; n < MAX_WRITES && !atomic_load(r->stop); n++) {
        int before = !atomic_load(r->failed_over);
        cerd_conn *c = NULL;
        int64_t count;
        char *v = NULL;
        int rc = cerd_pool_acquire(&c, r->pool);

        if (rc == 0) {
            if ((rc = cerd_assets_count(&count, c)) == 0)
                v = pt_conn_value(c, "SELECT pg_is_in_recovery()");
            if (before && rc == 0 && v && !strcmp(v, "t") && port_of(c) == standby.port)
                r->reads_on_standby++;
            else if (before && rc == 0)
                r->reads_elsewhere_before++;
            free(v);
            cerd_pool_release(r->pool, c);
        }
        if (rc && before)
            r->failures_before++;
        pt_sleep_ms(2);
    }
    return NULL;
}

static void test_pool_failover__writes_reach_the_promoted_standby_within_one_period(void **state)
{
    cerd_pool *writes = new_pool(CERD_POOL_READ_WRITE, "cerd_w", 2, 4, PERIOD_MS, 1000);
    cerd_pool *reads = new_pool(CERD_POOL_PREFER_STANDBY, "cerd_r", 1, 2, PERIOD_MS, 1000);
    pthread_t threads[WRITERS + 1];
    writer w[WRITERS];
    reader r;
    atomic_int stop = 0, failed_over = 0, promoting = 0;
    long long first = 0, promoted_at;
    int64_t t0;
    (void)state;

    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer){.pool = writes, .index = i, .stop = &stop, .promoting = &promoting,
                        .ledger = calloc(MAX_WRITES, sizeof(int))};
        assert_int_equal(pthread_create(&threads[i], NULL, write_loop, &w[i]), 0);
    }
    r = (reader){.pool = reads, .stop = &stop, .failed_over = &failed_over};
    assert_int_equal(pthread_create(&threads[WRITERS], NULL, read_loop, &r), 0);
    pt_sleep_ms(500);

    /* failover: the old primary becomes unreachable, then the standby is promoted */
    atomic_store(&failed_over, 1);
    assert_int_equal(pt_server_stop(&primary, "immediate"), 0);
    primary_stopped = true;
    pt_sleep_ms(300); /* writes fail meanwhile: there is no writable server */
    atomic_store(&promoting, 1);
    assert_int_equal(pt_server_promote(&standby), 0); /* returns once promoted */
    promoted_at = pt_now_ms();

    t0 = pt_now_ms();
    while (pt_now_ms() - t0 < 2000) {
        pt_sleep_ms(100);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i <= WRITERS; i++)
        pthread_join(threads[i], NULL);

    for (int i = 0; i < WRITERS; i++) {
        if (w[i].other)
            print_error("writer %d: %d unexpected failures, first: %s\n", i, w[i].other,
                        w[i].other_message);
        print_message("writer %d: %d on the primary, %d on the new primary (first %lld ms after "
                      "promotion)\n", i, w[i].on_primary, w[i].on_new_primary,
                      w[i].first_after_promotion ? w[i].first_after_promotion - promoted_at : -1);
        assert_int_equal(w[i].other, 0);
        assert_int_equal(w[i].read_only, 0);
        assert_int_equal(w[i].wrong_server, 0);
        assert_true(w[i].on_primary > 0);
        assert_true(w[i].on_new_primary > 0);
        if (!first || w[i].first_after_promotion < first)
            first = w[i].first_after_promotion;
    }
    /* writes go to the new primary within one health-check period */
    assert_true(first - promoted_at <= PERIOD_MS);
    /* reads went to the standby while it was one */
    print_message("reader: %d reads on the standby before failover, %d elsewhere\n",
                  r.reads_on_standby, r.reads_elsewhere_before);
    assert_true(r.reads_on_standby > 0);
    assert_int_equal(r.reads_elsewhere_before, 0);
    assert_int_equal(r.failures_before, 0);
    cerd_pool_free(writes);
    cerd_pool_free(reads);

    /* every acknowledged write is on the new primary */
    {
        PGconn *pg = pt_server_connect(&standby);
        assert_non_null(pg);
        for (int i = 0; i < WRITERS; i++) {
            char sql[128];
            PGresult *res;
            char *seen = calloc(MAX_WRITES, 1);
            snprintf(sql, sizeof sql, "SELECT substr(symbol, 4)::int FROM assets"
                                      " WHERE symbol LIKE 'F%d\\_%%'", i);
            res = PQexec(pg, sql);
            assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
            for (int k = 0; k < PQntuples(res); k++)
                seen[atoi(PQgetvalue(res, k, 0))] = 1;
            PQclear(res);
            for (int k = 0; k < w[i].acknowledged; k++)
                assert_true(seen[w[i].ledger[k]]);
            free(seen);
            free(w[i].ledger);
        }
        PQfinish(pg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_failover__read_pool_uses_the_standby_write_pool_the_primary),
        cmocka_unit_test(test_pool_failover__health_check_retires_connections_to_a_read_only_server),
        cmocka_unit_test(test_pool_failover__writes_reach_the_promoted_standby_within_one_period),
    };
    return cmocka_run_group_tests_name("pool_failover", tests, setup, teardown);
}
