/* The pool through a real PgBouncer (scripts/lib/pgbouncer.sh; skipped, exit 77, when
   none was started):
   - transaction pooling, unnamed statements: 16 threads alternating users over a pool of
     16 connections that PgBouncer serves with at most 4 server connections: every
     transaction sees only its user's rows, and app.current_user_id, read at the start of
     every transaction, is that transaction's user or nothing: it never leaks from one
     transaction to the next one PgBouncer runs on the same server connection;
   - session pooling, named statements: the typed API, session state set with
     cerd_conn_exec() and LISTEN/NOTIFY work as on a direct connection.
   The pool logs in as the role CERD_PGBOUNCER_RLS_ROLE (in PgBouncer's auth file),
   created here as a member of cryptoerd_app, so row-level security applies. */
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
#include "testconn.h"
#include "testdb.h"

#define THREADS 16
#define ROUNDS 60
#define USERS 4
#define PORTFOLIOS 3 /* per user */
#define SERVER_POOL 4 /* PgBouncer's default_pool_size (scripts/lib/pgbouncer.sh) */
#define MAX_PIDS 256

static testdb db;
static PGconn *admin;
static char role[64], tx_conninfo[2600], session_conninfo[2600];
static int64_t users[USERS];

static pthread_mutex_t pid_lock = PTHREAD_MUTEX_INITIALIZER;
static int pids[MAX_PIDS], npids;

static void saw_backend(int pid)
{
    pthread_mutex_lock(&pid_lock);
    for (int i = 0; i < npids; i++)
        if (pids[i] == pid)
            goto done;
    if (npids < MAX_PIDS)
        pids[npids++] = pid;
done:
    pthread_mutex_unlock(&pid_lock);
}

static int setup(void **state)
{
    const char *tx = getenv("CRYPTOERD_TEST_PGBOUNCER");
    const char *session = getenv("CRYPTOERD_TEST_PGBOUNCER_SESSION");
    const char *r = getenv("CERD_PGBOUNCER_RLS_ROLE"), *pw = getenv("CERD_PGBOUNCER_RLS_PASSWORD");
    char sql[512];
    (void)state;

    if (!tx || !session || !r || !pw) {
        fprintf(stderr, "no PgBouncer (scripts/lib/pgbouncer.sh): skipped\n");
        exit(77);
    }
    if (testdb_create(&db, "pool_pgbouncer") || testdb_migrate(&db)
        || !(admin = testdb_connect(&db)))
        return -1;
    snprintf(role, sizeof role, "%s", r);
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", role);
    PQclear(testdb_ok(admin, sql));
    snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE cryptoerd_app", role, pw);
    PQclear(testdb_ok(admin, sql));
    snprintf(tx_conninfo, sizeof tx_conninfo, "%s %s user=%s application_name=cerd_pgb",
             db.direct_conninfo, tx, role);
    snprintf(session_conninfo, sizeof session_conninfo, "%s %s user=%s", db.direct_conninfo,
             session, role);
    for (int u = 0; u < USERS; u++) {
        char *id;
        snprintf(sql, sizeof sql, "INSERT INTO users (email, password_hash) VALUES"
                                  " ('pgb%d@example.com', 'hash') RETURNING id", u);
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
    testdb_drop(&db); /* forces PgBouncer's server connections off too */
    if (role[0] && (admin = testdb_connect(&(testdb){.name = "postgres"}))) {
        snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", role);
        PQclear(PQexec(admin, sql));
        PQfinish(admin);
    }
    return 0;
}

typedef struct worker {
    cerd_pool *pool;
    int index;
    int wrong_rows, leaks, transactions, failures;
    char failure[256];
} worker;

static void fail_with(worker *w, const char *what, int rc)
{
    if (w->failures++ == 0)
        snprintf(w->failure, sizeof w->failure, "%s: %d %s", what, rc,
                 rc ? cerd_error_last()->message : "");
}

/* At the start of a transaction: the acting user as the server sees it ("" for none),
   and the server connection's pid. */
static int transaction_user(cerd_conn *c, char *user, size_t size)
{
    char *v = pt_conn_value(c, "SELECT coalesce(current_setting('app.current_user_id', true), '')"
                               " || '/' || pg_backend_pid()");
    char *slash = v ? strchr(v, '/') : NULL;
    int pid;

    if (!slash) {
        free(v);
        return -1;
    }
    *slash = '\0';
    snprintf(user, size, "%s", v);
    pid = atoi(slash + 1);
    free(v);
    saw_backend(pid);
    return pid;
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
        char user[32], want[32];

        /* as user u */
        if ((rc = cerd_pool_acquire_as(&c, w->pool, users[u]))) {
            fail_with(w, "acquire_as", rc);
            continue;
        }
        snprintf(want, sizeof want, "%lld", (long long)users[u]);
        if (transaction_user(c, user, sizeof user) < 0)
            fail_with(w, "read the setting", -1);
        w->leaks += strcmp(user, want) != 0;
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
        if (i % 2 == 0 && (rc = cerd_conn_commit(c)))
            fail_with(w, "commit", rc);
        w->transactions++;
        cerd_pool_release(w->pool, c); /* every other round with the transaction open */

        /* as nobody: whichever server connection PgBouncer gives this transaction, no
           user of an earlier transaction is set on it */
        if ((rc = cerd_pool_acquire(&c, w->pool))) {
            fail_with(w, "acquire", rc);
            continue;
        }
        if ((rc = cerd_conn_begin(c)))
            fail_with(w, "begin", rc);
        if (transaction_user(c, user, sizeof user) < 0)
            fail_with(w, "read the setting", -1);
        w->leaks += user[0] != '\0';
        if ((rc = cerd_portfolios_count(&count, c)))
            fail_with(w, "count", rc);
        w->wrong_rows += count != 0; /* RLS: acting as nobody, no owned row is visible */
        if ((rc = cerd_conn_commit(c)))
            fail_with(w, "commit", rc);
        w->transactions++;
        cerd_pool_release(w->pool, c);
    }
    return NULL;
}

