/* The typed API of a table (see api.h). */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_util.h"

/* Names of the fixed parameters and locals of the generated functions; a key column
   with one of these names is passed as <name>_value. */
static const char *const RESERVED_PARAMS[] = {"conn", "out", "in", "page", "cols",
                                              "key", "rows", "rc", "list", "row"};

static bool same_column_set(const cg_key *a, const cg_key *b)
{
    if (a->ncolumns != b->ncolumns)
        return false;
    for (int i = 0; i < a->ncolumns; i++) {
        bool found = false;
        for (int j = 0; j < b->ncolumns; j++)
            found = found || a->columns[i] == b->columns[j];
        if (!found)
            return false;
    }
    return true;
}

char *cg_key_api_name(const cg_table *t, const cg_key *k)
{
    if (k->api_name)
        return cg_xstrdup(k->api_name);
    const char *n = k->name;
    size_t tl = strlen(t->name);
    if (strncmp(n, t->name, tl) == 0 && n[tl] == '_' && n[tl + 1])
        n += tl + 1;
    if (strncmp(n, "unique_", 7) == 0 && n[7])
        n += 7;
    else if (strncmp(n, "uq_", 3) == 0 && n[3])
        n += 3;
    size_t len = strlen(n);
    if (len > 4 && strcmp(n + len - 4, "_key") == 0)
        len -= 4;
    return cg_xstrndup(n, len);
}

char *cg_fk_api_name(const cg_table *t, const cg_foreign_key *fk)
{
    if (fk->ncolumns == 1)
        return cg_xstrdup(t->columns[fk->columns[0]].name);
    const char *n = fk->name;
    size_t tl = strlen(t->name);
    if (strncmp(n, t->name, tl) == 0 && n[tl] == '_' && n[tl + 1])
        n += tl + 1;
    size_t len = strlen(n);
    if (len > 5 && strcmp(n + len - 5, "_fkey") == 0)
        len -= 5;
    return cg_xstrndup(n, len);
}

/* ------------------------------------------------------------------ descriptions */

/* The key columns as prose: "id" or "(id, candle_time)". */
static char *key_prose(const cg_table *t, const cg_key *k)
{
    cg_buf b = {0};
    if (k->ncolumns > 1)
        cg_buf_puts(&b, "(");
    for (int i = 0; i < k->ncolumns; i++)
        cg_buf_printf(&b, "%s%s", i ? ", " : "", t->columns[k->columns[i]].name);
    if (k->ncolumns > 1)
        cg_buf_puts(&b, ")");
    return b.data;
}

static const char *const CONN_DOC = "@param conn the connection (used by one thread at a time).";
static const char *const RETURN_ERRORS =
    "::CERD_EUNIQUE, ::CERD_EFOREIGNKEY, ::CERD_ECHECK, ::CERD_ENOTNULL (the server refused "
    "the row: cerd_error_last() names the constraint), ::CERD_EINVALID (client-side "
    "validation), ::CERD_EENCODING, ::CERD_ERANGE, or a connection error (::CERD_ECONNLOST, "
    "::CERD_ETIMEOUT, ...).";

static cg_api_op *new_op(cg_api *api, cg_api_kind kind, const char *ret, char *name)
{
    api->ops = cg_grow(api->ops, &api->nops, sizeof *api->ops);
    cg_api_op *op = &api->ops[api->nops - 1];
    op->kind = kind;
    op->ret = ret;
    op->name = name;
    op->key_index = -1;
    op->list_fk = -1;
    op->flags = "0";
    return op;
}

static void add_param(cg_api_op *op, char *decl, char *doc)
{
    op->params[op->nparams].decl = decl;
    op->params[op->nparams].doc = doc;
    op->nparams++;
}

/* "type name" with no space after a '*'. */
static char *decl(const char *type, const char *name)
{
    size_t n = strlen(type);
    return cg_xasprintf("%s%s%s", type, (n && type[n - 1] == '*') ? "" : " ", name);
}

