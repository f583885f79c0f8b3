/* The keys and owners of 011_scale_out through the typed API: a child row whose user_id
   differs from its parent's is refused by the composite foreign key, and listed only
   under its own owner; default watchlists belong to the system user 0; audit rows carry
   the logical table name and the session's user id (no longer checked against users). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>
#include "check.h"
#include "testdb.h"

static testdb db;
static cerd_conn *conn;
static int64_t alice, bob, asset;

static int64_t insert_user(const char *email)
{
    cerd_users u = {0}, out = {0};
    int64_t id;
    u.email = (char *)email;
    u.password_hash = "x";
    CERD_ASSERT_OK(cerd_users_insert(&out, conn, &u));
    id = out.id;
    cerd_users_clear(&out);
    assert_true(id > 0);
    return id;
}

static int setup(void **state)
{
    cerd_assets a = {.symbol = "ZZBTC", .name = "Test Bitcoin", .asset_type = "crypto"};
    cerd_assets out = {0};
    (void)state;
    if (testdb_create(&db, "scale_out"))
        return -1;
    if (cerd_conn_open(&conn, db.conninfo) || cerd_migrate(NULL, conn))
        return -1;
    alice = insert_user("alice@example.com");
    bob = insert_user("bob@example.com");
    CERD_ASSERT_OK(cerd_assets_insert(&out, conn, &a));
    asset = out.id;
    cerd_assets_clear(&out);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

static int64_t insert_portfolio(int64_t user_id)
{
    cerd_portfolios p = {.user_id = user_id}, out = {0};
    CERD_ASSERT_OK(cerd_portfolios_insert(&out, conn, &p));
    assert_int_equal(out.user_id, user_id);
    assert_true(out.id > 0); /* numbered by portfolios_id_seq: 0 was absent */
    return out.id;
}

static cerd_portfolio_assets position(int64_t user_id, int64_t portfolio_id)
{
    cerd_portfolio_assets pa = {0};
    pa.user_id = user_id;
    pa.portfolio_id = portfolio_id;
    pa.asset_id = asset;
    pa.asset_type = "Crypto Asset";
    pa.quantity.valid = true;
    cerd_numeric_from_int64(&pa.quantity.value, 1);
    pa.trade_status = "open";
    pa.sort_order = 1;
    pa.is_active = true;
    pa.added_by = user_id;
    pa.last_modified_by = user_id;
    return pa;
}

static void test_scale_out__a_child_of_another_owner_is_refused(void **state)
{
    int64_t pf = insert_portfolio(alice);
    cerd_portfolio_assets pa = position(bob, pf), out = {0}, got = {0};
    cerd_portfolio_assets_rows rows = {0};
    (void)state;

    /* bob's position in alice's portfolio: (user_id, portfolio_id) = (bob, pf) is no
       portfolio */
    assert_int_equal(cerd_portfolio_assets_insert(NULL, conn, &pa), CERD_EFOREIGNKEY);
    assert_string_equal(cerd_error_last()->constraint, "portfolio_assets_portfolio_id_fkey");
    assert_string_equal(cerd_error_last()->table, "portfolio_assets");

    /* alice's own position is accepted, and found under (alice, pf) only */
    pa = position(alice, pf);
    CERD_ASSERT_OK(cerd_portfolio_assets_insert(&out, conn, &pa));
    assert_int_equal(out.user_id, alice);
    CERD_ASSERT_OK(cerd_portfolio_assets_list_by_portfolio_id(&rows, conn, alice, pf, NULL));
    assert_int_equal(rows.count, 1);
    assert_int_equal(rows.rows[0].id, out.id);
    cerd_portfolio_assets_list_free(&rows);
    CERD_ASSERT_OK(cerd_portfolio_assets_list_by_portfolio_id(&rows, conn, bob, pf, NULL));
    assert_int_equal(rows.count, 0);
    cerd_portfolio_assets_list_free(&rows);

    /* nor can the child move to another owner alone */
    out.user_id = bob;
    assert_int_equal(cerd_portfolio_assets_insert(NULL, conn, &out), CERD_EFOREIGNKEY);
    assert_string_equal(cerd_error_last()->constraint, "portfolio_assets_portfolio_id_fkey");

    /* the key is (id, user_id): the row is not found under another owner */
    assert_int_equal(cerd_portfolio_assets_get(&got, conn, out.id, bob), CERD_ENOTFOUND);
    CERD_ASSERT_OK(cerd_portfolio_assets_get(&got, conn, out.id, alice));
    assert_int_equal(got.portfolio_id, pf);
    cerd_portfolio_assets_clear(&got);
    cerd_portfolio_assets_clear(&out);
}

