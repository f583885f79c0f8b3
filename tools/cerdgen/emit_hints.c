/* The factory hints of every column (see hints.h): loading and checking
   schema/api/factory_hints.json, matching columns against its rules, and writing the
   hints and vocabularies into lib/tables/<t>.c.

   The file: {"time_reference": "<column>", "vocabularies": {...}, "rules": [...]}.
   A vocabulary is an array of words, or {"fields": [...], "rows": [[word, ..., number?],
   ...]} (records of several words, and optionally a number each, last), or
   {"numbers": [...]}. The vocabulary "$tables" is the schema's table names in order.
   A rule: {"class": "text" | "number" | "timestamp" | "json" | "bool" | "text_array",
   "match": "exact" | "prefix" | "suffix" | "contains" | "any", "pattern": "...",
   "kind": "..."} and optionally "table" (only for that table), "and_contains" (the name
   must also contain it), "unbounded" (only for text without a length limit),
   "on_integer" (the kind an integer column gets instead), "template" (texts[0]),
   "texts", "vocabs", "lo", "hi", "scale", "log", "index", "self_unique". The first rule
   of a column's class that matches it gives its hint. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jtree.h"

#include "api.h"
#include "hints.h"
#include "output.h"

static const struct {
    const char *cls, *kind, *c_name;
} KINDS[] = {
    {"text", "plain", "CERD__HINT_PLAIN"},
    {"text", "sentence", "CERD__HINT_SENTENCE"},
    {"text", "pick", "CERD__HINT_PICK"},
    {"text", "template", "CERD__HINT_TEMPLATE"},
    {"number", "number", "CERD__HINT_NUMBER"},
    {"number", "range", "CERD__HINT_RANGE"},
    {"number", "price", "CERD__HINT_PRICE"},
    {"number", "pick_number", "CERD__HINT_PICK_NUMBER"},
    {"timestamp", "time_anchor", "CERD__HINT_TIME_ANCHOR"},
    {"timestamp", "time_candle", "CERD__HINT_TIME_CANDLE"},
    {"timestamp", "time_created", "CERD__HINT_TIME_CREATED"},
    {"timestamp", "time_updated", "CERD__HINT_TIME_UPDATED"},
    {"timestamp", "time_start", "CERD__HINT_TIME_START"},
    {"timestamp", "time_end", "CERD__HINT_TIME_END"},
    {"timestamp", "time_future", "CERD__HINT_TIME_FUTURE"},
    {"timestamp", "time_past", "CERD__HINT_TIME_PAST"},
    {"timestamp", "time_deleted", "CERD__HINT_TIME_DELETED"},
    {"timestamp", "time_later", "CERD__HINT_TIME_LATER"},
    {"bool", "coin", "CERD__HINT_COIN"},
    {"bool", "mostly_true", "CERD__HINT_MOSTLY_TRUE"},
    {"text_array", "pick_array", "CERD__HINT_PICK_ARRAY"},
    {"json", "json_price_metrics", "CERD__HINT_JSON_PRICE_METRICS"},
    {"json", "json_object", "CERD__HINT_JSON_OBJECT"},
    {"json", "json_preferences", "CERD__HINT_JSON_PREFERENCES"},
    {"json", "json_device", "CERD__HINT_JSON_DEVICE"},
    {"json", "json_config", "CERD__HINT_JSON_CONFIG"},
    {"json", "json_list", "CERD__HINT_JSON_LIST"},
    {"json", "json_status", "CERD__HINT_JSON_STATUS"},
    {"json", "json_usage", "CERD__HINT_JSON_USAGE"},
    {"json", "json_audit", "CERD__HINT_JSON_AUDIT"},
    {"json", "json_generic", "CERD__HINT_JSON_GENERIC"},
};

#define NKINDS (sizeof KINDS / sizeof KINDS[0])

static const char *kind_c_name(const char *cls, const char *kind)
{
    for (size_t i = 0; kind && i < NKINDS; i++)
        if (!strcmp(KINDS[i].cls, cls) && !strcmp(KINDS[i].kind, kind))
            return KINDS[i].c_name;
    return NULL;
}

/* The rule class of a column's C representation, or NULL (no hints). */
static const char *class_of(const cg_column *c)
{
    switch (c->kind) {
    case CG_TEXT: return "text";
    case CG_INT32:
    case CG_INT64:
    case CG_NUMERIC: return "number";
    case CG_TIMESTAMPTZ: return "timestamp";
    case CG_JSONB: return "json";
    case CG_BOOL: return "bool";
    case CG_TEXT_ARRAY: return "text_array";
    default: return NULL;
    }
}

