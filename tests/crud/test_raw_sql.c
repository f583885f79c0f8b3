/* The escape hatch: the caller's own SQL on the library's connection (cerd_conn_pgconn,
   cerd_conn_query_json), with exact values and the library's error codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>
#include <libpq-fe.h>

#include <cryptoerd/cryptoerd.h>
#include "testdb.h"

static testdb db;
static cerd_conn *conn;

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "raw_sql") || cerd_conn_open(&conn, db.conninfo))
        return -1;
    if (cerd_migrate(NULL, conn))
        return -1;
    return cerd_conn_exec(conn,
                          "INSERT INTO assets (symbol, name, asset_type, current_price) VALUES"
                          " ('AAA', 'A', 'crypto', '12345678901.12345678'),"
                          " ('BBB', 'B', 'crypto', '0.00000001'),"
                          " ('CCC', 'C', 'stablecoin', '5.5');"
                          "INSERT INTO price_data (asset_id, timeframe, open_price, high_price,"
                          " low_price, close_price, candle_time)"
                          " SELECT id, '1h', 1, 2, 1, 2, '2025-03-04 05:06:07.000008+00'"
                          " FROM assets WHERE symbol = 'AAA'") ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

/* The text of a JSON value as the library prints it (numbers exact). */
static char *print(const cJSON *v)
{
    char *s = NULL;
    assert_int_equal(cerd_json_print(&s, v, 0), 0);
    return s;
}

static void test_raw_sql__aggregate_is_digit_exact(void **state)
{
    cJSON *rows = NULL;
    const char *params[] = {"crypto"};
    char *text;
    (void)state;

    assert_int_equal(cerd_conn_query_json(&rows, conn,
                                          "SELECT asset_type, sum(current_price) AS total,"
                                          " count(*) AS n FROM assets"
                                          " WHERE asset_type = $1 GROUP BY asset_type",
                                          1, params),
                     0);
    text = print(rows);
    /* 12345678901.12345678 + 0.00000001: 20 significant digits, beyond a double. */
    assert_string_equal(text, "[{\"asset_type\":\"crypto\",\"total\":12345678901.12345679,"
                              "\"n\":2}]");
    free(text);
    cJSON_Delete(rows);
}

static void test_raw_sql__join_keeps_column_order_timestamps_and_nulls(void **state)
{
    cJSON *rows = NULL;
    char *text;
    (void)state;

    assert_int_equal(cerd_conn_query_json(&rows, conn,
                                          "SELECT a.symbol, p.candle_time, p.vwap, p.close_price"
                                          " FROM price_data p JOIN assets a ON a.id = p.asset_id"
                                          " ORDER BY a.symbol -- a trailing comment",
                                          0, NULL),
                     0);
    text = print(rows);
    assert_string_equal(text, "[{\"symbol\":\"AAA\",\"candle_time\":"
                              "\"2025-03-04T05:06:07.000008+00:00\",\"vwap\":null,"
                              "\"close_price\":2.00000000}]");
    free(text);
    cJSON_Delete(rows);

    assert_int_equal(cerd_conn_query_json(&rows, conn, "SELECT 1 AS x WHERE false", 0, NULL), 0);
    assert_int_equal(cJSON_GetArraySize(rows), 0);
    cJSON_Delete(rows);
}

static void test_raw_sql__errors_keep_the_library_codes(void **state)
{
    cJSON *rows = (cJSON *)1;
    const char *dup[] = {"AAA"};
    (void)state;

    assert_int_equal(cerd_conn_query_json(&rows, conn, "SELEC 1", 0, NULL), CERD_ESERVER);
    assert_null(rows);
    assert_string_equal(cerd_error_last()->sqlstate, "42601");
    /* The application role may not read server files: insufficient privilege. */
    assert_int_equal(cerd_conn_exec(conn, "SET ROLE cryptoerd_app"), 0);
    assert_int_equal(cerd_conn_query_json(&rows, conn, "SELECT pg_read_file('PG_VERSION')",
                                          0, NULL),
                     CERD_EPRIVILEGE);
    assert_string_equal(cerd_error_last()->sqlstate, "42501");
    assert_int_equal(cerd_conn_exec(conn, "RESET ROLE"), 0);
    /* A data-changing statement is refused by the server inside a subquery. */
    assert_int_equal(cerd_conn_query_json(&rows, conn,
                                          "WITH r AS (INSERT INTO assets (symbol, name,"
                                          " asset_type) VALUES ($1, 'dup', 'crypto')"
                                          " RETURNING id) SELECT * FROM r",
                                          1, dup),
                     CERD_ESERVER);
    assert_string_equal(cerd_error_last()->sqlstate, "0A000");
    assert_int_equal(cerd_conn_query_json(NULL, conn, "SELECT 1", 0, NULL), CERD_EMISUSE);
}

static void test_raw_sql__pgconn_copy_then_typed_api_on_the_same_session(void **state)
{
    PGconn *pg = cerd_conn_pgconn(conn);
    PGresult *res;
    static const char data[] = "DDD\tD\tcrypto\nEEE\tE\tcrypto\n";
    int64_t n = 0;
    (void)state;

    assert_non_null(pg);
    res = PQexec(pg, "COPY assets (symbol, name, asset_type) FROM STDIN");
    assert_int_equal(PQresultStatus(res), PGRES_COPY_IN);
    PQclear(res);
    assert_int_equal(PQputCopyData(pg, data, (int)strlen(data)), 1);
    assert_int_equal(PQputCopyEnd(pg, NULL), 1);
    res = PQgetResult(pg);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    assert_null(PQgetResult(pg));

    /* The library goes on on the same session and sees the rows. */
    assert_int_equal(cerd_row_count(&n, conn, &cerd_assets_table, 0), 0);
    assert_int_equal(n, 5);
    cerd_assets a = {0};
    assert_int_equal(cerd_assets_get_by_symbol(&a, conn, "EEE"), 0);
    assert_string_equal(a.name, "E");
    cerd_assets_clear(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_sql__aggregate_is_digit_exact),
        cmocka_unit_test(test_raw_sql__join_keeps_column_order_timestamps_and_nulls),
        cmocka_unit_test(test_raw_sql__errors_keep_the_library_codes),
        cmocka_unit_test(test_raw_sql__pgconn_copy_then_typed_api_on_the_same_session),
    };
    return cmocka_run_group_tests_name("raw_sql", tests, setup, teardown);
}
