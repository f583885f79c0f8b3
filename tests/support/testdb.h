/* A fresh, empty database per test program, on the server named by CRYPTOERD_TEST_DSN
   (or libpq's PG* environment), dropped at the end.

   CRYPTOERD_TEST_VIA=pgbouncer routes the library's connections of a test through the
   PgBouncer named by CRYPTOERD_TEST_PGBOUNCER (a conninfo fragment, "host=127.0.0.1
   port=6432", set by scripts/lib/pgbouncer.sh; transaction pooling): conninfo then leads
   there, while creating, dropping and checking the database (testdb_connect) and
   migrating it (testdb_migrate, testconn.h) stay direct. Without CRYPTOERD_TEST_PGBOUNCER
   such a run is skipped (exit code 77). */
#ifndef CERD_TESTDB_H
#define CERD_TESTDB_H

#include <stddef.h>

#include <libpq-fe.h>

typedef struct testdb {
    char name[64];        /* database name: cerd_t_<tag>_<pid> */
    char conninfo[2048];  /* conninfo string for the library's connections to it */
    char direct_conninfo[2048]; /* the server itself (equal to conninfo unless via a pooler) */
    int via_pooler;       /* conninfo leads through PgBouncer in transaction mode */
} testdb;

/* The value of CRYPTOERD_TEST_VIA is "pgbouncer". */
int testdb_via_pgbouncer(void);

/* Creates the database; returns 0 or -1 (message on stderr). */
int testdb_create(testdb *db, const char *tag);

/* Drops it (forcing other sessions off). */
void testdb_drop(testdb *db);

/* A libpq connection to it in TimeZone UTC; NULL (message on stderr) on failure. */
PGconn *testdb_connect(const testdb *db);

/* Runs sql, fails the current cmocka test unless it succeeds; returns the result. */
PGresult *testdb_ok(PGconn *pg, const char *sql);

/* Runs sql and returns the first column of its first row as a fresh string (or NULL). */
char *testdb_scalar(PGconn *pg, const char *sql);

/* Reads a whole file into a fresh NUL-terminated buffer; NULL when unreadable. */
char *testdb_read_file(const char *path);

#endif