static void add_conn(cg_api_op *op)
{
    add_param(op, cg_xstrdup("cerd_conn *conn"), cg_xstrdup(CONN_DOC));
}

static void add_out_row(cg_api_op *op, const char *tn, const char *what, bool may_be_null)
{
    add_param(op, cg_xasprintf("cerd_%s *out", tn),
              cg_xasprintf("@param[out] out receives %s%s. It must be zero-initialised or hold "
                           "a row, whose data is released first; the caller owns the result "
                           "and releases it with cerd_%s_clear().",
                           what, may_be_null ? " (may be NULL)" : "", tn));
}

static void add_in_row(cg_api_op *op, const char *tn, const char *doc)
{
    add_param(op, cg_xasprintf("const cerd_%s *in", tn), cg_xstrdup(doc));
}

static void add_key_params(cg_api_op *op, const cg_api *api, const int *cols, int n)
{
    for (int i = 0; i < n; i++) {
        const cg_column *c = &api->t->columns[cols[i]];
        add_param(op, decl(cg_column_param_type(c), api->param_names[cols[i]]),
                  cg_xasprintf("@param %s value of column %s (%s)%s.",
                               api->param_names[cols[i]], c->name, c->sql_type,
                               cg_column_param_by_pointer(c) ? "; borrowed" : ""));
        op->key_columns[op->nkey_columns++] = cols[i];
    }
}

static const char *any_doc(bool any)
{
    return any ? " Soft-deleted rows (deleted_at set) are included."
               : "";
}

