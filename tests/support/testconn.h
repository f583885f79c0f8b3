/* The library's connection to a test database (testdb.h), on the route the run asks for:
   through PgBouncer (unnamed statements) under CRYPTOERD_TEST_VIA=pgbouncer, else direct.
   Header-only: it calls the library, which the support library does not link. */
#ifndef CERD_TESTCONN_H
#define CERD_TESTCONN_H

#include <stdbool.h>
#include <stdio.h>

#include <cryptoerd/conn.h>
#include <cryptoerd/error.h>
#include <cryptoerd/migrate.h>

#include "testdb.h"

/* Opens the test's library connection (db->conninfo); through a transaction pooler the
   connection uses unnamed statements only (cerd_conn_set_unnamed_statements). */
static inline int testdb_open(cerd_conn **out, const testdb *db)
{
    int rc = cerd_conn_open(out, db->conninfo);
    if (rc == 0 && db->via_pooler)
        cerd_conn_set_unnamed_statements(*out, true);
    return rc;
}

/* Migrates the database over a direct connection (cerd_migrate holds a session-level
   advisory lock, which a transaction pooler cannot keep: docs/reliability.md). */
static inline int testdb_migrate(const testdb *db)
{
    cerd_conn *c = NULL;
    int rc = cerd_conn_open(&c, db->direct_conninfo);
    if (rc == 0)
        rc = cerd_migrate(NULL, c);
    if (rc)
        fprintf(stderr, "testdb_migrate: %s\n", cerd_error_last()->message);
    cerd_conn_free(c);
    return rc;
}

#endif
