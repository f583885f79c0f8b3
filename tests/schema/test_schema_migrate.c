/* cerd_migrate() on an empty database, again (a no-op), and the refusals that keep a
   database's schema history honest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cryptoerd/cryptoerd.h>
#include "check.h"
#include "testdb.h"

static testdb db;

static int setup(void **state)
{
    (void)state;
    return testdb_create(&db, "migrate");
}

static int teardown(void **state)
{
    (void)state;
    testdb_drop(&db);
    return 0;
}

static int count_user_tables(PGconn *pg)
{
    char *n = testdb_scalar(pg,
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        " AND c.relname <> 'cerd_schema_migrations'");
    int count = atoi(n);
    free(n);
    return count;
}

static void test_migrate__applies_every_file_to_an_empty_database(void **state)
{
    cerd_conn *conn = NULL;
    int applied = -1;
    PGconn *pg;
    (void)state;

    CERD_ASSERT_OK(cerd_conn_open(&conn, db.conninfo));
    CERD_ASSERT_OK(cerd_migrate(&applied, conn));
    assert_int_equal(applied, (int)cerd_migration_count());
    assert_true(cerd_migration_count() >= 10);
    cerd_conn_free(conn);

    pg = testdb_connect(&db);
    assert_non_null(pg);
    /* 35 ERD tables plus audit_log */
    assert_int_equal(count_user_tables(pg), 36);
    PQfinish(pg);
}

static void test_migrate__second_run_is_a_noop(void **state)
{
    cerd_conn *conn = NULL;
    int applied = -1;
    (void)state;

    CERD_ASSERT_OK(cerd_conn_open(&conn, db.conninfo));
    CERD_ASSERT_OK(cerd_migrate(&applied, conn));
    assert_int_equal(applied, 0);
    cerd_conn_free(conn);
}

/* The files are not idempotent by design: applied a second time outside the runner,
   one fails on its first CREATE and, being one transaction, changes nothing. */
static void test_migrate__reapplying_a_file_by_hand_fails_and_changes_nothing(void **state)
{
    char *sql = testdb_read_file(CERD_SOURCE_DIR "/schema/002_users.sql");
    PGconn *pg = testdb_connect(&db);
    PGresult *res;
    char *before, *after;
    (void)state;

    assert_non_null(sql);
    assert_non_null(pg);
    before = testdb_scalar(pg, "SELECT count(*) FROM pg_class");
    PQclear(testdb_ok(pg, "BEGIN"));
    res = PQexec(pg, sql);
    assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
    assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42P07"); /* duplicate_table */
    PQclear(res);
    PQclear(testdb_ok(pg, "ROLLBACK"));
    after = testdb_scalar(pg, "SELECT count(*) FROM pg_class");
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(sql);
    PQfinish(pg);
}

static void test_migrate__refuses_a_database_whose_applied_file_was_edited(void **state)
{
    cerd_conn *conn = NULL;
    PGconn *pg = testdb_connect(&db);
    (void)state;

    PQclear(testdb_ok(pg, "UPDATE cerd_schema_migrations SET checksum = 'edited'"
                          " WHERE version = '003'"));
    CERD_ASSERT_OK(cerd_conn_open(&conn, db.conninfo));
    assert_int_equal(cerd_migrate(NULL, conn), CERD_EMIGRATION);
    assert_non_null(strstr(cerd_error_last()->message, "003_market_data.sql"));
    cerd_conn_free(conn);
    PQclear(testdb_ok(pg, "DELETE FROM cerd_schema_migrations WHERE version = '003'"));
    PQfinish(pg);
}

static void test_migrate__refuses_a_database_from_a_newer_library(void **state)
{
    cerd_conn *conn = NULL;
    PGconn *pg = testdb_connect(&db);
    (void)state;

    PQclear(testdb_ok(pg, "DELETE FROM cerd_schema_migrations"));
    PQclear(testdb_ok(pg, "INSERT INTO cerd_schema_migrations (version, name, checksum)"
                          " VALUES ('999', 'future', 'x')"));
    CERD_ASSERT_OK(cerd_conn_open(&conn, db.conninfo));
    assert_int_equal(cerd_migrate(NULL, conn), CERD_EMIGRATION);
    assert_non_null(strstr(cerd_error_last()->message, "999"));
    cerd_conn_free(conn);
    PQfinish(pg);
}

static void test_migrate__failing_file_is_named_and_rolled_back_whole(void **state)
{
    testdb other;
    cerd_conn *conn = NULL;
    PGconn *pg;
    char *n;
    (void)state;

    /* A table the migration 002 will try to create already exists: 002 fails whole. */
    assert_int_equal(testdb_create(&other, "migrate_fail"), 0);
    pg = testdb_connect(&other);
    PQclear(testdb_ok(pg, "CREATE TABLE user_sessions (x int)"));
    CERD_ASSERT_OK(cerd_conn_open(&conn, other.conninfo));
    assert_int_equal(cerd_migrate(NULL, conn), CERD_ESERVER);
    assert_string_equal(cerd_error_last()->sqlstate, "42P07");
    assert_non_null(strstr(cerd_error_last()->message, "schema/002_users.sql"));
    assert_non_null(strstr(cerd_error_last()->message, "user_sessions"));
    n = testdb_scalar(pg, "SELECT count(*) FROM pg_class WHERE relname = 'users'");
    assert_string_equal(n, "0");
    free(n);
    n = testdb_scalar(pg, "SELECT string_agg(version, ',' ORDER BY version)"
                          " FROM cerd_schema_migrations");
    assert_string_equal(n, "001");
    free(n);
    cerd_conn_free(conn);
    PQfinish(pg);
    testdb_drop(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate__applies_every_file_to_an_empty_database),
        cmocka_unit_test(test_migrate__second_run_is_a_noop),
        cmocka_unit_test(test_migrate__reapplying_a_file_by_hand_fails_and_changes_nothing),
        cmocka_unit_test(test_migrate__refuses_a_database_whose_applied_file_was_edited),
        cmocka_unit_test(test_migrate__refuses_a_database_from_a_newer_library),
        cmocka_unit_test(test_migrate__failing_file_is_named_and_rolled_back_whole),
    };
    return cmocka_run_group_tests_name("schema_migrate", tests, setup, teardown);
}