static void test_pgbouncer_transaction_mode__rls_isolation_and_no_leaks_across_transactions(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    cerd_pool *pool = NULL;
    pthread_t threads[THREADS];
    worker w[THREADS];
    int transactions = 0;
    (void)state;

    o.conninfo = tx_conninfo;
    o.min_size = THREADS; /* more clients than PgBouncer's server connections */
    o.max_size = THREADS;
    o.acquire_timeout_ms = 30000;
    o.named_statements = 0;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
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
        transactions += w[i].transactions;
    }
    CERD_ASSERT_OK(cerd_pool_stats(&s, pool));
    assert_int_equal(s.total, THREADS);
    /* the transactions really shared PgBouncer's few server connections */
    assert_int_equal(transactions, THREADS * ROUNDS * 2);
    assert_true(npids >= 1 && npids <= SERVER_POOL);
    printf("[ pgbouncer ] %d transactions of %d clients on %d server connections\n",
           transactions, THREADS, npids);
    cerd_pool_free(pool);
}

static void test_pgbouncer_session_mode__named_statements_session_state_and_listen(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    cerd_conn *c = NULL;
    cerd_portfolios_rows mine = {0};
    cerd_page page = {0};
    PGnotify *note = NULL;
    char *v;
    (void)state;

    o.conninfo = session_conninfo;
    o.max_size = 2;
    o.named_statements = 1; /* a session is the client's for as long as it is connected */
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire_as(&c, pool, users[2]));
    for (int i = 0; i < 3; i++) { /* prepared once, executed again */
        CERD_ASSERT_OK(cerd_portfolios_list_by_user_id(&mine, c, users[2], &page));
        assert_int_equal(mine.count, PORTFOLIOS);
        cerd_portfolios_list_free(&mine);
    }
    v = pt_conn_value(c, "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'cerd_%'");
    assert_true(atoi(v) >= 1);
    free(v);
    CERD_ASSERT_OK(cerd_conn_commit(c));

    /* session state outlives transactions; LISTEN hears a NOTIFY */
    CERD_ASSERT_OK(cerd_conn_exec(c, "SET work_mem = '7MB'"));
    CERD_ASSERT_OK(cerd_conn_exec(c, "LISTEN cerd_pgb"));
    CERD_ASSERT_OK(cerd_conn_begin(c));
    CERD_ASSERT_OK(cerd_conn_commit(c));
    v = pt_conn_value(c, "SHOW work_mem");
    assert_string_equal(v, "7MB");
    free(v);
    PQclear(testdb_ok(admin, "NOTIFY cerd_pgb, 'hello'"));
    for (int i = 0; i < 50 && !note; i++) {
        PQconsumeInput(pt_pg(c));
        if (!(note = PQnotifies(pt_pg(c))))
            nanosleep(&(struct timespec){0, 20000000}, NULL);
    }
    assert_non_null(note);
    assert_string_equal(note->extra, "hello");
    PQfreemem(note);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pgbouncer_transaction_mode__rls_isolation_and_no_leaks_across_transactions),
        cmocka_unit_test(test_pgbouncer_session_mode__named_statements_session_state_and_listen),
    };
    return cmocka_run_group_tests_name("pool_pgbouncer", tests, setup, teardown);
}
