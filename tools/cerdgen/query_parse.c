/* Typed queries: reads queries/ (one .sql file per group) (annotated statements, see docs/queries.md), parses
   each statement with libpg_query and infers, from the schema model, the type, typmod
   and nullability of every result column and the type of every parameter, with
   PostgreSQL's rules. What it cannot decide statically stops generation with the file,
   the line and what to write instead (an explicit cast, an alias). */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jtree.h"
#include <pg_query.h>

#include "emit_util.h"
#include "query.h"
#include "sqltext.h"

/* ------------------------------------------------------------------ type OIDs */

enum {
    OID_UNKNOWN = 0, /* an untyped literal or NULL: takes its type from the context */
    OID_UNDECIDED = 1, /* static inference cannot tell: see val.undecided */
    OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25,
    OID_JSON = 114, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_INET = 869,
    OID_INT4_ARRAY = 1007, OID_TEXT_ARRAY = 1009, OID_VARCHAR_ARRAY = 1015,
    OID_BPCHAR = 1042, OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184, OID_INTERVAL = 1186, OID_NUMERIC = 1700, OID_JSONB = 3802
};

static const struct {
    const char *name;
    unsigned oid;
    const char *sql;
} TYPE_NAMES[] = {
    {"bool", OID_BOOL, "boolean"},         {"int8", OID_INT8, "bigint"},
    {"int2", OID_INT2, "smallint"},        {"int4", OID_INT4, "integer"},
    {"text", OID_TEXT, "text"},            {"json", OID_JSON, "json"},
    {"float4", OID_FLOAT4, "real"},        {"float8", OID_FLOAT8, "double precision"},
    {"inet", OID_INET, "inet"},            {"bpchar", OID_BPCHAR, "character"},
    {"varchar", OID_VARCHAR, "varchar"},   {"date", OID_DATE, "date"},
    {"timestamp", OID_TIMESTAMP, "timestamp"}, {"timestamptz", OID_TIMESTAMPTZ, "timestamptz"},
    {"interval", OID_INTERVAL, "interval"}, {"numeric", OID_NUMERIC, "numeric"},
    {"jsonb", OID_JSONB, "jsonb"},         {"_int4", OID_INT4_ARRAY, "integer[]"},
    {"_text", OID_TEXT_ARRAY, "text[]"},   {"_varchar", OID_VARCHAR_ARRAY, "varchar[]"},
};

static unsigned oid_of_name(const char *name)
{
    if (strcmp(name, "bigint") == 0)
        return OID_INT8;
    if (strcmp(name, "integer") == 0 || strcmp(name, "int") == 0)
        return OID_INT4;
    if (strcmp(name, "boolean") == 0)
        return OID_BOOL;
    if (strcmp(name, "decimal") == 0)
        return OID_NUMERIC;
    for (size_t i = 0; i < sizeof TYPE_NAMES / sizeof TYPE_NAMES[0]; i++)
        if (strcmp(TYPE_NAMES[i].name, name) == 0)
            return TYPE_NAMES[i].oid;
    return 0;
}

static const char *sql_name(unsigned oid)
{
    for (size_t i = 0; i < sizeof TYPE_NAMES / sizeof TYPE_NAMES[0]; i++)
        if (TYPE_NAMES[i].oid == oid)
            return TYPE_NAMES[i].sql;
    return oid == OID_UNKNOWN ? "unknown" : "?";
}

const char *cg_qtype_sql(const cg_qtype *t)
{
    static char buf[64];
    if (t->oid == OID_NUMERIC && t->typmod >= 4)
        snprintf(buf, sizeof buf, "numeric(%d,%d)", ((t->typmod - 4) >> 16) & 0xffff,
                 (t->typmod - 4) & 0xffff);
    else if (t->oid == OID_VARCHAR && t->typmod >= 4)
        snprintf(buf, sizeof buf, "varchar(%d)", t->typmod - 4);
    else
        snprintf(buf, sizeof buf, "%s", sql_name(t->oid));
    return buf;
}

const char *cg_qtype_enum(unsigned oid)
{
    switch (oid) {
    case OID_INT8: return "CERD_TYPE_INT64";
    case OID_INT4: return "CERD_TYPE_INT32";
    case OID_BOOL: return "CERD_TYPE_BOOL";
    case OID_NUMERIC: return "CERD_TYPE_NUMERIC";
    case OID_TIMESTAMPTZ: return "CERD_TYPE_TIMESTAMPTZ";
    case OID_TEXT: case OID_VARCHAR: return "CERD_TYPE_TEXT";
    case OID_JSONB: return "CERD_TYPE_JSONB";
    case OID_INET: return "CERD_TYPE_INET";
    case OID_INT4_ARRAY: return "CERD_TYPE_INT32_ARRAY";
    case OID_TEXT_ARRAY: case OID_VARCHAR_ARRAY: return "CERD_TYPE_TEXT_ARRAY";
    default: return NULL;
    }
}

const char *cg_qtype_field(const cg_qtype *t, bool param)
{
    bool opt = t->nullable && !param;
    switch (t->oid) {
    case OID_INT8: return opt ? "cerd_opt_int64" : "int64_t";
    case OID_INT4: return opt ? "cerd_opt_int32" : "int32_t";
    case OID_BOOL: return opt ? "cerd_opt_bool" : "bool";
    case OID_NUMERIC: return opt ? "cerd_opt_numeric" : "cerd_numeric";
    case OID_TIMESTAMPTZ: return opt ? "cerd_opt_timestamp" : "cerd_timestamp";
    case OID_TEXT: case OID_VARCHAR: return param ? "const char *" : "char *";
    case OID_JSONB: return "struct cJSON *";
    case OID_INET: return opt ? "cerd_opt_inet" : "cerd_inet";
    case OID_INT4_ARRAY: return "cerd_int32_array";
    case OID_TEXT_ARRAY: case OID_VARCHAR_ARRAY: return "cerd_text_array";
    default: return NULL;
    }
}

static bool is_number(unsigned oid)
{
    return oid == OID_INT2 || oid == OID_INT4 || oid == OID_INT8 || oid == OID_NUMERIC ||
           oid == OID_FLOAT4 || oid == OID_FLOAT8;
}

static int number_rank(unsigned oid)
{
    switch (oid) {
    case OID_INT2: return 1;
    case OID_INT4: return 2;
    case OID_INT8: return 3;
    case OID_NUMERIC: return 4;
    case OID_FLOAT4: return 5;
    case OID_FLOAT8: return 6;
    default: return 0;
    }
}

static bool is_text(unsigned oid)
{
    return oid == OID_TEXT || oid == OID_VARCHAR || oid == OID_BPCHAR;
}

/* ------------------------------------------------------------------ analysis state */

/* The value of an expression as far as static analysis knows it. */
typedef struct val {
    cg_qtype t;
    int param;            /* the expression is just parameter $param (1-based), else 0 */
    const cg_table *table; /* the expression is just this base-table column */
    int column;
    const char *why_null; /* when nullable: why (static text) */
    const char *undecided; /* when t.oid == OID_UNDECIDED: why (static text) */
} val;

typedef struct qcol {
    char *name;
    val v;
    int loc;              /* where the select list names it */
} qcol;

typedef struct rte {
    char *alias;
    qcol *cols;
    int ncols;
    bool nullable;        /* on the nullable side of an outer join */
} rte;

typedef struct scope {
    rte *rtes;
    int nrtes;
    struct scope *parent;
    bool grouped;         /* the SELECT has GROUP BY */
} scope;

typedef struct cte {
    char *name;
    qcol *cols;
    int ncols;
} cte;

typedef struct qctx {
    const cg_schema *s;
    const char *path;
    const char *filetext;
    size_t base;          /* offset of the statement text in the file */
    const char *qname;
    cg_qtype *ptypes;     /* per parameter; oid 0 until decided */
    int nparams;
    char **pnames;
    cg_qcheck *checks;
    int nchecks;
    cte *ctes;            /* visible WITH queries, innermost last */
    int nctes;
} qctx;

