/*
 * quickstart: connect, bring the schema up to date, report what was done.
 *
 *   quickstart [CONNINFO]      (default: $CRYPTOERD_DSN, else libpq's PG* environment)
 */
#include <stdio.h>
#include <stdlib.h>

#include <cryptoerd/cryptoerd.h>

static int fail(const char *what)
{
    const cerd_error *e = cerd_error_last();
    fprintf(stderr, "quickstart: %s: %s (%s)\n", what, e->message, cerd_strerror(e->code));
    return 1;
}

int main(int argc, char **argv)
{
    const char *dsn = argc > 1 ? argv[1] : getenv("CRYPTOERD_DSN");
    cerd_conn *conn = NULL;
    int applied = 0;

    printf("libcryptoerd %s\n", cerd_version_string());
    if (cerd_conn_open(&conn, dsn))
        return fail("connect");
    if (cerd_migrate(conn, &applied)) {
        cerd_conn_free(conn);
        return fail("migrate");
    }
    printf("schema: %zu migrations embedded, %d applied now\n", cerd_migration_count(), applied);
    for (size_t i = 0; i < cerd_migration_count(); i++)
        printf("  %s\n", cerd_migration_name(i));
    cerd_conn_free(conn);
    return 0;
}
