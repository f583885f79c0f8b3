/* Row-level security, the audit trail, updated_at maintenance and monthly partitions,
   exercised on a migrated database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cryptoerd/cryptoerd.h>
#include "testdb.h"

static testdb db;
static PGconn *pg;
static char alice[32], bob[32], alice_portfolio[32], bob_portfolio[32];

static void scalar_into(char *out, size_t size, const char *sql)
{
    char *v = testdb_scalar(pg, sql);
    assert_non_null(v);
    snprintf(out, size, "%s", v);
    free(v);
}

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    char sql[256];
    int rc;
    (void)state;
    if (testdb_create(&db, "security") || cerd_conn_open(&conn, db.conninfo))
        return -1;
    rc = cerd_migrate(NULL, conn);
    cerd_conn_free(conn);
    pg = testdb_connect(&db);
    if (rc || !pg)
        return -1;
    /* Set up as the superuser, who is not subject to RLS. */
    scalar_into(alice, sizeof alice, "INSERT INTO users (email, password_hash)"
                " VALUES ('alice@example.com', 'secret-hash-a') RETURNING id");
    scalar_into(bob, sizeof bob, "INSERT INTO users (email, password_hash)"
                " VALUES ('bob@example.com', 'secret-hash-b') RETURNING id");
    snprintf(sql, sizeof sql, "INSERT INTO portfolios (user_id) VALUES (%s) RETURNING id", alice);
    scalar_into(alice_portfolio, sizeof alice_portfolio, sql);
    snprintf(sql, sizeof sql, "INSERT INTO portfolios (user_id) VALUES (%s) RETURNING id", bob);
    scalar_into(bob_portfolio, sizeof bob_portfolio, sql);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(pg);
    testdb_drop(&db);
    return 0;
}

/* Opens a transaction acting as `user` through the application role. The user is set
   with SET LOCAL (what reaches Citus workers with citus.propagate_set_commands = 'local';
   011_scale_out), transaction-local like set_config(..., true). */
static void act_as(const char *role, const char *user)
{
    char sql[256];
    PQclear(testdb_ok(pg, "BEGIN"));
    snprintf(sql, sizeof sql, "SET LOCAL ROLE %s", role);
    PQclear(testdb_ok(pg, sql));
    if (user) {
        snprintf(sql, sizeof sql, "SET LOCAL app.current_user_id = '%s'", user);
        PQclear(testdb_ok(pg, sql));
    }
}

static void test_rls__user_sees_only_own_portfolio(void **state)
{
    char *n;
    (void)state;
    act_as("cryptoerd_app", alice);
    n = testdb_scalar(pg, "SELECT string_agg(id::text, ',') FROM portfolios");
    assert_string_equal(n, alice_portfolio);
    free(n);
    PQclear(testdb_ok(pg, "ROLLBACK"));
}

static void test_rls__user_cannot_read_or_update_anothers_portfolio(void **state)
{
    char sql[256], *n;
    PGresult *res;
    (void)state;
    act_as("cryptoerd_app", alice);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM portfolios WHERE id = %s", bob_portfolio);
    n = testdb_scalar(pg, sql);
    assert_string_equal(n, "0");
    free(n);
    snprintf(sql, sizeof sql, "UPDATE portfolios SET is_public = true WHERE id = %s", bob_portfolio);
    res = testdb_ok(pg, sql);
    assert_string_equal(PQcmdTuples(res), "0");
    PQclear(res);
    PQclear(testdb_ok(pg, "ROLLBACK"));

    snprintf(sql, sizeof sql, "SELECT (is_public IS NOT TRUE)::text FROM portfolios WHERE id = %s",
             bob_portfolio);
    n = testdb_scalar(pg, sql);
    assert_string_equal(n, "true");
    free(n);
}

static void test_rls__user_cannot_create_a_portfolio_for_another(void **state)
{
    char sql[256];
    PGresult *res;
    (void)state;
    act_as("cryptoerd_app", alice);
    snprintf(sql, sizeof sql, "INSERT INTO portfolios (user_id) VALUES (%s)", bob);
    res = PQexec(pg, sql);
    assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501");
    PQclear(res);
    PQclear(testdb_ok(pg, "ROLLBACK"));
}