static _Noreturn __attribute__((format(printf, 3, 4))) void qfail(const qctx *cx, int loc,
                                                                   const char *fmt, ...)
{
    va_list ap;
    int line = sql_line_of(cx->filetext, cx->base + (size_t)(loc > 0 ? loc : 0));
    fprintf(stderr, "cerdgen: %s:%d: query %s: ", cx->path, line, cx->qname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* The node kind ("ColumnRef") and its body. */
static const char *kind(const cJSON *node, const cJSON **body)
{
    if (!node || !node->child) {
        *body = NULL;
        return "";
    }
    *body = node->child;
    return node->child->string ? node->child->string : "";
}

static int loc_of(const cJSON *node)
{
    const cJSON *b;
    kind(node, &b);
    const cJSON *l = jget(b, "location");
    return cJSON_IsNumber(l) ? l->valueint : 0;
}

/* A String node's text. */
static const char *string_node(const cJSON *n)
{
    const cJSON *s = jget(n, "String");
    return s ? jstr(s, "sval") : NULL;
}

/* Last element of a name list (funcname, operator name, type name). */
static const char *last_name(const cJSON *list)
{
    int n = cJSON_GetArraySize(list);
    return n ? string_node(cJSON_GetArrayItem(list, n - 1)) : NULL;
}

static val mkval(unsigned oid, int typmod, bool nullable)
{
    val v;
    memset(&v, 0, sizeof v);
    v.t.oid = oid;
    v.t.typmod = typmod;
    v.t.nullable = nullable;
    v.column = -1;
    return v;
}

static val undecided(const char *why)
{
    val v = mkval(OID_UNDECIDED, -1, true);
    v.undecided = why;
    return v;
}

static const char *pname(const qctx *cx, int n)
{
    static char buf[160];
    snprintf(buf, sizeof buf, "$%d (%s)", n, cx->pnames[n - 1]);
    return buf;
}

/* Gives parameter n the type oid, which the context decides, unless an earlier use (in
   PostgreSQL's order of analysis) already did: a parameter's first use decides its type. */
static void assign_param(qctx *cx, int n, unsigned oid, int loc)
{
    if (n < 1 || n > cx->nparams)
        qfail(cx, loc, "parameter $%d out of range", n);
    if (oid == OID_UNKNOWN || oid == OID_UNDECIDED)
        return;
    cg_qtype *t = &cx->ptypes[n - 1];
    if (t->oid == OID_UNKNOWN) {
        t->oid = oid;
        t->typmod = -1;
        return;
    }
    /* later uses are coerced to the type of the first, as PostgreSQL does */
    (void)loc;
}

/* Whether a value for column c of t can be refused without a server: varchar(n) length,
   numeric(p,s) precision, or a CHECK that reads only that column. */
static bool column_has_rules(const cg_table *t, int column)
{
    const cg_column *c = &t->columns[column];
    if (c->max_chars > 0 || c->precision > 0)
        return true;
    for (int i = 0; i < t->nchecks; i++)
        if (t->checks[i].ncolumns == 1 && t->checks[i].columns[0] == column)
            return true;
    return false;
}

static void add_check(qctx *cx, int param, const cg_table *t, int column)
{
    if (!column_has_rules(t, column))
        return;
    for (int i = 0; i < cx->nchecks; i++)
        if (cx->checks[i].param == param - 1 && cx->checks[i].table == t &&
            cx->checks[i].column == column)
            return;
    cx->checks = cg_grow(cx->checks, &cx->nchecks, sizeof *cx->checks);
    cx->checks[cx->nchecks - 1].param = param - 1;
    cx->checks[cx->nchecks - 1].table = t;
    cx->checks[cx->nchecks - 1].column = column;
}

/* The type a parameter takes from an operator's other operand: the operator's input
   type, which for varchar is text (there is no varchar = varchar: texteq is chosen). */
static unsigned op_input(unsigned oid)
{
    return oid == OID_VARCHAR || oid == OID_BPCHAR ? OID_TEXT
           : oid == OID_VARCHAR_ARRAY ? OID_TEXT_ARRAY : oid;
}

/* A parameter or untyped literal meets a typed value in an operator: it takes that type
   (exact: the common type of an IN list, which keeps varchar). */
static void unify_as(qctx *cx, val *a, val *b, int loc, bool exact)
{
    if (a->t.oid == OID_UNKNOWN && b->t.oid != OID_UNKNOWN) {
        if (a->param)
            assign_param(cx, a->param, exact ? b->t.oid : op_input(b->t.oid), loc);
        a->t.oid = b->t.oid;
    } else if (b->t.oid == OID_UNKNOWN && a->t.oid != OID_UNKNOWN) {
        if (b->param)
            assign_param(cx, b->param, exact ? a->t.oid : op_input(a->t.oid), loc);
        b->t.oid = a->t.oid;
    }
}

static void unify(qctx *cx, val *a, val *b, int loc)
{
    unify_as(cx, a, b, loc, false);
}

/* ------------------------------------------------------------------ columns of tables */

static val column_val(const cg_table *t, int i)
{
    const cg_column *c = &t->columns[i];
    unsigned oid = 0;
    int typmod = -1;
    if (c->is_array)
        oid = strcmp(c->base_type, "int4") == 0 ? OID_INT4_ARRAY
              : strcmp(c->base_type, "varchar") == 0 ? OID_VARCHAR_ARRAY : OID_TEXT_ARRAY;
    else
        oid = oid_of_name(c->base_type);
    if (!c->is_array && oid == OID_NUMERIC && c->precision > 0)
        typmod = ((c->precision << 16) | (c->scale > 0 ? c->scale : 0)) + 4;
    if (!c->is_array && oid == OID_VARCHAR && c->max_chars > 0)
        typmod = c->max_chars + 4;
    val v = mkval(oid, typmod, !c->not_null);
    v.table = t;
    v.column = i;
    if (v.t.nullable)
        v.why_null = "nullable column";
    return v;
}

static rte table_rte(const cg_table *t, const char *alias)
{
    rte r;
    memset(&r, 0, sizeof r);
    r.alias = cg_xstrdup(alias);
    r.ncols = t->ncolumns;
    r.cols = cg_xcalloc((size_t)t->ncolumns, sizeof *r.cols);
    for (int i = 0; i < t->ncolumns; i++) {
        r.cols[i].name = cg_xstrdup(t->columns[i].name);
        r.cols[i].v = column_val(t, i);
    }
    return r;
}

static void free_cols(qcol *cols, int n)
{
    for (int i = 0; i < n; i++)
        free(cols[i].name);
    free(cols);
}

static void free_scope(scope *sc)
{
    for (int i = 0; i < sc->nrtes; i++) {
        free(sc->rtes[i].alias);
        free_cols(sc->rtes[i].cols, sc->rtes[i].ncols);
    }
    free(sc->rtes);
}

/* ------------------------------------------------------------------ expressions */

static val eval(qctx *cx, scope *sc, const cJSON *node);
static void analyze_select(qctx *cx, scope *parent, const cJSON *sel, qcol **out, int *nout);

static val resolve_column(qctx *cx, scope *sc, const cJSON *ref)
{
    const cJSON *fields = jget(ref, "fields");
    int nf = cJSON_GetArraySize(fields);
    int loc = jint(ref, "location");
    const char *rel = nf == 2 ? string_node(cJSON_GetArrayItem(fields, 0)) : NULL;
    const char *col = string_node(cJSON_GetArrayItem(fields, nf - 1));
    if (!col || nf > 2)
        qfail(cx, loc, "unsupported column reference (a star or a schema-qualified name "
              "outside the select list)");
    for (scope *s = sc; s; s = s->parent) {
        const rte *found = NULL;
        const qcol *fc = NULL;
        for (int i = 0; i < s->nrtes; i++) {
            const rte *r = &s->rtes[i];
            if (rel && strcmp(r->alias, rel) != 0)
                continue;
            for (int j = 0; j < r->ncols; j++)
                if (strcmp(r->cols[j].name, col) == 0) {
                    if (fc)
                        qfail(cx, loc, "column reference \"%s\" is ambiguous", col);
                    found = r;
                    fc = &r->cols[j];
                }
            if (rel && !fc)
                qfail(cx, loc, "column %s.%s does not exist", rel, col);
        }
        if (fc) {
            val v = fc->v;
            v.param = 0;
            if (found->nullable && !v.t.nullable) {
                v.t.nullable = true;
                v.why_null = "nullable side of an outer join";
            }
            return v;
        }
        if (rel) {
            for (int i = 0; i < s->nrtes; i++)
                if (strcmp(s->rtes[i].alias, rel) == 0)
                    qfail(cx, loc, "column %s.%s does not exist", rel, col);
        }
    }
    if (rel)
        qfail(cx, loc, "missing FROM-clause entry for table \"%s\" (column %s.%s)", rel, rel,
              col);
    qfail(cx, loc, "column \"%s\" does not exist", col);
}

static val literal(const cJSON *c)
{
    if (jtrue(c, "isnull")) {
        val v = mkval(OID_UNKNOWN, -1, true);
        v.why_null = "NULL";
        return v;
    }
    const cJSON *x;
    if ((x = jget(c, "ival"))) {
        double d = cJSON_IsNumber(jget(x, "ival")) ? jget(x, "ival")->valuedouble : 0;
        return mkval(d > 2147483647.0 || d < -2147483648.0 ? OID_INT8 : OID_INT4, -1, false);
    }
    if (jget(c, "fval")) /* a decimal literal, or an integer too large for bigint */
        return mkval(OID_NUMERIC, -1, false);
    if (jget(c, "boolval"))
        return mkval(OID_BOOL, -1, false);
    if (jget(c, "bsval"))
        return mkval(OID_UNKNOWN, -1, false);
    return mkval(OID_UNKNOWN, -1, false); /* a string: its type comes from the context */
}

/* The type a TypeName names, with its typmod. */
static cg_qtype type_name(qctx *cx, const cJSON *tn, int loc)
{
    const cJSON *names = jget(tn, "names");
    const char *base = last_name(names);
    cg_qtype t = {0, -1, false};
    if (!base)
        qfail(cx, loc, "cast to an unnamed type");
    t.oid = oid_of_name(base);
    if (!t.oid)
        qfail(cx, loc, "cast to type %s, which cerdgen does not know", base);
    const cJSON *mods = jget(tn, "typmods");
    int nm = cJSON_GetArraySize(mods);
    int m[2] = {0, 0};
    for (int i = 0; i < nm && i < 2; i++) {
        const cJSON *c = jget(cJSON_GetArrayItem(mods, i), "A_Const");
        const cJSON *iv = jget(c, "ival");
        m[i] = iv && cJSON_IsNumber(jget(iv, "ival")) ? jget(iv, "ival")->valueint : 0;
    }
    char *bad = NULL;
    if ((t.oid == OID_NUMERIC && nm > 2) || (t.oid == OID_VARCHAR && nm > 1))
        bad = cg_xasprintf("%d type modifiers", nm);
    else if (t.oid == OID_NUMERIC && nm >= 1) {
        if (!(bad = cg_numeric_typmod_error(m[0], nm >= 2 ? m[1] : 0)))
            t.typmod = ((m[0] << 16) | (nm >= 2 ? m[1] : 0)) + 4;
    } else if (t.oid == OID_VARCHAR && nm == 1) {
        if (!(bad = cg_varchar_typmod_error(m[0])))
            t.typmod = m[0] + 4;
    }
    if (bad)
        qfail(cx, loc, "cast to %s: %s", base, bad);
    if (jget(tn, "arrayBounds")) {
        t.oid = t.oid == OID_INT4 ? OID_INT4_ARRAY
                : t.oid == OID_TEXT ? OID_TEXT_ARRAY
                : t.oid == OID_VARCHAR ? OID_VARCHAR_ARRAY : OID_UNDECIDED;
        t.typmod = -1;
        if (t.oid == OID_UNDECIDED)
            qfail(cx, loc, "cast to an array of %s, which the row codec cannot carry "
                  "(integer[], text[] and varchar[] are supported)", base);
    }
    return t;
}

/* The common type of CASE / COALESCE / GREATEST results (PostgreSQL's
   select_common_type, for the types cerdgen knows): typmod kept when all agree. */
static val common(qctx *cx, val *vs, int n, int loc, const char *what)
{
    unsigned oid = OID_UNKNOWN;
    int typmod = -2;
    for (int i = 0; i < n; i++) {
        const val *v = &vs[i];
        if (v->t.oid == OID_UNDECIDED)
            return *v;
        if (v->t.oid == OID_UNKNOWN)
            continue;
        if (oid == OID_UNKNOWN) {
            oid = v->t.oid;
        } else if (oid != v->t.oid) {
            if (is_number(oid) && is_number(v->t.oid))
                oid = number_rank(v->t.oid) > number_rank(oid) ? v->t.oid : oid;
            else if (is_text(oid) && is_text(v->t.oid))
                oid = OID_TEXT;
            else
                qfail(cx, loc, "%s mixes %s and %s: cast them to one type", what,
                      sql_name(oid), sql_name(v->t.oid));
        }
    }
    for (int i = 0; i < n; i++) {
        if (vs[i].t.oid == OID_UNKNOWN) {
            if (vs[i].param && oid != OID_UNKNOWN)
                assign_param(cx, vs[i].param, oid, loc);
            continue;
        }
        if (vs[i].t.oid != oid)
            typmod = -1;
        else if (typmod == -2)
            typmod = vs[i].t.typmod;
        else if (typmod != vs[i].t.typmod)
            typmod = -1;
    }
    if (oid == OID_UNKNOWN)
        oid = OID_TEXT;
    return mkval(oid, typmod == -2 ? -1 : typmod, false);
}

static bool any_nullable(const val *vs, int n, const char **why)
{
    for (int i = 0; i < n; i++)
        if (vs[i].t.nullable) {
            *why = vs[i].why_null;
            return true;
        }
    return false;
}

static val arith(qctx *cx, const char *op, val *a, val *b, int loc)
{
    unify(cx, a, b, loc);
    unsigned x = a->t.oid, y = b->t.oid;
    if (x == OID_UNDECIDED)
        return *a;
    if (y == OID_UNDECIDED)
        return *b;
    if (x == OID_UNKNOWN || y == OID_UNKNOWN)
        qfail(cx, loc, "ambiguous types around operator %s: cast a parameter or literal "
              "(e.g. @p::numeric)", op);
    if (is_number(x) && is_number(y)) {
        unsigned r = number_rank(x) >= number_rank(y) ? x : y;
        if (r == OID_INT2)
            r = OID_INT4;
        return mkval(r, -1, false);
    }
    if (x == OID_TIMESTAMPTZ && y == OID_INTERVAL && (!strcmp(op, "+") || !strcmp(op, "-")))
        return mkval(OID_TIMESTAMPTZ, -1, false);
    if (x == OID_INTERVAL && y == OID_TIMESTAMPTZ && !strcmp(op, "+"))
        return mkval(OID_TIMESTAMPTZ, -1, false);
    if (x == OID_TIMESTAMPTZ && y == OID_TIMESTAMPTZ && !strcmp(op, "-"))
        return mkval(OID_INTERVAL, -1, false);
    if ((x == OID_INTERVAL && is_number(y)) || (is_number(x) && y == OID_INTERVAL) ||
        (x == OID_INTERVAL && y == OID_INTERVAL))
        return mkval(OID_INTERVAL, -1, false);
    return undecided("an operator on types cerdgen has no rule for");
}

/* Visits an operator expression (A_Expr). */
static val a_expr(qctx *cx, scope *sc, const cJSON *e)
{
    const char *k = jstr(e, "kind");
    const char *op = last_name(jget(e, "name"));
    int loc = jint(e, "location");
    const cJSON *l = jget(e, "lexpr"), *r = jget(e, "rexpr");
    const char *why = NULL;

    if (!k)
        k = "AEXPR_OP";
    if (!strcmp(k, "AEXPR_IN")) {
        val a = eval(cx, sc, l);
        const cJSON *items = jget(jget(r, "List"), "items");
        bool nullable = a.t.nullable;
        for (const cJSON *it = items ? items->child : NULL; it; it = it->next) {
            val b = eval(cx, sc, it);
            unify_as(cx, &a, &b, loc, true);
            if (b.param && a.table)
                add_check(cx, b.param, a.table, a.column);
            nullable |= b.t.nullable;
        }
        val v = mkval(OID_BOOL, -1, nullable);
        v.why_null = a.why_null;
        return v;
    }
    if (!strcmp(k, "AEXPR_BETWEEN") || !strcmp(k, "AEXPR_NOT_BETWEEN") ||
        !strcmp(k, "AEXPR_BETWEEN_SYM") || !strcmp(k, "AEXPR_NOT_BETWEEN_SYM")) {
        val a = eval(cx, sc, l);
        const cJSON *items = jget(jget(r, "List"), "items");
        bool nullable = a.t.nullable;
        for (const cJSON *it = items ? items->child : NULL; it; it = it->next) {
            val b = eval(cx, sc, it);
            unify(cx, &a, &b, loc);
            nullable |= b.t.nullable;
        }
        return mkval(OID_BOOL, -1, nullable);
    }
    if (!strcmp(k, "AEXPR_OP_ANY") || !strcmp(k, "AEXPR_OP_ALL"))
        qfail(cx, loc, "%s ANY/ALL (array) is not supported: write IN (@a, @b, ...)", op);
    if (!strcmp(k, "AEXPR_NULLIF")) {
        val a = eval(cx, sc, l), b = eval(cx, sc, r);
        unify(cx, &a, &b, loc);
        val v = mkval(a.t.oid, a.t.typmod, true);
        v.why_null = "NULLIF";
        return v;
    }
    if (!strcmp(k, "AEXPR_DISTINCT") || !strcmp(k, "AEXPR_NOT_DISTINCT")) {
        val a = eval(cx, sc, l), b = eval(cx, sc, r);
        unify(cx, &a, &b, loc);
        return mkval(OID_BOOL, -1, false);
    }
    if (!strcmp(k, "AEXPR_LIKE") || !strcmp(k, "AEXPR_ILIKE") ||
        !strcmp(k, "AEXPR_SIMILAR")) {
        val a = eval(cx, sc, l), b = eval(cx, sc, r);
        if (a.t.oid == OID_UNKNOWN)
            a.t.oid = OID_TEXT;
        if (a.param)
            assign_param(cx, a.param, OID_TEXT, loc);
        unify(cx, &a, &b, loc);
        return mkval(OID_BOOL, -1, a.t.nullable || b.t.nullable);
    }
    if (strcmp(k, "AEXPR_OP") != 0)
        qfail(cx, loc, "unsupported operator expression %s", k);

    /* (a, b) < (@x, @y): row comparison, element by element */
    const cJSON *lb, *rb;
    if (l && r && !strcmp(kind(l, &lb), "RowExpr") && !strcmp(kind(r, &rb), "RowExpr")) {
        const cJSON *li = jget(lb, "args"), *ri = jget(rb, "args");
        if (cJSON_GetArraySize(li) != cJSON_GetArraySize(ri))
            qfail(cx, loc, "row comparison of %d and %d values", cJSON_GetArraySize(li),
                  cJSON_GetArraySize(ri));
        bool nullable = false;
        for (const cJSON *x = li->child, *y = ri->child; x && y; x = x->next, y = y->next) {
            val a = eval(cx, sc, x), b = eval(cx, sc, y);
            unify(cx, &a, &b, loc);
            nullable |= a.t.nullable || b.t.nullable;
        }
        return mkval(OID_BOOL, -1, nullable);
    }
    if (!l) { /* prefix operator */
        val b = eval(cx, sc, r);
        if (!strcmp(op, "-") || !strcmp(op, "+")) {
            if (b.t.oid == OID_UNKNOWN)
                qfail(cx, loc, "ambiguous type of unary %s: cast its operand", op);
            val v = mkval(b.t.oid, -1, b.t.nullable);
            v.why_null = b.why_null;
            return v;
        }
        qfail(cx, loc, "unsupported prefix operator %s", op);
    }
    val a = eval(cx, sc, l), b = eval(cx, sc, r);
    val vs[2] = {a, b};
    bool nullable = any_nullable(vs, 2, &why);
    static const char *const cmp[] = {"=", "<>", "!=", "<", ">", "<=", ">=", "~", "~*",
                                      "!~", "!~*"};
    for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
        if (!strcmp(op, cmp[i])) {
            if (i >= 7) { /* regular expressions: text */
                if (b.param)
                    assign_param(cx, b.param, OID_TEXT, loc);
                if (a.param)
                    assign_param(cx, a.param, OID_TEXT, loc);
            }
            unify(cx, &a, &b, loc);
            if (a.param && !b.param && b.t.oid == OID_UNKNOWN)
                qfail(cx, loc, "ambiguous parameter type: %s is compared with an untyped "
                      "literal; cast it (e.g. @%s::text)", pname(cx, a.param),
                      cx->pnames[a.param - 1]);
            if (a.param && a.t.oid == OID_UNKNOWN && b.param)
                qfail(cx, loc, "ambiguous parameter type: two parameters compared; cast "
                      "one (e.g. @%s::bigint)", cx->pnames[a.param - 1]);
            if (!strcmp(op, "=")) {
                if (b.param && a.table)
                    add_check(cx, b.param, a.table, a.column);
                if (a.param && b.table)
                    add_check(cx, a.param, b.table, b.column);
            }
            val v = mkval(OID_BOOL, -1, nullable);
            v.why_null = why;
            return v;
        }
    if (!strcmp(op, "||")) {
        if (a.param && a.t.oid == OID_UNKNOWN)
            assign_param(cx, a.param, OID_TEXT, loc);
        if (b.param && b.t.oid == OID_UNKNOWN)
            assign_param(cx, b.param, OID_TEXT, loc);
        return mkval(OID_TEXT, -1, nullable);
    }
    if (!strcmp(op, "->>") || !strcmp(op, "->") || !strcmp(op, "#>>") || !strcmp(op, "#>")) {
        if (a.t.oid != OID_JSONB)
            return undecided("a JSON operator on something other than jsonb");
        val v = mkval(op[1] == '>' && op[2] == '>' ? OID_TEXT : OID_JSONB, -1, true);
        v.why_null = "a JSON path may be absent";
        return v;
    }
    if (!strcmp(op, "+") || !strcmp(op, "-") || !strcmp(op, "*") || !strcmp(op, "/") ||
        !strcmp(op, "%")) {
        val v = arith(cx, op, &a, &b, loc);
        if (v.t.oid != OID_UNDECIDED) {
            v.t.nullable = nullable;
            v.why_null = why;
        }
        return v;
    }
    return undecided("an operator cerdgen has no rule for");
}

static bool name_is(const char *n, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(n, *list))
            return true;
    return false;
}

static val func_call(qctx *cx, scope *sc, const cJSON *f)
{
    const char *name = last_name(jget(f, "funcname"));
    const cJSON *args = jget(f, "args");
    int nargs = cJSON_GetArraySize(args);
    int loc = jint(f, "location");
    bool window = jget(f, "over") != NULL;
    bool filtered = jget(f, "agg_filter") != NULL;
    val av[8];
    char lname[64];

    snprintf(lname, sizeof lname, "%s", name ? name : "");
    for (char *p = lname; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (nargs > 8)
        qfail(cx, loc, "function %s with more than 8 arguments", lname);
    int i = 0;
    for (const cJSON *a = args ? args->child : NULL; a; a = a->next, i++)
        av[i] = eval(cx, sc, a);
    if (jget(f, "agg_filter"))
        eval(cx, sc, jget(f, "agg_filter"));
    const cJSON *order = jget(f, "agg_order");
    val ord = mkval(OID_UNKNOWN, -1, false);
    int nord = 0;
    for (const cJSON *o = order ? order->child : NULL; o; o = o->next, nord++)
        ord = eval(cx, sc, jget(jget(o, "SortBy"), "node"));
    const cJSON *over = jget(f, "over");
    if (over) {
        const cJSON *w = over;
        for (const cJSON *p = jget(w, "partitionClause") ? jget(w, "partitionClause")->child
                                                        : NULL; p; p = p->next)
            eval(cx, sc, p);
        for (const cJSON *o = jget(w, "orderClause") ? jget(w, "orderClause")->child : NULL;
             o; o = o->next)
            eval(cx, sc, jget(jget(o, "SortBy"), "node"));
    }
    const char *why = NULL;
    bool argnull = any_nullable(av, nargs, &why);
    /* An aggregate's value is NULL when its group holds no non-NULL input: without GROUP
       BY the only group may be empty, a FILTER may leave nothing. */
    bool agg_null = argnull || filtered || (!sc->grouped && !window);
    const char *agg_why = argnull ? why : filtered ? "aggregate with FILTER"
                                                   : "aggregate without GROUP BY (no rows: NULL)";

    if (!strcmp(lname, "count"))
        return mkval(OID_INT8, -1, false);
    static const char *const ranking[] = {"row_number", "rank", "dense_rank", NULL};
    if (name_is(lname, ranking)) {
        if (!window)
            qfail(cx, loc, "%s needs OVER (...)", lname);
        return mkval(OID_INT8, -1, false);
    }
    static const char *const shifts[] = {"lag", "lead", "first_value", "last_value",
                                         "nth_value", NULL};
    if (name_is(lname, shifts)) {
        if (nargs < 1)
            qfail(cx, loc, "%s without an argument", lname);
        val v = mkval(av[0].t.oid, -1, true);
        v.why_null = "window function may fall outside its frame";
        if (av[0].t.oid == OID_UNKNOWN || av[0].t.oid == OID_UNDECIDED)
            return undecided("window function over a value of undecided type");
        return v;
    }
    if (!strcmp(lname, "sum") || !strcmp(lname, "avg") || !strcmp(lname, "min") ||
        !strcmp(lname, "max") || !strcmp(lname, "stddev") || !strcmp(lname, "stddev_samp") ||
        !strcmp(lname, "variance")) {
        if (nargs != 1)
            qfail(cx, loc, "%s takes one argument", lname);
        unsigned x = av[0].t.oid, r;
        if (x == OID_UNKNOWN)
            qfail(cx, loc, "ambiguous argument type of %s: cast it", lname);
        if (x == OID_UNDECIDED)
            return av[0];
        if (!strcmp(lname, "min") || !strcmp(lname, "max"))
            r = x; /* aggregates keep no typmod */
        else if (!strcmp(lname, "sum"))
            r = x == OID_INT2 || x == OID_INT4 ? OID_INT8
                : x == OID_INT8 || x == OID_NUMERIC ? OID_NUMERIC
                : x == OID_FLOAT4 ? OID_FLOAT4 : x == OID_FLOAT8 ? OID_FLOAT8
                : x == OID_INTERVAL ? OID_INTERVAL : 0;
        else if (!strcmp(lname, "avg"))
            r = x == OID_INT2 || x == OID_INT4 || x == OID_INT8 || x == OID_NUMERIC
                    ? OID_NUMERIC
                    : x == OID_FLOAT4 || x == OID_FLOAT8 ? OID_FLOAT8
                    : x == OID_INTERVAL ? OID_INTERVAL : 0;
        else
            r = is_number(x) ? (number_rank(x) >= 5 ? OID_FLOAT8 : OID_NUMERIC) : 0;
        if (!r)
            qfail(cx, loc, "%s(%s) has no result type cerdgen knows", lname, sql_name(x));
        val v = mkval(r, -1, window ? argnull : agg_null);
        v.why_null = window ? why : agg_why;
        return v;
    }
    if (!strcmp(lname, "percentile_cont") || !strcmp(lname, "percentile_disc")) {
        if (!jtrue(f, "agg_within_group") || nord != 1)
            qfail(cx, loc, "%s needs WITHIN GROUP (ORDER BY one value)", lname);
        if (nargs == 1 && av[0].param)
            assign_param(cx, av[0].param, OID_FLOAT8, loc);
        unsigned r;
        if (!strcmp(lname, "percentile_disc"))
            r = ord.t.oid;
        else
            r = ord.t.oid == OID_INTERVAL ? OID_INTERVAL : OID_FLOAT8;
        val v = mkval(r, -1, ord.t.nullable || agg_null);
        v.why_null = ord.t.nullable ? ord.why_null : agg_why;
        return v;
    }
    if (!strcmp(lname, "coalesce"))
        qfail(cx, loc, "coalesce as a function call"); /* parsed as CoalesceExpr */
    if (!strcmp(lname, "now") || !strcmp(lname, "statement_timestamp") ||
        !strcmp(lname, "transaction_timestamp") || !strcmp(lname, "clock_timestamp"))
        return mkval(OID_TIMESTAMPTZ, -1, false);
    if (!strcmp(lname, "date_trunc") && nargs == 2) {
        if (av[0].param)
            assign_param(cx, av[0].param, OID_TEXT, loc);
        if (av[1].param && av[1].t.oid == OID_UNKNOWN)
            assign_param(cx, av[1].param, OID_TIMESTAMPTZ, loc);
        if (av[1].t.oid != OID_TIMESTAMPTZ && av[1].t.oid != OID_UNKNOWN)
            return undecided("date_trunc of something other than timestamptz");
        val v = mkval(OID_TIMESTAMPTZ, -1, argnull);
        v.why_null = why;
        return v;
    }
    if (!strcmp(lname, "date_bin") && nargs == 3) {
        if (av[0].param)
            assign_param(cx, av[0].param, OID_INTERVAL, loc);
        for (int k = 1; k < 3; k++)
            if (av[k].param)
                assign_param(cx, av[k].param, OID_TIMESTAMPTZ, loc);
        val v = mkval(OID_TIMESTAMPTZ, -1, argnull);
        v.why_null = why;
        return v;
    }
    if ((!strcmp(lname, "round") || !strcmp(lname, "trunc")) && (nargs == 1 || nargs == 2)) {
        if (nargs == 2 && av[1].param)
            assign_param(cx, av[1].param, OID_INT4, loc);
        if (av[0].t.oid == OID_UNKNOWN)
            qfail(cx, loc, "ambiguous argument type of %s: cast it", lname);
        unsigned r = nargs == 2 || av[0].t.oid == OID_NUMERIC || number_rank(av[0].t.oid) <= 3
                         ? OID_NUMERIC : OID_FLOAT8;
        if (av[0].t.oid == OID_UNDECIDED)
            return av[0];
        val v = mkval(r, -1, argnull);
        v.why_null = why;
        return v;
    }
    if (!strcmp(lname, "abs") && nargs == 1) {
        if (av[0].t.oid == OID_UNKNOWN)
            qfail(cx, loc, "ambiguous argument type of abs: cast it");
        val v = mkval(av[0].t.oid, -1, argnull);
        v.why_null = why;
        return v;
    }
    if ((!strcmp(lname, "lower") || !strcmp(lname, "upper")) && nargs == 1) {
        if (av[0].param)
            assign_param(cx, av[0].param, OID_TEXT, loc);
        val v = mkval(OID_TEXT, -1, argnull);
        v.why_null = why;
        return v;
    }
    if (!strcmp(lname, "jsonb_build_object") || !strcmp(lname, "to_jsonb"))
        return undecided("a JSON builder whose argument types cerdgen does not check");
    return undecided("a function cerdgen has no result-type rule for");
}

static val sublink(qctx *cx, scope *sc, const cJSON *s)
{
    const char *t = jstr(s, "subLinkType");
    qcol *cols = NULL;
    int n = 0;
    int loc = jint(s, "location");
    analyze_select(cx, sc, jget(jget(s, "subselect"), "SelectStmt"), &cols, &n);
    val v;
    if (t && !strcmp(t, "EXISTS_SUBLINK")) {
        v = mkval(OID_BOOL, -1, false);
    } else if (t && !strcmp(t, "EXPR_SUBLINK")) {
        if (n != 1)
            qfail(cx, loc, "a scalar subquery must return one column");
        v = cols[0].v;
        v.param = 0;
        v.table = NULL;
        v.t.nullable = true;
        v.why_null = "scalar subquery (no row: NULL)";
    } else if (t && !strcmp(t, "ANY_SUBLINK")) {
        val a = eval(cx, sc, jget(s, "testexpr"));
        if (n == 1)
            unify(cx, &a, &cols[0].v, loc);
        v = mkval(OID_BOOL, -1, true);
        v.why_null = "IN (subquery)";
    } else {
        qfail(cx, loc, "unsupported subquery kind %s", t ? t : "?");
    }
    free_cols(cols, n);
    return v;
}

static val eval(qctx *cx, scope *sc, const cJSON *node)
{
    const cJSON *b;
    const char *k = kind(node, &b);
    int loc = loc_of(node);

    if (!strcmp(k, "ColumnRef"))
        return resolve_column(cx, sc, b);
    if (!strcmp(k, "ParamRef")) {
        int n = jint(b, "number");
        if (n < 1 || n > cx->nparams)
            qfail(cx, loc, "parameter $%d out of range", n);
        val v = mkval(cx->ptypes[n - 1].oid, -1, false);
        v.param = n;
        return v;
    }
    if (!strcmp(k, "A_Const"))
        return literal(b);
    if (!strcmp(k, "TypeCast")) {
        cg_qtype t = type_name(cx, jget(b, "typeName"), jint(b, "location"));
        val a = eval(cx, sc, jget(b, "arg"));
        if (a.param)
            assign_param(cx, a.param, t.oid, jint(b, "location"));
        val v = mkval(t.oid, t.typmod, a.t.nullable);
        v.why_null = a.why_null;
        return v;
    }
    if (!strcmp(k, "A_Expr"))
        return a_expr(cx, sc, b);
    if (!strcmp(k, "BoolExpr")) {
        bool nullable = false;
        const char *why = NULL;
        for (const cJSON *a = jget(b, "args") ? jget(b, "args")->child : NULL; a; a = a->next) {
            val v = eval(cx, sc, a);
            if (v.param)
                assign_param(cx, v.param, OID_BOOL, loc);
            if (v.t.nullable && !nullable) {
                nullable = true;
                why = v.why_null;
            }
        }
        val v = mkval(OID_BOOL, -1, nullable);
        v.why_null = why;
        return v;
    }
    if (!strcmp(k, "NullTest") || !strcmp(k, "BooleanTest")) {
        val a = eval(cx, sc, jget(b, "arg"));
        if (a.param && a.t.oid == OID_UNKNOWN)
            qfail(cx, loc, "ambiguous parameter type: %s only tested for NULL; cast it",
                  pname(cx, a.param));
        return mkval(OID_BOOL, -1, false);
    }
    if (!strcmp(k, "FuncCall"))
        return func_call(cx, sc, b);
    if (!strcmp(k, "CoalesceExpr") || !strcmp(k, "MinMaxExpr")) {
        val vs[16];
        int n = 0;
        bool all_null = true;
        for (const cJSON *a = jget(b, "args") ? jget(b, "args")->child : NULL; a && n < 16;
             a = a->next)
            vs[n++] = eval(cx, sc, a);
        const char *why = NULL;
        for (int i = 0; i < n; i++)
            all_null &= vs[i].t.nullable;
        bool coalesce = !strcmp(k, "CoalesceExpr");
        val v = common(cx, vs, n, loc, coalesce ? "COALESCE" : "GREATEST/LEAST");
        if (v.t.oid == OID_UNDECIDED)
            return v;
        /* COALESCE is NULL only when every argument is; GREATEST and LEAST ignore NULLs */
        v.t.nullable = all_null;
        if (all_null)
            any_nullable(vs, n, &why);
        v.why_null = why;
        return v;
    }
    if (!strcmp(k, "CaseExpr")) {
        val vs[32];
        int n = 0;
        val arg = mkval(OID_UNKNOWN, -1, false);
        bool has_arg = jget(b, "arg") != NULL;
        if (has_arg)
            arg = eval(cx, sc, jget(b, "arg"));
        for (const cJSON *w = jget(b, "args") ? jget(b, "args")->child : NULL; w && n < 31;
             w = w->next) {
            const cJSON *cw = jget(w, "CaseWhen");
            val c = eval(cx, sc, jget(cw, "expr"));
            if (has_arg)
                unify(cx, &arg, &c, loc);
            vs[n++] = eval(cx, sc, jget(cw, "result"));
        }
        bool has_else = jget(b, "defresult") != NULL;
        if (has_else)
            vs[n++] = eval(cx, sc, jget(b, "defresult"));
        val v = common(cx, vs, n, loc, "CASE");
        if (v.t.oid == OID_UNDECIDED)
            return v;
        const char *why = NULL;
        v.t.nullable = !has_else || any_nullable(vs, n, &why);
        v.why_null = has_else ? why : "CASE without ELSE";
        return v;
    }
    if (!strcmp(k, "SubLink"))
        return sublink(cx, sc, b);
    if (!strcmp(k, "SQLValueFunction")) {
        const char *op = jstr(b, "op");
        if (op && (!strcmp(op, "SVFOP_CURRENT_TIMESTAMP") ||
                   !strcmp(op, "SVFOP_CURRENT_TIMESTAMP_N")))
            return mkval(OID_TIMESTAMPTZ, -1, false);
        qfail(cx, loc, "unsupported SQL value function %s", op ? op : "?");
    }
    if (!strcmp(k, "RowExpr"))
        qfail(cx, loc, "a row value outside a row comparison");
    qfail(cx, loc, "unsupported expression (%s)", k[0] ? k : "empty");
}

/* ------------------------------------------------------------------ FROM and SELECT */

static const cte *find_cte(const qctx *cx, const char *name)
{
    for (int i = cx->nctes - 1; i >= 0; i--)
        if (!strcmp(cx->ctes[i].name, name))
            return &cx->ctes[i];
    return NULL;
}

static void add_rte(scope *sc, rte r)
{
    sc->rtes = cg_grow(sc->rtes, &sc->nrtes, sizeof *sc->rtes);
    sc->rtes[sc->nrtes - 1] = r;
}

static rte cols_rte(const char *alias, const qcol *cols, int n)
{
    rte r;
    memset(&r, 0, sizeof r);
    r.alias = cg_xstrdup(alias);
    r.ncols = n;
    r.cols = cg_xcalloc((size_t)(n ? n : 1), sizeof *r.cols);
    for (int i = 0; i < n; i++) {
        r.cols[i].name = cg_xstrdup(cols[i].name);
        r.cols[i].v = cols[i].v;
    }
    return r;
}

static void from_item(qctx *cx, scope *sc, const cJSON *node)
{
    const cJSON *b;
    const char *k = kind(node, &b);
    int loc = loc_of(node);

    if (!strcmp(k, "RangeVar")) {
        const char *rel = jstr(b, "relname");
        const char *alias = jstr(jget(b, "alias"), "aliasname");
        if (jstr(b, "schemaname"))
            qfail(cx, loc, "schema-qualified relation %s.%s: write the bare name",
                  jstr(b, "schemaname"), rel);
        const cte *c = find_cte(cx, rel);
        if (c) {
            add_rte(sc, cols_rte(alias ? alias : rel, c->cols, c->ncols));
            return;
        }
        const cg_table *t = cg_schema_find_table(cx->s, rel);
        if (!t)
            qfail(cx, loc, "relation \"%s\" is not a table of the schema", rel);
        add_rte(sc, table_rte(t, alias ? alias : rel));
        return;
    }
    if (!strcmp(k, "JoinExpr")) {
        const char *jt = jstr(b, "jointype");
        if (jget(b, "usingClause") || jtrue(b, "isNatural"))
            qfail(cx, loc, "JOIN ... USING and NATURAL JOIN are not supported: write ON");
        if (jget(b, "alias"))
            qfail(cx, loc, "an alias on a JOIN is not supported");
        int l0 = sc->nrtes;
        from_item(cx, sc, jget(b, "larg"));
        int r0 = sc->nrtes;
        from_item(cx, sc, jget(b, "rarg"));
        int r1 = sc->nrtes;
        if (jt && (!strcmp(jt, "JOIN_LEFT") || !strcmp(jt, "JOIN_FULL")))
            for (int i = r0; i < r1; i++)
                sc->rtes[i].nullable = true;
        if (jt && (!strcmp(jt, "JOIN_RIGHT") || !strcmp(jt, "JOIN_FULL")))
            for (int i = l0; i < r0; i++)
                sc->rtes[i].nullable = true;
        if (jget(b, "quals")) {
            val q = eval(cx, sc, jget(b, "quals"));
            if (q.param)
                assign_param(cx, q.param, OID_BOOL, loc);
        }
        return;
    }
    if (!strcmp(k, "RangeSubselect")) {
        const char *alias = jstr(jget(b, "alias"), "aliasname");
        if (!alias)
            qfail(cx, loc, "a subquery in FROM needs an alias");
        qcol *cols = NULL;
        int n = 0;
        /* LATERAL sees the items to its left; others would not, but resolving them
           anyway only accepts what PostgreSQL refuses. */
        analyze_select(cx, jtrue(b, "lateral") ? sc : sc->parent,
                       jget(jget(b, "subquery"), "SelectStmt"), &cols, &n);
        add_rte(sc, cols_rte(alias, cols, n));
        free_cols(cols, n);
        return;
    }
    qfail(cx, loc, "unsupported FROM item (%s)", k);
}

static bool is_c_keyword(const char *s)
{
    static const char *const kw[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
        "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
        "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
        "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
        "true", "false", NULL};
    return name_is(s, kw);
}

static bool is_ident(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_') || isupper((unsigned char)*s))
            return false;
    return true;
}

static void add_out(qcol **out, int *n, const char *name, val v, int loc)
{
    *out = cg_grow(*out, n, sizeof **out);
    (*out)[*n - 1].name = cg_xstrdup(name);
    (*out)[*n - 1].v = v;
    (*out)[*n - 1].loc = loc;
}

static void target_list(qctx *cx, scope *sc, const cJSON *list, qcol **out, int *nout)
{
    for (const cJSON *it = list ? list->child : NULL; it; it = it->next) {
        const cJSON *rt = jget(it, "ResTarget");
        const cJSON *vnode = jget(rt, "val");
        int loc = jint(rt, "location");
        const cJSON *vb;
        const char *vk = kind(vnode, &vb);
        if (!strcmp(vk, "ColumnRef")) {
            const cJSON *fields = jget(vb, "fields");
            int nf = cJSON_GetArraySize(fields);
            const cJSON *last = cJSON_GetArrayItem(fields, nf - 1);
            if (jget(last, "A_Star")) {
                const char *rel = nf == 2 ? string_node(cJSON_GetArrayItem(fields, 0)) : NULL;
                bool any = false;
                for (int i = 0; i < sc->nrtes; i++) {
                    const rte *r = &sc->rtes[i];
                    if (rel && strcmp(r->alias, rel))
                        continue;
                    any = true;
                    for (int j = 0; j < r->ncols; j++) {
                        val v = r->cols[j].v;
                        if (r->nullable && !v.t.nullable) {
                            v.t.nullable = true;
                            v.why_null = "nullable side of an outer join";
                        }
                        add_out(out, nout, r->cols[j].name, v, loc);
                    }
                }
                if (!any)
                    qfail(cx, loc, "%s.* names no FROM item", rel ? rel : "");
                continue;
            }
        }
        val v = eval(cx, sc, vnode);
        if (v.param && v.t.oid == OID_UNKNOWN)
            qfail(cx, loc, "ambiguous parameter type: %s in the select list; cast it",
                  pname(cx, v.param));
        if (v.t.oid == OID_UNKNOWN)
            v.t.oid = OID_TEXT; /* an untyped literal resolves to text */
        const char *name = jstr(rt, "name");
        if (!name) {
            if (!strcmp(vk, "ColumnRef")) {
                const cJSON *fields = jget(vb, "fields");
                name = string_node(cJSON_GetArrayItem(fields, cJSON_GetArraySize(fields) - 1));
            } else if (!strcmp(vk, "FuncCall")) {
                name = last_name(jget(vb, "funcname"));
            } else if (!strcmp(vk, "TypeCast")) {
                const cJSON *ab;
                if (!strcmp(kind(jget(vb, "arg"), &ab), "ColumnRef")) {
                    const cJSON *fields = jget(ab, "fields");
                    name = string_node(cJSON_GetArrayItem(fields,
                                                          cJSON_GetArraySize(fields) - 1));
                }
            }
        }
        if (!name)
            qfail(cx, loc, "a result column without a name: give it an alias (AS name)");
        add_out(out, nout, name, v, loc);
    }
}

/* Whether a bare name in ORDER BY / GROUP BY is a result column's name. */
static bool output_name(const cJSON *node, const qcol *out, int nout)
{
    const cJSON *b;
    if (strcmp(kind(node, &b), "ColumnRef"))
        return false;
    const cJSON *fields = jget(b, "fields");
    if (cJSON_GetArraySize(fields) != 1)
        return false;
    const char *n = string_node(cJSON_GetArrayItem(fields, 0));
    for (int i = 0; n && i < nout; i++)
        if (!strcmp(out[i].name, n))
            return true;
    return false;
}

static bool integer_const(const cJSON *node)
{
    const cJSON *b;
    return !strcmp(kind(node, &b), "A_Const") && jget(b, "ival");
}

static void with_clause(qctx *cx, scope *sc, const cJSON *with)
{
    for (const cJSON *c = jget(with, "ctes") ? jget(with, "ctes")->child : NULL; c;
         c = c->next) {
        const cJSON *ce = jget(c, "CommonTableExpr");
        const cJSON *qb;
        const char *qk = kind(jget(ce, "ctequery"), &qb);
        if (strcmp(qk, "SelectStmt"))
            qfail(cx, jint(ce, "location"), "WITH %s: only SELECT is supported in WITH",
                  jstr(ce, "ctename"));
        if (jtrue(with, "recursive"))
            qfail(cx, jint(ce, "location"), "WITH RECURSIVE is not supported");
        qcol *cols = NULL;
        int n = 0;
        analyze_select(cx, sc, qb, &cols, &n);
        cx->ctes = cg_grow(cx->ctes, &cx->nctes, sizeof *cx->ctes);
        cx->ctes[cx->nctes - 1].name = cg_xstrdup(jstr(ce, "ctename"));
        cx->ctes[cx->nctes - 1].cols = cols;
        cx->ctes[cx->nctes - 1].ncols = n;
    }
}

static void pop_ctes(qctx *cx, int keep)
{
    while (cx->nctes > keep) {
        cx->nctes--;
        free(cx->ctes[cx->nctes].name);
        free_cols(cx->ctes[cx->nctes].cols, cx->ctes[cx->nctes].ncols);
    }
    if (cx->nctes == 0) { /* cg_grow keeps no spare room: nothing else points into it */
        free(cx->ctes);
        cx->ctes = NULL;
    }
}

static void eval_bool(qctx *cx, scope *sc, const cJSON *node)
{
    if (!node)
        return;
    val v = eval(cx, sc, node);
    if (v.param)
        assign_param(cx, v.param, OID_BOOL, loc_of(node));
}

static void eval_limit(qctx *cx, scope *sc, const cJSON *node)
{
    if (!node)
        return;
    val v = eval(cx, sc, node);
    if (v.param)
        assign_param(cx, v.param, OID_INT8, loc_of(node));
}

static void analyze_select(qctx *cx, scope *parent, const cJSON *sel, qcol **out, int *nout)
{
    scope sc;
    int nctes = cx->nctes;
    memset(&sc, 0, sizeof sc);
    sc.parent = parent;
    *out = NULL;
    *nout = 0;
    if (!sel)
        qfail(cx, 0, "expected a SELECT");
    const char *op = jstr(sel, "op");
    if (op && strcmp(op, "SETOP_NONE"))
        qfail(cx, 0, "UNION / INTERSECT / EXCEPT are not supported");
    if (jget(sel, "valuesLists"))
        qfail(cx, 0, "VALUES lists are not supported");
    if (jget(sel, "withClause"))
        with_clause(cx, parent, jget(sel, "withClause"));
    for (const cJSON *f = jget(sel, "fromClause") ? jget(sel, "fromClause")->child : NULL; f;
         f = f->next)
        from_item(cx, &sc, f);
    /* PostgreSQL's order of analysis (transformSelectStmt), which decides the type of a
       parameter used in several places: its first use */
    sc.grouped = jget(sel, "groupClause") != NULL;
    target_list(cx, &sc, jget(sel, "targetList"), out, nout);
    eval_bool(cx, &sc, jget(sel, "whereClause"));
    eval_bool(cx, &sc, jget(sel, "havingClause"));
    for (const cJSON *o = jget(sel, "sortClause") ? jget(sel, "sortClause")->child : NULL; o;
         o = o->next) {
        const cJSON *node = jget(jget(o, "SortBy"), "node");
        if (integer_const(node) || output_name(node, *out, *nout))
            continue;
        eval(cx, &sc, node);
    }
    for (const cJSON *g = jget(sel, "groupClause") ? jget(sel, "groupClause")->child : NULL;
         g; g = g->next) {
        if (integer_const(g))
            continue;
        const cJSON *gb;
        if (!strcmp(kind(g, &gb), "ColumnRef") && output_name(g, *out, *nout)) {
            /* an input column of that name wins (PostgreSQL's rule); else the output */
            bool input = false;
            const char *n = string_node(cJSON_GetArrayItem(jget(gb, "fields"), 0));
            for (int i = 0; i < sc.nrtes && !input; i++)
                for (int j = 0; j < sc.rtes[i].ncols && !input; j++)
                    input = !strcmp(sc.rtes[i].cols[j].name, n);
            if (!input)
                continue;
        }
        eval(cx, &sc, g);
    }
    for (const cJSON *d = jget(sel, "distinctClause") ? jget(sel, "distinctClause")->child
                                                     : NULL; d; d = d->next)
        if (d->child && !output_name(d, *out, *nout))
            eval(cx, &sc, d);
    eval_limit(cx, &sc, jget(sel, "limitCount"));
    eval_limit(cx, &sc, jget(sel, "limitOffset"));
    pop_ctes(cx, nctes);
    free_scope(&sc);
}

/* ------------------------------------------------------------------ files */

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cerdgen: cannot read %s\n", path);
        exit(1);
    }
    cg_buf b = {0};
    char chunk[4096];
    size_t n;
    cg_buf_puts(&b, "");
    while ((n = fread(chunk, 1, sizeof chunk - 1, f)) > 0) {
        chunk[n] = '\0';
        if (strlen(chunk) != n) {
            fprintf(stderr, "cerdgen: %s: NUL byte in the file\n", path);
            exit(1);
        }
        cg_buf_puts(&b, chunk);
    }
    fclose(f);
    return b.data;
}

