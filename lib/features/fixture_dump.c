/* Dumping rows back to the fixture format: deterministic (primary-key order, names from
   positions, never from keys), so dump -> load -> dump gives the same bytes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cryptoerd/fixtures.h"
#include "cryptoerd/json.h"
#include "cryptoerd/row.h"
#include "features/fixture_internal.h"
#include "util/buf.h"
#include "util/error_internal.h"

typedef struct dump_table {
    const cerd_table *t;
    cJSON **rows;    /* each row as JSON */
    int64_t *keys;   /* identity of each row (ascending) or 0 */
    size_t n, cap;
    bool *inc;       /* included in the dump */
    bool *named;     /* referred to by an included row */
    size_t *ord;     /* 1-based position among included rows */
} dump_table;

typedef struct dump_ctx {
    dump_table *tabs;
    size_t ntabs;
} dump_ctx;

static bool json_int64(const cJSON *v, int64_t *out)
{
    if (cJSON_IsRaw(v)) {
        char *end;
        long long x = strtoll(v->valuestring, &end, 10);
        if (*end)
            return false;
        *out = x;
        return true;
    }
    if (cJSON_IsNumber(v)) {
        *out = (int64_t)v->valuedouble;
        return true;
    }
    return false;
}

static int64_t identity_of(const cerd_table *t, const void *row)
{
    int c = cerd__fx_identity_column(t);
    const char *f;

    if (c < 0)
        return 0;
    f = (const char *)row + t->columns[c].offset;
    return t->columns[c].type == CERD_TYPE_INT32 ? *(const int32_t *)(const void *)f
                                                 : *(const int64_t *)(const void *)f;
}

static int read_table(dump_table *d, cerd_conn *conn)
{
    cerd_page page = {0};
    int rc;

    page.limit = 1000;
    page.include_deleted = true;
    for (;;) {
        cerd_rows rows = {0};
        if ((rc = cerd_row_list(&rows, conn, d->t, -1, NULL, &page)))
            return cerd__error_prefix("dump: reading %s", d->t->name);
        if (d->n + rows.count > d->cap) {
            size_t cap = d->cap ? d->cap : 64;
            while (cap < d->n + rows.count)
                cap *= 2;
            cJSON **g = realloc(d->rows, cap * sizeof *g);
            int64_t *k = g ? realloc(d->keys, cap * sizeof *k) : NULL;
            if (g)
                d->rows = g;
            if (k)
                d->keys = k;
            if (!g || !k) {
                cerd_rows_free(d->t, &rows);
                return cerd__error(CERD_ENOMEM, "dump: out of memory");
            }
            d->cap = cap;
        }
        for (size_t i = 0; i < rows.count; i++) {
            const void *row = (const char *)rows.rows + i * d->t->row_size;
            /* key 0: a reserved row made by the migrations (the system user), present in
               every database; references to it keep the number 0 */
            if (cerd__fx_identity_column(d->t) >= 0 && identity_of(d->t, row) == 0)
                continue;
            if ((rc = cerd_row_to_json(&d->rows[d->n], d->t, row))) {
                cerd_rows_free(d->t, &rows);
                return rc;
            }
            d->keys[d->n++] = identity_of(d->t, row);
        }
        page.after = rows.next;
        cerd_rows_free(d->t, &rows);
        if (!page.after.valid)
            break;
    }
    d->inc = calloc(d->n + 1, sizeof *d->inc);
    d->named = calloc(d->n + 1, sizeof *d->named);
    d->ord = calloc(d->n + 1, sizeof *d->ord);
    if (!d->inc || !d->named || !d->ord)
        return cerd__error(CERD_ENOMEM, "dump: out of memory");
    return 0;
}

static dump_table *find_tab(dump_ctx *cx, const char *name)
{
    for (size_t i = 0; i < cx->ntabs; i++)
        if (!strcmp(cx->tabs[i].t->name, name))
            return &cx->tabs[i];
    return NULL;
}

