/* Helpers of the pool tests: peeking at a connection's session, counting a pool's
   backends, and PostgreSQL servers of their own (restart, primary and standby). */
#ifndef CERD_POOL_SUPPORT_H
#define CERD_POOL_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include <cryptoerd/cryptoerd.h>

/* The libpq connection inside a cerd_conn (to verify what the session looks like). */
PGconn *pt_pg(cerd_conn *conn);

/* First value of sql run on pg, as a fresh string; NULL for SQL NULL or failure. */
char *pt_value(PGconn *pg, const char *sql);

/* pt_value() on the session of a cerd_conn. */
char *pt_conn_value(cerd_conn *conn, const char *sql);

/* Backends of the server pg is connected to whose application_name is app, other
   than the pids in skip[0..nskip). */
int pt_count_backends(PGconn *pg, const char *app, const int *skip, int nskip);

/* Options for a pool on the database at conninfo whose sessions are named app (so that
   pt_count_backends() finds them), min_size and max_size set; the connection string is
   kept in buf. */
cerd_pool_options pt_pool_options(char *buf, size_t size, const char *conninfo,
                                  const char *app, unsigned min, unsigned max);

int64_t pt_now_ms(void);
void pt_sleep_ms(int ms);

/* A server of the test's own, in a temporary directory, on a free loopback port. */
typedef struct pt_server {
    char dir[256];   /* data directory */
    char log[300];
    int port;
} pt_server;

/* A temporary directory the postgres user can use ("" on failure). */
void pt_tempdir(char *out, size_t size, const char *tag);
void pt_rmtree(const char *dir);

/* A server of its own under base (scripts/pg_pair.sh start-primary: initdb with trust
   authentication, fsync off, replication settings), started; 0 or -1. */
int pt_server_start_primary(pt_server *s, const char *base);
int pt_server_start(pt_server *s);
int pt_server_stop(pt_server *s, const char *mode);
int pt_server_restart(pt_server *s, const char *mode);
int pt_server_promote(pt_server *s);
/* "host=127.0.0.1 port=N user=postgres dbname=postgres" */
void pt_server_conninfo(const pt_server *s, char *out, size_t size);

/* A libpq connection to server s; NULL (message on stderr) on failure. */
PGconn *pt_server_connect(const pt_server *s);
/* Runs sql on server s (a connection of its own); the first value, or NULL. */
char *pt_server_value(const pt_server *s, const char *sql);
/* Runs a statement on server s; true when it succeeded (else message on stderr). */
bool pt_server_exec(const pt_server *s, const char *sql);
/* Polls sql on s every 20 ms until it gives expected; false after ms. */
bool pt_server_wait_for(const pt_server *s, const char *sql, const char *expected, int ms);
/* Whether the standby replays, within ms, everything the primary had written when this
   was called (a synchronous commit only waits for the standby's flush, not its replay);
   on failure, what went wrong in why. */
bool pt_server_wait_replay(const pt_server *primary, const pt_server *standby, int ms,
                           char *why, size_t size);

/* A primary and a streaming standby (scripts/pg_pair.sh start: pg_basebackup -R) under a
   new temporary directory (base, "" on failure), the schema migrated on the primary; with
   synchronous replication (synchronous_standby_names = '*') when synchronous. 0 or -1. */
int pt_pair_start(pt_server *primary, pt_server *standby, char *base, size_t size,
                  const char *tag, bool synchronous);

/* Runs a shell command (as the postgres user when running as root); 0 on success. */
int pt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
