/* The typed API's operations, for every table, driven by the descriptors and by
   tests/crud/rows/<table>.json (a row with every column set, an update, and variants
   that keep unique keys distinct). Per table, in schema order (parents first):
     insert with every column set, read back by key, compare every field;
     a row with every nullable column NULL (insert, then update to NULL explicitly);
     whole-row update; update of a subset of columns;
     upsert on the primary key and on each unique key (insert path and update path);
     list by each foreign key across two pages, both directions; list of the whole table,
     both directions, with and without soft-deleted rows; count; exists;
     delete (soft, then hard, on users);
     interop: the row as psql prints it equals the library's, both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>
#include "wire/codec.h"
#include "wire/field.h"
#include "testdb.h"
#include "rows.h"

/* The steps below read their own rows back whether soft-deleted or not (users' rows are
   stored with deleted_at set): ANY includes them. Hiding them is tested on its own. */
#define ANY CERD_ROW_INCLUDE_DELETED

static testdb db;
static cerd_conn *conn;
static PGconn *pg;            /* plain libpq, for checks made outside the library */
static int64_t primary_id[64]; /* per table index: the id of its row R0, for $ref */
static int64_t users_parent;   /* the users row that users' own $refs point at */
static cJSON *primary_json[64]; /* per table index: its row R0 as JSON, for $ref with a
                                   column */

/* ---------------------------------------------------------------- helpers */

static void check(int rc, const char *what)
{
    if (rc) {
        const cerd_error *e = cerd_error_last();
        print_error("%s: %s (%s) sqlstate=%s constraint=%s\n", what, e->message,
                    cerd_strerror(rc), e->sqlstate, e->constraint);
        fail();
    }
}

static cJSON *load_rows_file(const cerd_table *t)
{
    char path[512];
    char *text;
    cJSON *doc = NULL;

    snprintf(path, sizeof path, "%s/tests/crud/rows/%s.json", CERD_SOURCE_DIR, t->name);
    text = testdb_read_file(path);
    if (!text)
        print_error("missing %s\n", path);
    assert_non_null(text);
    check(cerd_json_parse(&doc, text, strlen(text)), path);
    free(text);
    return doc;
}

/* Replaces {"$ref": "table"} values with that table's row id; for users' own
   references, with users_parent (or null while that row itself is being made).
   {"$ref": "table", "column": "c"} is column c of that table's row R0 instead (a child's
   user_id is its parent's: {"$ref": "portfolios", "column": "user_id"}). */
static void resolve_refs(cJSON *obj, const cerd_table *t)
{
    cJSON *v, *next;
    for (v = obj->child; v; v = next) {
        next = v->next; /* v is replaced below */
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(v, "$ref");
        const cJSON *col = cJSON_GetObjectItemCaseSensitive(v, "column");
        const cerd_table *parent;
        int64_t id;
        char buf[32];

        if (!cJSON_IsString(ref))
            continue;
        parent = cerd_table_find(ref->valuestring);
        assert_non_null(parent);
        if (cJSON_IsString(col)) {
            size_t i;
            const cJSON *val;
            for (i = 0; cerd_table_at(i) != parent; i++)
                ;
            assert_non_null(primary_json[i]);
            val = cJSON_GetObjectItemCaseSensitive(primary_json[i], col->valuestring);
            if (!val)
                print_error("%s: $ref %s.%s: no such column\n", t->name, parent->name,
                            col->valuestring);
            assert_non_null(val);
            cJSON_ReplaceItemInObjectCaseSensitive(obj, v->string, cJSON_Duplicate(val, 1));
            continue;
        }
        if (parent == t)
            id = users_parent;
        else {
            size_t i;
            for (i = 0; cerd_table_at(i) != parent; i++)
                ;
            id = primary_id[i];
        }
        assert_true(id != 0 || parent == t);
        snprintf(buf, sizeof buf, "%lld", (long long)id);
        cJSON_ReplaceItemInObjectCaseSensitive(obj, v->string,
                                               id ? cJSON_CreateRaw(buf) : cJSON_CreateNull());
    }
}

/* A copy of base with the members of patch set over it. */
static cJSON *merged(const cJSON *base, const cJSON *patch)
{
    cJSON *out = cJSON_Duplicate(base, 1), *v;
    cJSON_ArrayForEach(v, patch) {
        cJSON_DeleteItemFromObjectCaseSensitive(out, v->string);
        cJSON_AddItemToObject(out, v->string, cJSON_Duplicate(v, 1));
    }
    return out;
}