static bool is_ident(const char *s)
{
    if (!s || !(*s >= 'a' && *s <= 'z'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static bool vocab_ok(const cJSON *v)
{
    if (cJSON_IsArray(v)) {
        for (const cJSON *w = v->child; w; w = w->next)
            if (!cJSON_IsString(w))
                return false;
        return cJSON_GetArraySize(v) > 0;
    }
    if (!cJSON_IsObject(v))
        return false;
    const cJSON *nums = cJSON_GetObjectItemCaseSensitive(v, "numbers");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(v, "fields");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(v, "rows");
    if (nums) {
        for (const cJSON *w = nums->child; w; w = w->next)
            if (!cJSON_IsNumber(w))
                return false;
        return cJSON_IsArray(nums) && cJSON_GetArraySize(nums) > 0 && !rows;
    }
    if (!cJSON_IsArray(fields) || !cJSON_IsArray(rows) || !cJSON_GetArraySize(rows))
        return false;
    int nf = cJSON_GetArraySize(fields), with_number = -1;
    for (const cJSON *r = rows->child; r; r = r->next) {
        int n = cJSON_GetArraySize(r), k = 0;
        if (!cJSON_IsArray(r) || (n != nf && n != nf + 1))
            return false;
        if (with_number < 0)
            with_number = n == nf + 1;
        if (with_number != (n == nf + 1))
            return false;
        for (const cJSON *w = r->child; w; w = w->next, k++)
            if (k < nf ? !cJSON_IsString(w) : !cJSON_IsNumber(w))
                return false;
    }
    return true;
}

static int rule_error(const char *path, int i, const char *what)
{
    fprintf(stderr, "cerdgen: %s: rule %d: %s\n", path, i, what);
    return 1;
}

int cg_hints_load(cg_hints *h, const char *schema_dir, const cg_schema *s)
{
    char *path = cg_xasprintf("%s/api/factory_hints.json", schema_dir);
    int rc;

    memset(h, 0, sizeof *h);
    h->schema = s;
    if ((rc = cg_read_json(path, &h->doc)) || !h->doc) {
        free(path);
        return rc;
    }
    h->vocabs = cJSON_GetObjectItemCaseSensitive(h->doc, "vocabularies");
    h->rules = cJSON_GetObjectItemCaseSensitive(h->doc, "rules");
    h->time_reference = jstr(h->doc, "time_reference");
    if (!cJSON_IsObject(h->vocabs) || !cJSON_IsArray(h->rules) || !h->time_reference) {
        fprintf(stderr, "cerdgen: %s: needs \"time_reference\", \"vocabularies\" and \"rules\"\n",
                path);
        rc = 1;
    }
    for (const cJSON *v = rc ? NULL : h->vocabs->child; v && !rc; v = v->next)
        if (!is_ident(v->string) || !vocab_ok(v)) {
            fprintf(stderr, "cerdgen: %s: vocabulary %s: the name must be [a-z][a-z0-9_]*, the "
                    "value an array of words, {\"fields\", \"rows\"} or {\"numbers\"}\n",
                    path, v->string);
            rc = 1;
        }
    int i = 0;
    for (const cJSON *r = rc ? NULL : h->rules->child; r && !rc; r = r->next, i++) {
        const char *cls = jstr(r, "class"), *match = jstr(r, "match"), *table = jstr(r, "table");
        const char *on_int = jstr(r, "on_integer");
        const cJSON *vocabs = cJSON_GetObjectItemCaseSensitive(r, "vocabs");
        const cJSON *texts = cJSON_GetObjectItemCaseSensitive(r, "texts");
        if (!cls || !kind_c_name(cls, jstr(r, "kind")))
            rc = rule_error(path, i, "unknown class, or a kind that is not one of its class");
        else if (!match || (strcmp(match, "any") && (strcmp(match, "exact") && strcmp(match, "prefix")
                 && strcmp(match, "suffix") && strcmp(match, "contains"))))
            rc = rule_error(path, i, "match is any, exact, prefix, suffix or contains");
        else if (strcmp(match, "any") && !jstr(r, "pattern"))
            rc = rule_error(path, i, "a pattern is needed");
        else if (table && !cg_schema_find_table((cg_schema *)s, table))
            rc = rule_error(path, i, "its table is not a table of the schema");
        else if (on_int && !kind_c_name(cls, on_int))
            rc = rule_error(path, i, "on_integer is not a kind of its class");
        else if (texts && !cJSON_IsArray(texts))
            rc = rule_error(path, i, "texts is an array of strings");
        else if (vocabs && !cJSON_IsArray(vocabs))
            rc = rule_error(path, i, "vocabs is an array of vocabulary names");
        for (const cJSON *t = texts ? texts->child : NULL; t && !rc; t = t->next)
            if (!cJSON_IsString(t))
                rc = rule_error(path, i, "texts is an array of strings");
        for (const cJSON *v = vocabs ? vocabs->child : NULL; v && !rc; v = v->next)
            if (!cJSON_IsString(v) || (strcmp(v->valuestring, "$tables")
                && !cJSON_GetObjectItemCaseSensitive(h->vocabs, v->valuestring)))
                rc = rule_error(path, i, "vocabs names a vocabulary that does not exist");
    }
    free(path);
    if (rc)
        cg_hints_free(h);
    return rc;
}

void cg_hints_free(cg_hints *h)
{
    cJSON_Delete(h->doc);
    memset(h, 0, sizeof *h);
}

static bool rule_matches(const cJSON *r, const cg_table *t, const cg_column *c, const char *cls)
{
    const char *match = jstr(r, "match"), *pat = jstr(r, "pattern"), *table = jstr(r, "table");
    const char *also = jstr(r, "and_contains"), *name = c->name;
    size_t nl = strlen(name), pl = pat ? strlen(pat) : 0;
    bool ok;

    if (strcmp(jstr(r, "class"), cls) || (table && strcmp(table, t->name)))
        return false;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "unbounded")) && c->max_chars >= 0)
        return false;
    if (also && !strstr(name, also))
        return false;
    if (!strcmp(match, "any"))
        ok = true;
    else if (!strcmp(match, "exact"))
        ok = !strcmp(name, pat);
    else if (!strcmp(match, "prefix"))
        ok = nl >= pl && !strncmp(name, pat, pl);
    else if (!strcmp(match, "suffix"))
        ok = nl >= pl && !strcmp(name + nl - pl, pat);
    else
        ok = strstr(name, pat) != NULL;
    return ok;
}

