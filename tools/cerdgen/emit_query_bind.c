/* The typed queries of queries/ (every .sql file) in the bindings, from the same query model (query.h)
   that makes the C functions (emit_query.c):

     bindings/python/cryptoerd/_queries.py   a frozen dataclass for the parameters and one
                                             for the result row of every query, and one
                                             method per query on `conn.queries`
     bindings/go/cryptoerd/queries_gen.go    a Params and a Row struct per query, their
                                             conversions to and from the C structs, and
                                             one method per query on Queries
                                             (`conn.Queries()`)

   Both call the generated C functions (Go) or the generic cerd_query_*() over the
   generated descriptors cerd_q_<name>_query (Python, cffi ABI mode): no SQL of their own.
   See docs/queries.md, "From Python and Go". */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_util.h"
#include "query.h"

enum {
    OID_BOOL = 16, OID_INT8 = 20, OID_INT4 = 23, OID_TEXT = 25, OID_INET = 869,
    OID_INT4_ARRAY = 1007, OID_TEXT_ARRAY = 1009, OID_VARCHAR_ARRAY = 1015,
    OID_VARCHAR = 1043, OID_TIMESTAMPTZ = 1184, OID_NUMERIC = 1700, OID_JSONB = 3802
};

static const char *shape_word(cg_qshape s)
{
    return s == CG_Q_ONE ? "one" : s == CG_Q_MANY ? "many" : "exec";
}

/* A value type: a plain C value, cerd_opt_* when a result column may be NULL. */
static bool value_oid(unsigned oid)
{
    return oid == OID_INT8 || oid == OID_INT4 || oid == OID_BOOL || oid == OID_NUMERIC ||
           oid == OID_TIMESTAMPTZ || oid == OID_INET;
}

static void die(const cg_query *q, const char *what, const char *name)
{
    fprintf(stderr, "cerdgen: %s: query %s: %s %s is a reserved word of the Python "
            "binding: rename it\n", q->origin, q->name, what, name);
    exit(1);
}

/* price_data -> PriceData (Python class names). Caller frees. */
static char *py_camel(const char *name)
{
    cg_buf b = {0};
    bool up = true;
    cg_buf_puts(&b, "");
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        cg_buf_printf(&b, "%c", up ? toupper((unsigned char)*p) : *p);
        up = false;
    }
    return b.data;
}

/* Text as the body of a Python docstring / comment: whitespace runs collapsed, quotes and
   backslashes escaped. */
static void py_text(cg_buf *b, const char *s)
{
    bool space = false, any = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isspace(*p)) {
            space = true;
            continue;
        }
        if (space && any)
            cg_buf_puts(b, " ");
        space = false;
        any = true;
        if (*p == '\\' || *p == '"')
            cg_buf_printf(b, "\\%c", *p);
        else
            cg_buf_printf(b, "%c", *p);
    }
}

static const char *PY_RESERVED[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
    "return", "try", "while", "with", "yield", "self", "fetch_rows", "params", NULL};

/* A parameter is a keyword argument of the method: none of PY_RESERVED; a column is a
   dataclass field: no Python keyword (the first 35 entries). */
static void py_check_name(const cg_query *q, const char *what, const char *name, bool param)
{
    for (int i = 0; PY_RESERVED[i] && (param || i < 35); i++)
        if (strcmp(name, PY_RESERVED[i]) == 0)
            die(q, what, name);
}

static const char *py_base(unsigned oid)
{
    switch (oid) {
    case OID_INT8: case OID_INT4: return "int";
    case OID_BOOL: return "bool";
    case OID_NUMERIC: return "Decimal";
    case OID_TIMESTAMPTZ: return "datetime";
    case OID_TEXT: case OID_VARCHAR: return "str";
    case OID_JSONB: return "Json";
    case OID_INET: return "IPAddress";
    case OID_INT4_ARRAY: return "List[int]";
    case OID_TEXT_ARRAY: case OID_VARCHAR_ARRAY: return "List[str]";
    default: return "Any";
    }
}

/* The field's Python type: parameters are plain values; a nullable result column is
   Optional. Static buffer. */
