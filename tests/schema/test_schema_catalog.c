/* The migrated database holds what the ERD declares: every table and column with its
   type and nullability (and no column the ERD does not know), every named constraint
   and index, and a comment on every table and column (the generator's doc source).
   The expectation is read from docs/erd.md by tools/erd_catalog.py. */
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

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    int rc;
    (void)state;
    if (testdb_create(&db, "catalog"))
        return -1;
    if (cerd_conn_open(&conn, db.conninfo))
        return -1;
    rc = cerd_migrate(NULL, conn);
    cerd_conn_free(conn);
    pg = testdb_connect(&db);
    return rc || !pg ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(pg);
    testdb_drop(&db);
    return 0;
}

/* The ERD's rows of one kind ("column", "constraint", "index"), as a TSV buffer of
   lines without the kind field. */
static char *erd_rows(const char *kind)
{
    char *tsv = testdb_read_file(CERD_ERD_CATALOG);
    size_t kind_len = strlen(kind), used = 0;
    char *out, *line, *save = NULL;

    assert_non_null(tsv);
    out = calloc(1, strlen(tsv) + 1);
    for (line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (!strncmp(line, kind, kind_len) && line[kind_len] == '\t')
            used += (size_t)sprintf(out + used, "%s\n", line + kind_len + 1);
    free(tsv);
    return out;
}

/* Lines of `want` missing from the result rows (joined with tabs), printed; their count. */
static int report_missing(const char *what, const char *want, PGresult *have)
{
    int missing = 0;
    char *copy = strdup(want), *line, *save = NULL;

    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int found = 0;
        for (int r = 0; r < PQntuples(have) && !found; r++) {
            char row[512];
            size_t used = 0;
            for (int c = 0; c < PQnfields(have); c++)
                used += (size_t)snprintf(row + used, sizeof row - used, "%s%s", c ? "\t" : "",
                                         PQgetvalue(have, r, c));
            found = !strcmp(row, line);
        }
        if (!found) {
            print_message("%s: ERD has, database lacks: %s\n", what, line);
            missing++;
        }
    }
    free(copy);
    return missing;
}

static const char COLUMNS_SQL[] =
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),"
    "       CASE WHEN a.attnotnull THEN 't' ELSE 'f' END"
    "  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    "  JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
    "   AND c.relname <> 'cerd_schema_migrations' AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY c.relname, a.attnum";

static void test_catalog__every_erd_column_exists_with_type_and_nullability(void **state)
{
    char *want = erd_rows("column");
    PGresult *have = testdb_ok(pg, COLUMNS_SQL);
    (void)state;
    assert_int_equal(report_missing("column", want, have), 0);
    PQclear(have);
    free(want);
}

static void test_catalog__database_has_no_column_the_erd_lacks(void **state)
{
    char *want = erd_rows("column");
    PGresult *have = testdb_ok(pg, COLUMNS_SQL);
    int extra = 0;
    (void)state;

    for (int r = 0; r < PQntuples(have); r++) {
        char key[256];
        snprintf(key, sizeof key, "%s\t%s\t", PQgetvalue(have, r, 0), PQgetvalue(have, r, 1));
        if (!strstr(want, key) || (strstr(want, key) != want && strstr(want, key)[-1] != '\n')) {
            /* a prefix match inside another line does not count */
            const char *p = want;
            int found = 0;
            size_t n = strlen(key);
            while (!found && p && *p) {
                if (!strncmp(p, key, n))
                    found = 1;
                p = strchr(p, '\n');
                if (p)
                    p++;
            }
            if (!found) {
                print_message("column: database has, ERD lacks: %s%s\n", key,
                              PQgetvalue(have, r, 2));
                extra++;
            }
        }
    }
    assert_int_equal(extra, 0);
    PQclear(have);
    free(want);
}

