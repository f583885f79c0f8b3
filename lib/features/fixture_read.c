/* Fixture sets without a database: parsing files (exact numbers, errors as
   file:line:column), checking tables and columns, resolving references, and the
   foreign-key order of tables. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cryptoerd/fixtures.h"
#include "cryptoerd/json.h"
#include "features/fixture_internal.h"
#include "util/error_internal.h"

/* ------------------------------------------------------------------ foreign keys */

int cerd__fx_fk_key_position(const cerd_foreign_key *fk)
{
    const cerd_table *ref = cerd_table_find(fk->ref_table);
    int id = ref ? cerd__fx_identity_column(ref) : -1;

    if (id < 0)
        return -1;
    for (int k = 0; k < fk->ncolumns && k < 4; k++)
        if (fk->ref_columns[k] && cerd_table_column(ref, fk->ref_columns[k]) == id)
            return k;
    return -1;
}

const cerd_foreign_key *cerd__fx_ref_fk(const cerd_table *t, int c)
{
    for (uint16_t i = 0; i < t->nforeign; i++) {
        const cerd_foreign_key *fk = &t->foreign_keys[i];
        int k = cerd__fx_fk_key_position(fk);
        if (k >= 0 && fk->columns[k] == c)
            return fk;
    }
    return NULL;
}

int cerd__fx_identity_column(const cerd_table *t)
{
    for (uint16_t i = 0; i < t->ncolumns; i++)
        if (t->columns[i].flags & CERD_COL_IDENTITY)
            return i;
    return -1;
}

void cerd__fx_topo_order(size_t *out, const cerd_table *const *tables, size_t n)
{
    bool *placed = calloc(n ? n : 1, sizeof *placed);
    size_t done = 0;

    if (!placed) { /* degrade to the given order */
        for (size_t i = 0; i < n; i++)
            out[i] = i;
        return;
    }
    while (done < n) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++) {
            bool ready = !placed[i];
            for (uint16_t f = 0; ready && f < tables[i]->nforeign; f++) {
                const char *ref = tables[i]->foreign_keys[f].ref_table;
                if (!strcmp(ref, tables[i]->name))
                    continue;
                for (size_t j = 0; j < n; j++)
                    if (!placed[j] && j != i && !strcmp(tables[j]->name, ref)) {
                        ready = false;
                        break;
                    }
            }
            if (ready)
                pick = i;
        }
        if (pick == n) /* a cycle: take the first remaining table */
            for (size_t i = 0; i < n && pick == n; i++)
                if (!placed[i])
                    pick = i;
        placed[pick] = true;
        out[done++] = pick;
    }
    free(placed);
}

/* ------------------------------------------------------------------ places */

/* A position in a text, advanced forward only (rows are located in text order, so a
   file is walked once whatever its number of rows). */
typedef struct text_pos {
    size_t off;
    uint32_t line, col;
} text_pos;

static void advance(text_pos *p, const char *text, size_t len, size_t off)
{
    if (off < p->off)
        *p = (text_pos){0, 1, 1};
    for (size_t i = p->off; i < off && i < len; i++) {
        unsigned char b = (unsigned char)text[i];
        if (b == '\n') {
            p->line++;
            p->col = 1;
        } else if ((b & 0xC0) != 0x80) {
            p->col++;
        }
    }
    p->off = off;
}

static void line_col(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
    text_pos p = {0, 1, 1};

    advance(&p, text, len, off);
    *line = p.line;
    *col = p.col;
}

void cerd__fx_place(char *buf, size_t size, const cerd_fixture_set *set,
                    const cerd__fx_table *ft, const cerd__fx_row *r)
{
    if (r->line)
        snprintf(buf, size, "%s:%u:%u: %s[%zu]", set->files[r->file], r->line, r->col,
                 ft->t->name, r->index);
    else
        snprintf(buf, size, "%s: %s[%zu]", set->files[r->file], ft->t->name, r->index);
}

