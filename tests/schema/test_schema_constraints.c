/* Constraint smoke tests, driven by tests/schema/cases/NNN_name.cases (format in the
   README there): per table one row that passes every constraint, and per CHECK
   constraint one change of that row the constraint rejects, by name. */
#include <dirent.h>
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

#define CASES_DIR CERD_SOURCE_DIR "/tests/schema/cases"
#define MAX_FILES 64

static testdb db;
static PGconn *pg;

/* "table.constraint" for every reject case run, to check coverage afterwards. */
static char covered[65536];

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    int rc;
    (void)state;
    if (testdb_create(&db, "constraints") || cerd_conn_open(&conn, db.conninfo))
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

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_case_files(char *names[MAX_FILES])
{
    DIR *dir = opendir(CASES_DIR);
    struct dirent *e;
    int n = 0;

    assert_non_null(dir);
    while ((e = readdir(dir)) && n < MAX_FILES) {
        size_t len = strlen(e->d_name);
        if (len > 6 && !strcmp(e->d_name + len - 6, ".cases"))
            names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    return n;
}

/* Runs one reject line against row `id` of `table`; returns 0 when the server rejected
   it with check_violation naming `constraint`. */
static int run_reject(const char *where, const char *table, const char *id, char *line)
{
    char *constraint = line, *set_clause = strchr(line, ' ');
    char sql[4096];
    PGresult *res;
    const char *state, *name;
    int ok;

    if (!set_clause) {
        print_message("%s: reject line without SET clause\n", where);
        return -1;
    }
    *set_clause++ = '\0';
    snprintf(sql, sizeof sql, "UPDATE %s SET %s WHERE id = %s", table, set_clause, id);
    PQclear(testdb_ok(pg, "SAVEPOINT reject_case"));
    res = PQexec(pg, sql);
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    name = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    ok = state && !strcmp(state, "23514") && name && !strcmp(name, constraint);
    if (!ok)
        print_message("%s: %s.%s not rejected as expected (sqlstate %s, constraint %s): %s\n",
                      where, table, constraint, state ? state : "none", name ? name : "none",
                      PQresultErrorMessage(res));
    PQclear(res);
    PQclear(testdb_ok(pg, "ROLLBACK TO SAVEPOINT reject_case"));
    snprintf(covered + strlen(covered), sizeof covered - strlen(covered), "%s.%s\n", table,
             constraint);
    return ok ? 0 : -1;
}

/* Runs every line of one file; returns the number of failures. */
static int run_file(const char *file, int *tables, int *rejects)
{
    char path[512], where[600], table[64] = "", id[32] = "";
    char *text, *line, *save = NULL;
    int failures = 0, lineno = 0;

    snprintf(path, sizeof path, "%s/%s", CASES_DIR, file);
    text = testdb_read_file(path);
    assert_non_null(text);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        snprintf(where, sizeof where, "%s:%d", file, lineno);
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (!strncmp(line, "table ", 6)) {
            snprintf(table, sizeof table, "%s", line + 6);
            id[0] = '\0';
            (*tables)++;
        } else if (!strncmp(line, "valid ", 6)) {
            char sql[8192];
            PGresult *res;
            snprintf(sql, sizeof sql, "%s RETURNING id", line + 6);
            res = PQexec(pg, sql);
            if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                print_message("%s: valid row of %s rejected: %s", where, table,
                              PQresultErrorMessage(res));
                failures++;
                PQclear(res);
                break; /* the transaction is aborted: nothing after this can run */
            }
            snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
            PQclear(res);
        } else if (!strncmp(line, "reject ", 7)) {
            if (!id[0]) {
                print_message("%s: reject before a valid row\n", where);
                failures++;
                continue;
            }
            (*rejects)++;
            failures += run_reject(where, table, id, line + 7) ? 1 : 0;
        } else {
            print_message("%s: unknown line: %s\n", where, line);
            failures++;
        }
    }
    free(text);
    return failures;
}

static void test_constraints__valid_rows_pass_and_each_check_rejects_its_case(void **state)
{
    char *files[MAX_FILES];
    int n = list_case_files(files), failures = 0, tables = 0, rejects = 0;
    (void)state;

    assert_true(n >= 7);
    PQclear(testdb_ok(pg, "BEGIN"));
    for (int i = 0; i < n; i++) {
        failures += run_file(files[i], &tables, &rejects);
        free(files[i]);
    }
    PQclear(testdb_ok(pg, "ROLLBACK"));
    print_message("constraint smoke cases: %d tables, %d rejects, %d failures\n", tables,
                  rejects, failures);
    assert_int_equal(failures, 0);
    assert_int_equal(tables, 36);
}

/* Every CHECK constraint of every table (partitions inherit theirs) has a case. */
static void test_constraints__every_check_constraint_has_a_case(void **state)
{
    PGresult *res = testdb_ok(pg,
        "SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint k"
        "  JOIN pg_class c ON c.oid = k.conrelid"
        " WHERE k.contype = 'c' AND k.connamespace = 'public'::regnamespace"
        "   AND NOT c.relispartition ORDER BY 1");
    int missing = 0;
    (void)state;

    assert_true(PQntuples(res) > 100);
    for (int r = 0; r < PQntuples(res); r++) {
        char key[256];
        snprintf(key, sizeof key, "%s\n", PQgetvalue(res, r, 0));
        if (!strstr(covered, key)) {
            print_message("CHECK without a reject case: %s", key);
            missing++;
        }
    }
    PQclear(res);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constraints__valid_rows_pass_and_each_check_rejects_its_case),
        cmocka_unit_test(test_constraints__every_check_constraint_has_a_case),
    };
    return cmocka_run_group_tests_name("schema_constraints", tests, setup, teardown);
}
