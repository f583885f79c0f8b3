/* bindings/go/cryptoerd/tables_gen.go: the Go binding's typed per-table API, from the same
   model and the same operation descriptions (api.c) as the C API. See
   bindings/go/README.md. Each table gets a Go struct with Go types, column constants,
   the conversions to and from its C struct (cgo's typed access to cerd_<t>: checked by the
   Go compiler against the generated C header), and one method per C function of the
   table on <T>Ops (conn.<T>()). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "emit.h"
#include "emit_util.h"
#include "model.h"

/* Parts of names written in upper case in Go (Go's initialisms). */
static const char *const INITIALISMS[] = {"id", "ids", "api", "ai", "url", "ip", "json", "uuid",
                                          "http", "sql", "vwap", "rsi", "usd", "ui", NULL};

static const char *const GO_KEYWORDS[] = {
    "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
    "for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
    "return", "select", "struct", "switch", "type", "var", NULL};

static bool is_go_keyword(const char *s)
{
    for (int i = 0; GO_KEYWORDS[i]; i++)
        if (strcmp(s, GO_KEYWORDS[i]) == 0)
            return true;
    return false;
}

/* snake_case to CamelCase (exported) or camelCase, with Go's initialisms. Caller frees. */
static char *go_camel(const char *snake, bool exported)
{
    cg_buf b = {0};
    cg_buf_puts(&b, "");
    const char *p = snake;
    bool first = true;
    while (*p) {
        const char *e = strchr(p, '_');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) {
            char *part = cg_xstrndup(p, n);
            bool init = false;
            for (int i = 0; INITIALISMS[i]; i++)
                init = init || strcmp(part, INITIALISMS[i]) == 0;
            if (first && !exported) {
                cg_buf_puts(&b, part);
            } else if (init) {
                if (strcmp(part, "ids") == 0)
                    cg_buf_puts(&b, "IDs");
                else
                    for (size_t i = 0; i < n; i++)
                        cg_buf_printf(&b, "%c", toupper((unsigned char)part[i]));
            } else {
                cg_buf_printf(&b, "%c%s", toupper((unsigned char)part[0]), part + 1);
            }
            free(part);
            first = false;
        }
        p += n;
        if (*p == '_')
            p++;
    }
    if (!exported && is_go_keyword(b.data))
        cg_buf_puts(&b, "_");
    return b.data;
}

/* The C field as cgo names it (a Go keyword gets a leading underscore). Caller frees. */
static char *cgo_field(const char *name)
{
    return is_go_keyword(name) ? cg_xasprintf("_%s", name) : cg_xstrdup(name);
}

static bool is_value_kind(cg_kind k)
{
    return k == CG_INT64 || k == CG_INT32 || k == CG_BOOL || k == CG_NUMERIC ||
           k == CG_TIMESTAMPTZ || k == CG_INET;
}

/* Whether the Go field is a Null[T]: the column may be NULL or has a default (so it can
   be left out or written as DEFAULT). An identity column is a plain int64 (0: assign). */
static bool go_nullable(const cg_column *c)
{
    if (c->identity)
        return false;
    if (is_value_kind(c->kind))
        return cg_column_is_optional(c);
    return !c->not_null || c->default_text;
}

static const char *go_base_type(cg_kind k)
{
    switch (k) {
    case CG_INT64: return "int64";
    case CG_INT32: return "int32";
    case CG_BOOL: return "bool";
    case CG_NUMERIC: return "Decimal";
    case CG_TIMESTAMPTZ: return "time.Time";
    case CG_TEXT: return "string";
    case CG_JSONB: return "json.RawMessage";
    case CG_INET: return "netip.Prefix";
    case CG_INT32_ARRAY: return "[]int32";
    case CG_TEXT_ARRAY: return "[]string";
    }
    return "?";
}

/* The suffix of the conversion helpers of bindings/go/cryptoerd/convert.go. */
static const char *helper_kind(cg_kind k)
{
    switch (k) {
    case CG_INT64: return "Int64";
    case CG_INT32: return "Int32";
    case CG_BOOL: return "Bool";
    case CG_NUMERIC: return "Decimal";
    case CG_TIMESTAMPTZ: return "Time";
    case CG_TEXT: return "Text";
    case CG_JSONB: return "JSON";
    case CG_INET: return "Inet";
    case CG_INT32_ARRAY: return "Int32s";
    case CG_TEXT_ARRAY: return "Texts";
    }
    return "?";
}