static const char *py_type(const cg_qfield *f, bool param)
{
    static char buf[64];
    const char *base = py_base(f->type.oid);
    if (!param && f->type.nullable && strcmp(base, "Json") != 0)
        snprintf(buf, sizeof buf, "Optional[%s]", base);
    else
        snprintf(buf, sizeof buf, "%s", base);
    return buf;
}

static void py_field_comment(cg_buf *b, const cg_query *q, const cg_qfield *f, bool param,
                             int index)
{
    cg_buf t = {0};
    cg_buf_puts(&t, "");
    if (param) {
        cg_buf_printf(&t, "$%d: %s.", index + 1, cg_qtype_sql(&f->type));
        for (int k = 0; k < q->nchecks; k++)
            if (q->checks[k].param == index)
                cg_buf_printf(&t, " Checked against the rules of %s.%s.",
                              q->checks[k].table->name,
                              q->checks[k].table->columns[q->checks[k].column].name);
    } else {
        cg_buf_printf(&t, "%s%s%s%s%s%s%s.", cg_qtype_sql(&f->type),
                      f->type.nullable ? ", nullable" : " NOT NULL",
                      f->type.nullable && f->why_nullable ? " (" : "",
                      f->type.nullable && f->why_nullable ? f->why_nullable : "",
                      f->type.nullable && f->why_nullable ? ")" : "",
                      f->origin ? "; from " : "", f->origin ? f->origin : "");
    }
    cg_buf_printf(b, "    #: %s\n", t.data);
    cg_buf_free(&t);
}

static void py_dataclass(cg_buf *b, const cg_query *q, const char *cls, bool param)
{
    const cg_qfield *fs = param ? q->params : q->columns;
    int n = param ? q->nparams : q->ncolumns;
    cg_buf_printf(b, "\n\n@dataclass(frozen=True, slots=True, kw_only=True)\nclass %s:\n", cls);
    cg_buf_printf(b, "    \"\"\"%s of query %s (%s).\"\"\"\n\n",
                  param ? "The parameters" : "A result row", q->name, q->origin);
    for (int i = 0; i < n; i++) {
        py_check_name(q, param ? "parameter" : "column", fs[i].name, param);
        py_field_comment(b, q, &fs[i], param, i);
        cg_buf_printf(b, "    %s: %s\n", fs[i].name, py_type(&fs[i], param));
    }
}