int cerd__fx_error_at(const cerd_fixture_set *set, const cerd__fx_table *ft,
                      const cerd__fx_row *r, int code)
{
    char place[512];

    (void)code;
    cerd__fx_place(place, sizeof place, set, ft, r);
    return cerd__error_prefix("%s", place);
}

/* Offsets of the elements of the arrays that are members of the top-level object, in
   text order (the text is valid JSON). */
static int element_offsets(size_t **out, size_t *n, const char *text, size_t len)
{
    char stack[4];
    int depth = 0;
    bool elem_start = false;
    size_t cap = 64, cnt = 0;
    size_t *offs = malloc(cap * sizeof *offs);

    if (!offs)
        return CERD_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (elem_start && c != ']') {
            if (cnt == cap) {
                size_t *g = realloc(offs, 2 * cap * sizeof *offs);
                if (!g) {
                    free(offs);
                    return CERD_ENOMEM;
                }
                offs = g;
                cap *= 2;
            }
            offs[cnt++] = i;
        }
        elem_start = false;
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth < (int)sizeof stack)
                stack[depth] = c;
            depth++;
            if (c == '[' && depth == 2 && stack[0] == '{')
                elem_start = true;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 2 && stack[0] == '{' && stack[1] == '[') {
            elem_start = true;
        }
    }
    *out = offs;
    *n = cnt;
    return 0;
}

/* ------------------------------------------------------------------ the set */

int cerd_fixture_set_new(cerd_fixture_set **out)
{
    if (!out)
        return cerd__error(CERD_EMISUSE, "cerd_fixture_set_new: out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? 0 : cerd__error(CERD_ENOMEM, "fixture set: out of memory");
}

void cerd_fixture_set_free(cerd_fixture_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->ntables; i++) {
        for (size_t r = 0; r < set->tables[i].nrows; r++)
            free(set->tables[i].rows[r].links);
        free(set->tables[i].rows);
        free(set->tables[i].slots);
    }
    free(set->tables);
    for (size_t i = 0; i < set->nfiles; i++) {
        free(set->files[i]);
        cJSON_Delete(set->trees[i]);
    }
    free(set->files);
    free(set->trees);
    free(set);
}

int cerd__fx_table_index(const cerd_fixture_set *set, const char *name)
{
    for (size_t i = 0; i < set->ntables; i++)
        if (!strcmp(set->tables[i].t->name, name))
            return (int)i;
    return -1;
}

size_t cerd_fixture_set_row_count(const cerd_fixture_set *set)
{
    size_t n = 0;

    for (size_t i = 0; set && i < set->ntables; i++)
        n += set->tables[i].nrows;
    return n;
}

size_t cerd_fixture_set_table_rows(const cerd_fixture_set *set, const char *table)
{
    int i = set && table ? cerd__fx_table_index(set, table) : -1;
    return i < 0 ? 0 : set->tables[i].nrows;
}

/* A reference's parts: "@name" or "@table.name". False when malformed. */
static bool split_ref(const char *s, const char **table, size_t *table_len, const char **name)
{
    const char *dot;

    if (s[0] != '@' || !s[1])
        return false;
    dot = strchr(s + 1, '.');
    if (!dot) {
        *table = NULL;
        *table_len = 0;
        *name = s + 1;
        return true;
    }
    if (dot == s + 1 || !dot[1])
        return false;
    *table = s + 1;
    *table_len = (size_t)(dot - (s + 1));
    *name = dot + 1;
    return true;
}

