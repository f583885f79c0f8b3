/* Error codes, messages and the mapping of server errors, against a real server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <cryptoerd/cryptoerd.h>
#include "check.h"
#include "testdb.h"

static testdb db;
static cerd_conn *conn;

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "error") || cerd_conn_open(&conn, db.conninfo))
        return -1;
    return cerd_migrate(NULL, conn) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

/* Every code of the list, as the list gives it: the test follows the list's growth. */
#define ENTRY(name, value, text) {name, value, #name, text},
static const struct {
    int code, value;
    const char *name, *text;
} codes[] = {CERD_ERROR_CODES(ENTRY)};
#undef ENTRY
#define NCODES (sizeof codes / sizeof codes[0])

static void test_error__every_code_has_its_own_name_and_description(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++) {
        assert_int_equal(codes[i].code, codes[i].value); /* the enum follows the list */
        assert_int_equal(codes[i].value, -(int)i);       /* dense, append-only numbering */
        assert_string_equal(cerd_strerror(codes[i].code), codes[i].text);
        assert_string_equal(cerd_error_name(codes[i].code), codes[i].name);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(cerd_strerror(codes[i].code), cerd_strerror(codes[j].code));
            assert_string_not_equal(cerd_error_name(codes[i].code), cerd_error_name(codes[j].code));
        }
    }
    assert_string_equal(cerd_strerror(-9999), "unknown error code");
    assert_string_equal(cerd_error_name(-9999), "CERD_EUNKNOWN");
    assert_string_equal(cerd_error_name(CERD_ENOTFOUND), "CERD_ENOTFOUND");
}

static void test_error__insufficient_privilege_has_its_own_code(void **state)
{
    (void)state;
    /* The application role may not write the audit log (schema/009_audit.sql):
       SQLSTATE 42501, as a row-level-security refusal is. */
    assert_int_equal(cerd_conn_exec(conn, "SET ROLE cryptoerd_app"), 0);
    assert_int_equal(cerd_conn_exec(conn, "INSERT INTO audit_log (table_name, operation)"
                                          " VALUES ('x', 'INSERT')"),
                     CERD_EPRIVILEGE);
    assert_string_equal(cerd_error_last()->sqlstate, "42501");
    assert_int_equal(cerd_conn_exec(conn, "RESET ROLE"), 0);
}

static void test_error__version_matches_headers(void **state)
{
    (void)state;
    assert_int_equal(cerd_version_number(), CERD_VERSION_NUMBER);
    assert_string_equal(cerd_version_string(), CERD_VERSION);
}

static void test_error__unreachable_server_is_a_connect_error(void **state)
{
    cerd_conn *c = (cerd_conn *)1;
    (void)state;
    assert_int_equal(cerd_conn_open(&c, "host=127.0.0.1 port=1 connect_timeout=2"),
                     CERD_ECONNECT);
    assert_null(c);
    assert_true(strlen(cerd_error_last()->message) > 0);
}

static void test_error__unique_violation_names_table_and_constraint(void **state)
{
    (void)state;
    CERD_ASSERT_OK(cerd_conn_exec(conn, "INSERT INTO assets (symbol, name, asset_type)"
                                        " VALUES ('ETH', 'Ether', 'crypto')"));
    assert_int_equal(cerd_conn_exec(conn, "INSERT INTO assets (symbol, name, asset_type)"
                                          " VALUES ('ETH', 'Ether again', 'crypto')"),
                     CERD_EUNIQUE);
    assert_string_equal(cerd_error_last()->sqlstate, "23505");
    assert_string_equal(cerd_error_last()->table, "assets");
    assert_string_equal(cerd_error_last()->constraint, "assets_symbol_key");
    assert_non_null(strstr(cerd_error_last()->detail, "ETH"));
}

static void test_error__check_foreign_key_and_not_null_are_distinguished(void **state)
{
    (void)state;
    assert_int_equal(cerd_conn_exec(conn, "INSERT INTO assets (symbol, name, asset_type)"
                                          " VALUES ('X', 'X', 'meme')"), CERD_ECHECK);
    assert_string_equal(cerd_error_last()->constraint, "chk_assets_asset_type");
    assert_int_equal(cerd_conn_exec(conn, "INSERT INTO price_data (asset_id, timeframe,"
                                          " open_price, high_price, low_price, close_price,"
                                          " candle_time) VALUES (999999, '1h', 1, 1, 1, 1, now())"),
                     CERD_EFOREIGNKEY);
    assert_int_equal(cerd_conn_exec(conn, "INSERT INTO assets (symbol, asset_type)"
                                          " VALUES ('Y', 'crypto')"), CERD_ENOTNULL);
    assert_string_equal(cerd_error_last()->column, "name");
}

static void test_error__commit_of_failed_transaction_is_reported(void **state)
{
    (void)state;
    CERD_ASSERT_OK(cerd_conn_begin(conn));
    assert_int_equal(cerd_conn_begin(conn), CERD_EMISUSE);
    assert_int_not_equal(cerd_conn_exec(conn, "SELECT 1/0"), 0);
    assert_int_equal(cerd_conn_commit(conn), CERD_EMISUSE);
    assert_non_null(strstr(cerd_error_last()->message, "rolled back"));
    assert_int_equal(cerd_conn_commit(conn), CERD_EMISUSE); /* nothing open any more */
}

static void test_error__sessions_use_utc(void **state)
{
    (void)state;
    /* A failing cast quotes the value as the session prints it: UTC. */
    assert_int_not_equal(cerd_conn_exec(conn, "SELECT ('2024-01-02 03:04:05+02'::timestamptz"
                                              "::text || 'x')::int"), 0);
    assert_non_null(strstr(cerd_error_last()->message, "2024-01-02 01:04:05+00x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error__every_code_has_its_own_name_and_description),
        cmocka_unit_test(test_error__insufficient_privilege_has_its_own_code),
        cmocka_unit_test(test_error__version_matches_headers),
        cmocka_unit_test(test_error__unreachable_server_is_a_connect_error),
        cmocka_unit_test(test_error__unique_violation_names_table_and_constraint),
        cmocka_unit_test(test_error__check_foreign_key_and_not_null_are_distinguished),
        cmocka_unit_test(test_error__commit_of_failed_transaction_is_reported),
        cmocka_unit_test(test_error__sessions_use_utc),
    };
    return cmocka_run_group_tests_name("error", tests, setup, teardown);
}