static bool is_fk(const cerd_table *t, int column)
{
    for (int i = 0; i < t->nforeign; i++)
        for (int c = 0; c < t->foreign_keys[i].ncolumns; c++)
            if (t->foreign_keys[i].columns[c] == column)
                return true;
    return false;
}

static int column_index(const cerd_table *t, const char *name)
{
    int i = cerd_table_column(t, name);
    if (i < 0)
        print_error("%s: the rows file names no column %s\n", t->name, name);
    assert_true(i >= 0);
    return i;
}

static bool jsonb_equal(const cJSON *a, const cJSON *b)
{
    char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
    const char *params[2] = {ta, tb};
    PGresult *res = PQexecParams(pg, "SELECT $1::jsonb = $2::jsonb", 2, NULL, params, NULL,
                                 NULL, 0);
    bool eq = PQresultStatus(res) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    cJSON_free(ta);
    cJSON_free(tb);
    return eq;
}

/* Field equality. exact: numerics must also agree in scale (stored vs read back);
   otherwise by value (what was sent vs what was stored). */
static bool field_equal(const cerd_column *c, const void *a, const void *b, bool exact)
{
    const char *fa = (const char *)a + c->offset, *fb = (const char *)b + c->offset;
    bool na = cerd__field_is_null(c, a), nb = cerd__field_is_null(c, b);
    bool opt = c->flags & CERD_COL_OPTIONAL;

    if (na || nb)
        return na == nb;
    switch (c->type) {
    case CERD_TYPE_INT64:
        return opt ? ((const cerd_opt_int64 *)fa)->value == ((const cerd_opt_int64 *)fb)->value
                   : *(const int64_t *)fa == *(const int64_t *)fb;
    case CERD_TYPE_INT32:
        return opt ? ((const cerd_opt_int32 *)fa)->value == ((const cerd_opt_int32 *)fb)->value
                   : *(const int32_t *)fa == *(const int32_t *)fb;
    case CERD_TYPE_BOOL:
        return opt ? ((const cerd_opt_bool *)fa)->value == ((const cerd_opt_bool *)fb)->value
                   : *(const bool *)fa == *(const bool *)fb;
    case CERD_TYPE_NUMERIC: {
        const cerd_numeric *x = opt ? &((const cerd_opt_numeric *)fa)->value : (const cerd_numeric *)fa;
        const cerd_numeric *y = opt ? &((const cerd_opt_numeric *)fb)->value : (const cerd_numeric *)fb;
        char sx[256], sy[256];
        if (!exact)
            return cerd_numeric_cmp(x, y) == 0;
        cerd_numeric_format(x, sx, sizeof sx);
        cerd_numeric_format(y, sy, sizeof sy);
        return !strcmp(sx, sy);
    }
    case CERD_TYPE_TIMESTAMPTZ:
        return opt ? ((const cerd_opt_timestamp *)fa)->value == ((const cerd_opt_timestamp *)fb)->value
                   : *(const cerd_timestamp *)fa == *(const cerd_timestamp *)fb;
    case CERD_TYPE_INET: {
        char sa[CERD_INET_BUFSIZE], sb[CERD_INET_BUFSIZE];
        cerd_inet_format(opt ? &((const cerd_opt_inet *)fa)->value : (const cerd_inet *)fa, sa);
        cerd_inet_format(opt ? &((const cerd_opt_inet *)fb)->value : (const cerd_inet *)fb, sb);
        return !strcmp(sa, sb);
    }
    case CERD_TYPE_TEXT:
        return !strcmp(*(char *const *)fa, *(char *const *)fb);
    case CERD_TYPE_JSONB:
        return jsonb_equal(*(cJSON *const *)fa, *(cJSON *const *)fb);
    case CERD_TYPE_INT32_ARRAY: {
        const cerd_int32_array *x = (const cerd_int32_array *)fa, *y = (const cerd_int32_array *)fb;
        if (x->count != y->count)
            return false;
        for (size_t i = 0; i < x->count; i++) {
            bool xn = x->nulls && x->nulls[i], yn = y->nulls && y->nulls[i];
            if (xn != yn || (!xn && x->values[i] != y->values[i]))
                return false;
        }
        return true;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        const cerd_text_array *x = (const cerd_text_array *)fa, *y = (const cerd_text_array *)fb;
        if (x->count != y->count)
            return false;
        for (size_t i = 0; i < x->count; i++)
            if ((!x->values[i] || !y->values[i]) ? x->values[i] != y->values[i]
                                                 : strcmp(x->values[i], y->values[i]))
                return false;
        return true;
    }
    }
    return false;
}