static int check_row(const char *file, uint32_t line, uint32_t col, const cerd_table *t,
                     size_t index, const cJSON *row)
{
    char place[512];

    if (line)
        snprintf(place, sizeof place, "%s:%u:%u: %s[%zu]", file, line, col, t->name, index);
    else
        snprintf(place, sizeof place, "%s: %s[%zu]", file, t->name, index);
    if (!cJSON_IsObject(row))
        return cerd__error(CERD_EINVALID, "%s: a row must be a JSON object", place);
    for (const cJSON *m = row->child; m; m = m->next) {
        int c;
        if (!strcmp(m->string, "$id")) {
            if (!cJSON_IsString(m) || !m->valuestring[0])
                return cerd__error(CERD_EINVALID, "%s: \"$id\" must be a non-empty string",
                                   place);
            continue;
        }
        c = cerd_table_column(t, m->string);
        if (c < 0) {
            cerd__error(CERD_EINVALID, "%s: unknown column \"%s\" of table %s", place,
                        m->string, t->name);
            cerd__error_names(t->name, m->string, NULL);
            return CERD_EINVALID;
        }
        if (t->columns[c].flags & CERD_COL_IDENTITY) {
            cerd__error(CERD_EINVALID,
                        "%s: column \"%s\" is an identity: its values come from the "
                        "table's sequence (name the row with \"$id\" and refer to it)",
                        place, m->string);
            cerd__error_names(t->name, m->string, NULL);
            return CERD_EINVALID;
        }
        if ((t->columns[c].type == CERD_TYPE_INT64 || t->columns[c].type == CERD_TYPE_INT32)
            && cerd__fx_is_ref(m)) {
            const char *tb, *nm;
            size_t tl;
            if (!split_ref(m->valuestring, &tb, &tl, &nm))
                return cerd__error(CERD_EINVALID,
                                   "%s: column \"%s\": malformed reference \"%s\" (expected "
                                   "\"@table.name\" or \"@name\")", place, m->string,
                                   m->valuestring);
        }
    }
    return 0;
}

static int add_table_rows(cerd__fx_table *ft, size_t more)
{
    if (ft->nrows + more > ft->cap) {
        size_t cap = ft->cap ? ft->cap : 16;
        cerd__fx_row *g;
        while (cap < ft->nrows + more)
            cap *= 2;
        g = realloc(ft->rows, cap * sizeof *g);
        if (!g)
            return CERD_ENOMEM;
        ft->rows = g;
        ft->cap = cap;
    }
    return 0;
}