static void test_scale_out__default_watchlists_belong_to_the_system_user(void **state)
{
    cerd_watchlists w = {0}, out = {0};
    cerd_watchlist_assets wa = {0};
    cerd_users sys = {0};
    cerd_watchlists_rows rows = {0};
    cerd_page page = {.limit = 1000};
    int defaults = 0;
    (void)state;

    /* in a key, id 0 is the system user (not "let the server assign") */
    CERD_ASSERT_OK(cerd_users_get(&sys, conn, 0));
    assert_int_equal(sys.id, 0);
    assert_string_equal(sys.email, "system@cryptoerd.invalid");
    cerd_users_clear(&sys);

    w.name = "Top 10";
    w.watchlist_type = "default";
    w.user_id = 0;
    CERD_ASSERT_OK(cerd_watchlists_insert(&out, conn, &w));
    assert_int_equal(out.user_id, 0);

    /* a default watchlist owned by a person breaks chk_watchlists_owner, in the library
       and on the server */
    w.user_id = alice;
    assert_int_equal(cerd_watchlists_insert(NULL, conn, &w), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "chk_watchlists_owner");
    cerd_conn_set_validation(conn, false);
    assert_int_equal(cerd_watchlists_insert(NULL, conn, &w), CERD_ECHECK);
    assert_string_equal(cerd_error_last()->constraint, "chk_watchlists_owner");
    cerd_conn_set_validation(conn, true);

    /* its entries belong to the system user too */
    wa.watchlist_id = out.id;
    wa.user_id = alice;
    wa.asset_id = asset;
    wa.position_type = "long";
    wa.sort_order = 1;
    wa.is_active = true;
    wa.added_by = alice;
    wa.last_modified_by = alice;
    assert_int_equal(cerd_watchlist_assets_insert(NULL, conn, &wa), CERD_EFOREIGNKEY);
    assert_string_equal(cerd_error_last()->constraint, "watchlist_assets_watchlist_id_fkey");
    wa.user_id = 0;
    CERD_ASSERT_OK(cerd_watchlist_assets_insert(NULL, conn, &wa));

    /* every default watchlist of the database has the system user as owner */
    CERD_ASSERT_OK(cerd_watchlists_list(&rows, conn, &page));
    for (size_t i = 0; i < rows.count; i++)
        if (!strcmp(rows.rows[i].watchlist_type, "default")) {
            assert_int_equal(rows.rows[i].user_id, 0);
            defaults++;
        }
    assert_true(defaults >= 1);
    cerd_watchlists_list_free(&rows);
    cerd_watchlists_clear(&out);
}

/* Whether the database is a Citus coordinator (label citus: tests/citus/run_suite.sh). */
static bool on_citus(void)
{
    static int citus = -1;
    if (citus < 0) {
        PGconn *pg = testdb_connect(&db);
        char *v;
        assert_non_null(pg);
        v = testdb_scalar(pg, "SELECT to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL");
        citus = v && !strcmp(v, "t");
        free(v);
        PQfinish(pg);
    }
    return citus;
}

/* On Citus the audit row of a change is written on the node that holds the changed
   row's shard (per-node audit_log, docs/scale-out.md): the newest row of every node's
   audit_log, the newest of them read into out (id, old and new values, changed_by). */
static bool newest_audit_of_all_nodes(cerd_audit_log *out, const char *table_name,
                                      const char *operation)
{
    PGconn *pg = testdb_connect(&db);
    char sql[1024], *v;
    cJSON *row;
    const cJSON *f;

    assert_non_null(pg);
    snprintf(sql, sizeof sql,
             "SELECT result FROM run_command_on_all_nodes($c$SELECT row_to_json(a) FROM"
             " (SELECT id, old_values, new_values, changed_by, changed_at FROM audit_log"
             "  WHERE table_name = '%s' AND operation = '%s'"
             "  ORDER BY changed_at DESC, id DESC LIMIT 1) a$c$)"
             " WHERE success AND result <> ''"
             " ORDER BY (result::json->>'changed_at')::timestamptz DESC LIMIT 1",
             table_name, operation);
    v = testdb_scalar(pg, sql);
    PQfinish(pg);
    if (!v)
        return false;
    row = cJSON_Parse(v);
    free(v);
    assert_non_null(row);
    memset(out, 0, sizeof *out);
    out->id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(row, "id"));
    if ((f = cJSON_GetObjectItemCaseSensitive(row, "old_values")) && !cJSON_IsNull(f))
        out->old_values = cJSON_Duplicate(f, true);
    if ((f = cJSON_GetObjectItemCaseSensitive(row, "new_values")) && !cJSON_IsNull(f))
        out->new_values = cJSON_Duplicate(f, true);
    if ((f = cJSON_GetObjectItemCaseSensitive(row, "changed_by")) && cJSON_IsNumber(f))
        out->changed_by = CERD_SOME(cerd_opt_int64, (int64_t)cJSON_GetNumberValue(f));
    cJSON_Delete(row);
    return true;
}

