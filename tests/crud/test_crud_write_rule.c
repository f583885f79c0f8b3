/* The three write states (value, NULL, DEFAULT) of insert, update and upsert, and soft
   delete on users:
     for every nullable column with a server default (found in the descriptors): an
     explicit NULL is stored as NULL, a column in `defaults` gets what PostgreSQL's default
     expression gives; update and upsert (both paths) can set it to NULL; `defaults` on
     update and upsert writes DEFAULT;
     a sparse row given to update and upsert leaves NOT NULL columns with a default
     (created_at) unchanged and writes the rest;
     get/list/count/exists on users hide soft-deleted rows, the _any variants and
     cerd_page::include_deleted show them. */
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
#include "wire/codec.h"
#include "wire/field.h"
#include "testdb.h"
#include "testconn.h"

#define ANY CERD_ROW_INCLUDE_DELETED

static testdb db;
static cerd_conn *conn;
static PGconn *pg;
static uint64_t next_seed = 1000;

static void check(int rc, const char *what)
{
    if (rc) {
        const cerd_error *e = cerd_error_last();
        print_error("%s: %s (%s) constraint=%s\n", what, e->message, cerd_strerror(rc),
                    e->constraint);
        fail();
    }
}

static void *new_row(const cerd_table *t)
{
    void *row = calloc(1, t->row_size);
    assert_non_null(row);
    return row;
}

static void free_row(const cerd_table *t, void *row)
{
    cerd_row_clear(t, row);
    free(row);
}

static cerd_colset *defaults_of(const cerd_table *t, void *row)
{
    return (cerd_colset *)(void *)((char *)row + t->defaults_offset);
}

static int64_t id_of(const cerd_table *t, const void *row)
{
    const cerd_column *c = &t->columns[t->primary_key.columns[0]];
    return *(const int64_t *)((const char *)row + c->offset);
}

/* A valid row of t from the factory (parents created), with the columns named in
   `nulls` set to NULL (through JSON, so owned values are released properly). */
static void make_row(const cerd_table *t, void *row, const char *const *nulls, int nnulls)
{
    cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
    cJSON *j = NULL;
    void *made = new_row(t);
    o.seed = next_seed++;
    o.create_parents = conn;
    check(cerd_factory_make(made, t, &o), "factory");
    check(cerd_row_to_json(&j, t, made), "to json");
    for (int i = 0; i < nnulls; i++)
        cJSON_ReplaceItemInObjectCaseSensitive(j, nulls[i], cJSON_CreateNull());
    /* identity: let the server number it */
    for (int i = 0; i < t->ncolumns; i++)
        if (t->columns[i].flags & CERD_COL_IDENTITY)
            cJSON_DeleteItemFromObjectCaseSensitive(j, t->columns[i].name);
    cerd_row_clear(t, row);
    check(cerd_row_from_json(row, t, j), "from json");
    cJSON_Delete(j);
    free_row(t, made);
}

/* Whether the stored column of row id is NULL / equals PostgreSQL's default expression
   of the column, asked of the server directly. */
static bool stored_matches(const cerd_table *t, int col, int64_t id, const char *what)
{
    char sql[1024], idtext[32], *v;
    bool yes;
    if (!strcmp(what, "null"))
        snprintf(sql, sizeof sql, "SELECT (%s IS NULL)::text FROM %s WHERE id = %lld",
                 t->columns[col].name, t->name, (long long)id);
    else
        snprintf(sql, sizeof sql,
                 "SELECT (x.%s IS NOT DISTINCT FROM (SELECT %s))::text FROM %s x WHERE id = %lld",
                 t->columns[col].name, what, t->name, (long long)id);
    (void)idtext;
    v = testdb_scalar(pg, sql);
    assert_non_null(v);
    yes = !strcmp(v, "true");
    if (!yes)
        print_error("%s.%s of id %lld: not %s\n", t->name, t->columns[col].name, (long long)id,
                    what);
    free(v);
    return yes;
}