/* Whether line [p, eol) is an annotation "-- name: <name> :<shape>"; fills name/shape. */
static bool annotation(const char *p, const char *eol, char **name, char **shape)
{
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    if (eol - p < 2 || p[0] != '-' || p[1] != '-')
        return false;
    p += 2;
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    if (eol - p < 5 || strncmp(p, "name:", 5) != 0)
        return false;
    p += 5;
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    const char *n0 = p;
    while (p < eol && !isspace((unsigned char)*p))
        p++;
    *name = cg_xstrndup(n0, (size_t)(p - n0));
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    const char *s0 = p;
    while (p < eol && !isspace((unsigned char)*p))
        p++;
    *shape = cg_xstrndup(s0, (size_t)(p - s0));
    while (p < eol && isspace((unsigned char)*p))
        p++;
    if (p != eol) {
        char *rest = cg_xstrndup(p, (size_t)(eol - p));
        free(*shape);
        *shape = cg_xasprintf("%s %s", s0 == p ? "" : "", rest);
        free(rest);
    }
    return true;
}

/* The most parameters one statement can take: the Bind message counts them in 16 bits. */
enum { MAX_PARAMS = 65535 };

/* Rewrites @name parameters into $n: `padded` keeps every byte offset (for locations),
   `compact` is what is sent to the server. Skips comments, strings, quoted identifiers
   and dollar quotes. */