static void test_rls__no_user_context_sees_no_owned_rows(void **state)
{
    char *n;
    (void)state;
    act_as("cryptoerd_app", NULL);
    n = testdb_scalar(pg, "SELECT count(*) FROM portfolios");
    assert_string_equal(n, "0");
    free(n);
    PQclear(testdb_ok(pg, "ROLLBACK"));
}

static void test_rls__admin_role_bypasses(void **state)
{
    char *n;
    (void)state;
    act_as("cryptoerd_admin", alice);
    n = testdb_scalar(pg, "SELECT count(*) FROM portfolios");
    assert_string_equal(n, "2");
    free(n);
    PQclear(testdb_ok(pg, "ROLLBACK"));
}

static void test_rls__user_context_ends_with_the_transaction(void **state)
{
    char *n;
    (void)state;
    act_as("cryptoerd_app", alice);
    PQclear(testdb_ok(pg, "COMMIT"));
    n = testdb_scalar(pg, "SELECT coalesce(current_setting('app.current_user_id', true), '')");
    assert_string_equal(n, "");
    free(n);
}

static void test_audit__update_is_recorded_with_actor_and_without_secrets(void **state)
{
    char sql[512], *v;
    (void)state;
    act_as("cryptoerd_app", alice);
    snprintf(sql, sizeof sql, "UPDATE users SET first_name = 'Alicia' WHERE id = %s", alice);
    PQclear(testdb_ok(pg, sql));
    PQclear(testdb_ok(pg, "COMMIT"));

    snprintf(sql, sizeof sql,
             "SELECT concat_ws('|', operation, changed_by,"
             " coalesce(old_values->>'first_name', '(null)'), new_values->>'first_name',"
             " (new_values ? 'password_hash')::text)"
             " FROM audit_log WHERE table_name = 'users' AND operation = 'UPDATE'"
             " AND (new_values->>'id') = '%s' ORDER BY id DESC LIMIT 1", alice);
    v = testdb_scalar(pg, sql);
    snprintf(sql, sizeof sql, "UPDATE|%s|(null)|Alicia|false", alice);
    assert_string_equal(v, sql);
    free(v);
}

static void test_audit__changed_by_is_the_claimed_user_unchecked(void **state)
{
    char sql[512], *v;
    (void)state;
    /* 011_scale_out: changed_by is app.current_user_id as the session claims it, with no
       foreign key to users (audit_log_changed_by_fkey is gone), so an id no user has is
       recorded as it is; the row's table is the trigger's argument */
    v = testdb_scalar(pg, "SELECT count(*) FROM pg_constraint"
                          " WHERE conname = 'audit_log_changed_by_fkey'");
    assert_string_equal(v, "0");
    free(v);
    PQclear(testdb_ok(pg, "BEGIN"));
    PQclear(testdb_ok(pg, "SET LOCAL app.current_user_id = '987654321'"));
    snprintf(sql, sizeof sql, "UPDATE users SET last_name = 'Audited' WHERE id = %s", bob);
    PQclear(testdb_ok(pg, sql));
    PQclear(testdb_ok(pg, "COMMIT"));
    snprintf(sql, sizeof sql,
             "SELECT concat_ws('|', table_name, operation, changed_by)"
             " FROM audit_log WHERE (new_values->>'id') = '%s' AND operation = 'UPDATE'"
             " AND new_values->>'last_name' = 'Audited' ORDER BY id DESC LIMIT 1", bob);
    v = testdb_scalar(pg, sql);
    assert_string_equal(v, "users|UPDATE|987654321");
    free(v);
}

static void test_audit__application_role_cannot_write_the_log(void **state)
{
    PGresult *res;
    (void)state;
    act_as("cryptoerd_app", alice);
    res = PQexec(pg, "DELETE FROM audit_log");
    assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501");
    PQclear(res);
    PQclear(testdb_ok(pg, "ROLLBACK"));
}

