/* Row factories against PostgreSQL: rows made with create_parents insert for every
   table (parents created through the connection, recursively), and rows sharing their
   parents across many seeds insert too (unique keys stay distinct); rows breaking a
   chosen constraint are refused by the server with exactly that constraint: 23514 and
   the CHECK's name, 23502, 22001, 22003. The server's verdict on broken rows is taken
   without the library's encoder or validation in the way: the row goes as JSON through
   jsonb_populate_record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include <cryptoerd/cryptoerd.h>

#include "check.h"
#include "ops/expr.h"
#include "testdb.h"
#include "rows.h"

static testdb db;
static cerd_conn *conn;
static PGconn *pg;

static int setup(void **state)
{
    int applied = 0;
    (void)state;
    if (testdb_create(&db, "factory"))
        return -1;
    if (cerd_conn_open(&conn, db.conninfo) || cerd_migrate(&applied, conn)) {
        fprintf(stderr, "factory: %s\n", cerd_error_last()->message);
        return -1;
    }
    if (!(pg = testdb_connect(&db)))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(pg);
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

static void check(int rc, const cerd_table *t, uint64_t seed, const char *what)
{
    if (rc) {
        const cerd_error *e = cerd_error_last();
        fail_msg("%s seed %llu: %s: %s (%s) sqlstate=%s constraint=%s", t->name,
                 (unsigned long long)seed, what, e->message, cerd_strerror(rc), e->sqlstate,
                 e->constraint);
    }
}

/* ---------------------------------------------------------------- valid rows */

static void test_factory_pg__rows_with_created_parents_insert_into_every_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t), *stored = new_row(t);
        for (uint64_t s = 0; s < 12; s++) {
            cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
            o.seed = s * 1000003u;
            o.create_parents = conn;
            check(cerd_factory_make(row, t, &o), t, o.seed, "make");
            check(cerd_row_insert(stored, conn, t, row), t, o.seed, "insert");
        }
        free_row(t, row);
        free_row(t, stored);
    }
}

/* A bigint field, plain or optional: false when NULL. */
static bool get_i64(const cerd_table *t, int col, const void *row, int64_t *v)
{
    const cerd_column *c = &t->columns[col];
    const char *f = (const char *)row + c->offset;
    if ((c->flags & CERD_COL_OPTIONAL) && !(c->flags & CERD_COL_IDENTITY)) {
        *v = ((const cerd_opt_int64 *)f)->value;
        return ((const cerd_opt_int64 *)f)->valid;
    }
    *v = *(const int64_t *)f;
    return true;
}

static void set_i64(const cerd_table *t, int col, void *row, int64_t v)
{
    const cerd_column *c = &t->columns[col];
    char *f = (char *)row + c->offset;
    if ((c->flags & CERD_COL_OPTIONAL) && !(c->flags & CERD_COL_IDENTITY)) {
        ((cerd_opt_int64 *)f)->value = v;
        ((cerd_opt_int64 *)f)->valid = true;
    } else {
        *(int64_t *)f = v;
    }
}

/* The foreign keys of row as parents, for rows that share them: the id of each
   one-column foreign key, and the parent row itself (read back) for a foreign key of
   several columns. Rows read are kept in prows (freed by free_parents). */
static size_t parents_of(const cerd_table *t, const void *row, cerd_factory_parent *out,
                         void **prows)
{
    size_t n = 0;
    for (int k = 0; k < t->nforeign; k++) {
        const cerd_foreign_key *fk = &t->foreign_keys[k];
        int64_t id;
        prows[n] = NULL;
        if (!get_i64(t, fk->columns[fk->ncolumns - 1], row, &id))
            continue;
        out[n].table = fk->ref_table;
        out[n].id = id;
        out[n].row = NULL;
        if (fk->ncolumns > 1) {
            /* the parent's key: its columns as the foreign key names them */
            const cerd_table *ref = cerd_table_find(fk->ref_table);
            void *key = new_row(ref), *prow = new_row(ref);
            for (int i = 0; i < fk->ncolumns; i++) {
                int64_t v = 0;
                assert_true(get_i64(t, fk->columns[i], row, &v));
                set_i64(ref, cerd_table_column(ref, fk->ref_columns[i]), key, v);
            }
            check(cerd_row_get(prow, conn, ref, -1, key, CERD_ROW_INCLUDE_DELETED), ref, 0,
                  "get parent");
            free_row(ref, key);
            out[n].row = prows[n] = prow;
        }
        n++;
    }
    return n;
}