static void build_ops(cg_api *api)
{
    const cg_table *t = api->t;
    const char *tn = t->name;
    char *pk = key_prose(t, &t->pk);
    cg_api_op *op;
    const char *hidden = api->soft_delete
        ? " A soft-deleted row (deleted_at set) is not found; the _any variant finds it."
        : "";

    /* insert */
    op = new_op(api, CG_API_INSERT, "int", cg_xasprintf("cerd_%s_insert", tn));
    op->doc = cg_xasprintf(
        "Inserts a row into %s. The write rule (the same for update, update_columns and "
        "upsert): a column in @c in->defaults is written as DEFAULT (its server default, or "
        "NULL when it has none); else a field holding a value writes that value; else (an "
        "invalid optional, a NULL pointer, an invalid array, an identity of 0) a NOT NULL "
        "column with a server default is absent (an insert gives it its default, an update "
        "or upsert leaves it unchanged) and any other column is written as NULL.", tn);
    add_out_row(op, tn, "the stored row, with identity and defaults filled in", true);
    add_conn(op);
    add_in_row(op, tn, "@param in the row to insert; borrowed, never modified.");
    op->return_doc = cg_xasprintf("@return 0; %s", RETURN_ERRORS);

    /* get, get_any, get_by_<key>, get_by_<key>_any */
    for (int i = -1; i < api->nbykeys; i++) {
        const cg_key *k = i < 0 ? &t->pk : &t->uniques[api->bykeys[i].key_index];
        for (int any = 0; any <= (api->soft_delete ? 1 : 0); any++) {
            char *text;
            if (i < 0) {
                op = new_op(api, CG_API_GET, "int",
                             cg_xasprintf("cerd_%s_get%s", tn, any ? "_any" : ""));
                text = cg_xasprintf("Reads the row of %s with primary key %s.%s", tn, pk,
                                    any ? any_doc(true) : hidden);
            } else {
                const cg_by_key *bk = &api->bykeys[i];
                char *kp = key_prose(t, k);
                char *pred = k->predicate ? cg_doc_text(k->predicate) : NULL;
                char *kname = cg_doc_text(k->name);
                char *also = bk->also ? cg_doc_text(bk->also) : NULL;
                op = new_op(api, CG_API_GET, "int",
                             cg_xasprintf("cerd_%s_get_by_%s%s", tn, bk->suffix,
                                          any ? "_any" : ""));
                op->key_index = bk->key_index;
                text = cg_xasprintf("Reads the row of %s with %s %s (unique %s %s%s%s%s%s).%s",
                                    tn, k->ncolumns > 1 ? "the columns" : "column", kp,
                                    k->from_index ? "index" : "key", kname,
                                    pred ? ", among the rows where " : "", pred ? pred : "",
                                    also ? "; also unique: " : "", also ? also : "",
                                    any ? any_doc(true) : hidden);
                free(kp);
                free(pred);
                free(kname);
                free(also);
            }
            op->doc = text;
            op->flags = any ? "CERD_ROW_INCLUDE_DELETED" : "0";
            add_out_row(op, tn, "the row", false);
            add_conn(op);
            add_key_params(op, api, k->columns, k->ncolumns);
            op->return_doc = cg_xstrdup(
                "@return 0; ::CERD_ENOTFOUND when there is no such row; or a connection error.");
        }
    }

    /* update, update_columns */
    op = new_op(api, CG_API_UPDATE, "int", cg_xasprintf("cerd_%s_update", tn));
    op->doc = cg_xasprintf("Updates every column but the primary key of the row of %s whose "
                           "primary key %s is that of @p in, with the values of @p in, following "
                           "the write rule of cerd_%s_insert() (absent columns are unchanged, "
                           "NULL fields write NULL, @c in->defaults write DEFAULT).", tn, pk, tn);
    add_out_row(op, tn, "the stored row", true);
    add_conn(op);
    add_in_row(op, tn, "@param in the new values and the key of the row; borrowed, never "
                       "modified.");
    op->return_doc = cg_xasprintf("@return 0; ::CERD_ENOTFOUND when there is no such row; %s",
                                  RETURN_ERRORS);

    op = new_op(api, CG_API_UPDATE_COLUMNS, "int", cg_xasprintf("cerd_%s_update_columns", tn));
    op->doc = cg_xasprintf("Updates the columns in @p cols of the row of %s whose primary key %s "
                           "is that of @p in, with the values of @p in, each following the write "
                           "rule of cerd_%s_insert(); other columns keep their values.",
                           tn, pk, tn);
    add_out_row(op, tn, "the stored row", true);
    add_conn(op);
    add_in_row(op, tn, "@param in the new values and the key of the row; borrowed, never "
                       "modified.");
    add_param(op, cg_xstrdup("const cerd_colset *cols"),
              cg_xasprintf("@param cols the columns to write: values of enum cerd_%s_column "
                           "added with cerd_colset_add(); NULL writes every column but the "
                           "primary key.", tn));
    op->return_doc = cg_xasprintf("@return 0; ::CERD_ENOTFOUND when there is no such row; %s",
                                  RETURN_ERRORS);

    /* upsert, upsert_by_<key> */
    for (int i = -1; i < api->nbykeys; i++) {
        const cg_key *k = i < 0 ? &t->pk : &t->uniques[api->bykeys[i].key_index];
        char *kp = key_prose(t, k);
        if (i < 0) {
            op = new_op(api, CG_API_UPSERT, "int", cg_xasprintf("cerd_%s_upsert", tn));
            op->doc = cg_xasprintf(
                "Inserts @p in into %s or, when a row with its primary key %s exists, updates "
                "that row with the values of @p in (INSERT ... ON CONFLICT DO UPDATE). Both "
                "paths follow the write rule of cerd_%s_insert().", tn, kp, tn);
        } else {
            char *pred = k->predicate ? cg_doc_text(k->predicate) : NULL;
            char *kname = cg_doc_text(k->name);
            op = new_op(api, CG_API_UPSERT, "int",
                         cg_xasprintf("cerd_%s_upsert_by_%s", tn, api->bykeys[i].suffix));
            op->key_index = api->bykeys[i].key_index;
            op->doc = cg_xasprintf(
                "Inserts @p in into %s or, when a row with its %s %s exists (unique %s %s%s%s), "
                "updates that row with the values of @p in (INSERT ... ON CONFLICT DO UPDATE). "
                "Both paths follow the write rule of cerd_%s_insert().", tn,
                k->ncolumns > 1 ? "columns" : "column", kp, k->from_index ? "index" : "key",
                kname, pred ? ", among the rows where " : "", pred ? pred : "", tn);
            free(pred);
            free(kname);
        }
        free(kp);
        add_out_row(op, tn, "the stored row", true);
        add_conn(op);
        add_in_row(op, tn, "@param in the row; borrowed, never modified.");
        op->return_doc = cg_xasprintf("@return 0; %s", RETURN_ERRORS);
    }

    /* delete, delete_hard */
    for (int hard = 0; hard <= (api->soft_delete ? 1 : 0); hard++) {
        op = new_op(api, CG_API_DELETE, "int",
                     cg_xasprintf("cerd_%s_delete%s", tn, hard ? "_hard" : ""));
        op->flags = hard ? "CERD_DELETE_HARD" : "0";
        if (hard)
            op->doc = cg_xasprintf("Removes the row of %s with primary key %s from the table, "
                                   "also when it is soft-deleted.", tn, pk);
        else if (api->soft_delete)
            op->doc = cg_xasprintf("Soft-deletes the row of %s with primary key %s: sets its "
                                   "deleted_at to the current time (cerd_%s_delete_hard() "
                                   "removes the row).", tn, pk, tn);
        else
            op->doc = cg_xasprintf("Deletes the row of %s with primary key %s.", tn, pk);
        add_conn(op);
        add_key_params(op, api, t->pk.columns, t->pk.ncolumns);
        op->return_doc = cg_xstrdup(
            api->soft_delete && !hard
                ? "@return 0; ::CERD_ENOTFOUND when there is no such row or it is already "
                  "soft-deleted; or a connection error."
                : "@return 0; ::CERD_ENOTFOUND when there is no such row; ::CERD_EFOREIGNKEY "
                  "when other rows still reference it; or a connection error.");
    }

    /* list, list_by_<foreign key column> */
    for (int i = -1; i < api->nlists; i++) {
        const char *page_doc =
            api->soft_delete
                ? "@param page which page: zero-initialised for the first page (100 rows, "
                  "ascending, soft-deleted rows left out); for the next one, set its @c after "
                  "to the @c next of the previous page; set @c include_deleted to list "
                  "soft-deleted rows too."
                : "@param page which page: zero-initialised for the first page (100 rows, "
                  "ascending); for the next one, set its @c after to the @c next of the "
                  "previous page.";
        if (i < 0) {
            op = new_op(api, CG_API_LIST, "int", cg_xasprintf("cerd_%s_list", tn));
            op->doc = cg_xasprintf("Lists every row of %s, one page at a time in primary-key "
                                   "order (keyset pagination).", tn);
        } else {
            const cg_foreign_key *fk = &t->fks[api->list_fks[i]];
            char *fkname = cg_doc_text(api->list_fk_names[i]);
            char *ref = cg_doc_text(fk->ref_table);
            cg_buf cols = {0}, refcols = {0}, params = {0};
            for (int c = 0; c < fk->ncolumns; c++) {
                cg_buf_printf(&cols, "%s%s", c ? ", " : "", t->columns[fk->columns[c]].name);
                cg_buf_printf(&refcols, "%s%s", c ? ", " : "", fk->ref_columns[c]);
                cg_buf_printf(&params, "%s@p %s", c == 0 ? "" : c + 1 == fk->ncolumns ? " and " : ", ",
                              api->param_names[fk->columns[c]]);
            }
            char *cols_doc = cg_doc_text(cols.data), *refcols_doc = cg_doc_text(refcols.data);
            op = new_op(api, CG_API_LIST, "int",
                        cg_xasprintf("cerd_%s_list_by_%s", tn, api->list_suffixes[i]));
            op->list_fk = api->list_fks[i];
            if (fk->ncolumns == 1)
                op->doc = cg_xasprintf("Lists the rows of %s whose %s equals %s (foreign key "
                                       "%s to %s.%s), one page at a time in primary-key order.",
                                       tn, cols_doc, params.data, fkname, ref, refcols_doc);
            else
                op->doc = cg_xasprintf("Lists the rows of %s whose (%s) equal %s (foreign key "
                                       "%s to %s (%s)), one page at a time in primary-key "
                                       "order.", tn, cols_doc, params.data, fkname, ref,
                                       refcols_doc);
            free(fkname);
            free(ref);
            free(cols_doc);
            free(refcols_doc);
            cg_buf_free(&cols);
            cg_buf_free(&refcols);
            cg_buf_free(&params);
        }
        add_param(op, cg_xasprintf("cerd_%s_rows *out", tn),
                  cg_xasprintf("@param[out] out receives the rows and the position of the next "
                               "page. Pass it zero-initialised; the caller owns the result and "
                               "releases it with cerd_%s_list_free().", tn));
        add_conn(op);
        if (i >= 0) {
            const cg_foreign_key *fk = &t->fks[api->list_fks[i]];
            add_key_params(op, api, fk->columns, fk->ncolumns);
        }
        add_param(op, cg_xstrdup("const cerd_page *page"), cg_xstrdup(page_doc));
        op->return_doc = cg_xstrdup("@return 0 (also when no row matches); or a connection "
                                    "error.");
    }

    /* count, count_any */
    for (int any = 0; any <= (api->soft_delete ? 1 : 0); any++) {
        op = new_op(api, CG_API_COUNT, "int",
                     cg_xasprintf("cerd_%s_count%s", tn, any ? "_any" : ""));
        op->flags = any ? "CERD_ROW_INCLUDE_DELETED" : "0";
        op->doc = cg_xasprintf("Counts the rows of %s%s.", tn,
                               !api->soft_delete ? ""
                               : any ? ", soft-deleted rows included"
                                     : " but the soft-deleted ones (deleted_at set)");
        add_param(op, cg_xstrdup("int64_t *out"),
                  cg_xstrdup("@param[out] out receives the number of rows."));
        add_conn(op);
        op->return_doc = cg_xstrdup("@return 0, or a connection error.");
    }

    /* exists, exists_any */
    for (int any = 0; any <= (api->soft_delete ? 1 : 0); any++) {
        op = new_op(api, CG_API_EXISTS, "int",
                     cg_xasprintf("cerd_%s_exists%s", tn, any ? "_any" : ""));
        op->flags = any ? "CERD_ROW_INCLUDE_DELETED" : "0";
        op->doc = cg_xasprintf("Sets @p *out to whether %s has a %srow with primary key %s%s.",
                               tn, api->soft_delete && !any ? "live " : "", pk,
                               api->soft_delete && any ? ", soft-deleted or not" : "");
        add_param(op, cg_xstrdup("bool *out"),
                  cg_xstrdup("@param[out] out receives true when the row exists, else false."));
        add_conn(op);
        add_key_params(op, api, t->pk.columns, t->pk.ncolumns);
        op->return_doc = cg_xstrdup("@return 0, or a connection error.");
    }

    /* clear, list_free */
    op = new_op(api, CG_API_CLEAR, "void", cg_xasprintf("cerd_%s_clear", tn));
    op->doc = cg_xstrdup("Releases what @p row owns (strings, JSON, arrays) and zeroes it. "
                         "Accepts NULL.");
    add_param(op, cg_xasprintf("cerd_%s *row", tn), cg_xasprintf("@param row a row of %s.", tn));
    op = new_op(api, CG_API_LIST_FREE, "void", cg_xasprintf("cerd_%s_list_free", tn));
    op->doc = cg_xstrdup("Releases the rows of @p list and zeroes it. Accepts NULL.");
    add_param(op, cg_xasprintf("cerd_%s_rows *list", tn),
              cg_xasprintf("@param list a list of rows of %s.", tn));
    free(pk);
}