/* PostgreSQL's default expression of the column, as SQL text (caller frees). */
static char *default_expr(const cerd_table *t, int col)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a"
             " ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
             " WHERE d.adrelid = '%s'::regclass AND a.attname = '%s'",
             t->name, t->columns[col].name);
    return testdb_scalar(pg, sql);
}

static bool nullable_with_default(const cerd_column *c)
{
    return !(c->flags & (CERD_COL_NOT_NULL | CERD_COL_IDENTITY))
           && (c->flags & CERD_COL_HAS_DEFAULT);
}

/* (a) insert: explicit NULL stays NULL, `defaults` gives the default. (b) update and
   upsert (both paths) can set it NULL. (c) `defaults` on update and upsert writes
   DEFAULT. For every nullable column with a server default of the schema. */
static void test_nullable_columns_with_defaults(void **state)
{
    int found = 0;
    (void)state;
    for (size_t ti = 0; ti < cerd_table_count(); ti++) {
        const cerd_table *t = cerd_table_at(ti);
        for (int col = 0; col < t->ncolumns; col++) {
            const cerd_column *c = &t->columns[col];
            void *in, *out, *got;
            char *expr;
            int64_t id;
            cerd_colset cols = {{0}};

            if (!nullable_with_default(c))
                continue;
            found++;
            expr = default_expr(t, col);
            assert_non_null(expr);
            in = new_row(t);
            out = new_row(t);
            got = new_row(t);

            /* (a) explicit NULL on insert: NULL */
            make_row(t, in, &c->name, 1);
            check(cerd_row_insert(out, conn, t, in), "insert NULL");
            assert_true(cerd__field_is_null(c, out));
            id = id_of(t, out);
            assert_true(stored_matches(t, col, id, "null"));
            /* (c) DEFAULT on update of that row: the default; then (b) update to NULL */
            cerd_row_clear(t, got);
            check(cerd_row_get(got, conn, t, -1, out, ANY), "get");
            cerd_colset_add(defaults_of(t, got), (unsigned)col);
            cerd_colset_add(&cols, (unsigned)col);
            check(cerd_row_update(NULL, conn, t, got, &cols), "update_columns DEFAULT");
            assert_true(stored_matches(t, col, id, expr));
            *defaults_of(t, got) = (cerd_colset){{0}};
            check(cerd_row_update(out, conn, t, got, NULL), "update to NULL");
            assert_true(cerd__field_is_null(c, out));
            assert_true(stored_matches(t, col, id, "null"));
            /* whole-row update with the column in defaults */
            cerd_colset_add(defaults_of(t, got), (unsigned)col);
            check(cerd_row_update(out, conn, t, got, NULL), "update DEFAULT");
            assert_false(cerd__field_is_null(c, out));
            assert_true(stored_matches(t, col, id, expr));
            /* upsert, update path: NULL, then DEFAULT again */
            *defaults_of(t, got) = (cerd_colset){{0}};
            check(cerd_row_upsert(out, conn, t, -1, got), "upsert NULL (update path)");
            assert_int_equal(id_of(t, out), id);
            assert_true(cerd__field_is_null(c, out));
            assert_true(stored_matches(t, col, id, "null"));
            cerd_colset_add(defaults_of(t, got), (unsigned)col);
            check(cerd_row_upsert(out, conn, t, -1, got), "upsert DEFAULT (update path)");
            assert_true(stored_matches(t, col, id, expr));

            /* (a) `defaults` on insert: the default */
            make_row(t, in, NULL, 0);
            cerd_colset_add(defaults_of(t, in), (unsigned)col);
            check(cerd_row_insert(out, conn, t, in), "insert DEFAULT");
            assert_false(cerd__field_is_null(c, out));
            assert_true(stored_matches(t, col, id_of(t, out), expr));

            /* (b) upsert, insert path: explicit NULL */
            make_row(t, in, &c->name, 1);
            check(cerd_row_upsert(out, conn, t, -1, in), "upsert NULL (insert path)");
            assert_true(stored_matches(t, col, id_of(t, out), "null"));
            /* and DEFAULT */
            make_row(t, in, NULL, 0);
            cerd_colset_add(defaults_of(t, in), (unsigned)col);
            check(cerd_row_upsert(out, conn, t, -1, in), "upsert DEFAULT (insert path)");
            assert_true(stored_matches(t, col, id_of(t, out), expr));

            free(expr);
            free_row(t, in);
            free_row(t, out);
            free_row(t, got);
        }
    }
    /* model_jobs.max_retries, portfolio_assets (4), trade_actions (2) today */
    assert_true(found >= 7);
}