static const cJSON *find_rule(const cg_hints *h, const cg_table *t, const cg_column *c)
{
    const char *cls = class_of(c);
    for (const cJSON *r = cls ? h->rules->child : NULL; r; r = r->next)
        if (rule_matches(r, t, c, cls))
            return r;
    return NULL;
}

/* The shortest decimal form (without exponent) that reads back as exactly x. */
static void put_double(cg_buf *b, double x)
{
    char text[512];
    for (int decimals = 1; decimals <= 330; decimals++) {
        snprintf(text, sizeof text, "%.*f", decimals, x);
        if (strtod(text, NULL) == x)
            break;
    }
    cg_buf_puts(b, text);
}

/* Appends s as a C string literal and a comma, after a space, or on a new line indented
   by four when the line would be wider than CG_LINE_WIDTH. */
static void put_word(cg_buf *b, const char *s)
{
    cg_buf w = {0};
    cg_buf_cstring(&w, s);
    if (cg_buf_column(b) > 4 && cg_buf_column(b) + 1 + w.len + 1 > CG_LINE_WIDTH)
        cg_buf_puts(b, "\n   ");
    cg_buf_printf(b, " %s,", w.data);
    cg_buf_free(&w);
}

static char *vocab_ident(const char *name)
{
    return !strcmp(name, "$tables") ? cg_xstrdup("vocab__tables") : cg_xasprintf("vocab_%s", name);
}