void cg_api_build(cg_api *api, const cg_table *t)
{
    memset(api, 0, sizeof *api);
    api->t = t;
    api->upper = cg_upper(t->name);
    api->ncolumns_name = cg_xasprintf("CERD_%s__NCOLUMNS", api->upper);
    api->enum_names = cg_xcalloc((size_t)t->ncolumns, sizeof *api->enum_names);
    api->param_names = cg_xcalloc((size_t)t->ncolumns, sizeof *api->param_names);
    for (int i = 0; i < t->ncolumns; i++) {
        const char *name = t->columns[i].name;
        char *up = cg_upper(name);
        api->enum_names[i] = cg_xasprintf("CERD_%s_%s", api->upper, up);
        free(up);
        bool clash = false;
        for (size_t r = 0; r < sizeof RESERVED_PARAMS / sizeof RESERVED_PARAMS[0]; r++)
            clash = clash || strcmp(name, RESERVED_PARAMS[r]) == 0;
        api->param_names[i] = clash ? cg_xasprintf("%s_value", name) : cg_xstrdup(name);
    }

    /* One get_by/upsert_by pair per distinct column set of the unique keys; none for a
       key with the primary key's columns (get/upsert serve it). Among keys with the same
       columns, a full key is preferred to a partial index. */
    for (int k = 0; k < t->nuniques; k++) {
        const cg_key *key = &t->uniques[k];
        if (same_column_set(key, &t->pk))
            continue;
        cg_by_key *bk = NULL;
        for (int i = 0; i < api->nbykeys; i++)
            if (same_column_set(&t->uniques[api->bykeys[i].key_index], key))
                bk = &api->bykeys[i];
        if (!bk) {
            api->bykeys = cg_grow(api->bykeys, &api->nbykeys, sizeof *api->bykeys);
            bk = &api->bykeys[api->nbykeys - 1];
            bk->key_index = k;
            continue;
        }
        const cg_key *cur = &t->uniques[bk->key_index];
        const char *other = key->name;
        if (cur->predicate && !key->predicate) {
            other = cur->name;
            bk->key_index = k;
        }
        char *also = bk->also ? cg_xasprintf("%s, %s", bk->also, other) : cg_xstrdup(other);
        free(bk->also);
        bk->also = also;
    }

    /* One list_by per foreign-key column list. */
    for (int f = 0; f < t->nfks; f++) {
        const cg_foreign_key *fk = &t->fks[f];
        int at = -1;
        for (int i = 0; i < api->nlists; i++) {
            const cg_foreign_key *o = &t->fks[api->list_fks[i]];
            if (o->ncolumns == fk->ncolumns &&
                memcmp(o->columns, fk->columns, (size_t)fk->ncolumns * sizeof *fk->columns) == 0)
                at = i;
        }
        if (at < 0) {
            int n = api->nlists;
            api->list_fks = cg_grow(api->list_fks, &n, sizeof *api->list_fks);
            api->list_fks[n - 1] = f;
            n = api->nlists;
            api->list_fk_names = cg_grow(api->list_fk_names, &n, sizeof *api->list_fk_names);
            api->list_fk_names[n - 1] = cg_xstrdup(fk->name);
            n = api->nlists;
            api->list_suffixes = cg_grow(api->list_suffixes, &n, sizeof *api->list_suffixes);
            api->list_suffixes[n - 1] = cg_fk_api_name(t, fk);
            api->nlists = n;
        } else {
            char *names = cg_xasprintf("%s, %s", api->list_fk_names[at], fk->name);
            free(api->list_fk_names[at]);
            api->list_fk_names[at] = names;
        }
    }
    for (int i = 0; i < api->nbykeys; i++)
        api->bykeys[i].suffix = cg_key_api_name(t, &t->uniques[api->bykeys[i].key_index]);
    api->soft_delete = t->soft_delete_column >= 0;
    build_ops(api);
}