/* Every column of `want` that is set (or, with all_columns, every column) equals got. */
static void assert_rows_equal(const cerd_table *t, const void *want, const void *got,
                              bool all_columns, bool exact, const char *what)
{
    int bad = 0;
    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        if (!all_columns && cerd__field_is_null(c, want))
            continue;
        if (!exact && !strcmp(c->name, "updated_at"))
            continue; /* the trigger sets it on every update, whatever was sent */
        if (!field_equal(c, want, got, exact)) {
            cJSON *jw = NULL, *jg = NULL;
            cerd_row_to_json(&jw, t, want);
            cerd_row_to_json(&jg, t, got);
            char *sw = cJSON_PrintUnformatted(cJSON_GetObjectItem(jw, c->name));
            char *sg = cJSON_PrintUnformatted(cJSON_GetObjectItem(jg, c->name));
            print_error("%s: %s.%s differs: want %s, got %s\n", what, t->name, c->name, sw, sg);
            cJSON_free(sw);
            cJSON_free(sg);
            cJSON_Delete(jw);
            cJSON_Delete(jg);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void row_from(const cerd_table *t, const cJSON *obj, void *row)
{
    check(cerd_row_from_json(row, t, obj), "row from json");
}

static int64_t id_of(const cerd_table *t, const void *row)
{
    const cerd_column *c = &t->columns[t->primary_key.columns[0]];
    assert_int_equal(c->type, CERD_TYPE_INT64);
    return *(const int64_t *)((const char *)row + c->offset);
}

/* The row as `psql` prints to_jsonb() of it. */
static char *psql_row_json(const cerd_table *t, int64_t id)
{
    char cmd[4096], buf[65536];
    size_t n;
    FILE *p;

    snprintf(cmd, sizeof cmd,
             "psql -XAt -v ON_ERROR_STOP=1 \"%s\" -c \"SET TimeZone = 'UTC'\""
             " -c \"SELECT to_jsonb(x) FROM %s x WHERE id = %lld\"",
             db.conninfo, t->name, (long long)id);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    assert_int_equal(pclose(p), 0);
    while (n && (buf[n - 1] == '\n'))
        buf[--n] = '\0';
    /* the SET prints "SET" on its own line first */
    return strdup(strncmp(buf, "SET\n", 4) ? buf : buf + 4);
}

/* Our JSON of the row, in jsonb's canonical text (key order and spacing). */
static char *canonical_json(const cerd_table *t, const void *row)
{
    cJSON *j = NULL;
    char *text, *out;
    const char *params[1];
    PGresult *res;

    check(cerd_row_to_json(&j, t, row), "row to json");
    text = cJSON_PrintUnformatted(j);
    params[0] = text;
    res = PQexecParams(pg, "SELECT $1::jsonb::text", 1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    out = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    cJSON_free(text);
    cJSON_Delete(j);
    return out;
}

/* ---------------------------------------------------------------- the steps */

static void step_insert_and_read_back(const cerd_table *t, const cJSON *row_json, void *r0)
{
    void *in = new_row(t), *got = new_row(t);

    row_from(t, row_json, in);
    check(cerd_row_insert(r0, conn, t, in), "insert R0");
    assert_rows_equal(t, in, r0, false, false, "inserted row vs input");
    assert_true(id_of(t, r0) > 0);
    /* read back by primary key: every field, exactly */
    check(cerd_row_get(got, conn, t, -1, r0, ANY), "get R0");
    assert_rows_equal(t, r0, got, true, true, "read back by primary key");
    /* and by each unique key */
    for (int k = 0; k < t->nunique; k++) {
        cerd_row_clear(t, got);
        check(cerd_row_get(got, conn, t, k, r0, ANY), t->unique_keys[k].name);
        assert_int_equal(id_of(t, got), id_of(t, r0));
    }
    free_row(t, in);
    free_row(t, got);
}

/* A row with only the primary-key fields of `row` set. */
static void key_only(const cerd_table *t, const void *row, void *out)
{
    cJSON *all = NULL, *key = cJSON_CreateObject();
    check(cerd_row_to_json(&all, t, row), "row to json");
    for (int i = 0; i < t->primary_key.ncolumns; i++) {
        const char *name = t->columns[t->primary_key.columns[i]].name;
        cJSON_AddItemToObject(key, name, cJSON_Duplicate(cJSON_GetObjectItem(all, name), 1));
    }
    row_from(t, key, out);
    cJSON_Delete(all);
    cJSON_Delete(key);
}

/* Nullable columns whose NULL a CHECK forbids for this row (the rows file lists them
   under "null_row_keeps", e.g. a personal watchlist must keep its user_id). */
static bool kept_in_null_row(const cJSON *keeps, const char *column)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, keeps)
        if (cJSON_IsString(k) && !strcmp(k->valuestring, column))
            return true;
    return false;
}

static void step_nullable_columns(const cerd_table *t, const cJSON *row1_json,
                                  const cJSON *keeps, void *r1)
{
    void *in = new_row(t), *got = new_row(t), *setnull = new_row(t);
    cJSON *without = cJSON_Duplicate(row1_json, 1);
    cerd_colset nullable = {{0}};
    int n = 0;

    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        if (c->flags & (CERD_COL_NOT_NULL | CERD_COL_PRIMARY_KEY) || kept_in_null_row(keeps, c->name))
            continue;
        cerd_colset_add(&nullable, (unsigned)i);
        cJSON_DeleteItemFromObjectCaseSensitive(without, c->name);
        n++;
    }
    /* insert with the nullable columns left NULL (the write rule: written as NULL, also
       those with a default) ... */
    row_from(t, without, in);
    check(cerd_row_insert(r1, conn, t, in), "insert R1 without its nullable columns");
    /* ... then set every one of them NULL explicitly */
    if (n) {
        key_only(t, r1, setnull);
        check(cerd_row_update(got, conn, t, setnull, &nullable), "update nullable columns to NULL");
        cerd_row_clear(t, got);
        check(cerd_row_get(got, conn, t, -1, r1, ANY), "get R1 with NULLs");
        for (int i = 0; i < t->ncolumns; i++)
            if (cerd_colset_has(&nullable, (unsigned)i)
                && !cerd__field_is_null(&t->columns[i], got)) {
                print_error("%s.%s is not NULL after setting it NULL\n", t->name,
                            t->columns[i].name);
                fail();
            }
    }
    /* whole-row update back to every column set */
    {
        cJSON *full = cJSON_Duplicate(row1_json, 1), *all = NULL;
        check(cerd_row_to_json(&all, t, r1), "row to json");
        for (int i = 0; i < t->primary_key.ncolumns; i++) {
            const char *name = t->columns[t->primary_key.columns[i]].name;
            cJSON_DeleteItemFromObjectCaseSensitive(full, name);
            cJSON_AddItemToObject(full, name, cJSON_Duplicate(cJSON_GetObjectItem(all, name), 1));
        }
        cerd_row_clear(t, in);
        row_from(t, full, in);
        cerd_row_clear(t, got);
        check(cerd_row_update(got, conn, t, in, NULL), "whole-row update of R1");
        assert_rows_equal(t, in, got, false, false, "after whole-row update");
        cerd_row_clear(t, r1);
        check(cerd_row_get(r1, conn, t, -1, got, ANY), "get R1");
        assert_rows_equal(t, got, r1, true, true, "R1 read back");
        cJSON_Delete(full);
        cJSON_Delete(all);
    }
    cJSON_Delete(without);
    free_row(t, in);
    free_row(t, got);
    free_row(t, setnull);
}