static void free_parents(const cerd_factory_parent *parents, void **prows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (prows[i])
            free_row(cerd_table_find(parents[i].table), prows[i]);
}

static void test_factory_pg__many_rows_share_their_parents(void **state)
{
    enum { N = 150 };
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t), *stored = new_row(t);
        cerd_factory_parent parents[16];
        void *prows[16];
        size_t np;
        cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
        int64_t before = 0, after = 0;

        /* one row creates the parents; N more reuse them */
        o.seed = UINT64_C(0xFAC70);
        o.create_parents = conn;
        check(cerd_factory_make(row, t, &o), t, o.seed, "make");
        check(cerd_row_insert(stored, conn, t, row), t, o.seed, "insert");
        o.parents = parents;
        o.nparents = np = parents_of(t, stored, parents, prows);
        o.create_parents = NULL;
        check(cerd_row_count(&before, conn, t, CERD_ROW_INCLUDE_DELETED), t, 0, "count");
        check(cerd_conn_begin(conn), t, 0, "begin");
        for (uint64_t s = 0; s < N; s++) {
            o.seed = 50000 + s;
            check(cerd_factory_make(row, t, &o), t, o.seed, "make");
            check(cerd_row_insert(NULL, conn, t, row), t, o.seed, "insert");
        }
        check(cerd_conn_commit(conn), t, 0, "commit");
        check(cerd_row_count(&after, conn, t, CERD_ROW_INCLUDE_DELETED), t, 0, "count");
        assert_int_equal(after - before, N);
        free_parents(parents, prows, np);
        free_row(t, row);
        free_row(t, stored);
    }
}

static void test_factory_pg__the_same_seed_again_reuses_its_parents(void **state)
{
    const cerd_table *t = &cerd_ai_portfolio_asset_analysis_table;
    cerd_ai_portfolio_asset_analysis a = {0}, b = {0};
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    int64_t users_before = 0, users_after = 0;
    (void)state;

    o.seed = 99;
    o.create_parents = conn;
    check(cerd_factory_make(&a, t, &o), t, o.seed, "make");
    check(cerd_row_count(&users_before, conn, &cerd_users_table, CERD_ROW_INCLUDE_DELETED), t, 0, "count");
    /* a fixture loaded twice: the parents found by their unique keys, not inserted again
       (users, assets, sectors... have unique keys; they would collide otherwise) */
    check(cerd_factory_make(&b, t, &o), t, o.seed, "make again");
    check(cerd_row_count(&users_after, conn, &cerd_users_table, CERD_ROW_INCLUDE_DELETED), t, 0, "count");
    assert_int_equal(users_after, users_before);
    check(cerd_row_insert(NULL, conn, t, &a), t, o.seed, "insert");
    check(cerd_row_insert(NULL, conn, t, &b), t, o.seed, "insert again");
    cerd_ai_portfolio_asset_analysis_clear(&a);
    cerd_ai_portfolio_asset_analysis_clear(&b);
}

/* ---------------------------------------------------------------- broken rows */

/* Inserts the row as JSON, bypassing the library's encoder and validation; returns the
   server's result (the caller clears it). */