/* A sparse row: only what update and upsert must write. NOT NULL columns with a default
   (created_at, ...) left NULL are absent: unchanged; nullable columns left NULL become
   NULL. */
static void test_sparse_rows(void **state)
{
    static const char *const tables[] = {"model_jobs", "portfolio_assets", "trade_actions",
                                         "assets"};
    (void)state;
    for (size_t ti = 0; ti < sizeof tables / sizeof tables[0]; ti++) {
        const cerd_table *t = cerd_table_find(tables[ti]);
        void *in = new_row(t), *stored = new_row(t), *after = new_row(t);
        const char *nulls[CERD_MAX_COLUMNS];
        int nnulls = 0, created = cerd_table_column(t, "created_at");

        assert_true(created >= 0);
        make_row(t, in, NULL, 0);
        check(cerd_row_insert(stored, conn, t, in), "insert");
        for (int op = 0; op < 2; op++) {
            cJSON *j = NULL;
            void *sparse = new_row(t);
            /* the stored row without its NOT NULL-with-default and nullable columns */
            check(cerd_row_to_json(&j, t, stored), "to json");
            nnulls = 0;
            for (int i = 0; i < t->ncolumns; i++) {
                const cerd_column *c = &t->columns[i];
                if (c->flags & CERD_COL_PRIMARY_KEY)
                    continue;
                if (!(c->flags & CERD_COL_NOT_NULL) || (c->flags & CERD_COL_HAS_DEFAULT)) {
                    cJSON_DeleteItemFromObjectCaseSensitive(j, c->name);
                    nulls[nnulls++] = c->name;
                }
            }
            check(cerd_row_from_json(sparse, t, j), "from json");
            cJSON_Delete(j);
            if (op == 0)
                check(cerd_row_update(after, conn, t, sparse, NULL), "sparse update");
            else
                check(cerd_row_upsert(after, conn, t, -1, sparse), "sparse upsert");
            assert_int_equal(id_of(t, after), id_of(t, stored));
            for (int i = 0; i < t->ncolumns; i++) {
                const cerd_column *c = &t->columns[i];
                const char *fa = (const char *)after + c->offset;
                const char *fs = (const char *)stored + c->offset;
                if (c->flags & CERD_COL_PRIMARY_KEY || !strcmp(c->name, "updated_at"))
                    continue;
                if (!(c->flags & CERD_COL_NOT_NULL)) {
                    assert_true(cerd__field_is_null(c, after));
                } else if (c->flags & CERD_COL_HAS_DEFAULT) {
                    /* absent: unchanged (compare a few value types exactly) */
                    assert_false(cerd__field_is_null(c, after));
                    if (c->type == CERD_TYPE_TIMESTAMPTZ && !(c->flags & CERD_COL_OPTIONAL))
                        assert_true(*(const cerd_timestamp *)fa == *(const cerd_timestamp *)fs);
                }
            }
            /* created_at kept exactly */
            assert_true(*(const cerd_timestamp *)((const char *)after + t->columns[created].offset)
                        == *(const cerd_timestamp *)((const char *)stored
                                                     + t->columns[created].offset));
            free_row(t, sparse);
            cerd_row_clear(t, after);
        }
        (void)nulls;
        free_row(t, in);
        free_row(t, stored);
        free_row(t, after);
    }
}

/* users: soft-deleted rows are hidden by get, get_by, list, count and exists; the _any
   variants and include_deleted show them. */