static void step_update_subset(const cerd_table *t, const cJSON *update_json, void *r0)
{
    void *in = new_row(t), *got = new_row(t), *before = new_row(t);
    cerd_colset cols = {{0}};
    cJSON *patch = cJSON_CreateObject(), *v, *all = NULL;

    cJSON_ArrayForEach(v, update_json) {
        int i = column_index(t, v->string);
        if (is_fk(t, i))
            continue; /* lists below need R0..R2 to share their foreign keys */
        cerd_colset_add(&cols, (unsigned)i);
        cJSON_AddItemToObject(patch, v->string, cJSON_Duplicate(v, 1));
    }
    check(cerd_row_to_json(&all, t, r0), "row to json");
    for (int i = 0; i < t->primary_key.ncolumns; i++) {
        const char *name = t->columns[t->primary_key.columns[i]].name;
        cJSON_AddItemToObject(patch, name, cJSON_Duplicate(cJSON_GetObjectItem(all, name), 1));
    }
    row_from(t, patch, in);
    check(cerd_row_get(before, conn, t, -1, r0, ANY), "get R0 before update");
    check(cerd_row_update(got, conn, t, in, &cols), "update chosen columns of R0");
    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        if (cerd_colset_has(&cols, (unsigned)i))
            assert_true(field_equal(c, in, got, false));
        else if (strcmp(c->name, "updated_at"))
            assert_true(field_equal(c, before, got, true));
    }
    cerd_row_clear(t, r0);
    check(cerd_row_get(r0, conn, t, -1, got, ANY), "get R0 after update");
    assert_rows_equal(t, got, r0, true, true, "R0 read back after update");
    cJSON_Delete(patch);
    cJSON_Delete(all);
    free_row(t, in);
    free_row(t, got);
    free_row(t, before);
}

