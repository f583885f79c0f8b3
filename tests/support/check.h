/* CERD_ASSERT_OK(expr): expr (a library call) must return 0; otherwise the test fails
   after printing the code, cerd_strerror(code) and the error record (message, SQLSTATE,
   constraint), so that a failing assertion says why. Include after <cmocka.h>. */
#ifndef CERD_TEST_CHECK_H
#define CERD_TEST_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cryptoerd/cryptoerd.h>

#define CERD_ASSERT_OK(expr) cerd_test_assert_ok((expr), #expr, __FILE__, __LINE__)

static inline void cerd_test_assert_ok(int code, const char *expr, const char *file, int line)
{
    const cerd_error *e;

    if (code == 0)
        return;
    e = cerd_error_last();
    print_error("%s returned %d (%s)\n", expr, code, cerd_strerror(code));
    if (e)
        print_error("  message: %s\n  sqlstate: %s\n  constraint: %s\n",
                    e->message ? e->message : "", e->sqlstate,
                    e->constraint ? e->constraint : "");
    _fail(file, line);
}

#endif