static void test_updated_at__is_maintained_by_trigger(void **state)
{
    char sql[256], *v;
    (void)state;
    snprintf(sql, sizeof sql, "UPDATE users SET updated_at = '2000-01-01' WHERE id = %s", bob);
    PQclear(testdb_ok(pg, sql));
    snprintf(sql, sizeof sql, "SELECT (updated_at > '2020-01-01')::text FROM users WHERE id = %s", bob);
    v = testdb_scalar(pg, sql);
    assert_string_equal(v, "true");
    free(v);
}

static void test_partitions__candle_lands_in_its_month(void **state)
{
    char *v;
    (void)state;
    PQclear(testdb_ok(pg, "INSERT INTO assets (symbol, name, asset_type) VALUES ('BTC', 'Bitcoin', 'crypto')"));
    PQclear(testdb_ok(pg,
        "INSERT INTO price_data (asset_id, timeframe, open_price, high_price, low_price,"
        " close_price, candle_time) SELECT id, '1h', 100, 110, 90, 105,"
        " '2025-09-30 23:00:00+00' FROM assets WHERE symbol = 'BTC'"));
    /* 2025-10-01 00:30 in UTC-03 is still 2025-10-01 03:30 UTC: October. */
    PQclear(testdb_ok(pg,
        "INSERT INTO price_data (asset_id, timeframe, open_price, high_price, low_price,"
        " close_price, candle_time) SELECT id, '1h', 100, 110, 90, 105,"
        " '2025-10-01 00:30:00-03' FROM assets WHERE symbol = 'BTC'"));
    PQclear(testdb_ok(pg,
        "INSERT INTO price_data (asset_id, timeframe, open_price, high_price, low_price,"
        " close_price, candle_time) SELECT id, '1h', 100, 110, 90, 105,"
        " '1999-12-31 23:00:00+00' FROM assets WHERE symbol = 'BTC'"));
    v = testdb_scalar(pg, "SELECT string_agg(tableoid::regclass::text, ',' ORDER BY candle_time)"
                          " FROM price_data");
    assert_string_equal(v, "price_data_default,price_data_y2025m09,price_data_y2025m10");
    free(v);
}

static void test_partitions__function_creates_missing_months_once(void **state)
{
    char *v;
    (void)state;
    v = testdb_scalar(pg, "SELECT create_monthly_partitions('price_data_archive', '2031-01-01', '2031-04-01')");
    assert_string_equal(v, "3");
    free(v);
    v = testdb_scalar(pg, "SELECT create_monthly_partitions('price_data_archive', '2031-01-01', '2031-04-01')");
    assert_string_equal(v, "0");
    free(v);
    v = testdb_scalar(pg, "SELECT count(*) FROM pg_inherits"
                          " WHERE inhparent = 'price_data_archive'::regclass"
                          " AND inhrelid::regclass::text LIKE 'price_data_archive_y2031m0%'");
    assert_string_equal(v, "3");
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rls__user_sees_only_own_portfolio),
        cmocka_unit_test(test_rls__user_cannot_read_or_update_anothers_portfolio),
        cmocka_unit_test(test_rls__user_cannot_create_a_portfolio_for_another),
        cmocka_unit_test(test_rls__no_user_context_sees_no_owned_rows),
        cmocka_unit_test(test_rls__admin_role_bypasses),
        cmocka_unit_test(test_rls__user_context_ends_with_the_transaction),
        cmocka_unit_test(test_audit__update_is_recorded_with_actor_and_without_secrets),
        cmocka_unit_test(test_audit__changed_by_is_the_claimed_user_unchecked),
        cmocka_unit_test(test_audit__application_role_cannot_write_the_log),
        cmocka_unit_test(test_updated_at__is_maintained_by_trigger),
        cmocka_unit_test(test_partitions__candle_lands_in_its_month),
        cmocka_unit_test(test_partitions__function_creates_missing_months_once),
    };
    return cmocka_run_group_tests_name("schema_security", tests, setup, teardown);
}
