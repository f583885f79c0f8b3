/* Isolation for test suites: a migrated template database cloned per test
   (CREATE DATABASE ... TEMPLATE ...), and transactions rolled back per test. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "cryptoerd/fixtures.h"
#include "cryptoerd/migrate.h"
#include "conn/conn_internal.h"
#include "features/fixture_internal.h"
#include "util/error_internal.h"

struct cerd_template {
    char name[64];
    char *admin;     /* conninfo of the server's maintenance database */
    char *conninfo;  /* conninfo of the template */
};

struct cerd_testdb {
    char name[96];
    char *admin;
    char *conninfo;
};

static atomic_uint counter;

/* conninfo with dbname replaced (NULL dbname: unchanged), as key='value' pairs. */
static char *with_dbname(const char *conninfo, const char *dbname)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &err);
    size_t cap = 256, len = 0;
    char *out;

    if (!opts) {
        cerd__error(CERD_ECONNECT, "template: bad connection string: %s", err ? err : "?");
        PQfreemem(err);
        return NULL;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val)
            cap += strlen(o->keyword) + 2 * strlen(o->val) + 5;
    cap += dbname ? 2 * strlen(dbname) + 16 : 0;
    out = malloc(cap);
    if (!out) {
        PQconninfoFree(opts);
        cerd__error(CERD_ENOMEM, "template: out of memory");
        return NULL;
    }
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        const char *v = o->val;
        if (dbname && !strcmp(o->keyword, "dbname"))
            continue;
        if (!v)
            continue;
        len += (size_t)sprintf(out + len, "%s='", o->keyword);
        for (; *v; v++) {
            if (*v == '\'' || *v == '\\')
                out[len++] = '\\';
            out[len++] = *v;
        }
        out[len++] = '\'';
        out[len++] = ' ';
        out[len] = '\0';
    }
    if (dbname)
        sprintf(out + len, "dbname='%s'", dbname);
    PQconninfoFree(opts);
    return out;
}

static bool plain_name(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max || (s[0] >= '0' && s[0] <= '9'))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* Notices of the admin session (DROP DATABASE IF EXISTS ... skipping) are not printed:
   the library never prints. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Runs one statement on the admin database, retrying while the template is in use. */
static int admin_exec(const char *admin, const char *sql, const char *what)
{
    for (int attempt = 0;; attempt++) {
        PGconn *pg = PQconnectdb(admin);
        PGresult *res;
        int rc = 0;
        if (PQstatus(pg) != CONNECTION_OK) {
            rc = cerd__error(CERD_ECONNECT, "%s: %s", what, PQerrorMessage(pg));
            PQfinish(pg);
            return rc;
        }
        PQsetNoticeProcessor(pg, quiet, NULL);
        res = PQexec(pg, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            bool busy = st && !strcmp(st, "55006");
            rc = cerd__error_from_pg(pg, res, what);
            if (busy && attempt < 50) {
                PQclear(res);
                PQfinish(pg);
                struct timespec ts = {0, (long)(20 + attempt * 10) * 1000000L};
                nanosleep(&ts, NULL);
                continue;
            }
        }
        PQclear(res);
        PQfinish(pg);
        return rc;
    }
}

int cerd_template_create(cerd_template **out, const char *conninfo, const char *name,
                         const cerd_template_options *opts)
{
    cerd_template_options o = CERD_TEMPLATE_OPTIONS_INIT;
    cerd_template *tpl;
    cerd_conn *conn = NULL;
    char sql[160];
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "cerd_template_create: out is NULL");
    *out = NULL;
    if (opts)
        o = *opts;
    if (o.version != 1)
        return cerd__error(CERD_EMISUSE, "cerd_template_create: options version %u", o.version);
    if (name && !plain_name(name, 40))
        return cerd__error(CERD_EMISUSE,
                           "template name \"%s\": use lowercase letters, digits and "
                           "underscores, at most 40 bytes", name);
    tpl = calloc(1, sizeof *tpl);
    if (!tpl)
        return cerd__error(CERD_ENOMEM, "template: out of memory");
    if (name)
        snprintf(tpl->name, sizeof tpl->name, "%s", name);
    else
        snprintf(tpl->name, sizeof tpl->name, "cerd_tpl_%ld_%u", (long)getpid(),
                 atomic_fetch_add(&counter, 1));
    tpl->admin = with_dbname(conninfo, NULL);
    tpl->conninfo = tpl->admin ? with_dbname(conninfo, tpl->name) : NULL;
    if (!tpl->conninfo) {
        /* with_dbname() recorded why; name the template before it is released */
        char failed[sizeof tpl->name];
        snprintf(failed, sizeof failed, "%s", tpl->name);
        cerd_template_free(tpl);
        return cerd__error_prefix("%s", failed);
    }
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", tpl->name);
    rc = admin_exec(tpl->admin, sql, "template: drop");
    if (!rc) {
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", tpl->name);
        rc = admin_exec(tpl->admin, sql, "template: create");
    }
    if (rc) {
        cerd_template_free(tpl);
        return rc;
    }
    rc = cerd_conn_open(&conn, tpl->conninfo);
    if (!rc)
        rc = cerd_migrate(NULL, conn);
    if (!rc && o.fixture)
        rc = cerd_fixture_load(NULL, conn, o.fixture, o.load);
    if (!rc && o.seed)
        rc = cerd_seed(NULL, conn, o.seed);
    cerd_conn_free(conn);
    if (rc) {
        const cerd_error *e = cerd_error_last();
        char msg[1024];
        int code = rc;
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "");
        cerd_template_drop(tpl);
        return cerd__error(code, "template: %s", msg);
    }
    *out = tpl;
    return 0;
}