static PGresult *insert_as_json(const cerd_table *t, const void *row)
{
    char sql[16384], cols[6144] = "";
    cJSON *j = NULL;
    char *text;
    const char *params[1];
    PGresult *res;

    for (int c = 0; c < t->ncolumns; c++) {
        if (t->columns[c].flags & CERD_COL_IDENTITY)
            continue;
        if (cols[0])
            strcat(cols, ", ");
        strcat(cols, t->columns[c].name);
    }
    snprintf(sql, sizeof sql,
             "INSERT INTO %s (%s) SELECT %s FROM jsonb_populate_record(NULL::%s, $1::jsonb)",
             t->name, cols, cols, t->name);
    CERD_ASSERT_OK(cerd_row_to_json(&j, t, row));
    text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    params[0] = text;
    res = PQexecParams(pg, sql, 1, NULL, params, NULL, NULL, 0);
    free(text);
    return res;
}

static void expect_refused(const cerd_table *t, const void *row, const char *rule,
                           const char *sqlstate, const char *constraint)
{
    PGresult *res = insert_as_json(t, row);
    const char *got = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *con = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    if (PQresultStatus(res) != PGRES_FATAL_ERROR || !got || strcmp(got, sqlstate)
        || (constraint && (!con || strcmp(con, constraint))))
        fail_msg("%s %s: expected %s %s, got %s %s: %s", t->name, rule, sqlstate,
                 constraint ? constraint : "", got ? got : "success", con ? con : "",
                 PQresultErrorMessage(res));
    PQclear(res);
}

static int make_broken(const cerd_table *t, uint64_t seed, const char *rule, void *row)
{
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    o.seed = seed;
    o.violate = rule;
    o.create_parents = conn;
    return cerd_factory_make(row, t, &o);
}

static void test_factory_pg__broken_checks_are_refused_by_postgresql(void **state)
{
    int refused = 0;
    (void)state;
    cerd_conn_set_validation(conn, false);
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t);
        for (int k = 0; k < t->nchecks; k++) {
            const char *name = t->checks[k]->name;
            for (uint64_t s = 0; s < 2; s++) {
                check(make_broken(t, s, name, row), t, s, name);
                expect_refused(t, row, name, "23514", name);
                /* through the library, unvalidated: the server's error, mapped */
                assert_int_equal(cerd_row_insert(NULL, conn, t, row), CERD_ECHECK);
                assert_string_equal(cerd_error_last()->constraint, name);
                refused++;
            }
        }
        free_row(t, row);
    }
    cerd_conn_set_validation(conn, true);
    assert_true(refused > 200);
}

static void test_factory_pg__broken_column_rules_are_refused_by_postgresql(void **state)
{
    static const struct {
        const char *rule, *sqlstate;
    } rules[] = {{"not_null", "23502"}, {"length", "22001"}, {"numeric_precision", "22003"}};
    int refused[3] = {0};
    size_t r;
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        void *row = new_row(t);
        for (r = 0; r < 3; r++)
            for (uint64_t s = 0; s < 2; s++) {
                int rc = make_broken(t, s, rules[r].rule, row);
                if (rc == CERD_EMISUSE || rc == CERD_EINVALID)
                    continue; /* no such column, or none breakable alone (unit-tested) */
                check(rc, t, s, rules[r].rule);
                expect_refused(t, row, rules[r].rule, rules[r].sqlstate, NULL);
                refused[r]++;
            }
        free_row(t, row);
    }
    for (r = 0; r < 3; r++) {
        print_message("%s: %d rows refused\n", rules[r].rule, refused[r]);
        assert_true(refused[r] >= 10);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_factory_pg__rows_with_created_parents_insert_into_every_table),
        cmocka_unit_test(test_factory_pg__many_rows_share_their_parents),
        cmocka_unit_test(test_factory_pg__the_same_seed_again_reuses_its_parents),
        cmocka_unit_test(test_factory_pg__broken_checks_are_refused_by_postgresql),
        cmocka_unit_test(test_factory_pg__broken_column_rules_are_refused_by_postgresql),
    };
    return cmocka_run_group_tests_name("factory_pg", tests, setup, teardown);
}
