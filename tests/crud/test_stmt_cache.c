/* The statement cache finds a statement again whatever the caller's stack holds: its
   keys must not depend on bytes nobody initialised (struct padding). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cryptoerd/cryptoerd.h>
#include "check.h"
#include "pool_support.h"
#include "testdb.h"

static testdb db;
static cerd_conn *conn;

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "stmtcache"))
        return -1;
    if (cerd_conn_open(&conn, db.conninfo) || cerd_migrate(NULL, conn)) {
        fprintf(stderr, "setup: %s\n", cerd_error_last()->message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

/* Fills 8 KiB of the stack below the caller with byte (not zero), so that what the
   next call finds in its uninitialised locals is that byte. */
static __attribute__((noinline)) void scribble_stack(unsigned char byte)
{
    volatile unsigned char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = byte;
}

/* Prepared statements of conn's session whose text is the count of assets. */
static long count_statements_prepared(void)
{
    char *v = pt_conn_value(conn, "SELECT count(*) FROM pg_prepared_statements"
                                  " WHERE statement LIKE 'SELECT count(*) FROM %assets%'");
    long n;

    assert_non_null(v);
    n = strtol(v, NULL, 10);
    free(v);
    return n;
}

static void test_stmt_cache__same_shape_is_prepared_once_whatever_the_stack_holds(void **state)
{
    int64_t n = -1;
    (void)state;

    for (int i = 0; i < 200; i++) {
        /* a different non-zero byte each time: any byte of the key left uninitialised
           makes a new key, so a new statement on the server */
        scribble_stack((unsigned char)(1 + i % 255));
        CERD_ASSERT_OK(cerd_assets_count(&n, conn));
        assert_int_equal(n, 0);
    }
    assert_int_equal(count_statements_prepared(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stmt_cache__same_shape_is_prepared_once_whatever_the_stack_holds),
    };
    return cmocka_run_group_tests_name("stmt_cache", tests, setup, teardown);
}