int cerd__fx_add_tree(cerd_fixture_set *set, const char *name, cJSON *tree, const char *text,
                      size_t len)
{
    size_t *offs = NULL, noffs = 0, next_off = 0;
    text_pos pos = {0, 1, 1};
    char **files;
    cJSON **trees;
    int rc = 0;
    uint32_t file = (uint32_t)set->nfiles;

    if (!cJSON_IsObject(tree)) {
        uint32_t l = 1, c = 1;
        if (text) {
            size_t i = 0;
            while (i < len && strchr(" \t\r\n", text[i]))
                i++;
            line_col(text, len, i, &l, &c);
        }
        cJSON_Delete(tree);
        return cerd__error(CERD_EINVALID,
                           "%s:%u:%u: a fixture file is a JSON object whose keys are table "
                           "names and whose values are arrays of rows", name, l, c);
    }
    if (text && (rc = element_offsets(&offs, &noffs, text, len))) {
        cJSON_Delete(tree);
        return cerd__error(rc, "fixture %s: out of memory", name);
    }
    /* First pass: check everything, nothing added yet. */
    next_off = 0;
    for (cJSON *m = tree->child; m && !rc; m = m->next) {
        const cerd_table *t = cerd_table_find(m->string);
        size_t idx = 0;
        if (!t) {
            uint32_t l = 0, c = 0;
            /* the place of the table's array is the element before its first row */
            if (text && next_off < noffs)
                line_col(text, len, offs[next_off], &l, &c);
            if (l)
                rc = cerd__error(CERD_EINVALID, "%s:%u:%u: unknown table \"%s\"", name, l,
                                 c, m->string);
            else
                rc = cerd__error(CERD_EINVALID, "%s: unknown table \"%s\"", name, m->string);
            if (rc)
                cerd__error_names(m->string, NULL, NULL);
            break;
        }
        if (!cJSON_IsArray(m)) {
            rc = cerd__error(CERD_EINVALID, "%s: table \"%s\": its rows must be a JSON array",
                             name, m->string);
            break;
        }
        for (cJSON *r = m->child; r && !rc; r = r->next, idx++) {
            uint32_t l = 0, c = 0;
            if (text && next_off < noffs) {
                advance(&pos, text, len, offs[next_off]);
                l = pos.line;
                c = pos.col;
            }
            next_off++;
            rc = check_row(name, l, c, t, idx, r);
        }
    }
    if (rc) {
        free(offs);
        cJSON_Delete(tree);
        return rc;
    }
    files = realloc(set->files, (set->nfiles + 1) * sizeof *files);
    if (files)
        set->files = files;
    trees = files ? realloc(set->trees, (set->nfiles + 1) * sizeof *trees) : NULL;
    if (trees)
        set->trees = trees;
    if (!files || !trees || !(set->files[set->nfiles] = strdup(name))) {
        free(offs);
        cJSON_Delete(tree);
        return cerd__error(CERD_ENOMEM, "fixture %s: out of memory", name);
    }
    set->trees[set->nfiles++] = tree;
    /* Second pass: add the rows. */
    next_off = 0;
    pos = (text_pos){0, 1, 1};
    for (cJSON *m = tree->child; m; m = m->next) {
        const cerd_table *t = cerd_table_find(m->string);
        int ti = cerd__fx_table_index(set, t->name);
        cerd__fx_table *ft;
        size_t idx = 0;
        if (ti < 0) {
            cerd__fx_table *g = realloc(set->tables, (set->ntables + 1) * sizeof *g);
            if (!g) {
                free(offs);
                return cerd__error(CERD_ENOMEM, "fixture %s: out of memory", name);
            }
            set->tables = g;
            memset(&g[set->ntables], 0, sizeof *g);
            g[set->ntables].t = t;
            ti = (int)set->ntables++;
        }
        ft = &set->tables[ti];
        if (add_table_rows(ft, (size_t)cJSON_GetArraySize(m))) {
            free(offs);
            return cerd__error(CERD_ENOMEM, "fixture %s: out of memory", name);
        }
        for (cJSON *r = m->child; r; r = r->next, idx++) {
            cerd__fx_row *row = &ft->rows[ft->nrows++];
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "$id");
            memset(row, 0, sizeof *row);
            row->obj = r;
            row->name = cJSON_IsString(id) ? id->valuestring : NULL;
            row->file = file;
            row->index = idx;
            if (text && next_off < noffs) {
                advance(&pos, text, len, offs[next_off]);
                row->line = pos.line;
                row->col = pos.col;
            }
            next_off++;
        }
    }
    free(offs);
    return 0;
}

int cerd_fixture_set_add_text(cerd_fixture_set *set, const char *name, const char *text,
                              size_t len)
{
    cJSON *tree = NULL;
    size_t off = 0;
    int rc;

    if (!set || !name || (!text && len))
        return cerd__error(CERD_EMISUSE, "cerd_fixture_set_add_text: NULL argument");
    if (set->resolved)
        return cerd__error(CERD_EMISUSE, "fixture %s: the set is already resolved", name);
    rc = cerd_json_parse_ex(&tree, text ? text : "", len, 0, &off);
    if (rc) {
        uint32_t l, c;
        char msg[400];
        const cerd_error *e = cerd_error_last();
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "invalid JSON");
        line_col(text ? text : "", len, off, &l, &c);
        return cerd__error(rc, "%s:%u:%u: invalid JSON: %s", name, l, c, msg);
    }
    return cerd__fx_add_tree(set, name, tree, text, len);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects *.json files under dir (recursively) into a growable list. */
static int collect(char ***list, size_t *n, size_t *cap, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;

    if (!d)
        return cerd__error(CERD_ERROR, "fixtures: cannot read folder %s: %s", dir,
                           strerror(errno));
    while (!rc && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        char *path;
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        path = malloc(strlen(dir) + l + 2);
        if (!path) {
            rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
            break;
        }
        sprintf(path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = collect(list, n, cap, path);
            free(path);
        } else if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) {
            if (*n == *cap) {
                size_t nc = *cap ? 2 * *cap : 16;
                char **g = realloc(*list, nc * sizeof *g);
                if (!g) {
                    free(path);
                    rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
                    break;
                }
                *list = g;
                *cap = nc;
            }
            (*list)[(*n)++] = path;
        } else {
            free(path);
        }
    }
    closedir(d);
    return rc;
}

