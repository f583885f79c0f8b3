/* The pool's contract on one server: options, the typed API on pooled connections and
   in transactions, clean connections after release (open, failed, mid-result and broken
   ones), session settings and the after-connect hook, user context, the mode without
   named prepared statements, lifetime and idle retirement, health checks. */
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
static int64_t btc_id;

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    cerd_assets a = {.symbol = "BTC", .name = "Bitcoin", .asset_type = "crypto"}, out = {0};
    int rc;
    (void)state;
    if (testdb_create(&db, "pool_basic") || cerd_conn_open(&conn, db.conninfo))
        return -1;
    rc = cerd_migrate(NULL, conn) || cerd_assets_insert(&out, conn, &a);
    btc_id = out.id;
    cerd_assets_clear(&out);
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

static void assert_clean(cerd_conn *c)
{
    cerd_assets row = {0};
    assert_int_equal(PQtransactionStatus(pt_pg(c)), PQTRANS_IDLE);
    CERD_ASSERT_OK(cerd_assets_get(&row, c, btc_id));
    assert_string_equal(row.symbol, "BTC");
    cerd_assets_clear(&row);
}

static void test_pool_new__rejects_inconsistent_options(void **state)
{
    cerd_pool *pool = (cerd_pool *)1;
    cerd_pool_options o = options("cerd_opts", 1, 2);
    (void)state;

    o.max_size = 0;
    assert_int_equal(cerd_pool_new(&pool, &o), CERD_EMISUSE);
    assert_null(pool);
    o.max_size = 2;
    o.min_size = 3;
    assert_int_equal(cerd_pool_new(&pool, &o), CERD_EMISUSE);
    o.min_size = 1;
    o.version = 3;
    assert_int_equal(cerd_pool_new(&pool, &o), CERD_EMISUSE);
    o.version = 2;
    o.health_check_period_ms = 0;
    assert_int_equal(cerd_pool_new(&pool, &o), CERD_EMISUSE);
    o.health_check_period_ms = 1000;
    o.conninfo = "this is not a connection string";
    assert_int_equal(cerd_pool_new(&pool, &o), CERD_EMISUSE);
    o.conninfo = "host=127.0.0.1 port=1 dbname=nothing";
    assert_int_equal(cerd_pool_new(&pool, &o), CERD_ECONNECT);
    assert_non_null(strstr(cerd_error_last()->message, "127.0.0.1"));
    assert_int_equal(cerd_pool_acquire(NULL, NULL), CERD_EMISUSE);
}

static int insert_in_transaction(cerd_conn *c, void *arg)
{
    cerd_assets a = {.symbol = "TXN", .name = "Transact", .asset_type = "crypto"};
    (void)arg;
    return cerd_assets_insert(NULL, c, &a);
}

static void test_pool__typed_api_works_on_a_pooled_connection_and_in_transactions(void **state)
{
    cerd_pool_options o = options("cerd_typed", 1, 2);
    cerd_pool *pool = NULL;
    cerd_conn *c = NULL;
    cerd_assets a = {.symbol = "POOL1", .name = "Pooled", .asset_type = "crypto"}, out = {0};
    bool exists = true;
    int64_t count = 0;
    (void)state;

    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    CERD_ASSERT_OK(cerd_assets_insert(&out, c, &a));
    assert_true(out.id > 0);
    CERD_ASSERT_OK(cerd_conn_begin(c));
    a.symbol = "POOL2";
    CERD_ASSERT_OK(cerd_assets_insert(NULL, c, &a));
    CERD_ASSERT_OK(cerd_conn_savepoint(c, "sp"));
    assert_int_equal(cerd_assets_insert(NULL, c, &a), CERD_EUNIQUE);
    CERD_ASSERT_OK(cerd_conn_rollback_to(c, "sp"));
    CERD_ASSERT_OK(cerd_assets_count(&count, c));
    CERD_ASSERT_OK(cerd_conn_rollback(c));
    CERD_ASSERT_OK(cerd_assets_exists(&exists, c, 0));
    cerd_pool_release(pool, c);

    CERD_ASSERT_OK(cerd_pool_transact(pool, NULL, insert_in_transaction, NULL));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    CERD_ASSERT_OK(cerd_assets_get(&out, c, out.id));
    assert_string_equal(out.symbol, "POOL1");
    cerd_pool_release(pool, c);
    assert_int_equal(cerd_pool_transact(pool, NULL, insert_in_transaction, NULL), CERD_EUNIQUE);

    cerd_pool_statistics s = stats_of(pool);
    assert_int_equal(s.acquires, 4);
    assert_int_equal(s.in_use, 0);
    assert_true(s.total >= 1 && s.total <= 2);
    assert_int_equal(s.idle, s.total);
    cerd_assets_clear(&out);
    cerd_pool_free(pool);
}