char *cg_emit_query_python(const cg_query_set *qs)
{
    cg_buf b = {0};
    cg_buf_puts(&b,
        "# Generated by cerdgen from queries/*.sql. DO NOT EDIT.\n"
        "\"\"\"The typed queries of queries/*.sql (docs/queries.md, \"From Python and Go\").\n\n"
        "Per query a frozen dataclass of its parameters (``<Name>Params``) and of its result\n"
        "row (``<Name>Row``: exact types, None for NULL), and a method of ``conn.queries``:\n"
        "``:many`` gives a list (and ``<name>_stream`` an iterator over a server-side\n"
        "cursor), ``:one`` one row (NotFound when there is none), ``:exec`` the number of\n"
        "rows affected. They run the C library's generated descriptors (cerd_q_<name>_query)\n"
        "through the generic cerd_query_*() functions: the same SQL, parameter checks and\n"
        "codec as the C functions.\n"
        "\"\"\"\n"
        "from __future__ import annotations\n\n"
        "from dataclasses import dataclass\n"
        "from datetime import datetime\n"
        "from decimal import Decimal\n"
        "from typing import Any, List, Optional, Sequence\n\n"
        "from ._codec import IPAddress, Json\n"
        "from ._query_core import QueriesBase, QuerySpec, QueryStream, register_cdef\n\n"
        "# The descriptors the methods run (declared for cffi by _query_core).\n"
        "CDEF = \"\"\"\n");
    for (int fi = 0; fi < qs->nfiles; fi++)
        for (int i = 0; i < qs->files[fi].nqueries; i++)
            cg_buf_printf(&b, "extern cerd_query cerd_q_%s_query;\n",
                          qs->files[fi].queries[i].name);
    cg_buf_puts(&b, "\"\"\"\nregister_cdef(CDEF)\n\n_unused = (Any, Decimal, datetime, IPAddress, Json, List, Optional, Sequence)\n");

    cg_buf methods = {0}, specs = {0}, names = {0};
    cg_buf_puts(&methods, "");
    cg_buf_puts(&specs, "");
    cg_buf_puts(&names, "");
    for (int fi = 0; fi < qs->nfiles; fi++) {
        for (int i = 0; i < qs->files[fi].nqueries; i++) {
            const cg_query *q = &qs->files[fi].queries[i];
            char *cls = py_camel(q->name);
            char *up = cg_upper(q->name);
            char *pcls = q->nparams ? cg_xasprintf("%sParams", cls) : cg_xstrdup("None");
            char *rcls = q->shape != CG_Q_EXEC ? cg_xasprintf("%sRow", cls)
                                                : cg_xstrdup("None");
            if (q->nparams) {
                py_dataclass(&b, q, pcls, true);
                cg_buf_printf(&names, "    \"%s\",\n", pcls);
            }
            if (q->shape != CG_Q_EXEC) {
                py_dataclass(&b, q, rcls, false);
                cg_buf_printf(&names, "    \"%s\",\n", rcls);
            }
            cg_buf_printf(&specs, "_%s: QuerySpec[%s] = QuerySpec(\"%s\", \"%s\", \"%s\", %s, %s)\n",
                          up, q->shape == CG_Q_EXEC ? "None" : rcls, q->name,
                          shape_word(q->shape), q->origin, pcls, rcls);

            /* the keyword parameters and the params object built from them */
            cg_buf decl = {0}, build = {0};
            cg_buf_puts(&decl, "self");
            cg_buf_puts(&build, "None");
            if (q->nparams) {
                cg_buf_puts(&decl, ", *");
                build.len = 0;
                build.data[0] = '\0';
                cg_buf_printf(&build, "%s(", pcls);
                for (int k = 0; k < q->nparams; k++) {
                    cg_buf_printf(&decl, ", %s: %s", q->params[k].name,
                                  py_type(&q->params[k], true));
                    cg_buf_printf(&build, "%s%s=%s", k ? ", " : "", q->params[k].name,
                                  q->params[k].name);
                }
                cg_buf_puts(&build, ")");
            }
            const char *ret = q->shape == CG_Q_ONE ? rcls : q->shape == CG_Q_EXEC ? "int" : NULL;
            char *many = cg_xasprintf("List[%s]", rcls);
            cg_buf_printf(&methods, "\n    def %s(%s) -> %s:\n        \"\"\"", q->name, decl.data,
                          ret ? ret : many);
            if (q->doc)
                py_text(&methods, q->doc);
            else
                cg_buf_printf(&methods, "Query %s.", q->name);
            cg_buf_printf(&methods, " (%s, :%s%s)\"\"\"\n", q->origin, shape_word(q->shape),
                          q->shape == CG_Q_ONE ? "; raises NotFound when no row matches"
                          : q->shape == CG_Q_EXEC ? "; returns the number of rows affected"
                                                  : "");
            cg_buf_printf(&methods, "        return self._%s(_%s, %s)\n", shape_word(q->shape),
                          up, build.data);
            if (q->shape == CG_Q_MANY) {
                cg_buf_printf(&methods, "\n    def %s_stream(%s%s, fetch_rows: int = 1000) -> "
                              "QueryStream[%s]:\n", q->name, decl.data,
                              q->nparams ? "" : ", *", rcls);
                cg_buf_printf(&methods, "        \"\"\"The rows of %s through a server-side "
                              "cursor, ``fetch_rows`` per round trip (an iterator and a "
                              "context manager that closes it).\"\"\"\n", q->name);
                cg_buf_printf(&methods, "        return self._stream(_%s, %s, fetch_rows)\n", up,
                              build.data);
            }
            if (q->shape == CG_Q_EXEC) {
                if (q->nparams)
                    cg_buf_printf(&methods, "\n    def %s_many(self, params: Sequence[%s]) -> int:\n",
                                  q->name, pcls);
                else
                    cg_buf_printf(&methods, "\n    def %s_many(self, times: int) -> int:\n",
                                  q->name);
                cg_buf_printf(&methods, "        \"\"\"Runs %s once per parameter set, all in one "
                              "pipelined round trip and one transaction (nothing is written when "
                              "one fails; a refused set raises before anything is sent). Returns "
                              "the rows affected, summed.\"\"\"\n", q->name);
                cg_buf_printf(&methods, "        return self._execmany(_%s, %s)\n", up,
                              q->nparams ? "params" : "[None] * times");
            }
            free(many);
            cg_buf_free(&decl);
            cg_buf_free(&build);
            free(cls);
            free(up);
            free(pcls);
            free(rcls);
        }
    }
    cg_buf_printf(&b, "\n\n%s", specs.data);
    cg_buf_puts(&b, "\n\nclass Queries(QueriesBase):\n"
                    "    \"\"\"The typed queries through one connection: ``conn.queries``.\"\"\"\n");
    cg_buf_puts(&b, methods.data);
    cg_buf_printf(&b, "\n\n__all__ = [\n    \"Queries\",\n%s]\n", names.data);
    cg_buf_free(&methods);
    cg_buf_free(&specs);
    cg_buf_free(&names);
    return b.data;
}