/* Whether converting this kind from C can fail (and so returns an error). */
static bool from_c_fails(cg_kind k)
{
    return k == CG_JSONB || k == CG_INT32_ARRAY || k == CG_TEXT_ARRAY;
}

/* Whether converting this kind to C can fail. */
static bool to_c_fails(cg_kind k)
{
    return k == CG_JSONB || k == CG_TEXT || k == CG_TEXT_ARRAY;
}

/* One line of Go doc text (whitespace runs collapsed). Caller frees. */
static char *go_doc(const char *s)
{
    cg_buf b = {0};
    cg_buf_puts(&b, "");
    bool space = false;
    for (const char *p = s ? s : ""; *p; p++) {
        if (isspace((unsigned char)*p)) {
            space = true;
            continue;
        }
        if (space && b.len)
            cg_buf_puts(&b, " ");
        space = false;
        cg_buf_printf(&b, "%c", *p);
    }
    return b.data;
}

static void wrap_comment(cg_buf *b, const char *indent, const char *text)
{
    cg_buf_printf(b, "%s// ", indent);
    char *ind = cg_xasprintf("%s// ", indent);
    /* cg_buf_wrap escapes nothing: the text is plain. */
    cg_buf_wrap(b, text, ind);
    cg_buf_puts(b, "\n");
    free(ind);
}

/* The Go expression that converts key parameter `name` of column c into the C argument. */
static void key_arg(cg_buf *b, const cg_column *c, const char *name)
{
    switch (c->kind) {
    case CG_INT64: cg_buf_printf(b, "C.int64_t(%s)", name); break;
    case CG_INT32: cg_buf_printf(b, "C.int32_t(%s)", name); break;
    case CG_BOOL: cg_buf_printf(b, "C.bool(%s)", name); break;
    case CG_NUMERIC: cg_buf_printf(b, "&%s.n", name); break;
    case CG_TIMESTAMPTZ: cg_buf_printf(b, "timeToC(%s)", name); break;
    case CG_INET: cg_buf_printf(b, "inetPtr(%s)", name); break;
    case CG_TEXT: cg_buf_printf(b, "a.cstr(%s)", name); break;
    default: cg_buf_puts(b, "nil /* unsupported key type */"); break;
    }
}