/* The row of d whose key is k, or -1 (keys ascending: primary-key order). */
static long find_row(const dump_table *d, int64_t k)
{
    size_t lo = 0, hi = d->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n && d->keys[lo] == k ? (long)lo : -1;
}

/* The row that foreign key fk of row r of d points at: table and row, or NULL. */
static dump_table *target_of(dump_ctx *cx, const dump_table *d, size_t r,
                             const cerd_foreign_key *fk, long *row)
{
    int kp = cerd__fx_fk_key_position(fk);
    const cJSON *v;
    dump_table *tt;
    int64_t k;

    if (kp < 0)
        return NULL;
    v = cJSON_GetObjectItemCaseSensitive(d->rows[r], d->t->columns[fk->columns[kp]].name);
    if (!v || !json_int64(v, &k))
        return NULL;
    tt = find_tab(cx, fk->ref_table);
    if (!tt)
        return NULL;
    *row = find_row(tt, k);
    return *row >= 0 ? tt : NULL;
}

/* The table whose identity column c of t ultimately refers to: through the foreign key
   of which c is the key column, or, for a column copied from a parent (a composite key's
   user_id), through the parent's column it copies, followed up; NULL when none. */
static const char *column_target(const cerd_table *t, int c, int depth)
{
    const cerd_foreign_key *fk = cerd__fx_ref_fk(t, c);

    if (fk)
        return fk->ref_table;
    if (depth > 4)
        return NULL;
    for (uint16_t f = 0; f < t->nforeign; f++) {
        const cerd_foreign_key *g = &t->foreign_keys[f];
        int kp = cerd__fx_fk_key_position(g);
        const cerd_table *pt = cerd_table_find(g->ref_table);
        for (int k = 0; pt && kp >= 0 && k < g->ncolumns; k++)
            if (k != kp && g->columns[k] == c) {
                int pc = cerd_table_column(pt, g->ref_columns[k]);
                const char *up = pc >= 0 ? column_target(pt, pc, depth + 1) : NULL;
                if (up)
                    return up;
            }
    }
    return NULL;
}

/* The dumped row that column c of row r of d refers to (see column_target), or NULL. */
static dump_table *column_row(dump_ctx *cx, const dump_table *d, size_t r, int c, long *row)
{
    const char *target = column_target(d->t, c, 0);
    const cJSON *v;
    dump_table *tt;
    int64_t k;

    if (!target)
        return NULL;
    v = cJSON_GetObjectItemCaseSensitive(d->rows[r], d->t->columns[c].name);
    if (!v || !json_int64(v, &k) || !(tt = find_tab(cx, target)))
        return NULL;
    *row = find_row(tt, k);
    return *row >= 0 ? tt : NULL;
}

static void close_over_roots(dump_ctx *cx)
{
    bool changed = true;

    while (changed) { /* rows referring to included rows */
        changed = false;
        for (size_t i = 0; i < cx->ntabs; i++) {
            dump_table *d = &cx->tabs[i];
            for (size_t r = 0; r < d->n; r++) {
                if (d->inc[r])
                    continue;
                for (uint16_t f = 0; f < d->t->nforeign; f++) {
                    long tr;
                    dump_table *tt = target_of(cx, d, r, &d->t->foreign_keys[f], &tr);
                    if (tt && tt->inc[tr]) {
                        d->inc[r] = changed = true;
                        break;
                    }
                }
            }
        }
    }
    changed = true;
    while (changed) { /* rows included rows refer to */
        changed = false;
        for (size_t i = 0; i < cx->ntabs; i++) {
            dump_table *d = &cx->tabs[i];
            for (size_t r = 0; r < d->n; r++) {
                if (!d->inc[r])
                    continue;
                for (uint16_t f = 0; f < d->t->nforeign; f++) {
                    long tr;
                    dump_table *tt = target_of(cx, d, r, &d->t->foreign_keys[f], &tr);
                    if (tt && !tt->inc[tr])
                        tt->inc[tr] = changed = true;
                }
            }
        }
    }
}

