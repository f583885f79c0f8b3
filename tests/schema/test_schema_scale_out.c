/* tests/schema/sql/scale_out_single_node.sql (the single-node checks of 011_scale_out)
   run with psql -v ON_ERROR_STOP=1 against a fresh database migrated by the library: the
   script raises on any failed expectation, so psql's exit status is the verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <cryptoerd/cryptoerd.h>
#include "check.h"
#include "testdb.h"

static testdb db;

static int setup(void **state)
{
    cerd_conn *conn = NULL;
    int rc;
    (void)state;
    if (testdb_create(&db, "scale_out_sql"))
        return -1;
    rc = cerd_conn_open(&conn, db.conninfo);
    if (!rc)
        rc = cerd_migrate(NULL, conn);
    cerd_conn_free(conn);
    return rc ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    testdb_drop(&db);
    return 0;
}

/* The conninfo as one shell word (single quotes; ' inside becomes '\''). */
static void shell_quote(char *out, size_t size, const char *s)
{
    size_t n = 0;
    out[n++] = '\'';
    for (; *s && n + 5 < size; s++) {
        if (*s == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *s;
        }
    }
    out[n++] = '\'';
    out[n] = '\0';
}

static void test_scale_out__single_node_checks_pass(void **state)
{
    char dsn[4200], cmd[8192], line[1024];
    int passed = 0, status;
    FILE *p;
    (void)state;

    shell_quote(dsn, sizeof dsn, db.conninfo);
    snprintf(cmd, sizeof cmd,
             "psql -X -q -v ON_ERROR_STOP=1 -d %s -f '%s/tests/schema/sql/scale_out_single_node.sql' 2>&1",
             dsn, CERD_SOURCE_DIR);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof line, p)) {
        if (strstr(line, "FAILED") || strstr(line, "ERROR"))
            print_error("%s", line);
        if (strstr(line, "scale_out_single_node: all checks passed"))
            passed = 1;
    }
    status = pclose(p);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(passed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_out__single_node_checks_pass),
    };
    return cmocka_run_group_tests_name("schema_scale_out", tests, setup, teardown);
}