/* ------------------------------------------------------------------ Go */

static const char *go_base(unsigned oid)
{
    switch (oid) {
    case OID_INT8: return "int64";
    case OID_INT4: return "int32";
    case OID_BOOL: return "bool";
    case OID_NUMERIC: return "Decimal";
    case OID_TIMESTAMPTZ: return "time.Time";
    case OID_TEXT: case OID_VARCHAR: return "string";
    case OID_JSONB: return "json.RawMessage";
    case OID_INET: return "netip.Prefix";
    case OID_INT4_ARRAY: return "[]int32";
    case OID_TEXT_ARRAY: case OID_VARCHAR_ARRAY: return "[]string";
    default: return NULL;
    }
}

/* The helper family of convert.go. */
static const char *go_kind(unsigned oid)
{
    switch (oid) {
    case OID_INT8: return "Int64";
    case OID_INT4: return "Int32";
    case OID_BOOL: return "Bool";
    case OID_NUMERIC: return "Decimal";
    case OID_TIMESTAMPTZ: return "Time";
    case OID_TEXT: case OID_VARCHAR: return "Text";
    case OID_JSONB: return "JSON";
    case OID_INET: return "Inet";
    case OID_INT4_ARRAY: return "Int32s";
    case OID_TEXT_ARRAY: case OID_VARCHAR_ARRAY: return "Texts";
    default: return NULL;
    }
}

static void go_comment(cg_buf *b, const char *indent, const char *text)
{
    /* one line per ~90 columns */
    cg_buf_printf(b, "%s//", indent);
    size_t col = strlen(indent) + 2;
    const char *p = text;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && !isspace((unsigned char)*e))
            e++;
        size_t n = (size_t)(e - p);
        if (col + 1 + n > 96 && col > strlen(indent) + 3) {
            cg_buf_printf(b, "\n%s//", indent);
            col = strlen(indent) + 2;
        }
        cg_buf_printf(b, " %.*s", (int)n, p);
        col += 1 + n;
        p = e;
    }
    cg_buf_puts(b, "\n");
}

static void go_struct(cg_buf *b, const cg_query *q, const char *gname, bool param)
{
    const cg_qfield *fs = param ? q->params : q->columns;
    int n = param ? q->nparams : q->ncolumns;
    char *head = cg_xasprintf("%s%s %s of query %s (%s).", gname, param ? "Params" : "Row",
                              param ? "are the parameters" : "is one result row", q->name,
                              q->origin);
    go_comment(b, "", head);
    free(head);
    cg_buf_printf(b, "type %s%s struct {\n", gname, param ? "Params" : "Row");
    for (int i = 0; i < n; i++) {
        const cg_qfield *f = &fs[i];
        cg_buf t = {0};
        cg_buf_puts(&t, "");
        if (param) {
            cg_buf_printf(&t, "$%d: %s.", i + 1, cg_qtype_sql(&f->type));
            for (int k = 0; k < q->nchecks; k++)
                if (q->checks[k].param == i)
                    cg_buf_printf(&t, " Checked against the rules of %s.%s.",
                                  q->checks[k].table->name,
                                  q->checks[k].table->columns[q->checks[k].column].name);
        } else
            cg_buf_printf(&t, "%s%s%s%s%s%s%s.", cg_qtype_sql(&f->type),
                          f->type.nullable ? ", nullable" : " NOT NULL",
                          f->type.nullable && f->why_nullable ? " (" : "",
                          f->type.nullable && f->why_nullable ? f->why_nullable : "",
                          f->type.nullable && f->why_nullable ? ")" : "",
                          f->origin ? "; from " : "", f->origin ? f->origin : "");
        go_comment(b, "\t", t.data);
        cg_buf_free(&t);
        char *fname = cg_go_name(f->name, true);
        if (!param && f->type.nullable)
            cg_buf_printf(b, "\t%s Null[%s]\n", fname, go_base(f->type.oid));
        else
            cg_buf_printf(b, "\t%s %s\n", fname, go_base(f->type.oid));
        free(fname);
    }
    cg_buf_puts(b, "}\n\n");
}

