/* bindings/python/cryptoerd/_tables.py: the Python side of the typed API (see
   bindings/python/README.md). One dataclass per table (slots, type hints, per-column
   metadata) and one accessor class with the table's keyed functions, all forwarding to
   the generic accessor of cryptoerd/_core.py, which works through the C descriptors. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "emit.h"
#include "emit_util.h"

/* Python keywords and the names the accessor methods use for their own parameters: a
   column with one of these names is passed as <name>_value. */
static const char *const PY_RESERVED[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
    "return", "try", "while", "with", "yield", "self", "row", "limit", "descending",
    "include_deleted", "hard", "start", "end", "fetch_rows", "page_size", "key", "columns"};

static char *py_param(const char *name)
{
    for (size_t i = 0; i < sizeof PY_RESERVED / sizeof PY_RESERVED[0]; i++)
        if (strcmp(name, PY_RESERVED[i]) == 0)
            return cg_xasprintf("%s_value", name);
    return cg_xstrdup(name);
}

/* price_data -> PriceData */
static char *camel(const char *name)
{
    cg_buf b = {0};
    bool up = true;
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        char ch[2] = {up ? (char)toupper((unsigned char)*p) : *p, 0};
        cg_buf_puts(&b, ch);
        up = false;
    }
    return b.data;
}

/* A Python string literal ("..."), whitespace runs collapsed to one space. */
static void py_string(cg_buf *b, const char *s)
{
    cg_buf_puts(b, "\"");
    bool space = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isspace(*p)) {
            space = true;
            continue;
        }
        if (space)
            cg_buf_puts(b, " ");
        space = false;
        if (*p == '\\' || *p == '"')
            cg_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            cg_buf_printf(b, "\\x%02x", *p);
        else {
            char ch[2] = {(char)*p, 0};
            cg_buf_puts(b, ch);
        }
    }
    cg_buf_puts(b, "\"");
}

static const char *py_type(const cg_column *c)
{
    switch (c->kind) {
    case CG_INT64:
    case CG_INT32: return "int";
    case CG_BOOL: return "bool";
    case CG_NUMERIC: return "Decimal";
    case CG_TIMESTAMPTZ: return "datetime";
    case CG_TEXT: return "str";
    case CG_JSONB: return "Json";
    case CG_INET: return "IPAddress";
    case CG_INT32_ARRAY: return "List[Optional[int]]";
    case CG_TEXT_ARRAY: return "List[Optional[str]]";
    }
    return "Any";
}

static bool required(const cg_column *c)
{
    return c->not_null && !c->default_text && !c->identity;
}

static void emit_class(cg_buf *b, const cg_table *t, const char *cls)
{
    cg_buf_printf(b, "\n\n@dataclass(slots=True, kw_only=True)\nclass %s:\n    ", cls);
    char *doc = cg_xasprintf("A row of table %s%s%s", t->name, t->comment ? ": " : ".",
                             t->comment ? t->comment : "");
    py_string(b, doc);
    free(doc);
    cg_buf_printf(b, "\n\n    __tablename__: ClassVar[str] = \"%s\"\n\n", t->name);
    for (int i = 0; i < t->ncolumns; i++) {
        const cg_column *c = &t->columns[i];
        const char *pt = py_type(c);
        if (required(c))
            cg_buf_printf(b, "    %s: %s = field(metadata={", c->name, pt);
        else
            cg_buf_printf(b, "    %s: Optional[%s] = field(default=None, metadata={", c->name, pt);
        cg_buf_puts(b, "\"sql_type\": ");
        py_string(b, c->sql_type);
        cg_buf_printf(b, ", \"nullable\": %s, \"has_default\": %s, \"identity\": %s, "
                      "\"primary_key\": %s",
                      c->not_null ? "False" : "True", c->default_text ? "True" : "False",
                      c->identity ? "True" : "False", c->primary_key ? "True" : "False");
        if (c->max_chars >= 0)
            cg_buf_printf(b, ", \"max_chars\": %d", c->max_chars);
        if (c->precision >= 0)
            cg_buf_printf(b, ", \"precision\": %d, \"scale\": %d", c->precision, c->scale);
        cg_buf_puts(b, "})\n");
    }
}

/* "a: int, b: str" for the columns, and "a, b" */
static void key_params(const cg_table *t, const int *cols, int n, cg_buf *decl, cg_buf *args)
{
    for (int i = 0; i < n; i++) {
        const cg_column *c = &t->columns[cols[i]];
        char *p = py_param(c->name);
        cg_buf_printf(decl, ", %s: %s", p, py_type(c));
        cg_buf_printf(args, "%s%s", i ? ", " : "", p);
        free(p);
    }
}

