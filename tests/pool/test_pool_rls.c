/* User context for row-level security through the pool: 16 threads alternating users
   see only their own portfolios, and once their transaction ends (before the pool resets
   anything) and once a connection is released its session has no app.current_user_id. The pool logs in as a role subject to RLS (member of
   cryptoerd_app). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "pool_support.h"
#include "testdb.h"

#define THREADS 16
#define ROUNDS 150
#define USERS 4
#define PORTFOLIOS 3 /* per user */

static testdb db;
static PGconn *admin;
static char role[64], conninfo[2400];
static int64_t users[USERS];

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    char sql[256];
    int rc;
    (void)state;
    if (testdb_create(&db, "pool_rls") || cerd_conn_open(&conn, db.conninfo))
        return -1;
    rc = cerd_migrate(NULL, conn);
    cerd_conn_free(conn);
    if (rc || !(admin = testdb_connect(&db)))
        return -1;
    /* a login role subject to RLS (roles are cluster-wide: one per test process) */
    snprintf(role, sizeof role, "cerd_rls_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", role);
    PQclear(testdb_ok(admin, sql));
    snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN PASSWORD 'rls-test' IN ROLE cryptoerd_app", role);
    PQclear(testdb_ok(admin, sql));
    snprintf(conninfo, sizeof conninfo, "%s user=%s password=rls-test application_name=cerd_rls",
             db.conninfo, role);
    /* users and their portfolios, as the superuser (who bypasses RLS) */
    for (int u = 0; u < USERS; u++) {
        char *id;
        snprintf(sql, sizeof sql, "INSERT INTO users (email, password_hash) VALUES"
                                  " ('u%d@example.com', 'hash') RETURNING id", u);
        id = testdb_scalar(admin, sql);
        users[u] = atoll(id);
        free(id);
        snprintf(sql, sizeof sql, "INSERT INTO portfolios (user_id) SELECT %lld"
                                  " FROM generate_series(1, %d)",
                 (long long)users[u], PORTFOLIOS);
        PQclear(testdb_ok(admin, sql));
    }
    return 0;
}

static int teardown(void **state)
{
    char sql[128];
    (void)state;
    PQfinish(admin);
    testdb_drop(&db);
    if (role[0] && (admin = testdb_connect(&(testdb){.name = "postgres"}))) {
        snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", role);
        PQclear(PQexec(admin, sql));
        PQfinish(admin);
    }
    return 0;
}

static cerd_pool *new_pool(unsigned max)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    o.conninfo = conninfo;
    o.max_size = max;
    o.acquire_timeout_ms = 30000;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    return pool;
}

static char *user_setting(cerd_conn *c)
{
    return pt_conn_value(c, "SELECT coalesce(current_setting('app.current_user_id', true), '')");
}

typedef struct worker {
    cerd_pool *pool;
    int index;
    int wrong_rows, leaks, failures;
    char failure[256];
} worker;

static void fail_with(worker *w, const char *what, int rc)
{
    if (w->failures++ == 0)
        snprintf(w->failure, sizeof w->failure, "%s: %d %s", what, rc,
                 rc ? cerd_error_last()->message : "");
}

static void *work(void *arg)
{
    worker *w = arg;

    for (int i = 0; i < ROUNDS; i++) {
        int u = (w->index + i) % USERS, other = (u + 1) % USERS, rc;
        cerd_portfolios_rows mine = {0}, theirs = {0};
        cerd_page page = {0};
        cerd_conn *c = NULL;
        int64_t count = -1;
        char *v;

        if ((rc = cerd_pool_acquire_as(&c, w->pool, users[u]))) {
            fail_with(w, "acquire_as", rc);
            continue;
        }
        if ((rc = cerd_portfolios_list_by_user_id(&mine, c, users[u], &page))
            || (rc = cerd_portfolios_list_by_user_id(&theirs, c, users[other], &page))
            || (rc = cerd_portfolios_count(&count, c)))
            fail_with(w, "list", rc);
        if (mine.count != PORTFOLIOS || theirs.count != 0 || count != PORTFOLIOS)
            w->wrong_rows++;
        for (size_t r = 0; r < mine.count; r++)
            w->wrong_rows += mine.rows[r].user_id != users[u];
        cerd_portfolios_list_free(&mine);
        cerd_portfolios_list_free(&theirs);
        if (i % 2 == 0) {
            if ((rc = cerd_conn_commit(c)))
                fail_with(w, "commit", rc);
            /* the user was set for that transaction only: gone on the same backend */
            v = user_setting(c);
            w->leaks += !v || strcmp(v, "") != 0;
            free(v);
        }
        cerd_pool_release(w->pool, c); /* every other round with the transaction open */

        /* whatever session comes next carries no user */
        if ((rc = cerd_pool_acquire(&c, w->pool))) {
            fail_with(w, "acquire", rc);
            continue;
        }
        v = user_setting(c);
        w->leaks += !v || strcmp(v, "") != 0;
        free(v);
        if ((rc = cerd_portfolios_count(&count, c)))
            fail_with(w, "count", rc);
        w->leaks += count != 0; /* RLS: acting as nobody, no owned row is visible */
        cerd_pool_release(w->pool, c);
    }
    return NULL;
}

