/* The citus label's setup: on the Citus coordinator named by CRYPTOERD_TEST_DSN, a fresh
   schema migrated by the library and distributed (schema/citus/distribute.sql), ready for
   the suites that run on it with CRYPTOERD_TEST_REUSE_DB=1 (tests/citus/run_suite.sh).
   Exit 77 (ctest: skipped) when no server is named or it has no citus extension. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include <cryptoerd/cryptoerd.h>

#define SKIPPED 77

static int fail(const char *what)
{
    const cerd_error *e = cerd_error_last();
    fprintf(stderr, "citus_prepare: %s: %s (%s)\n", what, e->message, cerd_error_name(e->code));
    return 1;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1)) && fread(buf, 1, (size_t)size, f) == (size_t)size)
        buf[size] = '\0';
    else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* Drops what the migrations created in public. DROP SCHEMA ... CASCADE does not work on
   a coordinator that holds shards (it cascades into the shard tables), and one
   transaction dropping every distributed table runs out of lock slots: one DROP per
   transaction, distributed tables first, then the rest, then the functions. */
static int reset(cerd_conn *conn)
{
    static const char *const lists[] = {
        "SELECT p.logicalrelid::regclass::text AS t FROM pg_dist_partition p"
        " JOIN pg_class c ON c.oid = p.logicalrelid"
        " WHERE c.relnamespace = 'public'::regnamespace AND NOT c.relispartition",
        "SELECT format('%I', tablename) AS t FROM pg_tables WHERE schemaname = 'public'",
    };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        cJSON *rows = NULL, *row;
        if (cerd_conn_query_json(&rows, conn, lists[l], 0, NULL))
            return -1;
        cJSON_ArrayForEach(row, rows) {
            char sql[512];
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(row, "t");
            snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s CASCADE", t->valuestring);
            if (cerd_conn_exec(conn, sql)) {
                cJSON_Delete(rows);
                return -1;
            }
        }
        cJSON_Delete(rows);
    }
    return cerd_conn_exec(conn,
                          "DO $$DECLARE f regprocedure; BEGIN"
                          " FOR f IN SELECT oid::regprocedure FROM pg_proc"
                          "  WHERE pronamespace = 'public'::regnamespace"
                          " LOOP EXECUTE 'DROP FUNCTION IF EXISTS ' || f || ' CASCADE'; END LOOP;"
                          " END$$");
}

int main(void)
{
    const char *dsn = getenv("CRYPTOERD_TEST_DSN");
    cerd_conn *conn = NULL;
    cJSON *rows = NULL;
    char *sql;
    int rc = 0;

    if (!dsn || !*dsn) {
        fprintf(stderr, "citus_prepare: CRYPTOERD_TEST_DSN names no Citus coordinator: skipped\n");
        return SKIPPED;
    }
    if (cerd_conn_open(&conn, dsn))
        return fail("connect");
    if (cerd_conn_query_json(&rows, conn,
                             "SELECT extversion FROM pg_extension WHERE extname = 'citus'", 0,
                             NULL))
        return fail("extension check");
    if (cJSON_GetArraySize(rows) == 0) {
        fprintf(stderr, "citus_prepare: the citus extension is not installed there: skipped\n");
        cJSON_Delete(rows);
        cerd_conn_free(conn);
        return SKIPPED;
    }
    cJSON_Delete(rows);
    /* A suite that was stopped may leave distributed transactions behind for a while
       (deadlock, a relation dropped under the listing): try again a few times. */
    for (int attempt = 1; (rc = reset(conn)) != 0; attempt++) {
        if (attempt == 5)
            return fail("reset");
        fprintf(stderr, "citus_prepare: reset failed (%s), again\n", cerd_error_last()->message);
        sleep(5);
    }
    if (cerd_migrate(NULL, conn))
        return fail("migrate");
    sql = read_file(CERD_SOURCE_DIR "/schema/citus/distribute.sql");
    if (!sql) {
        fprintf(stderr, "citus_prepare: cannot read schema/citus/distribute.sql\n");
        return 1;
    }
    rc = cerd_conn_exec(conn, sql);
    free(sql);
    if (rc)
        return fail("distribute");
    cerd_conn_free(conn);
    printf("citus_prepare: migrated and distributed\n");
    return 0;
}
