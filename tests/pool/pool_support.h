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

/* initdb (trust authentication, fsync off) under base/name, configured for
   replication; 0 or -1. */
int pt_server_init(pt_server *s, const char *base, const char *name);
/* A streaming standby of primary under base/name (pg_basebackup -R); 0 or -1. */
int pt_server_clone_standby(pt_server *s, const pt_server *primary, const char *base,
                            const char *name);
int pt_server_start(pt_server *s);
int pt_server_stop(pt_server *s, const char *mode);
int pt_server_restart(pt_server *s, const char *mode);
int pt_server_promote(pt_server *s);
/* "host=127.0.0.1 port=N user=postgres dbname=postgres" */
void pt_server_conninfo(const pt_server *s, char *out, size_t size);

/* Runs a shell command (as the postgres user when running as root); 0 on success. */
int pt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
