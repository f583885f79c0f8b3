/* Killed backends: every backend of the pool is terminated, again and again, while 16
   threads write. No acknowledged commit is lost (checked against the writers' ledger),
   every failure is a lost connection, and after each kill the pool is back to its
   minimum size on the server within 2 seconds. */
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
#include "testdb.h"

#define THREADS 16
#define KILLS 5
#define MIN 4
#define MAX 8
#define MAX_WRITES 100000 /* per thread: the loop is bounded in count as well as time */

static testdb db;
static PGconn *admin;

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    int rc;
    (void)state;
    if (testdb_create(&db, "pool_faults") || cerd_conn_open(&conn, db.conninfo))
        return -1;
    rc = cerd_migrate(NULL, conn);
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

typedef struct writer {
    cerd_pool *pool;
    int index;
    atomic_int *stop;
    int *ledger; /* numbers of the writes whose COMMIT was acknowledged */
    int acknowledged, lost, other;
    char other_message[256];
} writer;

static int write_one(cerd_conn *c, int thread, int n)
{
    char symbol[24];
    cerd_assets a = {.symbol = symbol, .name = "Ledger", .asset_type = "crypto"};
    int rc;

    snprintf(symbol, sizeof symbol, "K%d_%d", thread, n);
    if ((rc = cerd_conn_begin(c)) || (rc = cerd_assets_insert(NULL, c, &a)))
        return rc;
    return cerd_conn_commit(c);
}

static void *write_loop(void *arg)
{
    writer *w = arg;

    for (int n = 0; n < MAX_WRITES && !atomic_load(w->stop); n++) {
        cerd_conn *c = NULL;
        int rc = cerd_pool_acquire(&c, w->pool);

        if (rc == 0) {
            rc = write_one(c, w->index, n);
            cerd_pool_release(w->pool, c);
        }
        if (rc == 0) {
            w->ledger[w->acknowledged++] = n;
        } else if (rc == CERD_ECONNLOST || rc == CERD_ECOMMITUNKNOWN) {
            w->lost++; /* ECOMMITUNKNOWN: the backend died while COMMIT was in flight */
        } else if (w->other++ == 0) {
            snprintf(w->other_message, sizeof w->other_message, "%s: %s", cerd_strerror(rc),
                     cerd_error_last()->message);
        }
    }
    return NULL;
}

/* Terminates every backend of the pool; their pids go to killed[]. */
static int kill_all(int *killed, int room)
{
    PGresult *res = testdb_ok(admin, "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
                                     " WHERE application_name = 'cerd_faults'");
    int n = PQntuples(res) < room ? PQntuples(res) : room;
    for (int i = 0; i < n; i++)
        killed[i] = atoi(PQgetvalue(res, i, 0));
    PQclear(res);
    return n;
}

static void test_pool_faults__killed_backends_lose_no_commit_and_pool_refills(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    pthread_t threads[THREADS];
    writer w[THREADS];
    atomic_int stop = 0;
    char conninfo[2300];
    int killed[64], nkilled = 0, total_killed = 0, lost = 0;
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    (void)state;

    snprintf(conninfo, sizeof conninfo, "%s application_name='cerd_faults'", db.conninfo);
    o.conninfo = conninfo;
    o.min_size = MIN;
    o.max_size = MAX;
    o.acquire_timeout_ms = 10000;
    o.health_check_period_ms = 500;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    for (int i = 0; i < THREADS; i++) {
        w[i] = (writer){pool, i, &stop, calloc(MAX_WRITES, sizeof(int)), 0, 0, 0, ""};
        assert_int_equal(pthread_create(&threads[i], NULL, write_loop, &w[i]), 0);
    }
    for (int k = 0; k < KILLS; k++) {
        int64_t t0;
        int alive = 0;

        pt_sleep_ms(300);
        nkilled = kill_all(killed, 64);
        assert_true(nkilled >= 1);
        total_killed += nkilled;
        /* back to at least min_size live sessions on the server within 2 s */
        t0 = pt_now_ms();
        while ((alive = pt_count_backends(admin, "cerd_faults", killed, nkilled)) < MIN
               && pt_now_ms() - t0 < 2000)
            pt_sleep_ms(5);
        print_message("kill %d: %d backends terminated, %d live again after %lld ms\n", k + 1,
                      nkilled, alive, (long long)(pt_now_ms() - t0));
        assert_true(alive >= MIN);
        assert_true(pt_now_ms() - t0 < 2000);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);

    /* every failure was reported as a lost connection (or, lost during COMMIT, as an
       unknown commit outcome) */
    for (int i = 0; i < THREADS; i++) {
        if (w[i].other)
            print_error("writer %d: %d other failures, first: %s\n", i, w[i].other,
                        w[i].other_message);
        assert_int_equal(w[i].other, 0);
        assert_true(w[i].acknowledged > 0);
        lost += w[i].lost;
    }
    /* every acknowledged commit is in the database */
    for (int i = 0; i < THREADS; i++) {
        char sql[128];
        PGresult *res;
        char *seen = calloc(MAX_WRITES, 1);

        snprintf(sql, sizeof sql, "SELECT substr(symbol, %d)::int FROM assets"
                                  " WHERE symbol LIKE 'K%d\\_%%'",
                 i < 10 ? 4 : 5, i);
        res = testdb_ok(admin, sql);
        for (int r = 0; r < PQntuples(res); r++)
            seen[atoi(PQgetvalue(res, r, 0))] = 1;
        PQclear(res);
        for (int a = 0; a < w[i].acknowledged; a++)
            assert_true(seen[w[i].ledger[a]]);
        free(seen);
        free(w[i].ledger);
    }
    CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
    print_message("%d backends killed; %d writes failed with a lost connection; pool: %llu "
                  "created, %llu broken, %llu dirty\n", total_killed, lost,
                  (unsigned long long)s.created, (unsigned long long)s.destroyed_broken,
                  (unsigned long long)s.destroyed_dirty);
    assert_true(s.destroyed_broken > 0);
    assert_true(s.total <= MAX);
    cerd_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_faults__killed_backends_lose_no_commit_and_pool_refills),
    };
    return cmocka_run_group_tests_name("pool_faults", tests, setup, teardown);
}