static int put(cerd__buf *b, const char *s)
{
    return cerd__buf_append(b, s, strlen(s));
}

static int put_string(cerd__buf *b, const char *s)
{
    cJSON *str = cJSON_CreateString(s);
    char *text = NULL;
    int rc;

    if (!str)
        return cerd__error(CERD_ENOMEM, "dump: out of memory");
    rc = cerd_json_print(&text, str, 0);
    cJSON_Delete(str);
    if (!rc)
        rc = put(b, text);
    free(text);
    return rc;
}

static int emit_row(cerd__buf *b, dump_ctx *cx, dump_table *d, size_t r)
{
    const cerd_table *t = d->t;
    int idcol = cerd__fx_identity_column(t);
    char name[160];
    bool first = true;
    int rc = 0;

    rc = put(b, "    {");
    if (!rc && d->named[r]) {
        snprintf(name, sizeof name, "%s_%zu", t->name, d->ord[r]);
        rc = put(b, "\"$id\":");
        if (!rc)
            rc = put_string(b, name);
        first = false;
    }
    for (uint16_t c = 0; c < t->ncolumns && !rc; c++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->rows[r], t->columns[c].name);
        char *text = NULL;
        long tr = -1;
        dump_table *tt = NULL;
        if ((int)c == idcol)
            continue;
        if (!first)
            rc = put(b, ",");
        first = false;
        if (!rc)
            rc = put_string(b, t->columns[c].name);
        if (!rc)
            rc = put(b, ":");
        if (rc)
            break;
        tt = column_row(cx, d, r, c, &tr);
        if (tt && tt->inc[tr]) {
            snprintf(name, sizeof name, "@%s.%s_%zu", tt->t->name, tt->t->name, tt->ord[tr]);
            rc = put_string(b, name);
        } else if (!v) {
            rc = put(b, "null");
        } else {
            rc = cerd_json_print(&text, v, 0);
            if (!rc)
                rc = put(b, text);
            free(text);
        }
    }
    if (!rc)
        rc = put(b, "}");
    return rc;
}