const char *cerd_template_name(const cerd_template *tpl)
{
    return tpl ? tpl->name : NULL;
}

void cerd_template_free(cerd_template *tpl)
{
    if (!tpl)
        return;
    free(tpl->admin);
    free(tpl->conninfo);
    free(tpl);
}

int cerd_template_drop(cerd_template *tpl)
{
    char sql[160];
    int rc;

    if (!tpl)
        return 0;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", tpl->name);
    rc = admin_exec(tpl->admin, sql, "template: drop");
    cerd_template_free(tpl);
    return rc;
}

int cerd_testdb_clone(cerd_testdb **out, const cerd_template *tpl)
{
    cerd_testdb *db;
    char sql[256];
    int rc;

    if (!out || !tpl)
        return cerd__error(CERD_EMISUSE, "cerd_testdb_clone: NULL argument");
    *out = NULL;
    db = calloc(1, sizeof *db);
    if (!db)
        return cerd__error(CERD_ENOMEM, "testdb: out of memory");
    snprintf(db->name, sizeof db->name, "%s_%ld_%u", tpl->name, (long)getpid(),
             atomic_fetch_add(&counter, 1));
    db->admin = strdup(tpl->admin);
    db->conninfo = db->admin ? with_dbname(tpl->admin, db->name) : NULL;
    if (!db->conninfo) {
        cerd_testdb_drop(db);
        return cerd__error(CERD_ENOMEM, "testdb: out of memory");
    }
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", db->name, tpl->name);
    rc = admin_exec(db->admin, sql, "testdb: clone");
    if (rc) {
        free(db->admin);
        free(db->conninfo);
        free(db);
        return rc;
    }
    *out = db;
    return 0;
}

const char *cerd_testdb_conninfo(const cerd_testdb *db)
{
    return db ? db->conninfo : NULL;
}

const char *cerd_testdb_name(const cerd_testdb *db)
{
    return db ? db->name : NULL;
}

int cerd_testdb_drop(cerd_testdb *db)
{
    char sql[200];
    int rc = 0;

    if (!db)
        return 0;
    if (db->admin) {
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
        rc = admin_exec(db->admin, sql, "testdb: drop");
    }
    free(db->admin);
    free(db->conninfo);
    free(db);
    return rc;
}

/* ------------------------------------------------------------------ scopes */

int cerd_txn_scope_begin(cerd_txn_scope *out, cerd_conn *conn)
{
    char name[32];
    int rc;
    PGTransactionStatusType st;

    if (!out || !conn)
        return cerd__error(CERD_EMISUSE, "cerd_txn_scope_begin: NULL argument");
    memset(out, 0, sizeof *out);
    st = PQtransactionStatus(conn->pg);
    if (st == PQTRANS_IDLE) {
        if ((rc = cerd_conn_begin(conn)))
            return rc;
        out->depth = 0;
    } else {
        /* Depth from the savepoints of scopes open on this connection: counted through a
           session variable so that independent scopes nest without sharing state. */
        cJSON *res = NULL;
        const char *p[1] = {NULL};
        int d = 1;
        rc = cerd_conn_query_json(&res, conn,
                                  "SELECT coalesce(nullif(current_setting('cerd.scope_depth', "
                                  "true), ''), '0')::int + 1 AS d", 0, p);
        if (rc)
            return rc;
        {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0), "d");
            if (cJSON_IsNumber(e))
                d = e->valueint;
        }
        cJSON_Delete(res);
        snprintf(name, sizeof name, "cerd_scope_%d", d);
        if ((rc = cerd_conn_savepoint(conn, name)))
            return rc;
        out->depth = (unsigned)d;
    }
    {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT set_config('cerd.scope_depth', '%u', true)",
                 out->depth);
        if ((rc = cerd__exec(conn, sql, "scope", NULL))) {
            if (out->depth == 0)
                cerd_conn_rollback(conn);
            return rc;
        }
    }
    out->conn = conn;
    out->active = true;
    return 0;
}

int cerd_txn_scope_rollback(cerd_txn_scope *scope)
{
    char name[32];
    int rc;

    if (!scope || !scope->active)
        return 0;
    scope->active = false;
    if (scope->depth == 0)
        return cerd_conn_rollback(scope->conn);
    snprintf(name, sizeof name, "cerd_scope_%u", scope->depth);
    rc = cerd_conn_rollback_to(scope->conn, name);
    if (!rc)
        rc = cerd_conn_release(scope->conn, name);
    return rc;
}