static void test_pool_rls__threads_alternating_users_see_only_their_own_portfolios(void **state)
{
    cerd_pool *pool = new_pool(8);
    pthread_t threads[THREADS];
    worker w[THREADS];
    (void)state;

    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.pool = pool, .index = i};
        assert_int_equal(pthread_create(&threads[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        if (w[i].failures)
            print_error("thread %d: %d failures, first: %s\n", i, w[i].failures, w[i].failure);
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(w[i].wrong_rows, 0);
        assert_int_equal(w[i].leaks, 0);
    }
    cerd_pool_free(pool);
}

static void test_pool_rls__released_backend_has_no_user_setting(void **state)
{
    cerd_pool *pool = new_pool(1); /* one session: the next borrower gets the same backend */
    cerd_conn *c = NULL;
    int pid;
    char *v;
    (void)state;

    CERD_ASSERT_OK(cerd_pool_acquire_as(&c, pool, users[0]));
    pid = PQbackendPID(pt_pg(c));
    v = user_setting(c);
    assert_int_equal(atoll(v), users[0]);
    free(v);
    CERD_ASSERT_OK(cerd_conn_commit(c));
    /* set with SET LOCAL: gone with the transaction, on the same backend, before any
       reset by the pool */
    v = user_setting(c);
    assert_string_equal(v, "");
    free(v);
    /* a later transaction on the borrowed connection acts as the same user again, and
       a rollback ends that too */
    CERD_ASSERT_OK(cerd_conn_begin(c));
    v = user_setting(c);
    assert_int_equal(atoll(v), users[0]);
    free(v);
    CERD_ASSERT_OK(cerd_conn_rollback(c));
    v = user_setting(c);
    assert_string_equal(v, "");
    free(v);
    assert_int_equal(PQbackendPID(pt_pg(c)), pid);
    cerd_pool_release(pool, c);
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    assert_int_equal(PQbackendPID(pt_pg(c)), pid);
    v = user_setting(c);
    assert_string_equal(v, "");
    free(v);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

static int insert_portfolio(cerd_conn *c, void *arg)
{
    cerd_portfolios p = {.user_id = *(int64_t *)arg};
    return cerd_portfolios_insert(NULL, c, &p);
}

static void test_pool_rls__transact_as_writes_only_as_that_user(void **state)
{
    cerd_pool *pool = new_pool(2);
    int64_t own = users[1], other = users[2];
    (void)state;

    CERD_ASSERT_OK(cerd_pool_transact_as(pool, users[1], NULL, insert_portfolio, &own));
    assert_int_equal(cerd_pool_transact_as(pool, users[1], NULL, insert_portfolio, &other),
                     CERD_EPRIVILEGE);
    assert_string_equal(cerd_error_last()->sqlstate, "42501");
    /* acting as nobody, a write is refused as well */
    assert_int_equal(cerd_pool_transact(pool, NULL, insert_portfolio, &own), CERD_EPRIVILEGE);
    cerd_pool_free(pool);
    {
        char sql[128], *n;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM portfolios WHERE user_id = %lld",
                 (long long)users[1]);
        n = testdb_scalar(admin, sql);
        assert_int_equal(atoi(n), PORTFOLIOS + 1);
        free(n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_rls__threads_alternating_users_see_only_their_own_portfolios),
        cmocka_unit_test(test_pool_rls__released_backend_has_no_user_setting),
        cmocka_unit_test(test_pool_rls__transact_as_writes_only_as_that_user),
    };
    return cmocka_run_group_tests_name("pool_rls", tests, setup, teardown);
}