int cerd_fixture_dump(char **out, cerd_conn *conn, const cerd_fixture_dump_options *opts)
{
    cerd_fixture_dump_options o = CERD_FIXTURE_DUMP_OPTIONS_INIT;
    dump_ctx cx = {0};
    cerd__buf b = {0};
    const cerd_table **tabs = NULL;
    size_t *order = NULL;
    bool first_table = true;
    int rc = 0;

    if (!out || !conn)
        return cerd__error(CERD_EMISUSE, "cerd_fixture_dump: NULL argument");
    *out = NULL;
    if (opts)
        o = *opts;
    if (o.version != 1)
        return cerd__error(CERD_EMISUSE, "cerd_fixture_dump: options version %u", o.version);
    cx.tabs = calloc(cerd_table_count() + 1, sizeof *cx.tabs);
    if (!cx.tabs)
        return cerd__error(CERD_ENOMEM, "dump: out of memory");
    if (o.tables) {
        for (size_t i = 0; i < o.ntables; i++) {
            const cerd_table *t = cerd_table_find(o.tables[i]);
            if (!t) {
                rc = cerd__error(CERD_EMISUSE, "dump: unknown table \"%s\"", o.tables[i]);
                goto done;
            }
            if (!find_tab(&cx, t->name))
                cx.tabs[cx.ntabs++].t = t;
        }
    } else {
        for (size_t i = 0; i < cerd_table_count(); i++)
            if (strcmp(cerd_table_at(i)->name, "audit_log"))
                cx.tabs[cx.ntabs++].t = cerd_table_at(i);
    }
    for (size_t i = 0; i < cx.ntabs && !rc; i++) {
        rc = read_table(&cx.tabs[i], conn);
        if (!rc && o.progress)
            o.progress(o.progress_arg, (int64_t)i + 1, (int64_t)cx.ntabs);
    }
    if (rc)
        goto done;
    if (o.roots) {
        for (size_t i = 0; i < o.nroots; i++) {
            dump_table *d = o.roots[i].table ? find_tab(&cx, o.roots[i].table) : NULL;
            long r = d ? find_row(d, o.roots[i].id) : -1;
            if (r < 0) {
                rc = cerd__error(CERD_EMISUSE, "dump: root %s %" PRId64 " does not exist",
                                 o.roots[i].table ? o.roots[i].table : "(null)",
                                 o.roots[i].id);
                goto done;
            }
            d->inc[r] = true;
        }
        close_over_roots(&cx);
    } else {
        for (size_t i = 0; i < cx.ntabs; i++)
            for (size_t r = 0; r < cx.tabs[i].n; r++)
                cx.tabs[i].inc[r] = true;
    }
    /* Positions and names. */
    for (size_t i = 0; i < cx.ntabs; i++) {
        size_t k = 0;
        for (size_t r = 0; r < cx.tabs[i].n; r++)
            if (cx.tabs[i].inc[r])
                cx.tabs[i].ord[r] = ++k;
    }
    for (size_t i = 0; i < cx.ntabs; i++) {
        dump_table *d = &cx.tabs[i];
        for (size_t r = 0; r < d->n; r++) {
            if (!d->inc[r])
                continue;
            for (uint16_t c = 0; c < d->t->ncolumns; c++) {
                long tr;
                dump_table *tt = column_row(&cx, d, r, c, &tr);
                if (tt && tt->inc[tr])
                    tt->named[tr] = true;
            }
        }
    }
    tabs = calloc(cx.ntabs + 1, sizeof *tabs);
    order = calloc(cx.ntabs + 1, sizeof *order);
    if (!tabs || !order) {
        rc = cerd__error(CERD_ENOMEM, "dump: out of memory");
        goto done;
    }
    for (size_t i = 0; i < cx.ntabs; i++)
        tabs[i] = cx.tabs[i].t;
    cerd__fx_topo_order(order, tabs, cx.ntabs);
    rc = put(&b, "{");
    for (size_t oi = 0; oi < cx.ntabs && !rc; oi++) {
        dump_table *d = &cx.tabs[order[oi]];
        bool any = false, first_row = true;
        for (size_t r = 0; r < d->n && !any; r++)
            any = d->inc[r];
        if (!any)
            continue;
        rc = put(&b, first_table ? "\n  " : ",\n  ");
        first_table = false;
        if (!rc)
            rc = put_string(&b, d->t->name);
        if (!rc)
            rc = put(&b, ": [");
        for (size_t r = 0; r < d->n && !rc; r++) {
            if (!d->inc[r])
                continue;
            rc = put(&b, first_row ? "\n" : ",\n");
            first_row = false;
            if (!rc)
                rc = emit_row(&b, &cx, d, r);
        }
        if (!rc)
            rc = put(&b, "\n  ]");
    }
    if (!rc)
        rc = put(&b, first_table ? "}\n" : "\n}\n");
    if (!rc)
        rc = cerd__buf_append(&b, "", 1);
    if (!rc) {
        *out = b.data;
        b.data = NULL;
    }
done:
    cerd__buf_free(&b);
    for (size_t i = 0; i < cx.ntabs; i++) {
        for (size_t r = 0; r < cx.tabs[i].n; r++)
            cJSON_Delete(cx.tabs[i].rows[r]);
        free(cx.tabs[i].rows);
        free(cx.tabs[i].keys);
        free(cx.tabs[i].inc);
        free(cx.tabs[i].named);
        free(cx.tabs[i].ord);
    }
    free(cx.tabs);
    free(tabs);
    free(order);
    return rc;
}
