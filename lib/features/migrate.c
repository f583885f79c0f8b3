#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn/conn_internal.h"
#include "util/error_internal.h"
#include "features/migrate_internal.h"
#include "cryptoerd/migrate.h"

/* pg_advisory_lock key shared by every process migrating a database ("cerd"). */
#define MIGRATION_LOCK_KEY "1667593828"

static const char HISTORY_DDL[] =
    "CREATE TABLE IF NOT EXISTS cerd_schema_migrations ("
    " version text PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

size_t cerd_migration_count(void)
{
    return cerd__migration_count;
}

const char *cerd_migration_name(size_t index)
{
    static _Thread_local char name[128];
    if (index >= cerd__migration_count)
        return NULL;
    snprintf(name, sizeof name, "%s_%s", cerd__migrations[index].version,
             cerd__migrations[index].name);
    return name;
}

/* FNV-1a 64 of a migration's text: detects a file edited after it was applied. */
static void checksum(const cerd__migration *m, char out[17])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < m->length; i++) {
        h ^= (unsigned char)m->sql[i];
        h *= 0x100000001b3ULL;
    }
    snprintf(out, 17, "%016" PRIx64, h);
}

/* Line of a 1-based character position in sql (PostgreSQL reports positions in
   characters; the schema files are ASCII apart from comments, so count bytes of
   non-continuation UTF-8 units). */
static int line_of_position(const char *sql, long position)
{
    int line = 1;
    long chars = 0;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        if (++chars >= position)
            break;
        if (*p == '\n')
            line++;
    }
    return line;
}

static int apply_one(cerd_conn *conn, const cerd__migration *m)
{
    char what[160], sum[17];
    const char *params[3] = {m->version, m->name, sum};
    PGresult *res;
    int rc;

    checksum(m, sum);
    if ((rc = cerd__exec(conn, "BEGIN", "migrate", NULL)))
        return rc;
    res = cerd__pq_exec(conn, m->sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
        if (pos)
            snprintf(what, sizeof what, "migration schema/%s_%s.sql, line %d", m->version,
                     m->name, line_of_position(m->sql, strtol(pos, NULL, 10)));
        else
            snprintf(what, sizeof what, "migration schema/%s_%s.sql", m->version, m->name);
        rc = cerd__conn_error(conn, res, what);
        PQclear(res);
        PQclear(cerd__pq_exec(conn, "ROLLBACK"));
        return rc;
    }
    PQclear(res);
    res = cerd__pq_exec_params(conn,
                               "INSERT INTO cerd_schema_migrations (version, name, checksum)"
                               " VALUES ($1, $2, $3)",
                               3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = cerd__conn_error(conn, res, "migrate: recording the migration");
        PQclear(res);
        PQclear(cerd__pq_exec(conn, "ROLLBACK"));
        return rc;
    }
    PQclear(res);
    return cerd_conn_commit(conn);
}

/* Every recorded migration must be one of ours, unchanged; returns how many are. */
static int check_history(const PGresult *history)
{
    int rows = PQntuples(history);
    for (int r = 0; r < rows; r++) {
        const char *version = PQgetvalue(history, r, 0);
        const char *sum = PQgetvalue(history, r, 1);
        const cerd__migration *m = NULL;
        char expected[17];

        for (size_t i = 0; i < cerd__migration_count; i++)
            if (!strcmp(cerd__migrations[i].version, version))
                m = &cerd__migrations[i];
        if (!m)
            return cerd__error(CERD_EMIGRATION,
                               "migrate: the database records migration %s, which this "
                               "library (schema up to %s) does not have",
                               version, cerd__migrations[cerd__migration_count - 1].version);
        checksum(m, expected);
        if (strcmp(expected, sum))
            return cerd__error(CERD_EMIGRATION,
                               "migrate: schema/%s_%s.sql differs from the text applied to "
                               "this database (checksum %s, recorded %s)",
                               m->version, m->name, expected, sum);
    }
    return 0;
}

static int is_recorded(const PGresult *history, const char *version)
{
    for (int r = 0; r < PQntuples(history); r++)
        if (!strcmp(PQgetvalue(history, r, 0), version))
            return 1;
    return 0;
}