static void go_to_c(cg_buf *b, const cg_query *q, const char *gname)
{
    cg_buf_printf(b, "func (p *%sParams) toC(c *C.cerd_q_%s_params, a *arena) (err error) {\n",
                  gname, q->name);
    for (int i = 0; i < q->nparams; i++) {
        const cg_qfield *f = &q->params[i];
        char *fname = cg_go_name(f->name, true);
        char *cf = cg_go_cfield(f->name);
        unsigned oid = f->type.oid;
        const char *k = go_kind(oid);
        if (value_oid(oid) || oid == OID_INT4_ARRAY)
            cg_buf_printf(b, "\tplain%sToC(&c.%s, p.%s, a)\n", k, cf, fname);
        else
            cg_buf_printf(b, "\tif err = plain%sToC(&c.%s, p.%s, a); err != nil {\n"
                             "\t\treturn columnError(\"%s\", \"%s\", err)\n\t}\n",
                          k, cf, fname, q->name, f->name);
        free(fname);
        free(cf);
    }
    cg_buf_puts(b, "\treturn nil\n}\n\n");
}

static void go_from_c(cg_buf *b, const cg_query *q, const char *gname)
{
    cg_buf_printf(b, "func (r *%sRow) fromC(c *C.cerd_q_%s_row) (err error) {\n", gname,
                  q->name);
    for (int i = 0; i < q->ncolumns; i++) {
        const cg_qfield *f = &q->columns[i];
        char *fname = cg_go_name(f->name, true);
        char *cf = cg_go_cfield(f->name);
        unsigned oid = f->type.oid;
        const char *k = go_kind(oid);
        bool nul = f->type.nullable;
        if (value_oid(oid))
            cg_buf_printf(b, "\tr.%s = %s%sFromC(&c.%s)\n", fname, nul ? "opt" : "plain", k, cf);
        else if (oid == OID_TEXT || oid == OID_VARCHAR)
            cg_buf_printf(b, "\tr.%s = %sTextFromC(c.%s)\n", fname, nul ? "null" : "plain", cf);
        else
            cg_buf_printf(b, "\tif r.%s, err = %s%sFromC(%sc.%s); err != nil {\n"
                             "\t\treturn columnError(\"%s\", \"%s\", err)\n\t}\n",
                          fname, nul ? "null" : "plain", k, oid == OID_JSONB ? "" : "&", cf,
                          q->name, f->name);
        free(fname);
        free(cf);
    }
    cg_buf_puts(b, "\treturn nil\n}\n\n");
}