static void rewrite_params(qctx *cx, const char *body, char **padded, char **compact)
{
    size_t len = strlen(body);
    cg_buf pb = {0}, cb = {0};
    bool named = false, positional = false;
    cg_buf_puts(&pb, "");
    cg_buf_puts(&cb, "");
    for (size_t i = 0; i < len;) {
        char c = body[i];
        size_t j = i + 1;
        if (c == '-' && body[i + 1] == '-') {
            while (j < len && body[j] != '\n')
                j++;
        } else if (c == '/' && body[i + 1] == '*') {
            j = i + 2;
            while (j + 1 < len && !(body[j] == '*' && body[j + 1] == '/'))
                j++;
            j = j + 2 > len ? len : j + 2;
        } else if (c == '\'' || c == '"') {
            while (j < len) {
                if (body[j] == c && body[j + 1] == c) {
                    j += 2;
                    continue;
                }
                if (body[j++] == c)
                    break;
            }
        } else if (c == '$' && isdigit((unsigned char)body[i + 1])) {
            positional = true;
            long n = 0;
            while (j < len && isdigit((unsigned char)body[j])) {
                if (n <= MAX_PARAMS) /* stop counting once too big: no overflow */
                    n = n * 10 + (body[j] - '0');
                j++;
            }
            if (n < 1 || n > MAX_PARAMS)
                qfail(cx, (int)i, "parameter $%.*s: parameters are numbered $1 to $%d",
                      (int)(j - i - 1), body + i + 1, MAX_PARAMS);
            if (cx->nparams < n) { /* $1 .. $n-1 named p1 .. unless named before */
                char **names = cg_xcalloc((size_t)n, sizeof *names);
                if (cx->nparams)
                    memcpy(names, cx->pnames, (size_t)cx->nparams * sizeof *names);
                free(cx->pnames);
                cx->pnames = names;
                for (; cx->nparams < n; cx->nparams++)
                    names[cx->nparams] = cg_xasprintf("p%d", cx->nparams + 1);
            }
        } else if (c == '$') {
            size_t t = i + 1;
            while (t < len && (isalnum((unsigned char)body[t]) || body[t] == '_'))
                t++;
            if (t < len && body[t] == '$') { /* dollar quote $tag$ ... $tag$ */
                size_t tl = t - i + 1;
                j = t + 1;
                while (j < len && strncmp(body + j, body + i, tl) != 0)
                    j++;
                j = j + tl > len ? len : j + tl;
            }
        } else if (c == '@' && (isalpha((unsigned char)body[i + 1]) || body[i + 1] == '_') &&
                   !(i > 0 && strchr("<@", body[i - 1]))) {
            while (j < len && (isalnum((unsigned char)body[j]) || body[j] == '_'))
                j++;
            char *name = cg_xstrndup(body + i + 1, j - i - 1);
            int n = 0;
            for (int k = 0; k < cx->nparams && !n; k++)
                if (!strcmp(cx->pnames[k], name))
                    n = k + 1;
            if (!n) {
                if (!is_ident(name) || is_c_keyword(name))
                    qfail(cx, (int)i, "parameter @%s: the name must be a lower-case C "
                          "identifier", name);
                if (cx->nparams == MAX_PARAMS)
                    qfail(cx, (int)i, "parameter @%s: more than %d parameters", name,
                          MAX_PARAMS);
                cx->pnames = cg_grow(cx->pnames, &cx->nparams, sizeof *cx->pnames);
                cx->pnames[cx->nparams - 1] = cg_xstrdup(name);
                n = cx->nparams;
            } else {
                free(name);
                name = NULL;
            }
            free(name);
            named = true;
            char rep[16];
            snprintf(rep, sizeof rep, "$%d", n);
            if (strlen(rep) > j - i)
                qfail(cx, (int)i, "parameter name too short for its number: use a longer "
                      "name");
            cg_buf_puts(&pb, rep);
            for (size_t k = strlen(rep); k < j - i; k++)
                cg_buf_puts(&pb, " ");
            cg_buf_puts(&cb, rep);
            i = j;
            continue;
        }
        char *chunk = cg_xstrndup(body + i, j - i);
        cg_buf_puts(&pb, chunk);
        cg_buf_puts(&cb, chunk);
        free(chunk);
        i = j;
    }
    if (named && positional)
        qfail(cx, 0, "mixes named (@name) and positional ($n) parameters: use one kind");
    *padded = pb.data;
    *compact = cb.data;
}