static void emit_accessor(cg_buf *b, const cg_api *api, const char *cls)
{
    const cg_table *t = api->t;
    const char *sd = api->soft_delete ? ", include_deleted: bool = False" : "";
    const char *sdarg = api->soft_delete ? ", include_deleted=include_deleted" : "";
    cg_buf_printf(b, "\n\nclass %sTable(Table[%s]):\n", cls, cls);
    cg_buf_printf(b, "    \"\"\"Operations on table %s (``conn.%s``).\"\"\"\n\n", t->name, t->name);
    cg_buf_printf(b, "    table_name = \"%s\"\n    row_class = %s\n", t->name, cls);

    cg_buf decl = {0}, args = {0};
    key_params(t, t->pk.columns, t->pk.ncolumns, &decl, &args);
    cg_buf_printf(b, "\n    def get(self%s%s) -> %s:\n", decl.data, sd, cls);
    cg_buf_printf(b, "        \"\"\"The row with this primary key; raises NotFound.\"\"\"\n");
    cg_buf_printf(b, "        return self.get_pk(%s%s)\n", args.data, sdarg);
    cg_buf_printf(b, "\n    def delete(self%s, *, hard: bool = False) -> None:\n", decl.data);
    cg_buf_printf(b, "        \"\"\"Deletes the row%s; raises NotFound.\"\"\"\n",
                  api->soft_delete ? " (soft delete unless hard)" : "");
    cg_buf_printf(b, "        self.delete_pk(%s, hard=hard)\n", args.data);
    cg_buf_printf(b, "\n    def exists(self%s%s) -> bool:\n", decl.data, sd);
    cg_buf_printf(b, "        return self.exists_pk(%s%s)\n", args.data, sdarg);
    cg_buf_free(&decl);
    cg_buf_free(&args);

    for (int k = 0; k < api->nbykeys; k++) {
        const cg_by_key *bk = &api->bykeys[k];
        const cg_key *key = &t->uniques[bk->key_index];
        cg_buf d = {0}, a = {0};
        key_params(t, key->columns, key->ncolumns, &d, &a);
        cg_buf_printf(b, "\n    def get_by_%s(self%s%s) -> %s:\n", bk->suffix, d.data, sd, cls);
        cg_buf_printf(b, "        \"\"\"The row with this %s (unique key %s); raises NotFound.\"\"\"\n",
                      bk->suffix, key->name);
        cg_buf_printf(b, "        return self.get_by(\"%s\", %s%s)\n", key->name, a.data, sdarg);
        cg_buf_printf(b, "\n    def upsert_by_%s(self, row: %s) -> %s:\n", bk->suffix, cls, cls);
        cg_buf_printf(b, "        \"\"\"Inserts row, or updates the row with its %s.\"\"\"\n",
                      bk->suffix);
        cg_buf_printf(b, "        return self.upsert(row, key=\"%s\")\n", key->name);
        cg_buf_free(&d);
        cg_buf_free(&a);
    }
    /* Range reads and streams on every b-tree index and key (the C side's
       cerd_<t>_range_by_<suffix>): equality on the leading columns, [start, end) on the
       last one, in the index's order. */
    for (int r = 0; r < api->nranges; r++) {
        const cg_range *rg = &api->ranges[r];
        const cg_key *key = rg->key;
        cg_buf rd = {0}, ra = {0}, names = {0};
        key_params(t, key->columns, key->ncolumns - 1, &rd, &ra);
        const cg_column *last = &t->columns[key->columns[key->ncolumns - 1]];
        const char *lt = py_type(last);
        for (int i = 0; i < key->ncolumns; i++)
            cg_buf_printf(&names, "\"%s\", ", t->columns[key->columns[i]].name);
        const char *eq_decl = rd.data ? rd.data : "";
        const char *eq_args = ra.data ? ra.data : "";
        cg_buf_printf(b, "\n    def range_by_%s(self%s%s, start: Optional[%s] = None, "
                      "end: Optional[%s] = None,\n                 descending: bool = False, "
                      "limit: Optional[int] = None) -> List[%s]:\n",
                      rg->suffix, eq_decl, rd.data ? "" : ", *", lt, lt, cls);
        cg_buf_printf(b, "        \"\"\"Rows in index %s order: %s%s[start, end).\"\"\"\n",
                      key->name, rd.data ? "these leading values, then " : "", last->name);
        cg_buf_printf(b, "        return self.range((%s), (%s%s), start, end, "
                      "descending=descending, limit=limit)\n",
                      names.data, eq_args, ra.data ? "," : "");
        cg_buf_printf(b, "\n    def stream_by_%s(self%s%s, start: Optional[%s] = None, "
                      "end: Optional[%s] = None,\n                  descending: bool = False, "
                      "fetch_rows: int = 5000) -> RowStream[%s]:\n",
                      rg->suffix, eq_decl, rd.data ? "" : ", *", lt, lt, cls);
        cg_buf_printf(b, "        \"\"\"As range_by_%s, through a server-side cursor.\"\"\"\n",
                      rg->suffix);
        cg_buf_printf(b, "        return self.stream((%s), (%s%s), start, end, "
                      "descending=descending, fetch_rows=fetch_rows)\n",
                      names.data, eq_args, ra.data ? "," : "");
        cg_buf_free(&rd);
        cg_buf_free(&ra);
        cg_buf_free(&names);
    }
    for (int l = 0; l < api->nlists; l++) {
        const cg_foreign_key *fk = &t->fks[api->list_fks[l]];
        cg_buf params = {0}, args = {0};
        for (int i = 0; i < fk->ncolumns; i++) {
            const cg_column *c = &t->columns[fk->columns[i]];
            char *p = py_param(c->name);
            cg_buf_printf(&params, ", %s: %s", p, py_type(c));
            cg_buf_printf(&args, ", %s", p);
            free(p);
        }
        cg_buf_printf(b, "\n    def list_by_%s(self%s, *, limit: Optional[int] = None, "
                      "descending: bool = False%s) -> List[%s]:\n",
                      api->list_suffixes[l], params.data, sd, cls);
        cg_buf_printf(b, "        \"\"\"Rows with these values of foreign key %s, in "
                      "primary-key order.\"\"\"\n", fk->name);
        cg_buf_printf(b, "        return self.list_by(\"%s\"%s, limit=limit, "
                      "descending=descending%s)\n", fk->name, args.data, sdarg);
        cg_buf_free(&params);
        cg_buf_free(&args);
    }
}