void cg_api_free(cg_api *api)
{
    for (int i = 0; i < api->t->ncolumns; i++) {
        free(api->enum_names[i]);
        free(api->param_names[i]);
    }
    free(api->enum_names);
    free(api->param_names);
    for (int i = 0; i < api->nbykeys; i++) {
        free(api->bykeys[i].suffix);
        free(api->bykeys[i].also);
    }
    free(api->bykeys);
    for (int i = 0; i < api->nops; i++) {
        cg_api_op *op = &api->ops[i];
        free(op->name);
        free(op->doc);
        free(op->return_doc);
        for (int p = 0; p < op->nparams; p++) {
            free(op->params[p].decl);
            free(op->params[p].doc);
        }
    }
    free(api->ops);
    for (int i = 0; i < api->nlists; i++) {
        free(api->list_fk_names[i]);
        free(api->list_suffixes[i]);
    }
    free(api->list_fk_names);
    free(api->list_suffixes);
    free(api->list_fks);
    free(api->upper);
    free(api->ncolumns_name);
    memset(api, 0, sizeof *api);
}

typedef struct symbol {
    char *name;
    const char *origin; /* table name, or NULL for the runtime */
} symbol;

static void add_symbol(symbol **syms, int *n, char *name, const char *origin)
{
    *syms = cg_grow(*syms, n, sizeof **syms);
    (*syms)[*n - 1].name = name;
    (*syms)[*n - 1].origin = origin;
}

