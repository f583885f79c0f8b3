/* The bulk paths on pooled connections acting for a user under row-level security:
   bulk upsert, batches, streams and COPY out see and write only the user's rows; a row of
   another user is refused whole (CERD_EPRIVILEGE); PostgreSQL refuses COPY FROM on a
   table with row-level security for a role subject to it, as documented in bulk.h. */
#include <unistd.h>

#include "bulk_support.h"

static char role[64], conninfo[2400];
static int64_t users[2];
static cerd_pool *pool;

static int setup(void **state)
{
    char sql[256];
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    (void)state;
    if (bulk_setup("bulk_rls"))
        return -1;
    snprintf(role, sizeof role, "cerd_bulk_rls_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", role);
    PQclear(testdb_ok(pg, sql));
    snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN PASSWORD 'rls-test' IN ROLE cryptoerd_app",
             role);
    PQclear(testdb_ok(pg, sql));
    snprintf(conninfo, sizeof conninfo, "%s user=%s password=rls-test", db.conninfo, role);
    for (int u = 0; u < 2; u++) {
        char *id;
        snprintf(sql, sizeof sql, "INSERT INTO users (email, password_hash) VALUES "
                 "('bulk%d@example.com', 'hash') RETURNING id", u);
        id = testdb_scalar(pg, sql);
        users[u] = atoll(id);
        free(id);
    }
    o.conninfo = conninfo;
    o.max_size = 2;
    return cerd_pool_new(&pool, &o) ? -1 : 0;
}

static int teardown(void **state)
{
    char sql[128];
    (void)state;
    cerd_pool_free(pool);
    bulk_teardown();
    if (role[0] && (pg = testdb_connect(&(testdb){.name = "postgres"}))) {
        snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", role);
        PQclear(PQexec(pg, sql));
        PQfinish(pg);
    }
    return 0;
}

/* n portfolios of user u with ids from first_id. */
static cerd_portfolios *portfolios(size_t n, int u, int64_t first_id)
{
    cerd_portfolios *rows = calloc(n, sizeof *rows);
    cerd_factory_parent parent = {.table = "users", .id = users[u]};
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++) {
        cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
        o.seed = 31000 + i;
        o.parents = &parent;
        o.nparents = 1;
        check(cerd_factory_make(&rows[i], &cerd_portfolios_table, &o), "factory");
        rows[i].id = first_id + (int64_t)i;
    }
    return rows;
}

static void free_portfolios(cerd_portfolios *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cerd_row_clear(&cerd_portfolios_table, &rows[i]);
    free(rows);
}

static long long portfolios_of(int u)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM portfolios WHERE user_id = %lld",
             (long long)users[u]);
    return scalar_ll(sql);
}

static void test_rls__bulk_paths_write_and_read_only_the_users_rows(void **state)
{
    const cerd_table *t = &cerd_portfolios_table;
    cerd_portfolios *mine = portfolios(20, 0, 8000000), row = {0};
    cerd_portfolios *more = portfolios(5, 0, 8000100);
    cerd_portfolios *theirs = portfolios(3, 1, 8000200);
    cerd_bulk_result res = {0};
    cerd_conn *c = NULL;
    cerd_batch *b = NULL;
    cerd_stream *s = NULL;
    cerd_copy_out *co = NULL;
    int n, rc;
    (void)state;

    /* the other user's rows exist (written by the superuser) */
    check(cerd_bulk_upsert(&res, conn, t, -1, theirs, 3, NULL), "theirs");

    check(cerd_pool_acquire_as(&c, pool, users[0]), "acquire_as");
    check(cerd_bulk_upsert(&res, c, t, -1, mine, 20, NULL), "bulk upsert as user");
    assert_int_equal(res.inserted, 20);
    check(cerd_batch_new(&b, NULL), "batch");
    for (int i = 0; i < 5; i++)
        check(cerd_batch_insert(b, t, &more[i]), "queue");
    check(cerd_batch_run(b, c), "batch as user");
    cerd_batch_free(b);

    n = 0; /* a stream sees the user's 25 rows only */
    check(cerd_stream_open(&s, c, t, NULL, 7), "stream");
    while ((rc = cerd_stream_next(s, &row)) == 1) {
        assert_int_equal(row.user_id, users[0]);
        n++;
    }
    check(rc < 0 ? rc : 0, "next");
    check(cerd_stream_close(s), "close");
    assert_int_equal(n, 25);
    n = 0; /* so does COPY out (COPY (SELECT ...) applies the policies) */
    check(cerd_copy_out_open(&co, c, t), "copy out");
    while ((rc = cerd_copy_out_next(co, &row)) == 1) {
        assert_int_equal(row.user_id, users[0]);
        n++;
    }
    check(rc < 0 ? rc : 0, "next");
    check(cerd_copy_out_close(co), "close");
    assert_int_equal(n, 25);

    /* another user's rows are refused whole; the transaction stays usable */
    for (int i = 0; i < 3; i++)
        theirs[i].id += 1000;
    assert_int_equal(cerd_bulk_upsert(&res, c, t, -1, theirs, 3, NULL), CERD_EPRIVILEGE);
    check(cerd_conn_commit(c), "commit");
    cerd_pool_release(pool, c);
    assert_int_equal(portfolios_of(0), 25);
    assert_int_equal(portfolios_of(1), 3);
    cerd_row_clear(t, &row);
    free_portfolios(mine, 20);
    free_portfolios(more, 5);
    free_portfolios(theirs, 3);
}

static void test_rls__copy_from_is_refused_by_postgresql_under_rls(void **state)
{
    cerd_portfolios *rows = portfolios(4, 0, 8000300);
    cerd_conn *c = NULL;
    cerd_copy *w = NULL;
    int rc;
    (void)state;
    check(cerd_pool_acquire_as(&c, pool, users[0]), "acquire_as");
    check(cerd_copy_begin(&w, c, &cerd_portfolios_table, NULL, NULL), "begin");
    rc = cerd_copy_put_rows(w, rows, 4);
    if (rc == 0)
        rc = cerd_copy_end(NULL, w);
    else
        cerd_copy_abort(w);
    assert_int_equal(rc, CERD_ESERVER);
    assert_string_equal(cerd_error_last()->sqlstate, "0A000");
    cerd_conn_rollback(c);
    cerd_pool_release(pool, c);
    assert_int_equal(portfolios_of(0), 25);
    free_portfolios(rows, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rls__bulk_paths_write_and_read_only_the_users_rows),
        cmocka_unit_test(test_rls__copy_from_is_refused_by_postgresql_under_rls),
    };
    return cmocka_run_group_tests_name("bulk_rls", tests, setup, teardown);
}