static int hook_calls;

static int after_connect(cerd_conn *c, void *arg)
{
    hook_calls++;
    return cerd_conn_exec(c, (const char *)arg);
}

static void test_pool_options__session_settings_and_hook_apply_and_survive_reset(void **state)
{
    cerd_pool_options o = options("cerd_settings", 1, 1);
    cerd_pool *pool = NULL;
    cerd_conn *c = NULL;
    char *v;
    int pid;
    (void)state;

    o.statement_timeout_ms = 300;
    o.idle_in_transaction_timeout_ms = 4321;
    o.after_connect = after_connect;
    o.after_connect_arg = "SET search_path = public, pg_catalog";
    hook_calls = 0;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    pid = backend_pid(c);
    assert_int_equal(hook_calls, 1);
    v = pt_conn_value(c, "SELECT current_setting('statement_timeout') || ' '"
                         " || current_setting('idle_in_transaction_session_timeout') || ' '"
                         " || current_setting('search_path') || ' ' || current_setting('TimeZone')");
    assert_string_equal(v, "300ms 4321ms public, pg_catalog UTC");
    free(v);
    /* the statement timeout is in force */
    assert_int_equal(cerd_conn_exec(c, "SELECT pg_sleep(2)"), CERD_ETIMEOUT);
    /* session state changed by the borrower is reset on release */
    CERD_ASSERT_OK(cerd_conn_exec(c, "SET TimeZone = 'Asia/Tokyo'; SET search_path = pg_catalog"));
    cerd_pool_release(pool, c);
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    assert_int_equal(backend_pid(c), pid); /* the same session, made clean */
    assert_int_equal(hook_calls, 2);
    v = pt_conn_value(c, "SELECT current_setting('statement_timeout') || ' '"
                         " || current_setting('search_path') || ' ' || current_setting('TimeZone')");
    assert_string_equal(v, "300ms public, pg_catalog UTC");
    free(v);
    assert_clean(c); /* statements prepared again after DISCARD ALL */
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

static int failing_hook(cerd_conn *c, void *arg)
{
    (void)c;
    (void)arg;
    return CERD_EINVALID;
}

static void test_pool_options__failing_hook_refuses_the_connection(void **state)
{
    cerd_pool_options o = options("cerd_badhook", 1, 1);
    cerd_pool *pool = NULL;
    (void)state;
    o.after_connect = failing_hook;
    assert_int_equal(cerd_pool_new(&pool, &o), CERD_ECONNECT);
    assert_non_null(strstr(cerd_error_last()->message, "after_connect"));
}

static void test_pool_release__open_transaction_is_rolled_back(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_open", 1, 1);
    cerd_conn *c = NULL;
    cerd_assets a = {.symbol = "OPEN", .name = "Left open", .asset_type = "crypto"}, out = {0};
    bool exists = true;
    int pid;
    (void)state;

    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    pid = backend_pid(c);
    CERD_ASSERT_OK(cerd_conn_begin(c));
    CERD_ASSERT_OK(cerd_assets_insert(&out, c, &a));
    cerd_pool_release(pool, c);
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    assert_int_equal(backend_pid(c), pid);
    assert_clean(c);
    CERD_ASSERT_OK(cerd_assets_exists(&exists, c, out.id));
    assert_false(exists);
    cerd_pool_release(pool, c);
    assert_int_equal(stats_of(pool).destroyed_dirty + stats_of(pool).destroyed_broken, 0);
    cerd_assets_clear(&out);
    cerd_pool_free(pool);
}

static void test_pool_release__failed_transaction_is_destroyed(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_failed", 1, 1);
    cerd_conn *c = NULL;
    cerd_assets a = {.symbol = "BTC", .name = "Duplicate", .asset_type = "crypto"};
    int pid;
    (void)state;

    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    pid = backend_pid(c);
    CERD_ASSERT_OK(cerd_conn_begin(c));
    assert_int_equal(cerd_assets_insert(NULL, c, &a), CERD_EUNIQUE);
    assert_int_equal(PQtransactionStatus(pt_pg(c)), PQTRANS_INERROR);
    cerd_pool_release(pool, c);
    assert_int_equal(stats_of(pool).destroyed_dirty, 1);
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    assert_int_not_equal(backend_pid(c), pid);
    assert_clean(c);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

static void test_pool_release__mid_result_connection_is_cancelled_and_destroyed(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_midresult", 1, 1);
    cerd_conn *c = NULL;
    char sql[128], *v = NULL;
    int pid;
    (void)state;

    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    pid = backend_pid(c);
    /* a borrower that sent a query and walked away from its result */
    assert_int_equal(PQsendQuery(pt_pg(c), "SELECT pg_sleep(30)"), 1);
    assert_int_equal(PQtransactionStatus(pt_pg(c)), PQTRANS_ACTIVE);
    cerd_pool_release(pool, c);
    assert_int_equal(stats_of(pool).destroyed_dirty, 1);
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    assert_int_not_equal(backend_pid(c), pid);
    assert_clean(c);
    cerd_pool_release(pool, c);
    /* the old backend's query was cancelled, not left running for nobody */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %d", pid);
    for (int i = 0; i < 100; i++) {
        free(v);
        v = pt_value(admin, sql);
        if (v && !strcmp(v, "0"))
            break;
        pt_sleep_ms(50);
    }
    assert_string_equal(v, "0");
    free(v);
    cerd_pool_free(pool);
}

static void terminate(int pid)
{
    char sql[128], *v;
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d, 5000)", pid);
    v = pt_value(admin, sql);
    assert_string_equal(v, "t");
    free(v);
}

static void test_pool_release__lost_connection_is_destroyed(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_lost", 1, 1);
    cerd_conn *c = NULL;
    cerd_assets row = {0};
    int pid;
    (void)state;

    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    pid = backend_pid(c);
    CERD_ASSERT_OK(cerd_conn_begin(c));
    terminate(pid);
    assert_int_equal(cerd_assets_get(&row, c, btc_id), CERD_ECONNLOST);
    cerd_pool_release(pool, c);
    assert_int_equal(stats_of(pool).destroyed_broken, 1);
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    assert_int_not_equal(backend_pid(c), pid);
    assert_clean(c);

    /* killed while idle in the pool: found before it is lent, replaced silently */
    pid = backend_pid(c);
    cerd_pool_release(pool, c);
    terminate(pid);
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    assert_int_not_equal(backend_pid(c), pid);
    assert_clean(c);
    cerd_pool_release(pool, c);
    assert_int_equal(stats_of(pool).destroyed_broken, 2);
    cerd_pool_free(pool);
}

static void test_pool_acquire_as__user_context_lasts_for_transactions_only(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_as", 1, 1);
    cerd_conn *c = NULL;
    char *v;
    int pid;
    (void)state;

    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire_as(&c, pool, 42));
    pid = backend_pid(c);
    assert_int_equal(PQtransactionStatus(pt_pg(c)), PQTRANS_INTRANS);
    v = pt_conn_value(c, "SELECT current_setting('app.current_user_id')");
    assert_string_equal(v, "42");
    free(v);
    CERD_ASSERT_OK(cerd_conn_commit(c));
    v = pt_conn_value(c, "SELECT coalesce(current_setting('app.current_user_id', true), '')");
    assert_string_equal(v, "");
    free(v);
    /* a later transaction begun by the library acts as the same user */
    CERD_ASSERT_OK(cerd_conn_begin(c));
    v = pt_conn_value(c, "SELECT current_setting('app.current_user_id')");
    assert_string_equal(v, "42");
    free(v);
    cerd_pool_release(pool, c); /* with the transaction open */

    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    assert_int_equal(backend_pid(c), pid);
    assert_int_equal(PQtransactionStatus(pt_pg(c)), PQTRANS_IDLE);
    CERD_ASSERT_OK(cerd_conn_begin(c)); /* not acting as anyone any more */
  v = pt_conn_value(c, "SELECT coalesce(current_setting('app.current_user_id', true), '')");
    assert_string_equal(v, "");
    free(v);
    CERD_ASSERT_OK(cerd_conn_rollback(c));
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

static void check_named_statements(int named)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_unnamed", 1, 1);
    cerd_conn *c = NULL;
    cerd_assets a = {.symbol = "UNNAMED", .name = "Unnamed", .asset_type = "crypto"}, out = {0};
    int64_t count = 0;
    char *v;

    o.named_statements = named;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    a.symbol = named ? "NAMED" : "UNNAMED";
    CERD_ASSERT_OK(cerd_assets_insert(&out, c, &a));
    for (int i = 0; i < 3; i++) {
        CERD_ASSERT_OK(cerd_assets_get(&out, c, out.id));
        assert_string_equal(out.symbol, a.symbol);
    }
    CERD_ASSERT_OK(cerd_conn_begin(c));
    CERD_ASSERT_OK(cerd_assets_get_by_symbol(&out, c, a.symbol));
    CERD_ASSERT_OK(cerd_assets_count(&count, c));
    assert_true(count >= 2);
    CERD_ASSERT_OK(cerd_conn_commit(c));
    v = pt_conn_value(c, "SELECT count(*) FROM pg_prepared_statements");
    if (named)
        assert_string_not_equal(v, "0");
    else
        assert_string_equal(v, "0");
    free(v);
    cerd_assets_clear(&out);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

static void test_pool_options__without_named_statements_nothing_is_prepared(void **state)
{
    (void)state;
    check_named_statements(0);
    check_named_statements(1);
}

static void test_pool_lifetime__connections_retire_and_pool_refills(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_lifetime", 3, 3);
    cerd_pool_statistics s;
    int64_t start = pt_now_ms();
    (void)state;

    o.max_lifetime_ms = 300;
    o.lifetime_jitter_ms = 200;
    o.health_check_period_ms = 200;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    do {
        pt_sleep_ms(20);
        s = stats_of(pool);
    } while ((s.destroyed_lifetime < 6 || s.total < 3) && pt_now_ms() - start < 10000);
    assert_true(s.destroyed_lifetime >= 6);
    assert_int_equal(s.total, 3);
    assert_true(s.created >= 9);
    assert_int_equal(s.destroyed_broken + s.destroyed_idle, 0);
    cerd_pool_free(pool);
}

static void test_pool_idle__surplus_connections_close_after_idle_timeout(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_idle", 1, 4);
    cerd_conn *c[4];
    cerd_pool_statistics s;
    int64_t start;
    (void)state;

    o.idle_timeout_ms = 200;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    for (int i = 0; i < 4; i++)
        CERD_ASSERT_OK(cerd_pool_acquire(&c[i], pool));
    assert_int_equal(pt_count_backends(admin, "cerd_idle", NULL, 0), 4);
    for (int i = 0; i < 4; i++)
        cerd_pool_release(pool, c[i]);
    start = pt_now_ms();
    do {
        pt_sleep_ms(20);
        s = stats_of(pool);
    } while (s.total > 1 && pt_now_ms() - start < 10000);
    assert_int_equal(s.total, 1); /* never below min_size */
    assert_int_equal(s.destroyed_idle, 3);
    cerd_pool_free(pool);
}

static void test_pool_health__killed_idle_connections_are_replaced_in_background(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_health", 2, 2);
    cerd_pool_statistics s;
    int64_t start;
    (void)state;

    o.health_check_period_ms = 200;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    start = pt_now_ms();
    while (stats_of(pool).total < 2 && pt_now_ms() - start < 5000)
        pt_sleep_ms(10);
    PQclear(testdb_ok(admin, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                             " WHERE application_name = 'cerd_health'"));
    start = pt_now_ms();
    do {
        pt_sleep_ms(20);
        s = stats_of(pool);
    } while ((s.destroyed_broken < 2 || s.total < 2) && pt_now_ms() - start < 5000);
    assert_int_equal(s.destroyed_broken, 2);
    assert_int_equal(s.total, 2);
    assert_int_equal(pt_count_backends(admin, "cerd_health", NULL, 0), 2);
    cerd_pool_free(pool);
}

static void test_pool_free__borrowed_connections_outlive_it(void **state)
{
    cerd_pool *pool = NULL;
    cerd_pool_options o = options("cerd_free", 1, 2);
    cerd_conn *c = NULL, *plain = NULL;
    (void)state;

    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    CERD_ASSERT_OK(cerd_pool_acquire(&c, pool));
    /* a connection that is not the pool's is refused */
    CERD_ASSERT_OK(cerd_conn_open(&plain, db.conninfo));
    cerd_pool_release(pool, plain);
    assert_int_equal(cerd_error_last()->code, CERD_EMISUSE);
    assert_clean(plain);
    cerd_conn_free(plain);

    cerd_pool_free(pool);
    assert_clean(c);
    cerd_pool_release(pool, c); /* frees the pool */
    cerd_pool_free(NULL);
    cerd_pool_release(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_new__rejects_inconsistent_options),
        cmocka_unit_test(test_pool__typed_api_works_on_a_pooled_connection_and_in_transactions),
        cmocka_unit_test(test_pool_options__session_settings_and_hook_apply_and_survive_reset),
        cmocka_unit_test(test_pool_options__failing_hook_refuses_the_connection),
        cmocka_unit_test(test_pool_release__open_transaction_is_rolled_back),
        cmocka_unit_test(test_pool_release__failed_transaction_is_destroyed),
        cmocka_unit_test(test_pool_release__mid_result_connection_is_cancelled_and_destroyed),
        cmocka_unit_test(test_pool_release__lost_connection_is_destroyed),
        cmocka_unit_test(test_pool_acquire_as__user_context_lasts_for_transactions_only),
        cmocka_unit_test(test_pool_options__without_named_statements_nothing_is_prepared),
        cmocka_unit_test(test_pool_lifetime__connections_retire_and_pool_refills),
        cmocka_unit_test(test_pool_idle__surplus_connections_close_after_idle_timeout),
        cmocka_unit_test(test_pool_health__killed_idle_connections_are_replaced_in_background),
        cmocka_unit_test(test_pool_free__borrowed_connections_outlive_it),
    };
    return cmocka_run_group_tests_name("pool_basic", tests, setup, teardown);
}
