#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testdb.h"

static const char *admin_dsn(void)
{
    const char *dsn = getenv("CRYPTOERD_TEST_DSN");
    return dsn ? dsn : "";
}

/* The admin DSN with dbname replaced, as a key='value' string (works for URIs too). */
static int build_conninfo(char *out, size_t size, const char *dbname)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(admin_dsn(), &err);
    size_t used = 0;

    if (!opts) {
        fprintf(stderr, "testdb: bad CRYPTOERD_TEST_DSN: %s\n", err ? err : "?");
        PQfreemem(err);
        return -1;
    }
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !strcmp(o->keyword, "dbname"))
            continue;
        used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%s='", o->keyword);
        for (const char *c = o->val; *c; c++) {
            if (*c == '\'' || *c == '\\')
                used += (size_t)snprintf(out + used, used < size ? size - used : 0, "\\");
            used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%c", *c);
        }
        used += (size_t)snprintf(out + used, used < size ? size - used : 0, "' ");
    }
    used += (size_t)snprintf(out + used, used < size ? size - used : 0, "dbname='%s'", dbname);
    PQconninfoFree(opts);
    return used < size ? 0 : -1;
}

static PGconn *connect_to(const char *dbname)
{
    char conninfo[2048];
    PGconn *pg;

    if (build_conninfo(conninfo, sizeof conninfo, dbname))
        return NULL;
    pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "testdb: connect to %s: %s", dbname, PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    PQclear(PQexec(pg, "SET TimeZone = 'UTC'"));
    return pg;
}

static int admin_exec(const char *sql)
{
    PGconn *pg = connect_to("postgres");
    PGresult *res;
    int ok;

    if (!pg)
        return -1;
    res = PQexec(pg, sql);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "testdb: %s: %s", sql, PQerrorMessage(pg));
    PQclear(res);
    PQfinish(pg);
    return ok ? 0 : -1;
}

/* CRYPTOERD_TEST_REUSE_DB=1: the tests use the database of CRYPTOERD_TEST_DSN as it is,
   migrated (and distributed, on Citus) beforehand, instead of a database of their own:
   its rows are removed (the reserved system user 0 of schema/011 stays) and it is never
   dropped. CRYPTOERD_TEST_REUSE_DB=fresh: the caller has just made it (tests/citus), so
   there is nothing to remove (on Citus emptying every shard takes minutes). On a Citus coordinator a new database would need the extension and the
   worker nodes registered in it, so the citus label (tests/citus/run.sh) works this way. */
static bool reuse_db(void)
{
    const char *v = getenv("CRYPTOERD_TEST_REUSE_DB");
    return v && *v && strcmp(v, "0") != 0;
}

static int empty_reused_db(const testdb *db)
{
    /* One transaction; on Citus a TRUNCATE of reference tables after distributed ones in
       one transaction must run sequentially (a placeholder setting elsewhere). */
    static const char sql[] =
        "BEGIN; SET LOCAL citus.multi_shard_modify_mode TO 'sequential';"
        "DO $$DECLARE t text; BEGIN"
        " FOR t IN SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
        "  WHERE schemaname = 'public' AND tablename NOT IN ('users', 'cerd_schema_migrations')"
        "  AND tablename NOT LIKE '%\\_y____m__' AND tablename NOT LIKE '%\\_default'"
        " LOOP EXECUTE 'TRUNCATE ' || t || ' CASCADE'; END LOOP;"
        " IF to_regclass('public.users') IS NOT NULL THEN"
        "  DELETE FROM users WHERE id <> 0; END IF; END$$; COMMIT";
    PGconn *pg = connect_to(db->name);
    PGresult *res;
    int ok;

    if (!pg)
        return -1;
    res = PQexec(pg, sql);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "testdb: emptying %s: %s", db->name, PQerrorMessage(pg));
    PQclear(res);
    PQfinish(pg);
    return ok ? 0 : -1;
}

int testdb_via_pgbouncer(void)
{
    const char *via = getenv("CRYPTOERD_TEST_VIA");
    return via && !strcmp(via, "pgbouncer");
}

int testdb_create(testdb *db, const char *tag)
{
    char sql[256];

    if (reuse_db()) {
        PQconninfoOption *opts = PQconninfoParse(admin_dsn(), NULL);
        const char *name = NULL;
        for (PQconninfoOption *o = opts; o && o->keyword; o++)
            if (!strcmp(o->keyword, "dbname") && o->val)
                name = o->val;
        snprintf(db->name, sizeof db->name, "%s", name ? name : "");
        PQconninfoFree(opts);
        if (!db->name[0] ||
            build_conninfo(db->direct_conninfo, sizeof db->direct_conninfo, db->name)) {
            fprintf(stderr, "testdb: CRYPTOERD_TEST_REUSE_DB needs a dbname in CRYPTOERD_TEST_DSN\n");
            return -1;
        }
        snprintf(db->conninfo, sizeof db->conninfo, "%s", db->direct_conninfo);
        db->via_pooler = 0;
        return strcmp(getenv("CRYPTOERD_TEST_REUSE_DB"), "fresh") == 0 ? 0
                                                                       : empty_reused_db(db);
    }
    snprintf(db->name, sizeof db->name, "cerd_t_%s_%ld", tag, (long)getpid());
    if (build_conninfo(db->direct_conninfo, sizeof db->direct_conninfo, db->name))
        return -1;
    snprintf(db->conninfo, sizeof db->conninfo, "%s", db->direct_conninfo);
    db->via_pooler = 0;
    if (testdb_via_pgbouncer()) {
        const char *bouncer = getenv("CRYPTOERD_TEST_PGBOUNCER");
        size_t n = strlen(db->conninfo);
        if (!bouncer || !*bouncer) {
            fprintf(stderr, "testdb: CRYPTOERD_TEST_VIA=pgbouncer but no "
                            "CRYPTOERD_TEST_PGBOUNCER (scripts/lib/pgbouncer.sh): skipped\n");
            exit(77);
        }
        /* later keywords of a conninfo string override earlier ones */
        if ((size_t)snprintf(db->conninfo + n, sizeof db->conninfo - n, " %s", bouncer)
            >= sizeof db->conninfo - n)
            return -1;
        db->via_pooler = 1;
    }
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    if (admin_exec(sql))
        return -1;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", db->name);
    return admin_exec(sql);
}

void testdb_drop(testdb *db)
{
    char sql[256];
    if (!db->name[0] || reuse_db())
        return;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    admin_exec(sql);
    db->name[0] = '\0';
}

PGconn *testdb_connect(const testdb *db)
{
    return connect_to(db->name);
}

PGresult *testdb_ok(PGconn *pg, const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        print_error("SQL failed: %s\n  %s", sql, PQerrorMessage(pg));
        PQclear(res);
        fail();
    }
    return res;
}

char *testdb_scalar(PGconn *pg, const char *sql)
{
    PGresult *res = testdb_ok(pg, sql);
    char *value = NULL;
    if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        value = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return value;
}

char *testdb_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[size] = '\0';
    fclose(f);
    return buf;
}