static void step_upsert(const cerd_table *t, const cJSON *row2_json, const cJSON *update_json,
                        void *r2)
{
    void *in = new_row(t), *got = new_row(t);
    int64_t before = 0, after = 0;
    cJSON *changed = merged(row2_json, update_json), *v;

    /* keep R2's foreign keys equal to R0's */
    cJSON_ArrayForEach(v, update_json)
        if (is_fk(t, column_index(t, v->string)))
            cJSON_ReplaceItemInObjectCaseSensitive(changed, v->string,
                cJSON_Duplicate(cJSON_GetObjectItem(row2_json, v->string), 1));

    check(cerd_row_count(&before, conn, t, ANY), "count");
    row_from(t, row2_json, in);
    if (t->nunique) {
        /* insert path on the first unique key, update path on every unique key */
        check(cerd_row_upsert(r2, conn, t, 0, in), "upsert (insert path)");
        check(cerd_row_count(&after, conn, t, ANY), "count");
        assert_int_equal(after, before + 1);
        cJSON *stored = NULL;
        check(cerd_row_to_json(&stored, t, r2), "row to json");
        for (int k = 0; k < t->nunique; k++) {
            /* the key's columns as R2 stored them (a unique key on the server-numbered
               id, such as ai_trading_signals_id_key, needs R2's id) */
            cJSON *with_ukey = cJSON_Duplicate(changed, 1);
            for (int i = 0; i < t->unique_keys[k].ncolumns; i++) {
                const char *name = t->columns[t->unique_keys[k].columns[i]].name;
                cJSON_DeleteItemFromObjectCaseSensitive(with_ukey, name);
                cJSON_AddItemToObject(with_ukey, name,
                                      cJSON_Duplicate(cJSON_GetObjectItem(stored, name), 1));
            }
            cerd_row_clear(t, in);
            row_from(t, with_ukey, in);
            cJSON_Delete(with_ukey);
            cerd_row_clear(t, got);
            check(cerd_row_upsert(got, conn, t, k, in), t->unique_keys[k].name);
            assert_int_equal(id_of(t, got), id_of(t, r2));
            assert_rows_equal(t, in, got, false, false, "upsert update path");
        }
        cJSON_Delete(stored);
    } else {
        check(cerd_row_upsert(r2, conn, t, -1, in), "upsert on primary key (insert path)");
        check(cerd_row_count(&after, conn, t, ANY), "count");
        assert_int_equal(after, before + 1);
    }
    /* update path on the primary key: same id, changed values */
    {
        cJSON *with_key = cJSON_Duplicate(changed, 1), *all = NULL;
        check(cerd_row_to_json(&all, t, r2), "row to json");
        for (int i = 0; i < t->primary_key.ncolumns; i++) {
            const char *name = t->columns[t->primary_key.columns[i]].name;
            cJSON_DeleteItemFromObjectCaseSensitive(with_key, name);
            cJSON_AddItemToObject(with_key, name, cJSON_Duplicate(cJSON_GetObjectItem(all, name), 1));
        }
        cerd_row_clear(t, in);
        row_from(t, with_key, in);
        cerd_row_clear(t, got);
        check(cerd_row_upsert(got, conn, t, -1, in), "upsert on primary key (update path)");
        assert_int_equal(id_of(t, got), id_of(t, r2));
        assert_rows_equal(t, in, got, false, false, "upsert on primary key");
        check(cerd_row_count(&before, conn, t, ANY), "count");
        assert_int_equal(before, after);
        cJSON_Delete(with_key);
        cJSON_Delete(all);
    }
    cerd_row_clear(t, r2);
    check(cerd_row_get(r2, conn, t, -1, got, ANY), "get R2");
    cJSON_Delete(changed);
    free_row(t, in);
    free_row(t, got);
}