static void test_soft_deleted_users(void **state)
{
    cerd_users in = {0}, a = {0}, b = {0}, got = {0};
    cerd_users_rows rows = {0};
    cerd_page page = {0};
    int64_t live0 = 0, all0 = 0, live1 = 0, all1 = 0;
    bool exists = false;
    (void)state;

    check(cerd_users_count(&live0, conn), "count");
    check(cerd_users_count_any(&all0, conn), "count_any");
    make_row(&cerd_users_table, &in, (const char *const[]){"deleted_at", "deleted_by"}, 2);
    check(cerd_users_insert(&a, conn, &in), "insert a");
    make_row(&cerd_users_table, &in, (const char *const[]){"deleted_at", "deleted_by"}, 2);
    check(cerd_users_insert(&b, conn, &in), "insert b");
    check(cerd_users_delete(conn, b.id), "soft delete b");

    check(cerd_users_count(&live1, conn), "count");
    check(cerd_users_count_any(&all1, conn), "count_any");
    assert_int_equal(live1, live0 + 1);
    assert_int_equal(all1, all0 + 2);

    check(cerd_users_get(&got, conn, a.id), "get a");
    assert_int_equal(cerd_users_get(&got, conn, b.id), CERD_ENOTFOUND);
    check(cerd_users_get_any(&got, conn, b.id), "get_any b");
    assert_int_equal(got.id, b.id);
    assert_true(got.deleted_at.valid);
    assert_int_equal(cerd_users_get_by_email(&got, conn, b.email), CERD_ENOTFOUND);
    check(cerd_users_get_by_email_any(&got, conn, b.email), "get_by_email_any b");
    assert_int_equal(got.id, b.id);
    check(cerd_users_get_by_email(&got, conn, a.email), "get_by_email a");
    assert_int_equal(got.id, a.id);

    check(cerd_users_exists(&exists, conn, b.id), "exists b");
    assert_false(exists);
    check(cerd_users_exists_any(&exists, conn, b.id), "exists_any b");
    assert_true(exists);
    check(cerd_users_exists(&exists, conn, a.id), "exists a");
    assert_true(exists);

    /* lists: the whole table, then include_deleted */
    for (int any = 0; any < 2; any++) {
        bool saw_a = false, saw_b = false;
        int64_t n = 0;
        page = (cerd_page){.limit = 1000, .include_deleted = any};
        check(cerd_users_list(&rows, conn, &page), "list");
        for (size_t i = 0; i < rows.count; i++) {
            saw_a |= rows.rows[i].id == a.id;
            saw_b |= rows.rows[i].id == b.id;
            n++;
        }
        cerd_users_list_free(&rows);
        assert_true(saw_a);
        assert_int_equal(saw_b, any);
        assert_int_equal(n, any ? all1 : live1);
    }
    /* list by a foreign key: b refers to the same referrer as a when it has one */
    if (b.referred_by.valid) {
        bool saw_b = false;
        page = (cerd_page){.limit = 1000};
        check(cerd_users_list_by_referred_by(&rows, conn, b.referred_by.value, &page), "list_by");
        for (size_t i = 0; i < rows.count; i++)
            saw_b |= rows.rows[i].id == b.id;
        cerd_users_list_free(&rows);
        assert_false(saw_b);
        page.include_deleted = true;
        check(cerd_users_list_by_referred_by(&rows, conn, b.referred_by.value, &page), "list_by");
        saw_b = false;
        for (size_t i = 0; i < rows.count; i++)
            saw_b |= rows.rows[i].id == b.id;
        cerd_users_list_free(&rows);
        assert_true(saw_b);
    }
    cerd_users_clear(&in);
    cerd_users_clear(&a);
    cerd_users_clear(&b);
    cerd_users_clear(&got);
}

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "write_rule") || testdb_migrate(&db) || testdb_open(&conn, &db))
        return -1;
    pg = testdb_connect(&db);
    return pg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(pg);
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nullable_columns_with_defaults),
        cmocka_unit_test(test_sparse_rows),
        cmocka_unit_test(test_soft_deleted_users),
    };
    return cmocka_run_group_tests_name("crud_write_rule", tests, setup, teardown);
}