static void emit_vocab(cg_buf *b, const cg_hints *h, const char *name)
{
    char *id = vocab_ident(name);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h->vocabs, name);
    const cJSON *nums = v ? cJSON_GetObjectItemCaseSensitive(v, "numbers") : NULL;
    const cJSON *rows = v ? cJSON_GetObjectItemCaseSensitive(v, "rows") : NULL;
    int count = 0, nfields = 1;
    bool has_words = !nums, has_numbers = nums != NULL;

    if (has_words) {
        cg_buf_printf(b, "static const char *const %s_words[] = {\n", id);
        if (!strcmp(name, "$tables")) {
            cg_buf_puts(b, "   ");
            for (int i = 0; i < h->schema->ntables; i++, count++)
                put_word(b, h->schema->tables[i].name);
            cg_buf_puts(b, "\n");
        } else if (cJSON_IsArray(v)) {
            cg_buf_puts(b, "   ");
            for (const cJSON *w = v->child; w; w = w->next, count++)
                put_word(b, w->valuestring);
            cg_buf_puts(b, "\n");
        } else {
            nfields = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "fields"));
            for (const cJSON *r = rows->child; r; r = r->next, count++) {
                int k = 0;
                cg_buf_puts(b, "   ");
                for (const cJSON *w = r->child; w && k < nfields; w = w->next, k++)
                    put_word(b, w->valuestring);
                cg_buf_puts(b, "\n");
                if (cJSON_GetArraySize(r) > nfields)
                    has_numbers = true;
            }
        }
        cg_buf_puts(b, "};\n");
    }
    if (has_numbers) {
        cg_buf_printf(b, "static const double %s_numbers[] = {", id);
        int k = 0;
        if (nums)
            for (const cJSON *w = nums->child; w; w = w->next, k++) {
                cg_buf_puts(b, k == 0 ? "\n    " : k % 8 ? ", " : ",\n    ");
                put_double(b, w->valuedouble);
            }
        else
            for (const cJSON *r = rows->child; r; r = r->next, k++) {
                cg_buf_puts(b, k == 0 ? "\n    " : k % 8 ? ", " : ",\n    ");
                put_double(b, cJSON_GetArrayItem(r, nfields)->valuedouble);
            }
        cg_buf_puts(b, ",\n};\n");
        if (nums)
            count = k;
    }
    cg_buf_printf(b, "static const cerd__vocab %s = {%s%s, %s%s, %d, %d};\n\n", id,
                  has_words ? id : "NULL", has_words ? "_words" : "",
                  has_numbers ? id : "NULL", has_numbers ? "_numbers" : "", count,
                  has_words ? nfields : 0);
    free(id);
}

static int num_or(const cJSON *r, const char *key, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, key);
    return cJSON_IsNumber(v) ? v->valueint : dflt;
}