static int migrate_locked(cerd_conn *conn, int *applied)
{
    PGresult *history = NULL;
    int rc;

    if ((rc = cerd__exec(conn, HISTORY_DDL, "migrate: creating cerd_schema_migrations", NULL)))
        return rc;
    if ((rc = cerd__exec(conn, "SELECT version, checksum FROM cerd_schema_migrations",
                         "migrate: reading history", &history)))
        return rc;
    rc = check_history(history);
    for (size_t i = 0; !rc && i < cerd__migration_count; i++) {
        if (is_recorded(history, cerd__migrations[i].version))
            continue;
        rc = apply_one(conn, &cerd__migrations[i]);
        if (!rc)
            (*applied)++;
    }
    PQclear(history);
    return rc;
}

int cerd_migrate(int *applied, cerd_conn *conn)
{
    int count = 0, rc;

    if (applied)
        *applied = 0;
    if (!conn)
        return cerd__error(CERD_EMISUSE, "migrate: connection is NULL");
    if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "migrate: a transaction is open on this connection");
    if ((rc = cerd__exec(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")",
                         "migrate: taking the migration lock", NULL)))
        return rc;
    rc = migrate_locked(conn, &count);
    /* Unlock even after a failure; the session's lock also ends with the connection. */
    PQclear(cerd__pq_exec(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")"));
    if (applied)
        *applied = count;
    return rc;
}

static int state_cmp(const void *a, const void *b)
{
    return strcmp(((const cerd_migration_state *)a)->name, ((const cerd_migration_state *)b)->name);
}

int cerd_migration_status(cerd_migration_state **out, size_t *count, cerd_conn *conn)
{
    PGresult *res = NULL, *exists = NULL;
    cerd_migration_state *s;
    size_t n = cerd__migration_count;
    int rc, recorded = 0;

    if (!out || !count || !conn)
        return cerd__error(CERD_EMISUSE, "migration status: NULL argument");
    *out = NULL;
    *count = 0;
    if ((rc = cerd__exec(conn, "SELECT to_regclass('cerd_schema_migrations') IS NOT NULL",
                         "migration status", &exists)))
        return rc;
    if (PQgetvalue(exists, 0, 0)[0] == 't') {
        rc = cerd__exec(conn,
                        "SELECT version, checksum, to_char(applied_at AT TIME ZONE 'UTC',"
                        " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM cerd_schema_migrations"
                        " ORDER BY version",
                        "migration status: reading history", &res);
        recorded = rc ? 0 : PQntuples(res);
    }
    PQclear(exists);
    if (rc)
        return rc;
    if (!(s = calloc(n + (size_t)recorded + 1, sizeof *s))) {
        PQclear(res);
        return cerd__error(CERD_ENOMEM, "migration status");
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(s[i].name, sizeof s[i].name, "%s_%s", cerd__migrations[i].version,
                 cerd__migrations[i].name);
        s[i].embedded = true;
        checksum(&cerd__migrations[i], s[i].checksum);
    }
    for (int r = 0; r < recorded; r++) {
        const char *version = PQgetvalue(res, r, 0);
        cerd_migration_state *m = NULL;
        for (size_t i = 0; i < cerd__migration_count; i++)
            if (!strcmp(cerd__migrations[i].version, version))
                m = &s[i];
        if (!m) {
            m = &s[n++];
            snprintf(m->name, sizeof m->name, "%s", version);
        }
        m->applied = true;
        snprintf(m->recorded_checksum, sizeof m->recorded_checksum, "%s", PQgetvalue(res, r, 1));
        snprintf(m->applied_at, sizeof m->applied_at, "%s", PQgetvalue(res, r, 2));
    }
    PQclear(res);
    qsort(s, n, sizeof *s, state_cmp);
    *out = s;
    *count = n;
    return 0;
}

const char *cerd_distribute_sql(void)
{
    return cerd__distribute_sql;
}

int cerd_distribute(cerd_conn *conn)
{
    PGresult *res;
    int rc;

    if (!conn)
        return cerd__error(CERD_EMISUSE, "distribute: connection is NULL");
    if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "distribute: a transaction is open on this connection");
    if ((rc = cerd__exec(conn, "BEGIN", "distribute", NULL)))
        return rc;
    res = cerd__pq_exec(conn, cerd__distribute_sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = cerd__conn_error(conn, res, "distribute (schema/citus/distribute.sql)");
        PQclear(res);
        PQclear(cerd__pq_exec(conn, "ROLLBACK"));
        return rc;
    }
    PQclear(res);
    return cerd_conn_commit(conn);
}
