#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn/conn_internal.h"
#include "pool_support.h"

#define PGBIN "/usr/lib/postgresql/15/bin"

PGconn *pt_pg(cerd_conn *conn)
{
    return conn->pg;
}

char *pt_value(PGconn *pg, const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    char *v = NULL;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        v = strdup(PQgetvalue(res, 0, 0));
    else if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fprintf(stderr, "pt_value: %s: %s", sql, PQerrorMessage(pg));
    PQclear(res);
    return v;
}

char *pt_conn_value(cerd_conn *conn, const char *sql)
{
    return pt_value(conn->pg, sql);
}

int pt_count_backends(PGconn *pg, const char *app, const int *skip, int nskip)
{
    const char *values[1] = {app};
    PGresult *res = PQexecParams(pg, "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
                                     " AND pid <> pg_backend_pid()",
                                 1, NULL, values, NULL, NULL, 0);
    int n = 0;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pt_count_backends: %s", PQerrorMessage(pg));
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        int pid = atoi(PQgetvalue(res, i, 0)), skipped = 0;
        for (int k = 0; k < nskip; k++)
            skipped |= skip[k] == pid;
        n += !skipped;
    }
    PQclear(res);
    return n;
}

cerd_pool_options pt_pool_options(char *buf, size_t size, const char *conninfo,
                                  const char *app, unsigned min, unsigned max)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    snprintf(buf, size, "%s application_name='%s'", conninfo, app);
    o.conninfo = buf;
    o.min_size = min;
    o.max_size = max;
    return o;
}

int64_t pt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pt_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int pt_sh(const char *fmt, ...)
{
    char cmd[4096], full[4400];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    /* PostgreSQL refuses to run as root: its tools run as postgres then. */
    if (geteuid() == 0)
        snprintf(full, sizeof full, "cd /tmp && runuser -u postgres -- sh -c '%s'", cmd);
    else
        snprintf(full, sizeof full, "cd /tmp && sh -c '%s'", cmd);
    rc = system(full);
    if (rc != 0)
        fprintf(stderr, "pt_sh: failed (%d): %s\n", rc, cmd);
    return rc;
}

void pt_tempdir(char *out, size_t size, const char *tag)
{
    snprintf(out, size, "/tmp/cerd_%s_XXXXXX", tag);
    if (!mkdtemp(out)) {
        out[0] = '\0';
        return;
    }
    if (geteuid() == 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "chown postgres:postgres %s", out);
        if (system(cmd) != 0)
            out[0] = '\0';
    }
}

void pt_rmtree(const char *dir)
{
    char cmd[512];
    if (!dir[0] || strncmp(dir, "/tmp/cerd_", 10) != 0)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "pt_rmtree: could not remove %s\n", dir);
}

/* Runs scripts/pg_pair.sh (the one setup of the tests' own servers, which the bindings'
   tests use too) with mode "start" (a primary and a streaming standby) or
   "start-primary", under base/pg; the servers' directories and ports from what it prints. */
static int servers_start(const char *mode, const char *base, pt_server *primary,
                         pt_server *standby)
{
    char cmd[1024], line[128];
    int found = 0;
    FILE *out;

    snprintf(cmd, sizeof cmd, "'%s/scripts/pg_pair.sh' %s '%s/pg'", CERD_SOURCE_DIR, mode,
             base);
    if (!(out = popen(cmd, "r"))) /* its failures are told on stderr */
        return -1;
    while (fgets(line, sizeof line, out)) {
        if (sscanf(line, "PRIMARY_PORT=%d", &primary->port) == 1)
            found |= 1;
        else if (standby && sscanf(line, "STANDBY_PORT=%d", &standby->port) == 1)
            found |= 2;
    }
    if (pclose(out) != 0 || found != (standby ? 3 : 1))
        return -1;
    snprintf(primary->dir, sizeof primary->dir, "%s/pg/primary", base);
    snprintf(primary->log, sizeof primary->log, "%s/pg/primary.log", base);
    if (standby) {
        snprintf(standby->dir, sizeof standby->dir, "%s/pg/standby", base);
        snprintf(standby->log, sizeof standby->log, "%s/pg/standby.log", base);
    }
    return 0;
}

int pt_server_start_primary(pt_server *s, const char *base)
{
    return servers_start("start-primary", base, s, NULL);
}