bool cg_emit_hints(cg_buf *b, const cg_hints *h, const cg_api *api)
{
    const cg_table *t = api->t;
    const cJSON **rules;
    char **used = NULL;
    int nused = 0;

    if (!h->doc)
        return false;
    rules = cg_xcalloc((size_t)t->ncolumns, sizeof *rules);
    for (int i = 0; i < t->ncolumns; i++) {
        rules[i] = find_rule(h, t, &t->columns[i]);
        const cJSON *vs = rules[i] ? cJSON_GetObjectItemCaseSensitive(rules[i], "vocabs") : NULL;
        for (const cJSON *v = vs ? vs->child : NULL; v; v = v->next) {
            bool seen = false;
            for (int k = 0; k < nused && !seen; k++)
                seen = !strcmp(used[k], v->valuestring);
            if (!seen) {
                used = cg_grow(used, &nused, sizeof *used);
                used[nused - 1] = v->valuestring;
            }
        }
    }
    cg_buf_puts(b, "/* Factory hints (schema/api/factory_hints.json): the vocabularies used, then\n"
                   "   per column how cerd_factory_make() makes a realistic value. */\n");
    for (int k = 0; k < nused; k++)
        emit_vocab(b, h, used[k]);
    free(used);

    for (int i = 0; i < t->ncolumns; i++) {
        const cJSON *r = rules[i];
        const cJSON *vs = r ? cJSON_GetObjectItemCaseSensitive(r, "vocabs") : NULL;
        const cJSON *texts = r ? cJSON_GetObjectItemCaseSensitive(r, "texts") : NULL;
        const char *tmpl = r ? jstr(r, "template") : NULL;
        bool is_time = r && !strcmp(jstr(r, "class"), "timestamp");
        if (tmpl || is_time || cJSON_GetArraySize(texts) > 0) {
            cg_buf_printf(b, "static const char *const hint_texts_%d[] = {", i);
            if (tmpl) {
                cg_buf_puts(b, "\n    ");
                cg_buf_cstring(b, tmpl);
                cg_buf_puts(b, ",");
            }
            if (is_time) {
                cg_buf_puts(b, "\n    ");
                cg_buf_cstring(b, h->time_reference);
                cg_buf_puts(b, ",");
            }
            for (const cJSON *w = texts ? texts->child : NULL; w; w = w->next) {
                cg_buf_puts(b, "\n    ");
                cg_buf_cstring(b, w->valuestring);
                cg_buf_puts(b, ",");
            }
            cg_buf_puts(b, "\n};\n");
        }
        if (cJSON_GetArraySize(vs) > 0) {
            cg_buf_printf(b, "static const cerd__vocab *const hint_vocabs_%d[] = {\n   ", i);
            for (const cJSON *v = vs->child; v; v = v->next) {
                char *id = vocab_ident(v->valuestring);
                cg_buf_printf(b, " &%s,", id);
                free(id);
            }
            cg_buf_puts(b, "\n};\n");
        }
    }

    cg_buf_printf(b, "static const cerd_factory_hint hints[%s] = {\n", api->ncolumns_name);
    for (int i = 0; i < t->ncolumns; i++) {
        const cJSON *r = rules[i];
        const cg_column *c = &t->columns[i];
        if (!r)
            continue;
        const char *cls = jstr(r, "class"), *kind = jstr(r, "kind");
        const char *on_int = jstr(r, "on_integer");
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(r, "vocabs");
        const cJSON *texts = cJSON_GetObjectItemCaseSensitive(r, "texts");
        const cJSON *lo = cJSON_GetObjectItemCaseSensitive(r, "lo");
        const cJSON *hi = cJSON_GetObjectItemCaseSensitive(r, "hi");
        int ntexts = cJSON_GetArraySize(texts) + (jstr(r, "template") ? 1 : 0)
                     + (!strcmp(cls, "timestamp") ? 1 : 0);
        int nvocabs = cJSON_GetArraySize(vs);
        bool log = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "log"));
        bool self_unique = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "self_unique"));

        if (on_int && (c->kind == CG_INT32 || c->kind == CG_INT64))
            kind = on_int;
        cg_buf_printf(b, "    [%s] = {\n        .kind = %s,", api->enum_names[i],
                      kind_c_name(cls, kind));
        if (log || self_unique)
            cg_buf_printf(b, " .flags = %s,", log && self_unique
                          ? "CERD__HINT_LOG | CERD__HINT_SELF_UNIQUE"
                          : log ? "CERD__HINT_LOG" : "CERD__HINT_SELF_UNIQUE");
        if (cJSON_GetObjectItemCaseSensitive(r, "scale"))
            cg_buf_printf(b, " .scale = %d,", num_or(r, "scale", 0));
        if (cJSON_GetObjectItemCaseSensitive(r, "index"))
            cg_buf_printf(b, " .index = %d,", num_or(r, "index", 0));
        if (cJSON_IsNumber(lo)) {
            cg_buf_puts(b, " .lo = ");
            put_double(b, lo->valuedouble);
            cg_buf_puts(b, ",");
        }
        if (cJSON_IsNumber(hi)) {
            cg_buf_puts(b, " .hi = ");
            put_double(b, hi->valuedouble);
            cg_buf_puts(b, ",");
        }
        if (ntexts)
            cg_buf_printf(b, "\n        .texts = hint_texts_%d, .ntexts = %d,", i, ntexts);
        if (nvocabs)
            cg_buf_printf(b, "\n        .vocabs = hint_vocabs_%d, .nvocabs = %d,", i, nvocabs);
        cg_buf_puts(b, "\n    },\n");
    }
    cg_buf_puts(b, "};\n\n");
    free((void *)rules);
    return true;
}