static void emit_table(cg_buf *b, const cg_table *t)
{
    cg_api api = {0};
    cg_api_build(&api, t);
    char *T = go_camel(t->name, true);
    const char *tn = t->name;
    char **fields = cg_xcalloc((size_t)t->ncolumns, sizeof *fields);
    char **cfields = cg_xcalloc((size_t)t->ncolumns, sizeof *cfields);
    char **params = cg_xcalloc((size_t)t->ncolumns, sizeof *params);
    for (int i = 0; i < t->ncolumns; i++) {
        fields[i] = go_camel(t->columns[i].name, true);
        cfields[i] = cgo_field(t->columns[i].name);
        params[i] = go_camel(t->columns[i].name, false);
    }

    cg_buf_printf(b, "// ---------------------------------------------------------------- %s\n\n",
                  tn);
    char *doc = cg_xasprintf("%s is a row of table %s (%s).%s%s", T, tn, t->file,
                             t->comment ? " " : "", t->comment ? t->comment : "");
    char *d = go_doc(doc);
    wrap_comment(b, "", d);
    free(d);
    free(doc);
    cg_buf_printf(b, "type %s struct {\n", T);
    for (int i = 0; i < t->ncolumns; i++) {
        const cg_column *c = &t->columns[i];
        char *cd = cg_xasprintf("%s%s%s%s%s%s%s", c->sql_type, c->not_null ? " NOT NULL" : "",
                                c->identity ? ", identity (0: assigned by the server)" : "",
                                c->default_text ? ", default: " : "",
                                c->default_text ? c->default_text : "",
                                c->comment ? ". " : "", c->comment ? c->comment : "");
        char *cdd = go_doc(cd);
        wrap_comment(b, "\t", cdd);
        free(cdd);
        free(cd);
        if (go_nullable(c))
            cg_buf_printf(b, "\t%s Null[%s]\n", fields[i], go_base_type(c->kind));
        else
            cg_buf_printf(b, "\t%s %s\n", fields[i], go_base_type(c->kind));
    }
    cg_buf_puts(b, "}\n\n");

    /* columns */
    cg_buf_printf(b, "// %sColumn is the index of a column of %s (for UpdateColumns and "
                     "ranges).\ntype %sColumn int\n\n// The columns of %s.\nconst (\n",
                  T, tn, T, tn);
    int namew = 0; /* aligned as gofmt aligns them */
    for (int i = 0; i < t->ncolumns; i++)
        if ((int)(strlen(T) + 3 + strlen(fields[i])) > namew)
            namew = (int)(strlen(T) + 3 + strlen(fields[i]));
    for (int i = 0; i < t->ncolumns; i++)
        cg_buf_printf(b, "\t%sCol%-*s %sColumn = %d\n", T, namew - (int)strlen(T) - 3,
                      fields[i], T, i);
    cg_buf_puts(b, ")\n\n");

    cg_buf_printf(b, "func (%s) cerdTable() string { return \"%s\" }\n\n", T, tn);

    /* fromC */
    cg_buf_printf(b, "func (r *%s) fromC(c *C.cerd_%s) (err error) {\n", T, tn);
    for (int i = 0; i < t->ncolumns; i++) {
        const cg_column *c = &t->columns[i];
        const char *h = helper_kind(c->kind);
        bool opt_c = cg_column_is_optional(c); /* C field is a cerd_opt_* */
        bool null_go = go_nullable(c);
        const char *amp = (c->kind == CG_TEXT || c->kind == CG_JSONB) ? "" : "&";
        char *src = cg_xasprintf("%sc.%s", amp, cfields[i]);
        char *fn = opt_c ? cg_xasprintf("opt%s", h)
                   : null_go ? cg_xasprintf("null%s", h) : cg_xasprintf("plain%s", h);
        if (from_c_fails(c->kind))
            cg_buf_printf(b, "\tif r.%s, err = %sFromC(%s); err != nil {\n\t\treturn "
                             "columnError(\"%s\", \"%s\", err)\n\t}\n",
                          fields[i], fn, src, tn, c->name);
        else
            cg_buf_printf(b, "\tr.%s = %sFromC(%s)\n", fields[i], fn, src);
        free(fn);
        free(src);
    }
    cg_buf_puts(b, "\treturn nil\n}\n\n");

    /* toC */
    cg_buf_printf(b, "func (r *%s) toC(c *C.cerd_%s, a *arena) (err error) {\n", T, tn);
    for (int i = 0; i < t->ncolumns; i++) {
        const cg_column *c = &t->columns[i];
        const char *h = helper_kind(c->kind);
        bool opt_c = cg_column_is_optional(c);
        bool null_go = go_nullable(c);
        const char *fn = opt_c ? "opt" : null_go ? "null" : "plain";
        if (null_go)
            cg_buf_printf(b, "\tif r.%s.Default {\n\t\tcolsetAdd(&c.defaults, %d)\n\t} else ",
                          fields[i], i);
        else
            cg_buf_puts(b, "\t");
        if (to_c_fails(c->kind))
            cg_buf_printf(b, "if err = %s%sToC(&c.%s, r.%s, a); err != nil {\n\t\treturn "
                             "columnError(\"%s\", \"%s\", err)\n\t}\n",
                          fn, h, cfields[i], fields[i], tn, c->name);
        else if (null_go)
            cg_buf_printf(b, "{\n\t\t%s%sToC(&c.%s, r.%s, a)\n\t}\n", fn, h, cfields[i],
                          fields[i]);
        else
            cg_buf_printf(b, "%s%sToC(&c.%s, r.%s, a)\n", fn, h, cfields[i], fields[i]);
    }
    cg_buf_puts(b, "\treturn nil\n}\n\n");

    /* registration */
    char *lt = go_camel(t->name, false);
    cg_buf_printf(b,
                  "var %sInfo = &tableInfo{\n"
                  "\tname:   \"%s\",\n"
                  "\tdesc:   &C.cerd_%s_table,\n"
                  "\tsize:   int(C.sizeof_cerd_%s),\n"
                  "\tgoType: reflect.TypeOf(%s{}),\n"
                  "\tload: func(dst, src unsafe.Pointer) error {\n"
                  "\t\treturn (*%s)(dst).fromC((*C.cerd_%s)(src))\n\t},\n"
                  "\tstore: func(dst, src unsafe.Pointer, a *arena) error {\n"
                  "\t\treturn (*%s)(src).toC((*C.cerd_%s)(dst), a)\n\t},\n"
                  "}\n\n"
                  "func init() { registerTable(%sInfo) }\n\n",
                  lt, tn, tn, tn, T, T, tn, T, tn, lt);

    /* ops */
    cg_buf_printf(b,
                  "// %sOps has the operations on table %s through one connection: "
                  "conn.%s().\n"
                  "type %sOps struct{ c *Conn }\n\n"
                  "// %s gives the operations on table %s through this connection.\n"
                  "func (c *Conn) %s() %sOps {\n\treturn %sOps{c}\n}\n\n",
                  T, tn, T, T, T, tn, T, T, T);

    for (int o = 0; o < api.nops; o++) {
        const cg_api_op *op = &api.ops[o];
        if (op->kind == CG_API_CLEAR || op->kind == CG_API_LIST_FREE)
            continue;
        char *m = go_camel(op->name + strlen("cerd_") + strlen(tn) + 1, true);
        char *cdoc = go_doc(op->doc);
        /* Keep the C documentation: it states the exact semantics. */
        char *mdoc = cg_xasprintf("%s: %s (C: %s)", m, cdoc, op->name);
        wrap_comment(b, "", mdoc);
        free(mdoc);
        free(cdoc);
        /* key parameters */
        cg_buf kp = {0}, ka = {0};
        cg_buf_puts(&kp, "");
        cg_buf_puts(&ka, "");
        bool text_key = false;
        for (int k = 0; k < op->nkey_columns; k++) {
            const cg_column *c = &t->columns[op->key_columns[k]];
            cg_buf_printf(&kp, ", %s %s", params[op->key_columns[k]], go_base_type(c->kind));
            cg_buf_puts(&ka, ", ");
            key_arg(&ka, c, params[op->key_columns[k]]);
            text_key = text_key || c->kind == CG_TEXT;
        }
        const char *arena_open = "\ta := c.c.arena()\n\tdefer a.reset()\n";
        switch (op->kind) {
        case CG_API_INSERT:
        case CG_API_UPDATE:
        case CG_API_UPSERT:
            cg_buf_printf(b,
                          "func (o %sOps) %s(ctx context.Context, in *%s) (*%s, error) {\n"
                          "\tvar cin, cout C.cerd_%s\n"
                          "\tc := o\n%s"
                          "\tif err := in.toC(&cin, a); err != nil {\n\t\treturn nil, err\n\t}\n"
                          "\terr := o.c.call(ctx, %sInfo, unsafe.Pointer(&cin), func(conn *C.cerd_conn) C.int {\n"
                          "\t\treturn C.%s(&cout, conn, &cin)\n\t})\n"
                          "\tif err != nil {\n\t\treturn nil, err\n\t}\n"
                          "\tdefer C.cerd_%s_clear(&cout)\n"
                          "\tout := new(%s)\n"
                          "\treturn out, out.fromC(&cout)\n}\n\n",
                          T, m, T, T, tn, arena_open, lt, op->name, tn, T);
            break;
        case CG_API_UPDATE_COLUMNS:
            cg_buf_printf(b,
                          "func (o %sOps) %s(ctx context.Context, in *%s, cols ...%sColumn) (*%s, error) {\n"
                          "\tvar cin, cout C.cerd_%s\n"
                          "\tvar set C.cerd_colset\n"
                          "\tfor _, col := range cols {\n\t\tcolsetAdd(&set, int(col))\n\t}\n"
                          "\tc := o\n%s"
                          "\tif err := in.toC(&cin, a); err != nil {\n\t\treturn nil, err\n\t}\n"
                          "\terr := o.c.call(ctx, %sInfo, unsafe.Pointer(&cin), func(conn *C.cerd_conn) C.int {\n"
                          "\t\treturn C.%s(&cout, conn, &cin, &set)\n\t})\n"
                          "\tif err != nil {\n\t\treturn nil, err\n\t}\n"
                          "\tdefer C.cerd_%s_clear(&cout)\n"
                          "\tout := new(%s)\n"
                          "\treturn out, out.fromC(&cout)\n}\n\n",
                          T, m, T, T, T, tn, arena_open, lt, op->name, tn, T);
            break;
        case CG_API_GET:
            cg_buf_printf(b,
                          "func (o %sOps) %s(ctx context.Context%s) (*%s, error) {\n"
                          "\tvar cout C.cerd_%s\n%s%s"
                          "\terr := o.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                          "\t\treturn C.%s(&cout, conn%s)\n\t})\n"
                          "\tif err != nil {\n\t\treturn nil, err\n\t}\n"
                          "\tdefer C.cerd_%s_clear(&cout)\n"
                          "\tout := new(%s)\n"
                          "\treturn out, out.fromC(&cout)\n}\n\n",
                          T, m, kp.data, T, tn, text_key ? "\tc := o\n" : "",
                          text_key ? arena_open : "", op->name, ka.data, tn, T);
            break;
        case CG_API_DELETE:
            cg_buf_printf(b,
                          "func (o %sOps) %s(ctx context.Context%s) error {\n%s%s"
                          "\treturn o.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                          "\t\treturn C.%s(conn%s)\n\t})\n}\n\n",
                          T, m, kp.data, text_key ? "\tc := o\n" : "",
                          text_key ? arena_open : "", op->name, ka.data);
            break;
        case CG_API_EXISTS:
            cg_buf_printf(b,
                          "func (o %sOps) %s(ctx context.Context%s) (bool, error) {\n"
                          "\tvar out C.bool\n%s%s"
                          "\terr := o.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                          "\t\treturn C.%s(&out, conn%s)\n\t})\n"
                          "\treturn bool(out), err\n}\n\n",
                          T, m, kp.data, text_key ? "\tc := o\n" : "",
                          text_key ? arena_open : "", op->name, ka.data);
            break;
        case CG_API_COUNT:
            cg_buf_printf(b,
                          "func (o %sOps) %s(ctx context.Context) (int64, error) {\n"
                          "\tvar out C.int64_t\n"
                          "\terr := o.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                          "\t\treturn C.%s(&out, conn)\n\t})\n"
                          "\treturn int64(out), err\n}\n\n",
                          T, m, op->name);
            break;
        case CG_API_LIST:
            cg_buf_printf(b,
                          "func (o %sOps) %s(ctx context.Context%s, page Page) ([]%s, Cursor, error) {\n"
                          "\tvar list C.cerd_%s_rows\n"
                          "\tcp := page.toC()\n%s%s"
                          "\terr := o.c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {\n"
                          "\t\treturn C.%s(&list, conn%s, &cp)\n\t})\n"
                          "\tif err != nil {\n\t\treturn nil, Cursor{}, err\n\t}\n"
                          "\tdefer C.cerd_%s_list_free(&list)\n"
                          "\tout := make([]%s, int(list.count))\n"
                          "\tcrows := unsafe.Slice(list.rows, int(list.count))\n"
                          "\tfor i := range out {\n"
                          "\t\tif err := out[i].fromC(&crows[i]); err != nil {\n"
                          "\t\t\treturn nil, Cursor{}, err\n\t\t}\n\t}\n"
                          "\treturn out, Cursor{list.next}, nil\n}\n\n",
                          T, m, kp.data, T, tn, text_key ? "\tc := o\n" : "",
                          text_key ? arena_open : "", op->name, ka.data, tn, T);
            break;
        default:
            break;
        }
        free(kp.data);
        free(ka.data);
        free(m);
    }

    /* Go-side operations over the generic runtime (ops.go), typed for this table. */
    cg_buf_printf(b,
                  "// ListAll reads every row of %s, page after page, in primary-key order.\n"
                  "func (o %sOps) ListAll(ctx context.Context) ([]%s, error) {\n"
                  "\tvar all []%s\n\tvar page Page\n\tpage.Limit = 1000\n"
                  "\tfor {\n\t\trows, next, err := o.List(ctx, page)\n"
                  "\t\tif err != nil {\n\t\t\treturn nil, err\n\t\t}\n"
                  "\t\tall = append(all, rows...)\n"
                  "\t\tif !next.Valid() {\n\t\t\treturn all, nil\n\t\t}\n"
                  "\t\tpage.After = next\n\t}\n}\n\n"
                  "// Range reads the rows of a range over columns of %s (cerd_row_range): see Range.\n"
                  "// more is true when the page was full (continue with r.After = the last row).\n"
                  "func (o %sOps) Range(ctx context.Context, r Range[%s, %sColumn]) (rows []%s, more bool, err error) {\n"
                  "\treturn rangeRows[%s](ctx, o.c, %sInfo, r.generic())\n}\n\n"
                  "// Stream opens a stream over a range of %s (nil: the whole table in primary-key\n"
                  "// order) through a server-side cursor, fetchRows rows per FETCH (0: 1000).\n"
                  "func (o %sOps) Stream(ctx context.Context, r *Range[%s, %sColumn], fetchRows int) (*Rows[%s], error) {\n"
                  "\tvar g *rangeSpec\n\tif r != nil {\n\t\tgr := r.generic()\n\t\tg = &gr\n\t}\n"
                  "\treturn openStream[%s](ctx, o.c, %sInfo, g, fetchRows)\n}\n\n"
                  "// CopyOut reads the whole table %s with a binary COPY TO STDOUT, one row at a time.\n"
                  "func (o %sOps) CopyOut(ctx context.Context) (*Rows[%s], error) {\n"
                  "\treturn openCopyOut[%s](ctx, o.c, %sInfo)\n}\n\n"
                  "// CopyFrom writes rows into %s with a binary COPY (cerd_copy_*); returns the rows written.\n"
                  "func (o %sOps) CopyFrom(ctx context.Context, rows []%s, opts *CopyOptions) (int64, error) {\n"
                  "\ti := 0\n"
                  "\treturn copyFrom(ctx, o.c, %sInfo, opts, func(dst *%s) (bool, error) {\n"
                  "\t\tif i == len(rows) {\n\t\t\treturn false, nil\n\t\t}\n"
                  "\t\t*dst = rows[i]\n\t\ti++\n\t\treturn true, nil\n\t})\n}\n\n"
                  "// CopyFromFunc writes the rows next gives (it fills *row and returns true, or false\n"
                  "// at the end) into %s with a binary COPY.\n"
                  "func (o %sOps) CopyFromFunc(ctx context.Context, opts *CopyOptions, next func(row *%s) (bool, error)) (int64, error) {\n"
                  "\treturn copyFrom(ctx, o.c, %sInfo, opts, next)\n}\n\n"
                  "// BulkUpsert inserts or updates rows of %s on the primary key (key \"\") or the\n"
                  "// unique key of that constraint name, through a staging table (cerd_bulk_upsert).\n"
                  "func (o %sOps) BulkUpsert(ctx context.Context, key string, rows []%s, lastWins bool) (BulkResult, error) {\n"
                  "\treturn bulkUpsert(ctx, o.c, %sInfo, key, rows, lastWins)\n}\n\n"
                  "// Make makes a realistic row of %s from a seed (cerd_factory_make).\n"
                  "func (o %sOps) Make(ctx context.Context, seed uint64, opts *FactoryOptions) (*%s, error) {\n"
                  "\tout := new(%s)\n"
                  "\treturn out, factoryMake(ctx, o.c, %sInfo, unsafe.Pointer(out), seed, opts)\n}\n\n"
                  "// Validate checks the row as an insert would (cerd_row_validate); a *ValidationError\n"
                  "// lists every violation.\n"
                  "func (r *%s) Validate() error {\n"
                  "\treturn validateRow(%sInfo, unsafe.Pointer(r), ValidateInsert)\n}\n\n",
                  tn, T, T, T,
                  tn, T, T, T, T, T, lt,
                  tn, T, T, T, T, T, lt,
                  tn, T, T, T, lt,
                  tn, T, T, lt, T,
                  tn, T, T, lt,
                  tn, T, T, lt,
                  tn, T, T, T, lt,
                  T, lt);

    for (int i = 0; i < t->ncolumns; i++) {
        free(fields[i]);
        free(cfields[i]);
        free(params[i]);
    }
    free(fields);
    free(cfields);
    free(params);
    free(lt);
    free(T);
    cg_api_free(&api);
}

char *cg_emit_go(const cg_schema *s)
{
    cg_buf b = {0};
    cg_buf_puts(&b, "// Code generated by cerdgen from schema/*.sql. DO NOT EDIT.\n\n"
                    "package cryptoerd\n\n"
                    "/*\n#include <cryptoerd/cryptoerd.h>\n*/\nimport \"C\"\n\n"
                    "import (\n\t\"context\"\n\t\"encoding/json\"\n\t\"net/netip\"\n"
                    "\t\"reflect\"\n\t\"time\"\n\t\"unsafe\"\n)\n\n"
                    "var (\n\t_ json.RawMessage\n\t_ netip.Prefix\n\t_ time.Time\n)\n\n");
    for (int i = 0; i < s->ntables; i++)
        emit_table(&b, &s->tables[i]);
    if (b.len >= 2 && !strcmp(b.data + b.len - 2, "\n\n")) /* no blank line at the end */
        b.data[--b.len] = '\0';
    return b.data;
}

char *cg_go_name(const char *snake, bool exported)
{
    return go_camel(snake, exported);
}

char *cg_go_cfield(const char *name)
{
    return cgo_field(name);
}