int pt_server_start(pt_server *s)
{
    return pt_sh(PGBIN "/pg_ctl -D %s -l %s -w -t 60 start >/dev/null", s->dir, s->log) ? -1 : 0;
}

int pt_server_stop(pt_server *s, const char *mode)
{
    return pt_sh(PGBIN "/pg_ctl -D %s -m %s -w -t 60 stop >/dev/null", s->dir, mode) ? -1 : 0;
}

int pt_server_restart(pt_server *s, const char *mode)
{
    return pt_sh(PGBIN "/pg_ctl -D %s -l %s -m %s -w -t 60 restart >/dev/null", s->dir, s->log,
                 mode) ? -1 : 0;
}

int pt_server_promote(pt_server *s)
{
    return pt_sh(PGBIN "/pg_ctl -D %s -w -t 60 promote >/dev/null", s->dir) ? -1 : 0;
}

void pt_server_conninfo(const pt_server *s, char *out, size_t size)
{
    snprintf(out, size, "host=127.0.0.1 port=%d user=postgres dbname=postgres", s->port);
}

PGconn *pt_server_connect(const pt_server *s)
{
    char ci[256];
    PGconn *pg;
    pt_server_conninfo(s, ci, sizeof ci);
    pg = PQconnectdb(ci);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "connect to port %d: %s", s->port, PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

char *pt_server_value(const pt_server *s, const char *sql)
{
    PGconn *pg = pt_server_connect(s);
    char *v = pg ? pt_value(pg, sql) : NULL;
    PQfinish(pg);
    return v;
}

bool pt_server_exec(const pt_server *s, const char *sql)
{
    PGconn *pg = pt_server_connect(s);
    PGresult *res = pg ? PQexec(pg, sql) : NULL;
    bool ok = res && (PQresultStatus(res) == PGRES_COMMAND_OK
                      || PQresultStatus(res) == PGRES_TUPLES_OK);
    if (!ok)
        fprintf(stderr, "%s: %s", sql, pg ? PQerrorMessage(pg) : "no connection\n");
    PQclear(res);
    PQfinish(pg);
    return ok;
}

bool pt_server_wait_for(const pt_server *s, const char *sql, const char *expected, int ms)
{
    for (int64_t t0 = pt_now_ms(); pt_now_ms() - t0 < ms; pt_sleep_ms(20)) {
        char *v = pt_server_value(s, sql);
        bool ok = v && !strcmp(v, expected);
        free(v);
        if (ok)
            return true;
    }
    return false;
}

bool pt_server_wait_replay(const pt_server *primary, const pt_server *standby, int ms,
                           char *why, size_t size)
{
    char *v = pt_server_value(primary, "SELECT pg_current_wal_lsn()");
    char lsn[64], sql[160];

    if (!v) {
        snprintf(why, size, "could not read the primary's pg_current_wal_lsn()");
        return false;
    }
    snprintf(lsn, sizeof lsn, "%s", v);
    free(v);
    snprintf(sql, sizeof sql, "SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn", lsn);
    if (pt_server_wait_for(standby, sql, "t", ms))
        return true;
    v = pt_server_value(standby, "SELECT pg_last_wal_replay_lsn()");
    snprintf(why, size, "the standby did not replay the primary's WAL up to %s within %d ms "
             "(replayed up to %s)", lsn, ms, v ? v : "?");
    free(v);
    return false;
}

int pt_pair_start(pt_server *primary, pt_server *standby, char *base, size_t size,
                  const char *tag, bool synchronous)
{
    cerd_conn *conn = NULL;
    char ci[256];
    int rc;

    pt_tempdir(base, size, tag);
    if (!base[0] || servers_start("start", base, primary, standby))
        return -1;
    /* acknowledged commits are on the standby too */
    if (synchronous && (!pt_server_exec(primary, "ALTER SYSTEM SET synchronous_standby_names = '*'")
                        || !pt_server_exec(primary, "SELECT pg_reload_conf()")))
        return -1;
    pt_server_conninfo(primary, ci, sizeof ci);
    if (cerd_conn_open(&conn, ci))
        return -1;
    rc = cerd_migrate(NULL, conn);
    cerd_conn_free(conn);
    return rc ? -1 : 0;
}