static void test_catalog__every_erd_table_exists(void **state)
{
    char *want = erd_rows("column");
    PGresult *have = testdb_ok(pg,
        "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND relkind IN ('r', 'p') AND NOT relispartition");
    int tables = 0, missing = 0;
    char *line, *save = NULL, last[64] = "";
    (void)state;

    for (line = strtok_r(want, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char table[64];
        int found = 0;
        sscanf(line, "%63[^\t]", table);
        if (!strcmp(table, last))
            continue;
        snprintf(last, sizeof last, "%s", table);
        tables++;
        for (int r = 0; r < PQntuples(have); r++)
            found |= !strcmp(PQgetvalue(have, r, 0), table);
        if (!found) {
            print_message("table missing: %s\n", table);
            missing++;
        }
    }
    assert_int_equal(tables, 36);
    assert_int_equal(missing, 0);
    PQclear(have);
    free(want);
}

static void test_catalog__every_named_constraint_exists(void **state)
{
    char *want = erd_rows("constraint");
    /* A partial unique "constraint" can only be a unique index: accept either. */
    PGresult *have = testdb_ok(pg,
        "SELECT conrelid::regclass::text, conname FROM pg_constraint"
        " WHERE connamespace = 'public'::regnamespace"
        " UNION SELECT tablename, indexname FROM pg_indexes"
        " WHERE schemaname = 'public' AND indexdef LIKE 'CREATE UNIQUE%'");
    (void)state;
    assert_true(strlen(want) > 0);
    assert_int_equal(report_missing("constraint", want, have), 0);
    PQclear(have);
    free(want);
}

static void test_catalog__every_named_index_exists(void **state)
{
    char *want = erd_rows("index");
    PGresult *have = testdb_ok(pg,
        "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'");
    (void)state;
    assert_true(strlen(want) > 0);
    assert_int_equal(report_missing("index", want, have), 0);
    PQclear(have);
    free(want);
}

static void test_catalog__gin_indexes_are_gin(void **state)
{
    char *n = testdb_scalar(pg,
        "SELECT count(*) FROM pg_indexes WHERE indexname IN"
        " ('idx_extended_metrics_gin', 'idx_analysis_data_gin', 'idx_key_levels_gin')"
        " AND indexdef LIKE '% USING gin %'");
    (void)state;
    assert_string_equal(n, "3");
    free(n);
}

static void test_catalog__every_table_and_column_has_a_comment(void **state)
{
    PGresult *res = testdb_ok(pg,
        "SELECT c.relname, coalesce(a.attname, '(table)')"
        "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        "  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
        "       AND NOT a.attisdropped"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        "   AND c.relname <> 'cerd_schema_migrations'"
        "   AND (obj_description(c.oid, 'pg_class') IS NULL"
        "        OR col_description(c.oid, a.attnum) IS NULL)");
    (void)state;
    for (int r = 0; r < PQntuples(res); r++)
        print_message("no comment: %s.%s\n", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
    assert_int_equal(PQntuples(res), 0);
    PQclear(res);
}

static void test_catalog__timestamps_are_timestamptz(void **state)
{
    char *n = testdb_scalar(pg,
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public'"
        " AND data_type = 'timestamp without time zone'");
    (void)state;
    assert_string_equal(n, "0");
    free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog__every_erd_table_exists),
        cmocka_unit_test(test_catalog__every_erd_column_exists_with_type_and_nullability),
        cmocka_unit_test(test_catalog__database_has_no_column_the_erd_lacks),
        cmocka_unit_test(test_catalog__every_named_constraint_exists),
        cmocka_unit_test(test_catalog__every_named_index_exists),
        cmocka_unit_test(test_catalog__gin_indexes_are_gin),
        cmocka_unit_test(test_catalog__every_table_and_column_has_a_comment),
        cmocka_unit_test(test_catalog__timestamps_are_timestamptz),
    };
    return cmocka_run_group_tests_name("schema_catalog", tests, setup, teardown);
}