static char *trim_sql(const char *s)
{
    size_t a = 0, b = strlen(s);
    while (a < b && isspace((unsigned char)s[a]))
        a++;
    size_t e = sql_trim_end(s, a, b);
    while (e > a && (s[e - 1] == ';' || isspace((unsigned char)s[e - 1])))
        e--;
    return cg_xstrndup(s + a, e - a);
}

static void parse_query(qctx *cx, cg_query *q, const char *body)
{
    char *padded, *compact;
    rewrite_params(cx, body, &padded, &compact);
    PgQueryParseResult r = pg_query_parse(padded);
    if (r.error) {
        size_t pos = 0, len = strlen(padded);
        for (int chars = 0; pos < len; pos++)
            if (((unsigned char)padded[pos] & 0xC0) != 0x80 && ++chars >= r.error->cursorpos)
                break;
        qfail(cx, (int)pos, "syntax error: %s", r.error->message);
    }
    cJSON *root = cJSON_Parse(r.parse_tree);
    const cJSON *stmts = jget(root, "stmts");
    int n = cJSON_GetArraySize(stmts);
    if (n != 1)
        qfail(cx, n ? jint(cJSON_GetArrayItem(stmts, 1), "stmt_location") : 0, "%s",
              n == 0 ? "no statement after the annotation"
                     : "more than one statement: one query per annotation");
    const cJSON *stmt = jget(cJSON_GetArrayItem(stmts, 0), "stmt");
    const cJSON *b;
    const char *k = kind(stmt, &b);
    cx->ptypes = cg_xcalloc((size_t)(cx->nparams ? cx->nparams : 1), sizeof *cx->ptypes);
    qcol *cols = NULL;
    int ncols = 0;
    if (!strcmp(k, "SelectStmt")) {
        analyze_select(cx, NULL, b, &cols, &ncols);
    } else if (!strcmp(k, "UpdateStmt") || !strcmp(k, "DeleteStmt")) {
        scope sc;
        memset(&sc, 0, sizeof sc);
        if (jget(b, "withClause"))
            qfail(cx, 0, "WITH on UPDATE/DELETE is not supported");
        const cJSON *rel = jget(b, "relation");
        const char *relname = jstr(rel, "relname");
        const cg_table *t = relname ? cg_schema_find_table(cx->s, relname) : NULL;
        if (!t)
            qfail(cx, jint(rel, "location"), "relation \"%s\" is not a table of the schema",
                  relname ? relname : "?");
        const char *alias = jstr(jget(rel, "alias"), "aliasname");
        add_rte(&sc, table_rte(t, alias ? alias : relname));
        const cJSON *from = jget(b, !strcmp(k, "UpdateStmt") ? "fromClause" : "usingClause");
        for (const cJSON *f = from ? from->child : NULL; f; f = f->next)
            from_item(cx, &sc, f);
        if (!strcmp(k, "UpdateStmt")) {
            for (const cJSON *it = jget(b, "targetList") ? jget(b, "targetList")->child : NULL;
                 it; it = it->next) {
                const cJSON *rt = jget(it, "ResTarget");
                const char *cn = jstr(rt, "name");
                int ci = cn ? cg_table_find_column(t, cn) : -1;
                if (ci < 0)
                    qfail(cx, jint(rt, "location"), "column \"%s\" of %s does not exist",
                          cn ? cn : "?", t->name);
                val cv = column_val(t, ci);
                val v = eval(cx, &sc, jget(rt, "val"));
                if (v.param) { /* assignment: the parameter takes the column's type */
                    assign_param(cx, v.param, cv.t.oid, jint(rt, "location"));
                    add_check(cx, v.param, t, ci);
                }
            }
        }
        eval_bool(cx, &sc, jget(b, "whereClause"));
        if (jget(b, "returningList"))
            target_list(cx, &sc, jget(b, "returningList"), &cols, &ncols);
        free_scope(&sc);
    } else {
        qfail(cx, 0, "unsupported statement %s (SELECT, UPDATE and DELETE are)", k);
    }
    cJSON_Delete(root);
    pg_query_free_parse_result(r);

    if (q->shape == CG_Q_EXEC && ncols)
        qfail(cx, 0, ":exec query returns columns: use :one or :many");
    if (q->shape != CG_Q_EXEC && !ncols)
        qfail(cx, 0, ":%s query returns no columns: use :exec",
              q->shape == CG_Q_ONE ? "one" : "many");
    for (int i = 0; i < cx->nparams; i++) {
        if (cx->ptypes[i].oid == OID_UNKNOWN)
            qfail(cx, 0, "ambiguous parameter type: nothing decides the type of %s; cast it "
                  "(e.g. @%s::bigint)", pname(cx, i + 1), cx->pnames[i]);
        if (!cg_qtype_field(&cx->ptypes[i], true))
            qfail(cx, 0, "parameter %s is %s, which the row codec cannot carry; cast it "
                  "to bigint, integer, boolean, numeric, timestamptz, text or jsonb",
                  pname(cx, i + 1), sql_name(cx->ptypes[i].oid));
    }
    for (int i = 0; i < ncols; i++) {
        const val *v = &cols[i].v;
        if (v->t.oid == OID_UNDECIDED)
            qfail(cx, cols[i].loc, "result column %s: static inference cannot decide its type (%s); "
                  "add an explicit cast (e.g. ::numeric)", cols[i].name, v->undecided);
        if (!cg_qtype_field(&v->t, false))
            qfail(cx, cols[i].loc, "result column %s is %s, which the row codec has no C type for "
                  "(bigint, integer, boolean, numeric, timestamptz, text, varchar, jsonb, "
                  "inet, integer[], text[]); cast it (e.g. ::numeric(12,3))", cols[i].name,
                  cg_qtype_sql(&v->t));
        if (!is_ident(cols[i].name) || is_c_keyword(cols[i].name) ||
            !strcmp(cols[i].name, "defaults"))
            qfail(cx, cols[i].loc, "result column \"%s\" is not a usable C field name: give it an "
                  "alias (AS name)", cols[i].name);
        for (int j = 0; j < i; j++)
            if (!strcmp(cols[j].name, cols[i].name))
                qfail(cx, cols[i].loc, "two result columns are named %s: give one an alias",
                      cols[i].name);
    }

    q->sql = trim_sql(compact);
    q->nparams = cx->nparams;
    q->params = cg_xcalloc((size_t)(q->nparams ? q->nparams : 1), sizeof *q->params);
    for (int i = 0; i < q->nparams; i++) {
        q->params[i].name = cg_xstrdup(cx->pnames[i]);
        q->params[i].type = cx->ptypes[i];
    }
    q->ncolumns = ncols;
    q->columns = cg_xcalloc((size_t)(ncols ? ncols : 1), sizeof *q->columns);
    for (int i = 0; i < ncols; i++) {
        cg_qfield *f = &q->columns[i];
        f->name = cg_xstrdup(cols[i].name);
        f->type = cols[i].v.t;
        if (cols[i].v.table)
            f->origin = cg_xasprintf("%s.%s", cols[i].v.table->name,
                                     cols[i].v.table->columns[cols[i].v.column].name);
        if (f->type.nullable && cols[i].v.why_null)
            f->why_nullable = cg_xstrdup(cols[i].v.why_null);
    }
    q->checks = cx->checks;
    q->nchecks = cx->nchecks;
    cx->checks = NULL;
    cx->nchecks = 0;
    free_cols(cols, ncols);
    free(padded);
    free(compact);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void parse_file(const cg_schema *s, const char *path, const char *base,
                       cg_query_file *qf)
{
    char *text = read_all(path);
    size_t len = strlen(text);
    qf->name = cg_xstrndup(base, strlen(base) - 4);
    qf->path = cg_xstrdup(path);
    if (!is_ident(qf->name)) {
        fprintf(stderr, "cerdgen: %s: the file name must be a lower-case C identifier\n",
                path);
        exit(1);
    }
    /* Annotations split the file into queries. */
    size_t *starts = NULL;
    int nstarts = 0;
    for (size_t pos = 0; pos < len;) {
        const char *eol = strchr(text + pos, '\n');
        size_t e = eol ? (size_t)(eol - text) : len;
        char *name, *shape;
        if (annotation(text + pos, text + e, &name, &shape)) {
            free(name);
            free(shape);
            starts = cg_grow(starts, &nstarts, sizeof *starts);
            starts[nstarts - 1] = pos;
        } else if (nstarts == 0) {
            size_t a = sql_skip_blank(text, pos, e);
            if (a < e) {
                fprintf(stderr, "cerdgen: %s:%d: SQL before the first \"-- name: <name> "
                        ":one|:many|:exec\" annotation\n", path, sql_line_of(text, pos));
                exit(1);
            }
        }
        pos = e + 1;
    }
    if (!nstarts) {
        fprintf(stderr, "cerdgen: %s:1: no query (annotate each with \"-- name: <name> "
                ":one|:many|:exec\")\n", path);
        exit(1);
    }
    for (int i = 0; i < nstarts; i++) {
        size_t a = starts[i], z = i + 1 < nstarts ? starts[i + 1] : len;
        const char *eol = strchr(text + a, '\n');
        size_t e = eol && (size_t)(eol - text) < z ? (size_t)(eol - text) : z;
        char *name, *shape;
        annotation(text + a, text + e, &name, &shape);
        qctx cx;
        memset(&cx, 0, sizeof cx);
        cx.s = s;
        cx.path = path;
        cx.filetext = text;
        cx.base = a;
        cx.qname = name;
        cg_query q;
        memset(&q, 0, sizeof q);
        q.name = name;
        q.line = sql_line_of(text, a);
        /* as the repository names it, whatever directory cerdgen was given */
        q.origin = cg_xasprintf("queries/%s:%d", base, q.line);
        q.file = cg_xstrdup(qf->name);
        if (!is_ident(name) || is_c_keyword(name))
            qfail(&cx, 0, "the name must be a lower-case C identifier");
        if (!strcmp(shape, ":one"))
            q.shape = CG_Q_ONE;
        else if (!strcmp(shape, ":many"))
            q.shape = CG_Q_MANY;
        else if (!strcmp(shape, ":exec"))
            q.shape = CG_Q_EXEC;
        else
            qfail(&cx, 0, "unknown shape \"%s\" (:one, :many or :exec)", shape);
        free(shape);
        /* the doc: the comment lines right after the annotation */
        size_t p = e < z ? e + 1 : z;
        cg_buf doc = {0};
        while (p < z) {
            const char *l = text + p;
            const char *le = strchr(l, '\n');
            size_t lend = le && (size_t)(le - text) < z ? (size_t)(le - text) : z;
            const char *t = l;
            while (t < text + lend && (*t == ' ' || *t == '\t'))
                t++;
            if (text + lend - t < 2 || t[0] != '-' || t[1] != '-')
                break;
            t += 2;
            while (t < text + lend && *t == ' ')
                t++;
            char *line = cg_xstrndup(t, (size_t)(text + lend - t));
            cg_buf_printf(&doc, "%s%s", doc.len ? " " : "", line);
            free(line);
            p = lend + 1;
        }
        q.doc = doc.data;
        cx.base = p < z ? p : z;
        char *body = cg_xstrndup(text + cx.base, z - cx.base);
        for (int k = 0; k < qf->nqueries; k++)
            if (!strcmp(qf->queries[k].name, name))
                qfail(&cx, 0, "a query named %s is already defined in this file", name);
        parse_query(&cx, &q, body);
        free(body);
        for (int k = 0; k < cx.nparams; k++)
            free(cx.pnames[k]);
        free(cx.pnames);
        free(cx.ptypes);
        qf->queries = cg_grow(qf->queries, &qf->nqueries, sizeof *qf->queries);
        qf->queries[qf->nqueries - 1] = q;
    }
    free(starts);
    free(text);
}

void cg_parse_queries(const char *dir, const cg_schema *s, cg_query_set *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cerdgen: cannot open queries directory %s\n", dir);
        exit(1);
    }
    char **names = NULL;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".sql") == 0 && e->d_name[0] != '.') {
            names = cg_grow(names, &n, sizeof *names);
            names[n - 1] = cg_xstrdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char *path = cg_xasprintf("%s/%s", dir, names[i]);
        out->files = cg_grow(out->files, &out->nfiles, sizeof *out->files);
        parse_file(s, path, names[i], &out->files[out->nfiles - 1]);
        free(path);
        free(names[i]);
    }
    free(names);
    /* query names are C symbols: unique across files */
    for (int a = 0; a < out->nfiles; a++)
        for (int i = 0; i < out->files[a].nqueries; i++)
            for (int b = 0; b <= a; b++)
                for (int j = 0; j < (b == a ? i : out->files[b].nqueries); j++)
                    if (!strcmp(out->files[a].queries[i].name, out->files[b].queries[j].name)) {
                        fprintf(stderr, "cerdgen: %s:%d: query %s is also defined at %s:%d\n",
                                out->files[a].path, out->files[a].queries[i].line,
                                out->files[a].queries[i].name, out->files[b].path,
                                out->files[b].queries[j].line);
                        exit(1);
                    }
}

void cg_query_set_free(cg_query_set *qs)
{
    for (int f = 0; f < qs->nfiles; f++) {
        cg_query_file *qf = &qs->files[f];
        for (int i = 0; i < qf->nqueries; i++) {
            cg_query *q = &qf->queries[i];
            free(q->name);
            free(q->file);
            free(q->origin);
            free(q->doc);
            free(q->sql);
            for (int k = 0; k < q->nparams; k++)
                free(q->params[k].name);
            free(q->params);
            for (int k = 0; k < q->ncolumns; k++) {
                free(q->columns[k].name);
                free(q->columns[k].origin);
                free(q->columns[k].why_nullable);
            }
            free(q->columns);
            free(q->checks);
        }
        free(qf->queries);
        free(qf->name);
        free(qf->path);
    }
    free(qs->files);
    memset(qs, 0, sizeof *qs);
}