static int cmp_symbol(const void *a, const void *b)
{
    const symbol *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    /* Deterministic order of equal names: the runtime's first, then by table. */
    if (!x->origin || !y->origin)
        return (x->origin != NULL) - (y->origin != NULL);
    return strcmp(x->origin, y->origin);
}

void cg_api_check_symbols(const cg_schema *s, char **reserved, int nreserved)
{
    symbol *syms = NULL;
    int n = 0;
    for (int i = 0; i < nreserved; i++)
        add_symbol(&syms, &n, cg_xstrdup(reserved[i]), NULL);
    for (int ti = 0; ti < s->ntables; ti++) {
        const cg_table *t = &s->tables[ti];
        const char *tn = t->name;
        cg_api api;
        cg_api_build(&api, t);
        static const char *const fixed[] = {"", "_rows", "_table", "_column"};
        for (size_t f = 0; f < sizeof fixed / sizeof fixed[0]; f++)
            add_symbol(&syms, &n, cg_xasprintf("cerd_%s%s", tn, fixed[f]), tn);
        for (int o = 0; o < api.nops; o++)
            add_symbol(&syms, &n, cg_xstrdup(api.ops[o].name), tn);
        for (int c = 0; c < t->ncolumns; c++)
            add_symbol(&syms, &n, cg_xstrdup(api.enum_names[c]), tn);
        add_symbol(&syms, &n, cg_xstrdup(api.ncolumns_name), tn);
        add_symbol(&syms, &n, cg_xasprintf("CRYPTOERD_TABLES_%s_H", api.upper), tn);
        cg_api_free(&api);
    }
    qsort(syms, (size_t)n, sizeof *syms, cmp_symbol);
    for (int i = 1; i < n; i++) {
        if (strcmp(syms[i - 1].name, syms[i].name) != 0)
            continue;
        if (!syms[i].origin && !syms[i - 1].origin)
            continue; /* the runtime's own names may repeat (declaration and use) */
        if (!syms[i - 1].origin)
            fprintf(stderr,
                    "cerdgen: table %s: the generated name %s is already a name of the "
                    "library's public headers; rename the table or column\n",
                    syms[i].origin, syms[i].name);
        else
            fprintf(stderr,
                    "cerdgen: tables %s and %s: both would generate the name %s; rename a "
                    "table or column\n",
                    syms[i - 1].origin, syms[i].origin, syms[i].name);
        exit(1);
    }
    for (int i = 0; i < n; i++)
        free(syms[i].name);
    free(syms);
}