static void step_list_by_foreign_keys(const cerd_table *t, const void *r0, const void *r1,
                                      const void *r2)
{
    const int64_t want[3] = {id_of(t, r0), id_of(t, r1), id_of(t, r2)};

    for (int f = 0; f < t->nforeign; f++) {
        const cerd_foreign_key *fk = &t->foreign_keys[f];
        for (int desc = 0; desc < 2; desc++) {
            cerd_page page = {.limit = 2, .descending = desc, .include_deleted = true};
            int64_t seen[8];
            size_t nseen = 0;
            int pages = 0;
            do {
                cerd_rows rows = {0};
                check(cerd_row_list(&rows, conn, t, f, r0, &page), "list by foreign key");
                for (size_t i = 0; i < rows.count && nseen < 8; i++)
                    seen[nseen++] = id_of(t, (char *)rows.rows + i * t->row_size);
                page.after = rows.next;
                pages++;
                cerd_rows_free(t, &rows);
            } while (page.after.valid && pages < 5);
            /* users' rows R0..R2 point at the same parent; so may the parent itself
               for other rows: our three rows come in key order across two pages */
            assert_true(pages >= 2);
            for (int w = 0; w < 3; w++) {
                bool found = false;
                for (size_t i = 0; i < nseen; i++)
                    found |= seen[i] == want[w];
                if (!found)
                    print_error("%s: list by %s missed id %lld\n", t->name, fk->name,
                                (long long)want[w]);
                assert_true(found);
            }
            for (size_t i = 1; i < nseen; i++)
                assert_true(desc ? seen[i] < seen[i - 1] : seen[i] > seen[i - 1]);
        }
    }
}

/* The whole table, page by page (cerd_<t>_list): every row once, in key order, both
   directions, with or without soft-deleted rows as asked. */
static void step_list_whole_table(const cerd_table *t, const void *r0, const void *r1,
                                  const void *r2)
{
    const int64_t want[3] = {id_of(t, r0), id_of(t, r1), id_of(t, r2)};
    int64_t total = 0, live = 0;

    check(cerd_row_count(&total, conn, t, ANY), "count");
    check(cerd_row_count(&live, conn, t, 0), "count");
    for (int any = 0; any < 2; any++)
        for (int desc = 0; desc < 2; desc++) {
            cerd_page page = {.limit = 2, .descending = desc, .include_deleted = any};
            int64_t *seen = calloc((size_t)total + 1, sizeof *seen);
            size_t nseen = 0;
            int pages = 0;
            assert_non_null(seen);
            do {
                cerd_rows rows = {0};
                check(cerd_row_list(&rows, conn, t, -1, NULL, &page), "list whole table");
                assert_true(rows.count <= 2);
                for (size_t i = 0; i < rows.count; i++) {
                    assert_true(nseen < (size_t)total);
                    seen[nseen++] = id_of(t, (char *)rows.rows + i * t->row_size);
                }
                page.after = rows.next;
                pages++;
                cerd_rows_free(t, &rows);
            } while (page.after.valid);
            assert_int_equal(nseen, any ? total : live);
            assert_true(pages >= 2 || !any); /* every table holds R0..R2: 3 rows or more */
            for (size_t i = 1; i < nseen; i++)
                assert_true(desc ? seen[i] < seen[i - 1] : seen[i] > seen[i - 1]);
            for (int w = 0; w < 3 && any; w++) {
                bool found = false;
                for (size_t i = 0; i < nseen; i++)
                    found |= seen[i] == want[w];
                assert_true(found);
            }
            free(seen);
        }
}

static void step_count_exists_delete(const cerd_table *t, const void *r2)
{
    bool exists = false;
    void *got = new_row(t);
    int64_t count = 0, after = 0;

    check(cerd_row_count(&count, conn, t, ANY), "count");
    assert_true(count >= 3);
    check(cerd_row_exists(&exists, conn, t, r2, ANY), "exists");
    assert_true(exists);
    if (t->soft_delete_column >= 0) {
        if (!cerd__field_is_null(&t->columns[t->soft_delete_column], r2)) {
            /* the test row was stored as deleted: restore it (deleted_by goes with it) */
            void *live = new_row(t);
            cerd_colset cols = {{0}};
            cerd_colset_add(&cols, (unsigned)t->soft_delete_column);
            if (cerd_table_column(t, "deleted_by") >= 0)
                cerd_colset_add(&cols, (unsigned)cerd_table_column(t, "deleted_by"));
            key_only(t, r2, live);
            check(cerd_row_update(NULL, conn, t, live, &cols), "restore soft-deleted row");
            free_row(t, live);
        }
        check(cerd_row_delete(conn, t, r2, 0), "soft delete");
        check(cerd_row_get(got, conn, t, -1, r2, ANY), "get soft-deleted row");
        assert_false(cerd__field_is_null(&t->columns[t->soft_delete_column], got));
        assert_int_equal(cerd_row_delete(conn, t, r2, 0), CERD_ENOTFOUND);
        check(cerd_row_delete(conn, t, r2, CERD_DELETE_HARD), "hard delete");
    } else {
        check(cerd_row_delete(conn, t, r2, 0), "delete");
    }
    check(cerd_row_exists(&exists, conn, t, r2, ANY), "exists");
    assert_false(exists);
    cerd_row_clear(t, got);
    assert_int_equal(cerd_row_get(got, conn, t, -1, r2, ANY), CERD_ENOTFOUND);
    assert_non_null(strstr(cerd_error_last()->message, "no row with id = "));
    assert_int_equal(cerd_row_delete(conn, t, r2, CERD_DELETE_HARD), CERD_ENOTFOUND);
    check(cerd_row_count(&after, conn, t, ANY), "count");
    assert_int_equal(after, count - 1);
    free_row(t, got);
}