static void go_query(cg_buf *b, const cg_query *q)
{
    char *g = cg_go_name(q->name, true);
    char *lg = cg_go_name(q->name, false);
    const char *n = q->name;
    cg_buf_printf(b, "// ---------------------------------------------------------------- %s "
                     "(%s, :%s)\n\n", n, q->origin, shape_word(q->shape));
    if (q->nparams) {
        go_struct(b, q, g, true);
        go_to_c(b, q, g);
    }
    if (q->shape != CG_Q_EXEC) {
        go_struct(b, q, g, false);
        go_from_c(b, q, g);
        cg_buf_printf(b, "var %sResult = &tableInfo{\n\tname:   \"%s\",\n"
                         "\tdesc:   C.cerd_q_%s_query.result,\n"
                         "\tsize:   int(C.sizeof_cerd_q_%s_row),\n"
                         "\tgoType: reflect.TypeOf(%sRow{}),\n"
                         "\tload: func(dst, src unsafe.Pointer) error {\n"
                         "\t\treturn (*%sRow)(dst).fromC((*C.cerd_q_%s_row)(src))\n\t},\n}\n\n",
                      lg, n, n, n, g, g, n);
    }
    /* the method */
    char *doc = q->doc ? cg_xasprintf("%s runs query %s (%s, :%s): %s", g, n, q->origin,
                                      shape_word(q->shape), q->doc)
                       : cg_xasprintf("%s runs query %s (%s, :%s).", g, n, q->origin,
                                      shape_word(q->shape));
    go_comment(b, "", doc);
    free(doc);
    const char *parg = q->nparams ? ", p " : "";
    char *ptype = q->nparams ? cg_xasprintf("%sParams", g) : cg_xstrdup("");
    const char *cparg = q->nparams ? ", &cp" : "";
    const char *prep = q->nparams ? "\ta := q.c.arena()\n\tdefer a.reset()\n" : "";
    char *conv = q->nparams ? cg_xasprintf("\tvar cp C.cerd_q_%s_params\n\tif err := p.toC(&cp, "
                                           "a); err != nil {\n\t\treturn %s, err\n\t}\n", n,
                                           q->shape == CG_Q_MANY ? "nil"
                                           : q->shape == CG_Q_EXEC ? "0" : "out")
                            : cg_xstrdup("");
    switch (q->shape) {
    case CG_Q_ONE:
        cg_buf_printf(b, "func (q Queries) %s(ctx context.Context%s%s) (out %sRow, err error) {\n"
                         "%s%s\tvar cout C.cerd_q_%s_row\n"
                         "\terr = q.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                         "\t\treturn C.cerd_q_%s(&cout, conn%s)\n\t})\n"
                         "\tif err != nil {\n\t\treturn out, err\n\t}\n"
                         "\tdefer C.cerd_q_%s_clear(&cout)\n"
                         "\terr = out.fromC(&cout)\n\treturn out, err\n}\n\n",
                      g, parg, ptype, g, prep, conv, n, n, cparg, n);
        break;
    case CG_Q_MANY:
        cg_buf_printf(b, "func (q Queries) %s(ctx context.Context%s%s) ([]%sRow, error) {\n"
                         "%s%s\tvar rows C.cerd_q_%s_rows\n"
                         "\terr := q.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                         "\t\treturn C.cerd_q_%s(&rows, conn%s)\n\t})\n"
                         "\tif err != nil {\n\t\treturn nil, err\n\t}\n"
                         "\tdefer C.cerd_q_%s_rows_free(&rows)\n"
                         "\tout := make([]%sRow, int(rows.count))\n"
                         "\tif len(out) == 0 {\n\t\treturn out, nil\n\t}\n"
                         "\tfor i, c := range unsafe.Slice(rows.rows, len(out)) {\n"
                         "\t\tif err := out[i].fromC(&c); err != nil {\n\t\t\treturn nil, err\n"
                         "\t\t}\n\t}\n\treturn out, nil\n}\n\n",
                      g, parg, ptype, g, prep, conv, n, n, cparg, n, g);
        {
            char *sdoc = cg_xasprintf("%sStream runs query %s through a server-side cursor, "
                                      "fetchRows rows per round trip (0: 1000), read like "
                                      "database/sql's Rows; the connection is used only "
                                      "through it until Close.", g, n);
            go_comment(b, "", sdoc);
            free(sdoc);
        }
        cg_buf_printf(b, "func (q Queries) %sStream(ctx context.Context%s%s, fetchRows int) "
                         "(*Rows[%sRow], error) {\n"
                         "%s%s\treturn openQueryStream[%sRow](ctx, q.c, %sResult, "
                         "func(out **C.cerd_stream, conn *C.cerd_conn) C.int {\n"
                         "\t\treturn C.cerd_q_%s_stream(out, conn%s, C.size_t(fetchRows))\n"
                         "\t})\n}\n\n",
                      g, parg, ptype, g, prep, conv, g, lg, n, cparg);
        break;
    case CG_Q_EXEC:
        cg_buf_printf(b, "func (q Queries) %s(ctx context.Context%s%s) (int64, error) {\n"
                         "%s%s\tvar n C.int64_t\n"
                         "\terr := q.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                         "\t\treturn C.cerd_q_%s(&n, conn%s)\n\t})\n"
                         "\treturn int64(n), err\n}\n\n",
                      g, parg, ptype, prep, conv, n, cparg);
        {
            char *mdoc = cg_xasprintf("%sMany runs query %s once per parameter set, all in one "
                                      "pipelined round trip and one transaction (nothing is "
                                      "written when one fails; a refused set is an error "
                                      "before anything is sent), and returns the rows "
                                      "affected, summed (C: cerd_q_%s_many).", g, n, n);
            go_comment(b, "", mdoc);
            free(mdoc);
        }
        if (q->nparams)
            cg_buf_printf(b, "func (q Queries) %sMany(ctx context.Context, ps []%sParams) (int64, "
                             "error) {\n"
                             "\tif len(ps) == 0 {\n\t\treturn 0, nil\n\t}\n"
                             "\ta := q.c.arena()\n\tdefer a.reset()\n"
                             "\tcps := (*C.cerd_q_%s_params)(C.calloc(C.size_t(len(ps)), "
                             "C.sizeof_cerd_q_%s_params))\n"
                             "\tdefer C.free(unsafe.Pointer(cps))\n"
                             "\tcs := unsafe.Slice(cps, len(ps))\n"
                             "\tfor i := range ps {\n"
                             "\t\tif err := ps[i].toC(&cs[i], a); err != nil {\n"
                             "\t\t\treturn 0, err\n\t\t}\n\t}\n"
                             "\tvar n C.int64_t\n"
                             "\terr := q.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                             "\t\treturn C.cerd_q_%s_many(&n, conn, cps, C.size_t(len(ps)))\n\t})\n"
                             "\treturn int64(n), err\n}\n\n",
                          g, g, n, n, n);
        else
            cg_buf_printf(b, "func (q Queries) %sMany(ctx context.Context, times int) (int64, "
                             "error) {\n"
                             "\tvar n C.int64_t\n"
                             "\terr := q.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                             "\t\treturn C.cerd_q_%s_many(&n, conn, C.size_t(times))\n\t})\n"
                             "\treturn int64(n), err\n}\n\n",
                          g, n);
        break;
    }
    free(conv);
    free(ptype);
    free(g);
    free(lg);
}