char *cg_emit_python(const cg_schema *s)
{
    cg_buf b = {0};
    cg_buf_puts(&b,
        "# Generated by cerdgen from schema/ (every migration). DO NOT EDIT.\n"
        "\"\"\"Typed rows and table accessors of every table of the schema.\n\n"
        "One dataclass per table (fields in column order, keyword-only; None is SQL NULL, or\n"
        "for a NOT NULL column with a default \"leave it to its default\"; DEFAULT writes\n"
        "DEFAULT), and one accessor class per table, reached as ``conn.<table>``.\n"
        "\"\"\"\n"
        "from __future__ import annotations\n\n"
        "from dataclasses import dataclass, field\n"
        "from datetime import datetime\n"
        "from decimal import Decimal\n"
        "from typing import Any, ClassVar, Dict, List, Optional, Type\n\n"
        "from ._codec import IPAddress, Json\n"
        "from ._connection import Connection\n"
        "from ._queries import Queries\n"
        "from ._table import RowStream, Table\n");
    char **classes = cg_xcalloc((size_t)s->ntables + 1, sizeof *classes);
    for (int i = 0; i < s->ntables; i++) {
        const cg_table *t = &s->tables[i];
        cg_api api;
        cg_api_build(&api, t);
        classes[i] = camel(t->name);
        emit_class(&b, t, classes[i]);
        emit_accessor(&b, &api, classes[i]);
        cg_api_free(&api);
    }
    cg_buf_puts(&b, "\n\nROW_CLASSES: Dict[str, type] = {\n");
    for (int i = 0; i < s->ntables; i++)
        cg_buf_printf(&b, "    \"%s\": %s,\n", s->tables[i].name, classes[i]);
    cg_buf_puts(&b, "}\n\nTABLE_CLASSES: Dict[str, Type[Table[Any]]] = {\n");
    for (int i = 0; i < s->ntables; i++)
        cg_buf_printf(&b, "    \"%s\": %sTable,\n", s->tables[i].name, classes[i]);
    cg_buf_puts(&b, "}\n\n\nclass Database(Connection):\n"
                    "    \"\"\"A connection with one typed accessor per table.\"\"\"\n\n"
                    "    _table_classes = TABLE_CLASSES\n\n"
                    "    @property\n"
                    "    def queries(self) -> Queries:\n"
                    "        \"\"\"The typed queries of queries/*.sql through this connection:\n"
                    "        ``conn.queries.latest_close(asset_id=1, timeframe=\"1h\")``.\"\"\"\n"
                    "        return Queries(self)\n");
    for (int i = 0; i < s->ntables; i++) {
        cg_buf_printf(&b, "\n    @property\n    def %s(self) -> %sTable:\n", s->tables[i].name,
                      classes[i]);
        cg_buf_printf(&b, "        return self.table(\"%s\")  # type: ignore[return-value]\n",
                      s->tables[i].name);
    }
    cg_buf_puts(&b, "\n\n__all__ = [\"Database\", \"ROW_CLASSES\", \"TABLE_CLASSES\",\n");
    for (int i = 0; i < s->ntables; i++) {
        cg_buf_printf(&b, "           \"%s\", \"%sTable\",\n", classes[i], classes[i]);
        free(classes[i]);
    }
    cg_buf_puts(&b, "           ]\n");
    free(classes);
    return b.data;
}