/* A row written by the library reads back through psql as the same text. */
static void step_read_by_psql(const cerd_table *t, const void *r0)
{
    char *from_psql = psql_row_json(t, id_of(t, r0));
    char *ours = canonical_json(t, r0);

    if (strcmp(from_psql, ours))
        print_error("%s: psql prints\n  %s\nthe library has\n  %s\n", t->name, from_psql, ours);
    assert_string_equal(from_psql, ours);
    free(from_psql);
    free(ours);
}

/* A row written by psql (PostgreSQL parses every value from text) reads back through
   the library exactly. Uses R2's values, free again once R2 is deleted. */
static void step_written_by_psql(const cerd_table *t, const cJSON *row2_json)
{
    char json_path[] = "/tmp/cerd_rowXXXXXX", cmd[8192], columns[4096] = "", buf[64];
    char *text = cJSON_PrintUnformatted(row2_json), *from_psql, *ours;
    void *key = new_row(t), *got = new_row(t);
    size_t used = 0;
    int fd = mkstemp(json_path);
    FILE *f, *p;

    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    for (int i = 0; i < t->ncolumns; i++)
        if (!(t->columns[i].flags & CERD_COL_IDENTITY))
            used += (size_t)snprintf(columns + used, sizeof columns - used, "%s%s",
                                     used ? ", " : "", t->columns[i].name);
    /* psql substitutes variables only in scripts, not in -c commands */
    {
        char sql_path[] = "/tmp/cerd_sqlXXXXXX";
        FILE *sf;
        int sfd = mkstemp(sql_path);
        assert_true(sfd >= 0);
        sf = fdopen(sfd, "w");
        fprintf(sf, "\\set content `cat %s`\n"
                    "INSERT INTO %s (%s) SELECT %s FROM jsonb_populate_record(NULL::%s,"
                    " :'content'::jsonb) RETURNING id;\n",
                json_path, t->name, columns, columns, t->name);
        fclose(sf);
        snprintf(cmd, sizeof cmd, "psql -XAtq -v ON_ERROR_STOP=1 \"%s\" -f %s; rm -f %s",
                 db.conninfo, sql_path, sql_path);
    }
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(buf, sizeof buf, p));
    assert_int_equal(pclose(p), 0);
    unlink(json_path);

    {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddItemToObject(k, "id", cJSON_CreateRaw(strtok(buf, "\n")));
        if (t->primary_key.ncolumns > 1) /* composite (id, candle_time): from the JSON */
            for (int i = 1; i < t->primary_key.ncolumns; i++) {
                const char *name = t->columns[t->primary_key.columns[i]].name;
                cJSON_AddItemToObject(k, name,
                                      cJSON_Duplicate(cJSON_GetObjectItem(row2_json, name), 1));
            }
        row_from(t, k, key);
        cJSON_Delete(k);
    }
    check(cerd_row_get(got, conn, t, -1, key, ANY), "get the row psql wrote");
    from_psql = psql_row_json(t, id_of(t, got));
    ours = canonical_json(t, got);
    if (strcmp(from_psql, ours))
        print_error("%s: psql wrote\n  %s\nthe library read\n  %s\n", t->name, from_psql, ours);
    assert_string_equal(from_psql, ours);
    check(cerd_row_delete(conn, t, got, CERD_DELETE_HARD), "delete the row psql wrote");
    free(from_psql);
    free(ours);
    cJSON_free(text);
    free_row(t, key);
    free_row(t, got);
}

/* ---------------------------------------------------------------- per table */