char *cg_emit_query_go(const cg_query_set *qs)
{
    cg_buf b = {0};
    cg_buf_puts(&b, "// Code generated by cerdgen from queries/*.sql. DO NOT EDIT.\n\n"
                    "package cryptoerd\n\n/*\n#include <stdlib.h>\n#include <cryptoerd/cryptoerd.h>\n");
    for (int fi = 0; fi < qs->nfiles; fi++)
        cg_buf_printf(&b, "#include <cryptoerd/queries/%s.h>\n", qs->files[fi].name);
    cg_buf_puts(&b, "*/\nimport \"C\"\n\nimport (\n\t\"context\"\n\t\"encoding/json\"\n"
                    "\t\"net/netip\"\n\t\"reflect\"\n\t\"time\"\n\t\"unsafe\"\n)\n\n"
                    "var (\n\t_ json.RawMessage\n\t_ netip.Prefix\n\t_ time.Time\n"
                    "\t_ reflect.Type\n\t_ unsafe.Pointer\n)\n\n");
    for (int fi = 0; fi < qs->nfiles; fi++)
        for (int i = 0; i < qs->files[fi].nqueries; i++)
            go_query(&b, &qs->files[fi].queries[i]);
    cg_buf_puts(&b, "// ---------------------------------------------------------------- every "
                    "query\n\nfunc init() {\n");
    for (int fi = 0; fi < qs->nfiles; fi++)
        for (int i = 0; i < qs->files[fi].nqueries; i++)
            cg_buf_printf(&b, "\tregisterQuery(&C.cerd_q_%s_query)\n",
                          qs->files[fi].queries[i].name);
    cg_buf_puts(&b, "}\n");
    /* no trailing blank line */
    while (b.len > 1 && b.data[b.len - 1] == '\n' && b.data[b.len - 2] == '\n')
        b.data[--b.len] = '\0';
    return b.data;
}