static int add_file(cerd_fixture_set *set, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc;

    if (!f)
        return cerd__error(CERD_ERROR, "fixtures: cannot open %s: %s", path, strerror(errno));
    for (;;) {
        size_t got;
        if (cap - len < 65536) {
            char *g = realloc(buf, cap ? 2 * cap : 65536);
            if (!g) {
                free(buf);
                fclose(f);
                return cerd__error(CERD_ENOMEM, "fixtures: out of memory reading %s", path);
            }
            buf = g;
            cap = cap ? 2 * cap : 65536;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return cerd__error(CERD_ERROR, "fixtures: cannot read %s", path);
    }
    fclose(f);
    rc = cerd_fixture_set_add_text(set, path, buf, len);
    free(buf);
    return rc;
}

int cerd_fixture_set_add_path(cerd_fixture_set *set, const char *path)
{
    struct stat st;
    char **list = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if (!set || !path)
        return cerd__error(CERD_EMISUSE, "cerd_fixture_set_add_path: NULL argument");
    if (stat(path, &st) != 0)
        return cerd__error(CERD_ERROR, "fixtures: cannot read %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return add_file(set, path);
    rc = collect(&list, &n, &cap, path);
    if (!rc && n == 0)
        rc = cerd__error(CERD_EINVALID, "fixtures: folder %s holds no *.json file", path);
    if (!rc)
        qsort(list, n, sizeof *list, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = add_file(set, list[i]);
        free(list[i]);
    }
    free(list);
    return rc;
}

/* ------------------------------------------------------------------ resolution */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Looks up name in the table's index: the row, or (size_t)-1. */
static size_t find_name(const cerd__fx_table *ft, const char *name, size_t len)
{
    uint64_t h = 1469598103934665603ULL;

    if (!ft->nslots)
        return (size_t)-1;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
    for (size_t s = h & (ft->nslots - 1);; s = (s + 1) & (ft->nslots - 1)) {
        size_t v = ft->slots[s];
        if (!v)
            return (size_t)-1;
        if (strlen(ft->rows[v - 1].name) == len && !memcmp(ft->rows[v - 1].name, name, len))
            return v - 1;
    }
}

static int index_names(cerd_fixture_set *set, cerd__fx_table *ft)
{
    size_t ns = 16;

    while (ns < 2 * ft->nrows)
        ns *= 2;
    free(ft->slots);
    ft->slots = calloc(ns, sizeof *ft->slots);
    if (!ft->slots)
        return cerd__error(CERD_ENOMEM, "fixtures: out of memory");
    ft->nslots = ns;
    for (size_t r = 0; r < ft->nrows; r++) {
        const char *nm = ft->rows[r].name;
        size_t prev, s;
        if (!nm)
            continue;
        prev = find_name(ft, nm, strlen(nm));
        if (prev != (size_t)-1) {
            char other[512];
            cerd__fx_place(other, sizeof other, set, ft, &ft->rows[prev]);
            cerd__error(CERD_EINVALID,
                        "ambiguous reference name \"%s\" of table %s: also given to the row at "
                        "%s", nm, ft->t->name, other);
            cerd__error_names(ft->t->name, NULL, NULL);
            return cerd__fx_error_at(set, ft, &ft->rows[r], CERD_EINVALID);
        }
        for (s = hash_name(nm) & (ns - 1); ft->slots[s]; s = (s + 1) & (ns - 1))
            ;
        ft->slots[s] = r + 1;
    }
    return 0;
}

static int resolve_row(cerd_fixture_set *set, cerd__fx_table *ft, cerd__fx_row *r)
{
    const cerd_table *t = ft->t;
    size_t n = 0;

    for (const cJSON *m = r->obj->child; m; m = m->next)
        n++;
    free(r->links);
    r->links = NULL;
    r->nlinks = 0;
    for (const cJSON *m = r->obj->child; m; m = m->next) {
        int c = cerd_table_column(t, m->string);
        const cerd_foreign_key *fk;
        const char *tb = NULL, *nm = NULL, *target_table;
        size_t tl = 0, ri;
        int ti;
        cerd__fx_table *tt;
        if (c < 0 || !cerd__fx_is_ref(m)
            || (t->columns[c].type != CERD_TYPE_INT64 && t->columns[c].type != CERD_TYPE_INT32))
            continue;
        split_ref(m->valuestring, &tb, &tl, &nm);
        fk = cerd__fx_ref_fk(t, c);
        if (!tb && !fk) {
            cerd__error(CERD_EINVALID,
                        "column \"%s\" is not a foreign key: its reference \"%s\" must name "
                        "the table (\"@table.name\")", m->string, m->valuestring);
            cerd__error_names(t->name, m->string, NULL);
            return cerd__fx_error_at(set, ft, r, CERD_EINVALID);
        }
        if (fk && tb && (strlen(fk->ref_table) != tl || memcmp(fk->ref_table, tb, tl))) {
            cerd__error(CERD_EINVALID,
                        "column \"%s\" references table %s, but \"%s\" names a row of "
                        "table %.*s", m->string, fk->ref_table, m->valuestring, (int)tl, tb);
            cerd__error_names(t->name, m->string, fk->name);
            return cerd__fx_error_at(set, ft, r, CERD_EINVALID);
        }
        target_table = fk ? fk->ref_table : NULL;
        ti = -1;
        for (size_t i = 0; i < set->ntables && ti < 0; i++) {
            const char *tn = set->tables[i].t->name;
            if (target_table ? !strcmp(tn, target_table)
                             : (strlen(tn) == tl && !memcmp(tn, tb, tl)))
                ti = (int)i;
        }
        tt = ti >= 0 ? &set->tables[ti] : NULL;
        ri = tt ? find_name(tt, nm, strlen(nm)) : (size_t)-1;
        if (ri == (size_t)-1) {
            cerd__error(CERD_EINVALID,
                        "column \"%s\": unresolved reference \"%s\": no row of table %.*s "
                        "is named \"%s\"", m->string, m->valuestring,
                        target_table ? (int)strlen(target_table) : (int)tl,
                        target_table ? target_table : tb, nm);
            cerd__error_names(t->name, m->string, fk ? fk->name : NULL);
            return cerd__fx_error_at(set, ft, r, CERD_EINVALID);
        }
        if (cerd__fx_identity_column(tt->t) < 0) {
            cerd__error(CERD_EINVALID,
                        "column \"%s\": reference \"%s\": table %s has no identity key to "
                        "refer to", m->string, m->valuestring, tt->t->name);
            cerd__error_names(t->name, m->string, NULL);
            return cerd__fx_error_at(set, ft, r, CERD_EINVALID);
        }
        if (!r->links && !(r->links = calloc(n, sizeof *r->links)))
            return cerd__error(CERD_ENOMEM, "fixtures: out of memory");
        r->links[r->nlinks].column = (uint16_t)c;
        r->links[r->nlinks].table = (uint32_t)ti;
        r->links[r->nlinks].row = ri;
        r->nlinks++;
    }
    return 0;
}

int cerd_fixture_set_resolve(cerd_fixture_set *set)
{
    int rc;

    if (!set)
        return cerd__error(CERD_EMISUSE, "cerd_fixture_set_resolve: set is NULL");
    for (size_t i = 0; i < set->ntables; i++)
        if ((rc = index_names(set, &set->tables[i])))
            return rc;
    for (size_t i = 0; i < set->ntables; i++)
        for (size_t r = 0; r < set->tables[i].nrows; r++)
            if ((rc = resolve_row(set, &set->tables[i], &set->tables[i].rows[r])))
                return rc;
    set->resolved = true;
    return 0;
}