/* The newest audit row of table_name (NULL when none), read into out. */
static bool newest_audit(cerd_audit_log *out, const char *table_name, const char *operation)
{
    cerd_audit_log_rows rows = {0};
    cerd_page page = {.limit = 50, .descending = true};
    bool found = false;
    if (on_citus())
        return newest_audit_of_all_nodes(out, table_name, operation);
    CERD_ASSERT_OK(cerd_audit_log_list(&rows, conn, &page));
    for (size_t i = 0; i < rows.count && !found; i++)
        if (!strcmp(rows.rows[i].table_name, table_name)
            && !strcmp(rows.rows[i].operation, operation)) {
            CERD_ASSERT_OK(cerd_audit_log_get(out, conn, rows.rows[i].id));
            found = true;
        }
    cerd_audit_log_list_free(&rows);
    return found;
}

static void test_scale_out__audit_rows_carry_the_logical_table_name(void **state)
{
    cerd_audit_log a = {0};
    cerd_portfolios p = {0};
    const cJSON *id;
    char sql[128];
    int64_t pf;
    (void)state;

    pf = insert_portfolio(bob);
    assert_true(newest_audit(&a, "portfolios", "INSERT"));
    id = cJSON_GetObjectItemCaseSensitive(a.new_values, "id");
    assert_non_null(id);
    assert_int_equal((int64_t)cJSON_GetNumberValue(id), pf);
    assert_false(a.changed_by.valid); /* no app.current_user_id in this session */
    cerd_audit_log_clear(&a);

    /* changed_by is what the transaction's SET LOCAL app.current_user_id claims, also an
       id no user has (audit_log_changed_by_fkey is gone) */
    CERD_ASSERT_OK(cerd_conn_begin(conn));
    snprintf(sql, sizeof sql, "SET LOCAL app.current_user_id = '%d'", 987654321);
    CERD_ASSERT_OK(cerd_conn_exec(conn, sql));
    CERD_ASSERT_OK(cerd_portfolios_get(&p, conn, pf, bob));
    p.is_public = CERD_SOME(cerd_opt_bool, true);
    CERD_ASSERT_OK(cerd_portfolios_update(NULL, conn, &p));
    CERD_ASSERT_OK(cerd_conn_commit(conn));
    assert_true(newest_audit(&a, "portfolios", "UPDATE"));
    assert_true(a.changed_by.valid);
    assert_int_equal(a.changed_by.value, 987654321);
    id = cJSON_GetObjectItemCaseSensitive(a.old_values, "id");
    assert_int_equal((int64_t)cJSON_GetNumberValue(id), pf);
    cerd_audit_log_clear(&a);
    cerd_portfolios_clear(&p);

    /* every audit trigger names its logical table as its argument (on a Citus shard
       TG_TABLE_NAME would be the shard's name) */
    {
        PGconn *pg = testdb_connect(&db);
        PGresult *r;
        assert_non_null(pg);
        int tables = 0;
        /* On Citus the coordinator also holds the shards of the reference tables (users):
           a shard's trigger names the shard's logical table (pg_dist_shard) too */
        r = testdb_ok(pg, on_citus()
                          ? "SELECT coalesce(s.logicalrelid::regclass::text,"
                            "                t.tgrelid::regclass::text), t.tgnargs,"
                            "       encode(t.tgargs, 'escape')"
                            "  FROM pg_trigger t LEFT JOIN pg_dist_shard s ON s.shardid ="
                            "       substring(t.tgrelid::regclass::text from '_([0-9]+)$')::bigint"
                            " WHERE t.tgfoid = 'audit_row_change'::regproc ORDER BY 1"
                          : "SELECT tgrelid::regclass::text, tgnargs,"
                            "       encode(tgargs, 'escape')"
                            "  FROM pg_trigger WHERE tgfoid = 'audit_row_change'::regproc"
                            " ORDER BY 1");
        for (int i = 0; i < PQntuples(r); i++)
            tables += i == 0 || strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, i - 1, 0));
        assert_int_equal(tables, 5);
        if (!on_citus())
            assert_int_equal(PQntuples(r), 5);
        for (int i = 0; i < PQntuples(r); i++) {
            char want[160];
            /* tgargs: each argument followed by a NUL byte (escaped: \000) */
            snprintf(want, sizeof want, "%s\\000", PQgetvalue(r, i, 0));
            assert_string_equal(PQgetvalue(r, i, 1), "1");
            assert_string_equal(PQgetvalue(r, i, 2), want);
        }
        PQclear(r);
        PQfinish(pg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_out__a_child_of_another_owner_is_refused),
        cmocka_unit_test(test_scale_out__default_watchlists_belong_to_the_system_user),
        cmocka_unit_test(test_scale_out__audit_rows_carry_the_logical_table_name),
    };
    return cmocka_run_group_tests_name("crud_scale_out", tests, setup, teardown);
}