static void test_table(void **state)
{
    const cerd_table *t = *state;
    cJSON *doc = load_rows_file(t);
    cJSON *row = cJSON_Duplicate(cJSON_GetObjectItem(doc, "row"), 1);
    const cJSON *update = cJSON_GetObjectItem(doc, "update");
    const cJSON *variants = cJSON_GetObjectItem(doc, "variants");
    cJSON *row1, *row2;
    void *r0 = new_row(t), *r1 = new_row(t), *r2 = new_row(t);
    size_t index;

    assert_non_null(row);
    assert_true(cJSON_GetArraySize(variants) >= 2);
    for (index = 0; cerd_table_at(index) != t; index++)
        ;
    if (!strcmp(t->name, "users")) {
        /* users reference users: make the parent their $refs point at first */
        cJSON *parent = merged(row, cJSON_GetArrayItem(variants, 1));
        void *p = new_row(t), *out = new_row(t);
        cJSON_AddStringToObject(parent, "email", "parent.of.users@example.com");
        cJSON_DeleteItemFromObjectCaseSensitive(parent, "referral_code");
        resolve_refs(parent, t);
        row_from(t, parent, p);
        check(cerd_row_insert(out, conn, t, p), "insert users parent");
        users_parent = id_of(t, out);
        free_row(t, p);
        free_row(t, out);
        cJSON_Delete(parent);
    }
    resolve_refs(row, t);
    row1 = merged(row, cJSON_GetArrayItem(variants, 0));
    row2 = merged(row, cJSON_GetArrayItem(variants, 1));

    step_insert_and_read_back(t, row, r0);
    primary_id[index] = id_of(t, r0);
    check(cerd_row_to_json(&primary_json[index], t, r0), "R0 as JSON");
    step_nullable_columns(t, row1, cJSON_GetObjectItem(doc, "null_row_keeps"), r1);
    step_update_subset(t, update, r0);
    step_upsert(t, row2, update, r2);
    step_list_by_foreign_keys(t, r0, r1, r2);
    step_list_whole_table(t, r0, r1, r2);
    step_read_by_psql(t, r0);
    step_count_exists_delete(t, r2);
    step_written_by_psql(t, row2);

    free_row(t, r0);
    free_row(t, r1);
    free_row(t, r2);
    cJSON_Delete(row);
    cJSON_Delete(row1);
    cJSON_Delete(row2);
    cJSON_Delete(doc);
}

/* The typed whole-table list of the tables that have no foreign key to list by: it
   pages through what the table holds (the rows the per-table tests left). */
#define TYPED_LIST(T)                                                                    \
    do {                                                                                 \
        cerd_page page = {.limit = 1};                                                   \
        int64_t count = 0, seen = 0, last = 0;                                           \
        check(cerd_##T##_count(&count, conn), #T " count");                             \
        assert_true(count >= 1);                                                         \
        do {                                                                             \
            cerd_##T##_rows rows = {0};                                                  \
            check(cerd_##T##_list(&rows, conn, &page), #T " list");                      \
            for (size_t i = 0; i < rows.count; i++, seen++) {                            \
                assert_true(rows.rows[i].id > last);                                     \
                last = rows.rows[i].id;                                                  \
            }                                                                            \
            page.after = rows.next;                                                      \
            cerd_##T##_list_free(&rows);                                                 \
        } while (page.after.valid);                                                      \
        assert_int_equal(seen, count);                                                   \
    } while (0)

static void test_typed_list(void **state)
{
    (void)state;
    TYPED_LIST(assets);
    TYPED_LIST(sectors);
    TYPED_LIST(ai_models);
    TYPED_LIST(analytics_data);
    TYPED_LIST(background_tasks);
    TYPED_LIST(external_api_logs);
    TYPED_LIST(metrics_snapshot);
    TYPED_LIST(system_health);
}

static int setup(void **state)
{
    (void)state;
    if (testdb_create(&db, "crud") || cerd_conn_open(&conn, db.conninfo))
        return -1;
    if (cerd_migrate(NULL, conn))
        return -1;
    pg = testdb_connect(&db);
    return pg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof primary_json / sizeof primary_json[0]; i++)
        cJSON_Delete(primary_json[i]);
    PQfinish(pg);
    cerd_conn_free(conn);
    testdb_drop(&db);
    return 0;
}

int main(void)
{
    struct CMUnitTest tests[65];
    size_t n = cerd_table_count();

    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        const cerd_table *t = cerd_table_at(i);
        tests[i] = (struct CMUnitTest){t->name, test_table, NULL, NULL, (void *)t};
    }
    tests[n++] = (struct CMUnitTest){"typed_list", test_typed_list, NULL, NULL, NULL};
    return _cmocka_run_group_tests("crud_tables", tests, n, setup, teardown);
}
