/* CHECK constraints -> typed expression trees, from libpg_query's JSON parse tree.

   Supported, with PostgreSQL's typing:
   - column references; constants: integers (int4, or int8 when they do not fit),
     decimals (numeric), strings (typed by their context, as PostgreSQL's "unknown"
     literals are), true/false, NULL; casts of constants and widening casts of columns;
   - = <> < <= > >= between numbers (integer and numeric mixed: compared by value),
     booleans and timestamptz; = and <> (and IN) between texts, by byte equality (what
     a deterministic collation does); < > on text depends on the collation: refused;
   - [NOT] BETWEEN [SYMMETRIC], [NOT] IN (...), IS [NOT] NULL, AND, OR, NOT;
   - + - * and unary minus on integers and numerics; / and % on integers (numeric
     division rounds to a scale PostgreSQL computes: refused); integer constant
     subexpressions are folded here, so an overflow there stops cerdgen as it would make
     every insert fail;
   - ~ ~* !~ !~* with a constant pattern that means the same to POSIX regcomp (ERE, C
     locale, bytes) as to PostgreSQL's ARE on UTF-8 text (see check_pattern());
   - cardinality(), array_length(a, n), char_length() / character_length() / length(),
     octet_length().
   Anything else stops cerdgen, naming the file, the statement and the constraint. */
#include "check_compile.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "jtree.h"

static const char *string_node(const cJSON *n)
{
    const cJSON *s = node_as(n, "String");
    if (!s)
        return NULL;
    const char *v = jstr(s, "sval");
    return v ? v : "";
}

/* The last name of a qualified name list (operator, function or type name), or NULL
   when it is qualified by anything but pg_catalog. */
static const char *catalog_name(const cJSON *list)
{
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    if (n < 1 || n > 2)
        return NULL;
    if (n == 2) {
        const char *schema = string_node(cJSON_GetArrayItem(list, 0));
        if (!schema || strcmp(schema, "pg_catalog") != 0)
            return NULL;
    }
    return string_node(cJSON_GetArrayItem(list, n - 1));
}

/* ---------------------------------------------------------------------------------- */
/* Compilation context and errors */

typedef struct cc {
    const cg_table *t;
    const cg_check *ck;
} cc;

static const char *type_sql(const cg_enode *n)
{
    return n->untyped ? "unknown" : cg_kind_sql(n->type);
}

static _Noreturn __attribute__((format(printf, 2, 3))) void cc_fail(const cc *c,
                                                                    const char *fmt, ...)
{
    va_list ap;
    /* The expression on one line. */
    char *src = cg_xstrdup(c->ck->source);
    size_t o = 0;
    for (size_t i = 0; src[i]; i++) {
        bool space = isspace((unsigned char)src[i]);
        if (space && (o == 0 || src[o - 1] == ' '))
            continue;
        src[o++] = space ? ' ' : src[i];
    }
    src[o] = '\0';
    fprintf(stderr, "cerdgen: %s: in statement \"%s\":\n  error: CHECK constraint %s (%s): ",
            c->ck->origin, c->ck->statement, c->ck->name, src);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (the client-side validator cannot mirror it: change the CHECK, or teach "
          "tools/cerdgen/check_compile.c and lib/validate.c)\n",
          stderr);
    free(src);
    exit(1);
}

/* ---------------------------------------------------------------------------------- */
/* Nodes */

static cg_enode *new_node(cg_op op, cg_kind type)
{
    cg_enode *n = cg_xcalloc(1, sizeof *n);
    n->op = op;
    n->type = type;
    n->column = -1;
    return n;
}

static void add_arg(cg_enode *n, cg_enode *arg)
{
    n->args = cg_grow(n->args, &n->nargs, sizeof *n->args);
    n->args[n->nargs - 1] = arg;
}

static cg_enode *node2(cg_op op, cg_kind type, cg_enode *a, cg_enode *b)
{
    cg_enode *n = new_node(op, type);
    add_arg(n, a);
    if (b)
        add_arg(n, b);
    return n;
}

static bool is_const(const cg_enode *n)
{
    return n->op == CG_OP_CONST;
}

static bool is_integer(cg_kind k)
{
    return k == CG_INT32 || k == CG_INT64;
}

static bool is_number(cg_kind k)
{
    return is_integer(k) || k == CG_NUMERIC;
}

/* ---------------------------------------------------------------------------------- */
/* Numeric constants */

static void num_from_int(cg_num *out, int64_t v)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint16_t rev[6];
    int n = 0;
    memset(out, 0, sizeof *out);
    while (mag) {
        rev[n++] = (uint16_t)(mag % 10000);
        mag /= 10000;
    }
    int low = 0;
    while (low < n && rev[low] == 0)
        low++;
    out->neg = v < 0;
    out->weight = n - 1;
    for (int i = n - 1; i >= low; i--)
        out->digits[out->ngroups++] = rev[i];
    if (n == 0)
        out->weight = 0;
}

bool cg_num_parse(const char *s, cg_num *out)
{
    char digits[160];
    int nd = 0, nfrac = 0;
    long exp10 = 0;
    bool neg = false, seen_digit = false, point = false;

    memset(out, 0, sizeof *out);
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (strncasecmp(s, "nan", 3) == 0) {
        const char *e = s + 3;
        while (isspace((unsigned char)*e))
            e++;
        if (*e || neg)
            return false;
        out->nan = true;
        return true;
    }
    for (; *s; s++) {
        if (isdigit((unsigned char)*s)) {
            seen_digit = true;
            if (nd == 0 && *s == '0') { /* leading zeros carry no digit */
                if (point)
                    nfrac++;
                continue;
            }
            if (nd >= (int)sizeof digits - 1)
                return false;
            digits[nd++] = *s;
            if (point)
                nfrac++;
        } else if (*s == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    if (!seen_digit)
        return false;
    if (*s == 'e' || *s == 'E') {
        char *end;
        errno = 0;
        exp10 = strtol(s + 1, &end, 10);
        if (end == s + 1 || errno || exp10 > 1000 || exp10 < -1000)
            return false;
        s = end;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s)
        return false;

    /* value = digits * 10^(exp10 - nfrac); dscale as PostgreSQL keeps it. */
    long scale10 = (long)nfrac - exp10;
    out->dscale = scale10 > 0 ? (int)scale10 : 0;
    while (nd > 0 && digits[nd - 1] == '0' && scale10 > 0) { /* trailing fraction zeros */
        nd--;
        scale10--;
    }
    int sig = nd;
    while (sig > 0 && digits[sig - 1] == '0')
        sig--;
    if (sig > 38)
        return false;
    if (nd == 0) {
        out->neg = false;
        return true; /* zero */
    }
    /* Decimal digit i (0 = most significant) has power 10^(nd - 1 - i - scale10). Group
       g holds powers [4g, 4g + 3] of 10. */
    long top = nd - 1 - scale10, bottom = -scale10;
    long gtop = top >= 0 ? top / 4 : -((-top + 3) / 4);
    long gbot = bottom >= 0 ? bottom / 4 : -((-bottom + 3) / 4);
    if (gtop - gbot + 1 > CG_NUM_MAX_GROUPS)
        return false;
    uint16_t groups[CG_NUM_MAX_GROUPS] = {0};
    for (int i = 0; i < nd; i++) {
        long p = nd - 1 - i - scale10;
        long g = p >= 0 ? p / 4 : -((-p + 3) / 4);
        long within = p - g * 4;
        static const int pow10[] = {1, 10, 100, 1000};
        groups[gtop - g] = (uint16_t)(groups[gtop - g] + (digits[i] - '0') * pow10[within]);
    }
    int n = (int)(gtop - gbot + 1), first = 0;
    while (first < n && groups[first] == 0)
        first++;
    while (n > first && groups[n - 1] == 0)
        n--;
    out->neg = neg;
    out->weight = (int)gtop - first;
    for (int i = first; i < n; i++)
        out->digits[out->ngroups++] = groups[i];
    return true;
}

static int num_int_digits(const cg_num *n)
{
    if (n->ngroups == 0 || n->weight < 0)
        return 0;
    int d = 1;
    for (int v = n->digits[0]; v >= 10; v /= 10)
        d++;
    return n->weight * 4 + d;
}

static int num_frac_digits(const cg_num *n)
{
    int groups = n->ngroups - 1 - n->weight;
    if (n->ngroups == 0 || groups <= 0)
        return 0;
    int last = n->digits[n->ngroups - 1], d = groups * 4;
    while (last % 10 == 0 && d > 0) {
        last /= 10;
        d--;
    }
    return d;
}

/* ---------------------------------------------------------------------------------- */
/* Constants and their types */

static bool parse_int64(const char *s, int64_t *out)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return false;
    *out = v;
    return true;
}

/* PostgreSQL's parse_bool_with_len(), after trimming spaces. */
static bool parse_bool(const char *s, bool *out)
{
    char buf[16];
    size_t len;
    while (isspace((unsigned char)*s))
        s++;
    len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    switch (tolower((unsigned char)buf[0])) {
    case 't':
        if (strncasecmp(buf, "true", len) == 0) { *out = true; return true; }
        break;
    case 'f':
        if (strncasecmp(buf, "false", len) == 0) { *out = false; return true; }
        break;
    case 'y':
        if (strncasecmp(buf, "yes", len) == 0) { *out = true; return true; }
        break;
    case 'n':
        if (strncasecmp(buf, "no", len) == 0) { *out = false; return true; }
        break;
    case 'o':
        if (len >= 2 && len <= 3 && strncasecmp(buf, "on", len > 2 ? len : 2) == 0) {
            *out = true;
            return true;
        }
        if (len >= 2 && strncasecmp(buf, "off", len > 2 ? len : 2) == 0) {
            *out = false;
            return true;
        }
        break;
    case '1':
        if (len == 1) { *out = true; return true; }
        break;
    case '0':
        if (len == 1) { *out = false; return true; }
        break;
    }
    return false;
}

/* Gives an untyped constant (string literal or NULL) type k, as PostgreSQL coerces an
   "unknown" literal to the type its context asks for. False when the text is not a
   value of that type (PostgreSQL would have refused the CHECK) or k takes no literal
   here. */
static bool coerce_untyped(cg_enode *n, cg_kind k)
{
    if (!n->untyped)
        return n->type == k;
    if (n->is_null) {
        n->untyped = false;
        n->type = k;
        return true;
    }
    switch (k) {
    case CG_TEXT:
        break;
    case CG_INT32:
    case CG_INT64:
        if (!parse_int64(n->text, &n->ival) ||
            (k == CG_INT32 && (n->ival < INT32_MIN || n->ival > INT32_MAX)))
            return false;
        break;
    case CG_NUMERIC:
        if (!cg_num_parse(n->text, &n->num))
            return false;
        break;
    case CG_BOOL: {
        bool b;
        if (!parse_bool(n->text, &b))
            return false;
        n->ival = b;
        break;
    }
    default:
        return false; /* timestamptz literals depend on the session's TimeZone */
    }
    n->untyped = false;
    n->type = k;
    return true;
}

/* An integer constant becomes numeric (PostgreSQL casts int to numeric, exactly). */
static void int_const_to_numeric(cg_enode *n)
{
    if (!n->is_null)
        num_from_int(&n->num, n->ival);
    n->type = CG_NUMERIC;
}

static void need_coerce(const cc *c, cg_enode *n, cg_kind k, const char *what)
{
    if (!coerce_untyped(n, k)) {
        if (n->untyped && k == CG_TIMESTAMPTZ)
            cc_fail(c, "a timestamptz literal ('%s') reads in the session's TimeZone, which "
                    "the client does not know", n->text);
        cc_fail(c, "%s: '%s' is not a %s value", what, n->text ? n->text : "NULL",
                cg_kind_sql(k));
    }
}

static void need_bool(const cc *c, cg_enode *n, const char *what)
{
    if (n->untyped)
        need_coerce(c, n, CG_BOOL, what);
    if (n->type != CG_BOOL)
        cc_fail(c, "argument of %s must be boolean, not %s", what, cg_kind_sql(n->type));
}

/* ---------------------------------------------------------------------------------- */
/* Regular expressions */

static locale_t c_locale(void)
{
    static locale_t loc;
    if (!loc)
        loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return loc;
}

/* Whether the pattern means the same to POSIX regcomp(REG_EXTENDED | REG_NOSUB
   [| REG_ICASE]) in the C locale, matching bytes, as to PostgreSQL's ARE matching
   characters of UTF-8 text. Conservative: ASCII only; no '.' or negated bracket (one
   character is one byte only in ASCII); no escapes of letters or digits (class
   shorthands and back references in ARE); nothing but literal characters and ranges in
   brackets (a backslash there escapes in ARE, not in ERE; classes depend on the locale);
   no ARE-only syntax ((?...), ***, non-greedy quantifiers); bounds as {m}, {m,}, {m,n}
   up to 255. */
static void check_pattern(const cc *c, const char *p, bool icase)
{
    size_t n = strlen(p);
    if (strncmp(p, "***", 3) == 0)
        cc_fail(c, "regular expression '%s': ARE directors (***) are not POSIX", p);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch > 0x7e)
            cc_fail(c, "regular expression '%s': only printable ASCII patterns are supported "
                    "(the validator matches bytes)", p);
    }
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        switch (ch) {
        case '\\':
            if (i + 1 >= n || !ispunct((unsigned char)p[i + 1]))
                cc_fail(c, "regular expression '%s': escape \\%c means something else in "
                        "PostgreSQL's ARE than in POSIX ERE", p, i + 1 < n ? p[i + 1] : ' ');
            i++;
            break;
        case '.':
            cc_fail(c, "regular expression '%s': '.' matches one character in PostgreSQL but "
                    "one byte in the validator (escape it, or use a bracket)", p);
        case '(':
            if (i + 1 < n && p[i + 1] == '?')
                cc_fail(c, "regular expression '%s': (?...) is ARE-only syntax", p);
            break;
        case '*':
        case '+':
        case '?':
            if (i + 1 < n && p[i + 1] == '?')
                cc_fail(c, "regular expression '%s': non-greedy quantifiers are ARE-only", p);
            break;
        case '{': {
            size_t j = i + 1;
            long lo = -1, hi = -1;
            if (j < n && isdigit((unsigned char)p[j])) {
                lo = strtol(p + j, NULL, 10);
                while (j < n && isdigit((unsigned char)p[j]))
                    j++;
            }
            if (j < n && p[j] == ',') {
                j++;
                if (j < n && isdigit((unsigned char)p[j])) {
                    hi = strtol(p + j, NULL, 10);
                    while (j < n && isdigit((unsigned char)p[j]))
                        j++;
                }
            }
            if (lo < 0 || j >= n || p[j] != '}' || lo > 255 || hi > 255)
                cc_fail(c, "regular expression '%s': bounds must read {m}, {m,} or {m,n} "
                        "with m, n <= 255", p);
            if (j + 1 < n && p[j + 1] == '?')
                cc_fail(c, "regular expression '%s': non-greedy quantifiers are ARE-only", p);
            i = j;
            break;
        }
        case '[': {
            size_t j = i + 1;
            if (j < n && p[j] == '^')
                cc_fail(c, "regular expression '%s': a negated bracket matches one character "
                        "in PostgreSQL but one byte in the validator", p);
            if (j < n && p[j] == ']')
                j++; /* a leading ] is literal */
            for (; j < n && p[j] != ']'; j++) {
                if (p[j] == '\\')
                    cc_fail(c, "regular expression '%s': a backslash in a bracket escapes in "
                            "ARE but is literal in ERE", p);
                if (p[j] == '[' && j + 1 < n &&
                    (p[j + 1] == ':' || p[j + 1] == '=' || p[j + 1] == '.'))
                    cc_fail(c, "regular expression '%s': character classes, equivalence "
                            "classes and collating elements depend on the locale", p);
            }
            if (j >= n)
                cc_fail(c, "regular expression '%s': unterminated bracket", p);
            i = j;
            break;
        }
        default:
            break;
        }
    }
    regex_t re;
    locale_t old = uselocale(c_locale());
    int rc = regcomp(&re, p, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
    if (rc) {
        char msg[256];
        regerror(rc, &re, msg, sizeof msg);
        uselocale(old);
        cc_fail(c, "regular expression '%s' does not compile as POSIX ERE: %s", p, msg);
    }
    regfree(&re);
    uselocale(old);
}

/* ---------------------------------------------------------------------------------- */
/* Folding integer constants (PostgreSQL folds them before the first row) */

static bool int_fits(cg_kind k, int64_t v)
{
    return k == CG_INT64 || (v >= INT32_MIN && v <= INT32_MAX);
}

static void fold_int(const cc *c, cg_enode *n)
{
    for (int i = 0; i < n->nargs; i++)
        if (!is_const(n->args[i]) || n->args[i]->untyped)
            return;
    if (!is_integer(n->type))
        return;
    bool null = false;
    for (int i = 0; i < n->nargs; i++)
        null = null || n->args[i]->is_null;
    int64_t a = n->args[0]->ival, b = n->nargs > 1 ? n->args[1]->ival : 0, r = 0;
    bool ovf = false;
    if (!null) {
        switch (n->op) {
        case CG_OP_ADD: ovf = __builtin_add_overflow(a, b, &r); break;
        case CG_OP_SUB: ovf = __builtin_sub_overflow(a, b, &r); break;
        case CG_OP_MUL: ovf = __builtin_mul_overflow(a, b, &r); break;
        case CG_OP_NEG: ovf = __builtin_sub_overflow((int64_t)0, a, &r); break;
        case CG_OP_DIV:
        case CG_OP_MOD:
            if (b == 0)
                cc_fail(c, "division by zero in a constant expression");
            if (a == INT64_MIN && b == -1) {
                ovf = n->op == CG_OP_DIV;
                r = 0;
            } else {
                r = n->op == CG_OP_DIV ? a / b : a % b;
            }
            break;
        default:
            return;
        }
        if (ovf || !int_fits(n->type, r))
            cc_fail(c, "%s out of range in a constant expression (PostgreSQL would refuse "
                    "every row)", n->type == CG_INT32 ? "integer" : "bigint");
    }
    for (int i = 0; i < n->nargs; i++)
        cg_enode_free(n->args[i]);
    free(n->args);
    n->args = NULL;
    n->nargs = 0;
    n->op = CG_OP_CONST;
    n->is_null = null;
    n->ival = r;
    n->text = null ? NULL : cg_xasprintf("%" PRId64, r);
}

/* ---------------------------------------------------------------------------------- */
/* Translation */

static cg_enode *compile(const cc *c, const cJSON *n);

static cg_enode *compile_column(const cc *c, const cJSON *ref)
{
    const cJSON *fields = jget(ref, "fields");
    int nf = cJSON_IsArray(fields) ? cJSON_GetArraySize(fields) : 0;
    const char *name = nf ? string_node(cJSON_GetArrayItem(fields, nf - 1)) : NULL;
    if (!name)
        cc_fail(c, "unsupported column reference");
    if (nf == 2) {
        const char *rel = string_node(cJSON_GetArrayItem(fields, 0));
        if (!rel || strcmp(rel, c->t->name) != 0)
            cc_fail(c, "column reference %s.%s names another relation", rel ? rel : "?",
                    name);
    } else if (nf != 1) {
        cc_fail(c, "unsupported qualified column reference");
    }
    int i = cg_table_find_column(c->t, name);
    if (i < 0)
        cc_fail(c, "no column %s in table %s", name, c->t->name);
    cg_enode *e = new_node(CG_OP_COLUMN, c->t->columns[i].kind);
    e->column = i;
    return e;
}

/* libpg_query 15 writes zero and negative integer constants as "ival": {} (its bug
   #243, fixed in later releases): the value is read back from the source text at the
   constant's location, where PostgreSQL's grammar folded '-' signs (and parentheses)
   into it. src starts at byte src_offset of the migration file. False when the text
   there is not such a constant. */
static bool int_from_source(const char *src, size_t src_offset, const cJSON *con,
                            int64_t *out)
{
    const cJSON *loc = jget(con, "location");
    if (!src || !cJSON_IsNumber(loc) || loc->valuedouble < (double)src_offset ||
        loc->valuedouble >= (double)(src_offset + strlen(src)))
        return false;
    const char *p = src + ((size_t)loc->valuedouble - src_offset);
    int minus = 0;
    for (;; p++) {
        if (*p == '-')
            minus++;
        else if (*p != '(' && !isspace((unsigned char)*p))
            break;
    }
    int64_t v = 0;
    if (!isdigit((unsigned char)*p))
        return false;
    for (; isdigit((unsigned char)*p); p++) {
        v = v * 10 + (*p - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return false;
    }
    if (isalnum((unsigned char)*p) || *p == '.' || *p == '_')
        return false;
    if (minus % 2)
        v = -v;
    if (v > 0 || v < INT32_MIN)
        return false;
    *out = v;
    return true;
}

/* An A_Const node; src/src_offset locate the source text its locations point into. */
static cg_enode *compile_const_src(const cc *c, const cJSON *con, const char *src,
                                   size_t src_offset)
{
    cg_enode *e = new_node(CG_OP_CONST, CG_TEXT);
    const cJSON *v;
    if (jtrue(con, "isnull")) {
        e->untyped = true;
        e->is_null = true;
    } else if ((v = jget(con, "ival"))) {
        const cJSON *iv = jget(v, "ival");
        e->type = CG_INT32;
        if (cJSON_IsNumber(iv))
            e->ival = (int64_t)iv->valuedouble;
        else if (!int_from_source(src, src_offset, con, &e->ival))
            cc_fail(c, "cannot read back an integer constant from the source text "
                    "(libpg_query leaves zero and negative integers out of its parse tree)");
        e->text = cg_xasprintf("%" PRId64, e->ival);
    } else if ((v = jget(con, "fval"))) {
        const char *text = jstr(v, "fval");
        int64_t i64;
        char *end;
        if (!text)
            cc_fail(c, "malformed numeric constant");
        e->text = cg_xstrdup(text);
        errno = 0;
        i64 = strtoll(text, &end, 10);
        if (errno == 0 && *end == '\0' && end != text) {
            /* PostgreSQL's make_const(): an integer too big for int4 is int8 when it fits. */
            e->type = (i64 >= INT32_MIN && i64 <= INT32_MAX) ? CG_INT32 : CG_INT64;
            e->ival = i64;
        } else {
            e->type = CG_NUMERIC;
            if (!cg_num_parse(text, &e->num))
                cc_fail(c, "numeric constant %s has more than 38 significant digits", text);
        }
    } else if ((v = jget(con, "sval"))) {
        const char *text = jstr(v, "sval");
        e->untyped = true;
        e->text = cg_xstrdup(text ? text : "");
    } else if ((v = jget(con, "boolval"))) {
        e->type = CG_BOOL;
        e->ival = jtrue(v, "boolval");
        e->text = cg_xstrdup(e->ival ? "true" : "false");
    } else {
        cc_fail(c, "unsupported constant (bit strings are not supported)");
    }
    return e;
}

/* Makes l and r comparable, as PostgreSQL resolves the operator: an unknown literal
   takes the other side's type; an integer constant facing a numeric becomes numeric. */
static void unify(const cc *c, cg_enode *l, cg_enode *r, const char *what)
{
    if (l->untyped && r->untyped) {
        need_coerce(c, l, CG_TEXT, what);
        need_coerce(c, r, CG_TEXT, what);
    } else if (l->untyped) {
        need_coerce(c, l, r->type, what);
    } else if (r->untyped) {
        need_coerce(c, r, l->type, what);
    }
    if (is_number(l->type) && is_number(r->type)) {
        if (l->type == CG_NUMERIC && r->type != CG_NUMERIC && is_const(r))
            int_const_to_numeric(r);
        if (r->type == CG_NUMERIC && l->type != CG_NUMERIC && is_const(l))
            int_const_to_numeric(l);
        return;
    }
    if (l->type != r->type)
        cc_fail(c, "%s: cannot compare %s with %s", what, cg_kind_sql(l->type),
                cg_kind_sql(r->type));
    switch (l->type) {
    case CG_TEXT:
    case CG_BOOL:
    case CG_TIMESTAMPTZ:
        return;
    default:
        cc_fail(c, "%s: comparisons of %s are not supported", what, cg_kind_sql(l->type));
    }
}

static cg_enode *compare(const cc *c, cg_op op, cg_enode *l, cg_enode *r, const char *what)
{
    unify(c, l, r, what);
    if (l->type == CG_TEXT && op != CG_OP_EQ && op != CG_OP_NE)
        cc_fail(c, "%s: ordering text depends on the collation; only = and <> (and IN) are "
                "supported on text", what);
    return node2(op, CG_BOOL, l, r);
}

static cg_enode *arith(const cc *c, cg_op op, cg_enode *l, cg_enode *r, const char *what)
{
    if (r) {
        if (l->untyped && r->untyped)
            cc_fail(c, "operator %s on two literals of unknown type", what);
        if (l->untyped)
            need_coerce(c, l, r->type, what);
        if (r->untyped)
            need_coerce(c, r, l->type, what);
    } else if (l->untyped) {
        cc_fail(c, "operator %s on a literal of unknown type", what);
    }
    if (!is_number(l->type) || (r && !is_number(r->type)))
        cc_fail(c, "operator %s on %s%s%s: only integer and numeric arithmetic is supported",
                what, cg_kind_sql(l->type), r ? " and " : "", r ? cg_kind_sql(r->type) : "");
    cg_kind k = l->type;
    if (r)
        k = (l->type == CG_NUMERIC || r->type == CG_NUMERIC) ? CG_NUMERIC
            : (l->type == CG_INT64 || r->type == CG_INT64) ? CG_INT64
                                                            : CG_INT32;
    if (k == CG_NUMERIC) {
        if (op == CG_OP_DIV || op == CG_OP_MOD)
            cc_fail(c, "numeric %s: PostgreSQL rounds the result to a scale it computes, "
                    "which the validator does not mirror", op == CG_OP_DIV ? "division" : "modulo");
        if (is_const(l) && l->type != CG_NUMERIC)
            int_const_to_numeric(l);
        if (r && is_const(r) && r->type != CG_NUMERIC)
            int_const_to_numeric(r);
    }
    if (op == CG_OP_NEG && is_const(l) && l->type == CG_NUMERIC) {
        if (!l->is_null && !l->num.nan) {
            l->num.neg = l->num.ngroups ? !l->num.neg : false;
            char *t = cg_xasprintf("-%s", l->text);
            free(l->text);
            l->text = t;
        }
        return l;
    }
    cg_enode *n = node2(op, k, l, r);
    fold_int(c, n);
    return n;
}

static cg_enode *regex(const cc *c, bool icase, bool negate, cg_enode *l, cg_enode *r)
{
    if (l->untyped)
        need_coerce(c, l, CG_TEXT, "regular expression match");
    if (l->type != CG_TEXT)
        cc_fail(c, "regular expression match on %s", cg_kind_sql(l->type));
    if (!is_const(r) || r->is_null || !(r->untyped || r->type == CG_TEXT))
        cc_fail(c, "the pattern of a regular expression match must be a text constant");
    need_coerce(c, r, CG_TEXT, "regular expression");
    check_pattern(c, r->text, icase);
    cg_enode *n = node2(icase ? CG_OP_IREGEX : CG_OP_REGEX, CG_BOOL, l, r);
    return negate ? node2(CG_OP_NOT, CG_BOOL, n, NULL) : n;
}

static void list_items(const cc *c, const cJSON *rexpr, cg_enode *into)
{
    const cJSON *items = jget(node_as(rexpr, "List"), "items");
    if (!cJSON_IsArray(items))
        cc_fail(c, "expected a list");
    for (const cJSON *i = items->child; i; i = i->next)
        add_arg(into, compile(c, i));
}

static cg_enode *compile_in(const cc *c, const cJSON *a, bool negate)
{
    cg_enode *n = new_node(CG_OP_IN, CG_BOOL);
    add_arg(n, compile(c, jget(a, "lexpr")));
    list_items(c, jget(a, "rexpr"), n);
    /* The common type of all (PostgreSQL's select_common_type): numeric over bigint over
       integer; otherwise one type; unknown literals alone are text. */
    bool any_num = false, any_i8 = false, all_untyped = true;
    cg_kind k = CG_TEXT;
    for (int i = 0; i < n->nargs; i++) {
        const cg_enode *x = n->args[i];
        if (x->untyped)
            continue;
        if (!all_untyped && !(is_number(k) && is_number(x->type)) && x->type != k)
            cc_fail(c, "IN: cannot compare %s with %s", cg_kind_sql(k), cg_kind_sql(x->type));
        all_untyped = false;
        k = x->type;
        any_num = any_num || x->type == CG_NUMERIC;
        any_i8 = any_i8 || x->type == CG_INT64;
    }
    if (!all_untyped && is_number(k))
        k = any_num ? CG_NUMERIC : any_i8 ? CG_INT64 : CG_INT32;
    if (k != CG_TEXT && !is_number(k) && k != CG_BOOL && k != CG_TIMESTAMPTZ)
        cc_fail(c, "IN: comparisons of %s are not supported", cg_kind_sql(k));
    for (int i = 0; i < n->nargs; i++) {
        cg_enode *x = n->args[i];
        if (x->untyped)
            need_coerce(c, x, k, "IN");
        else if (k == CG_NUMERIC && x->type != CG_NUMERIC && is_const(x))
            int_const_to_numeric(x);
    }
    return negate ? node2(CG_OP_NOT, CG_BOOL, n, NULL) : n;
}

static cg_enode *clone(const cg_enode *n)
{
    cg_enode *m = new_node(n->op, n->type);
    *m = *n;
    m->text = n->text ? cg_xstrdup(n->text) : NULL;
    m->args = NULL;
    m->nargs = 0;
    for (int i = 0; i < n->nargs; i++)
        add_arg(m, clone(n->args[i]));
    return m;
}

static cg_enode *between(const cc *c, const cJSON *a, const char *kind)
{
    bool negate = strstr(kind, "NOT") != NULL, sym = strstr(kind, "SYM") != NULL;
    cg_enode *tmp = new_node(CG_OP_BETWEEN, CG_BOOL);
    list_items(c, jget(a, "rexpr"), tmp);
    if (tmp->nargs != 2)
        cc_fail(c, "BETWEEN needs two bounds");
    cg_enode *x = compile(c, jget(a, "lexpr"));
    cg_enode *lo = tmp->args[0], *hi = tmp->args[1];
    free(tmp->args);
    free(tmp);
    /* x BETWEEN lo AND hi is x >= lo AND x <= hi (PostgreSQL expands it so). */
    unify(c, x, lo, "BETWEEN");
    unify(c, x, hi, "BETWEEN");
    if (x->type == CG_TEXT)
        cc_fail(c, "BETWEEN: ordering text depends on the collation");
    cg_enode *n = new_node(CG_OP_BETWEEN, CG_BOOL);
    if (sym) { /* (x BETWEEN lo AND hi) OR (x BETWEEN hi AND lo) */
        cg_enode *m = new_node(CG_OP_BETWEEN, CG_BOOL);
        add_arg(m, clone(x));
        add_arg(m, clone(hi));
        add_arg(m, clone(lo));
        add_arg(n, x);
        add_arg(n, lo);
        add_arg(n, hi);
        n = node2(CG_OP_OR, CG_BOOL, n, m);
    } else {
        add_arg(n, x);
        add_arg(n, lo);
        add_arg(n, hi);
    }
    return negate ? node2(CG_OP_NOT, CG_BOOL, n, NULL) : n;
}

static cg_enode *compile_aexpr(const cc *c, const cJSON *a)
{
    const char *kind = jstr(a, "kind");
    const char *name = catalog_name(jget(a, "name"));
    if (!kind || !name)
        cc_fail(c, "unsupported operator");
    if (strcmp(kind, "AEXPR_IN") == 0) {
        if (strcmp(name, "=") == 0)
            return compile_in(c, a, false);
        if (strcmp(name, "<>") == 0)
            return compile_in(c, a, true);
        cc_fail(c, "unsupported IN operator %s", name);
    }
    if (strncmp(kind, "AEXPR_BETWEEN", 13) == 0 || strncmp(kind, "AEXPR_NOT_BETWEEN", 17) == 0)
        return between(c, a, kind);
    if (strcmp(kind, "AEXPR_OP") != 0)
        cc_fail(c, "%s is not supported", kind);

    const cJSON *lj = jget(a, "lexpr"), *rj = jget(a, "rexpr");
    if (!rj)
        cc_fail(c, "postfix operator %s", name);
    if (!lj) { /* prefix */
        cg_enode *x = compile(c, rj);
        if (strcmp(name, "-") == 0)
            return arith(c, CG_OP_NEG, x, NULL, "-");
        if (strcmp(name, "+") == 0) {
            if (x->untyped || !is_number(x->type))
                cc_fail(c, "prefix + on %s", type_sql(x));
            return x;
        }
        cc_fail(c, "prefix operator %s is not supported", name);
    }
    static const struct {
        const char *name;
        cg_op op;
        int kind; /* 0 comparison, 1 arithmetic, 2 regex, 3 negated regex */
        bool icase;
    } ops[] = {
        {"=", CG_OP_EQ, 0, false},   {"<>", CG_OP_NE, 0, false},  {"!=", CG_OP_NE, 0, false},
        {"<", CG_OP_LT, 0, false},   {"<=", CG_OP_LE, 0, false},  {">", CG_OP_GT, 0, false},
        {">=", CG_OP_GE, 0, false},  {"+", CG_OP_ADD, 1, false},  {"-", CG_OP_SUB, 1, false},
        {"*", CG_OP_MUL, 1, false},  {"/", CG_OP_DIV, 1, false},  {"%", CG_OP_MOD, 1, false},
        {"~", CG_OP_REGEX, 2, false}, {"~*", CG_OP_IREGEX, 2, true},
        {"!~", CG_OP_REGEX, 3, false}, {"!~*", CG_OP_IREGEX, 3, true},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(ops[i].name, name) != 0)
            continue;
        cg_enode *l = compile(c, lj), *r = compile(c, rj);
        switch (ops[i].kind) {
        case 0: return compare(c, ops[i].op, l, r, name);
        case 1: return arith(c, ops[i].op, l, r, name);
        default: return regex(c, ops[i].icase, ops[i].kind == 3, l, r);
        }
    }
    cc_fail(c, "operator %s is not supported", name);
}

static cg_enode *compile_bool(const cc *c, const cJSON *b)
{
    const char *op = jstr(b, "boolop");
    const cJSON *args = jget(b, "args");
    cg_op k;
    const char *what;
    if (!op)
        cc_fail(c, "malformed boolean expression");
    if (strcmp(op, "AND_EXPR") == 0) {
        k = CG_OP_AND;
        what = "AND";
    } else if (strcmp(op, "OR_EXPR") == 0) {
        k = CG_OP_OR;
        what = "OR";
    } else if (strcmp(op, "NOT_EXPR") == 0) {
        k = CG_OP_NOT;
        what = "NOT";
    } else {
        cc_fail(c, "boolean operator %s", op);
    }
    cg_enode *n = new_node(k, CG_BOOL);
    for (const cJSON *a = cJSON_IsArray(args) ? args->child : NULL; a; a = a->next) {
        cg_enode *x = compile(c, a);
        need_bool(c, x, what);
        add_arg(n, x);
    }
    if ((k == CG_OP_NOT && n->nargs != 1) || n->nargs < 1)
        cc_fail(c, "malformed %s", what);
    return n;
}

static cg_enode *compile_nulltest(const cc *c, const cJSON *b)
{
    const char *type = jstr(b, "nulltesttype");
    if (jtrue(b, "argisrow"))
        cc_fail(c, "IS NULL on a row");
    cg_enode *x = compile(c, jget(b, "arg"));
    if (x->untyped)
        need_coerce(c, x, CG_TEXT, "IS NULL");
    if (type && strcmp(type, "IS_NULL") == 0)
        return node2(CG_OP_IS_NULL, CG_BOOL, x, NULL);
    if (type && strcmp(type, "IS_NOT_NULL") == 0)
        return node2(CG_OP_IS_NOT_NULL, CG_BOOL, x, NULL);
    cc_fail(c, "unsupported null test");
}

static cg_enode *compile_func(const cc *c, const cJSON *f)
{
    static const char *const flags[] = {"agg_star", "agg_distinct", "func_variadic",
                                        "agg_within_group"};
    const char *name = catalog_name(jget(f, "funcname"));
    if (!name)
        cc_fail(c, "function of another schema");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (jtrue(f, flags[i]))
            cc_fail(c, "function call %s with %s", name, flags[i]);
    if (jget(f, "over") || jget(f, "agg_order") || jget(f, "agg_filter"))
        cc_fail(c, "aggregate or window call of %s", name);
    cg_enode *n = new_node(CG_OP_FUNC, CG_INT32);
    const cJSON *args = jget(f, "args");
    for (const cJSON *a = cJSON_IsArray(args) ? args->child : NULL; a; a = a->next)
        add_arg(n, compile(c, a));
    n->text = cg_xstrdup(name);
    if (strcmp(name, "cardinality") == 0 || strcmp(name, "array_length") == 0) {
        bool al = name[0] == 'a';
        if (n->nargs != (al ? 2 : 1))
            cc_fail(c, "%s takes %d argument%s", name, al ? 2 : 1, al ? "s" : "");
        if (n->args[0]->untyped ||
            (n->args[0]->type != CG_INT32_ARRAY && n->args[0]->type != CG_TEXT_ARRAY))
            cc_fail(c, "%s of %s: only array columns are supported", name,
                    type_sql(n->args[0]));
        if (al) {
            if (n->args[1]->untyped)
                need_coerce(c, n->args[1], CG_INT32, name);
            if (n->args[1]->type != CG_INT32)
                cc_fail(c, "array_length: the dimension must be an integer");
        }
        n->func = al ? CG_FUNC_ARRAY_LENGTH : CG_FUNC_CARDINALITY;
        return n;
    }
    if (strcmp(name, "char_length") == 0 || strcmp(name, "character_length") == 0 ||
        strcmp(name, "length") == 0 || strcmp(name, "octet_length") == 0) {
        if (n->nargs != 1)
            cc_fail(c, "%s takes one argument", name);
        if (n->args[0]->untyped)
            need_coerce(c, n->args[0], CG_TEXT, name);
        if (n->args[0]->type != CG_TEXT)
            cc_fail(c, "%s of %s: only text is supported", name, cg_kind_sql(n->args[0]->type));
        n->func = name[0] == 'o' ? CG_FUNC_OCTET_LENGTH : CG_FUNC_CHAR_LENGTH;
        return n;
    }
    cc_fail(c, "function %s() is not supported", name);
}

/* The kind a cast's type name denotes, with its type modifiers. */
static cg_kind cast_kind(const cc *c, const cJSON *type_name, int *nmods, int *mod0)
{
    const cJSON *tn = node_as(type_name, "TypeName");
    if (!tn)
        tn = type_name;
    const char *name = catalog_name(jget(tn, "names"));
    const cJSON *mods = jget(tn, "typmods");
    *nmods = cJSON_IsArray(mods) ? cJSON_GetArraySize(mods) : 0;
    *mod0 = -1;
    if (*nmods) {
        const cJSON *iv = jget(jget(node_as(cJSON_GetArrayItem(mods, 0), "A_Const"), "ival"),
                               "ival");
        *mod0 = cJSON_IsNumber(iv) ? iv->valueint : -1;
    }
    if (!name || jget(tn, "arrayBounds"))
        cc_fail(c, "cast to an unsupported type");
    static const struct {
        const char *name;
        cg_kind kind;
    } map[] = {{"int4", CG_INT32},  {"integer", CG_INT32}, {"int", CG_INT32},
               {"int8", CG_INT64},  {"bigint", CG_INT64},  {"numeric", CG_NUMERIC},
               {"decimal", CG_NUMERIC}, {"text", CG_TEXT}, {"varchar", CG_TEXT},
               {"bool", CG_BOOL},   {"boolean", CG_BOOL}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, name) == 0)
            return map[i].kind;
    cc_fail(c, "cast to %s is not supported", name);
}

static cg_enode *compile_cast(const cc *c, const cJSON *tc)
{
    int nmods, mod0;
    cg_kind k = cast_kind(c, jget(tc, "typeName"), &nmods, &mod0);
    cg_enode *x = compile(c, jget(tc, "arg"));
    if (nmods) {
        /* varchar(n) of a short enough constant changes nothing; other modifiers round or
           cut values. */
        if (!(k == CG_TEXT && is_const(x) && (x->untyped || x->type == CG_TEXT) &&
              (x->is_null || (mod0 >= 0 && strlen(x->text) <= (size_t)mod0))))
            cc_fail(c, "casts with type modifiers are not supported");
    }
    if (x->untyped) {
        need_coerce(c, x, k, "cast");
        return x;
    }
    if (x->type == k)
        return x;
    if (is_const(x) && is_integer(x->type) && k == CG_NUMERIC) {
        int_const_to_numeric(x);
        return x;
    }
    if (is_const(x) && x->type == CG_INT32 && k == CG_INT64) {
        x->type = CG_INT64;
        return x;
    }
    /* Widening a value changes only how arithmetic on it overflows: the runtime carries
       integers as int64 and compares integers and numerics by value. */
    if ((x->type == CG_INT32 && (k == CG_INT64 || k == CG_NUMERIC)) ||
        (x->type == CG_INT64 && k == CG_NUMERIC)) {
        x->type = k;
        return x;
    }
    cc_fail(c, "cast of %s to %s is not supported", cg_kind_sql(x->type), cg_kind_sql(k));
}

static cg_enode *compile_src(const cc *c, const cJSON *n, const char *src, size_t off);

static cg_enode *compile(const cc *c, const cJSON *n)
{
    return compile_src(c, n, c->ck->source, c->ck->source_offset);
}

static cg_enode *compile_src(const cc *c, const cJSON *n, const char *src, size_t off)
{
    const char *tag = node_tag(n);
    const cJSON *b = tag ? n->child : NULL;
    if (!tag)
        cc_fail(c, "unexpected element in the expression");
    if (strcmp(tag, "ColumnRef") == 0)
        return compile_column(c, b);
    if (strcmp(tag, "A_Const") == 0)
        return compile_const_src(c, b, src, off);
    if (strcmp(tag, "A_Expr") == 0)
        return compile_aexpr(c, b);
    if (strcmp(tag, "BoolExpr") == 0)
        return compile_bool(c, b);
    if (strcmp(tag, "NullTest") == 0)
        return compile_nulltest(c, b);
    if (strcmp(tag, "FuncCall") == 0)
        return compile_func(c, b);
    if (strcmp(tag, "TypeCast") == 0)
        return compile_cast(c, b);
    static const struct {
        const char *tag, *what;
    } named[] = {{"SubLink", "subqueries"},
                 {"CaseExpr", "CASE"},
                 {"CoalesceExpr", "COALESCE"},
                 {"MinMaxExpr", "GREATEST/LEAST"},
                 {"BooleanTest", "IS [NOT] TRUE/FALSE/UNKNOWN"},
                 {"A_ArrayExpr", "ARRAY[...]"},
                 {"A_Indirection", "subscripts"},
                 {"SQLValueFunction", "CURRENT_DATE and friends"},
                 {"CollateClause", "COLLATE"},
                 {"RowExpr", "row constructors"}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcmp(named[i].tag, tag) == 0)
            cc_fail(c, "%s %s not supported", named[i].what,
                    named[i].what[strlen(named[i].what) - 1] == 's' ? "are" : "is");
    cc_fail(c, "%s expressions are not supported", tag);
}

/* ---------------------------------------------------------------------------------- */
/* Defaults: a constant (possibly cast, possibly negated) of the column's type, or NULL
   (then a CHECK reading the column absent on insert is left to the server). */

static cg_enode *default_const(const cg_column *col, const cJSON *n, int depth)
{
    const char *tag = node_tag(n);
    if (!tag || depth > 8)
        return NULL;
    if (strcmp(tag, "TypeCast") == 0) {
        const cJSON *tn = node_as(jget(n->child, "typeName"), "TypeName");
        if (jget(tn, "arrayBounds"))
            return NULL;
        return default_const(col, jget(n->child, "arg"), depth + 1);
    }
    if (strcmp(tag, "A_Expr") == 0) { /* -constant */
        const char *name = catalog_name(jget(n->child, "name"));
        const char *kind = jstr(n->child, "kind");
        if (!name || !kind || strcmp(kind, "AEXPR_OP") || strcmp(name, "-") ||
            jget(n->child, "lexpr"))
            return NULL;
        cg_enode *x = default_const(col, jget(n->child, "rexpr"), depth + 1);
        if (!x || x->is_null || x->untyped || !is_number(x->type) ||
            (x->type != CG_NUMERIC && x->ival == INT64_MIN)) {
            cg_enode_free(x);
            return NULL;
        }
        char *t = cg_xasprintf("-%s", x->text);
        free(x->text);
        x->text = t;
        if (x->type == CG_NUMERIC)
            x->num.neg = x->num.ngroups ? !x->num.neg : false;
        else
            x->ival = -x->ival;
        return x;
    }
    if (strcmp(tag, "A_Const") != 0)
        return NULL;
    const cJSON *con = n->child, *v;
    cg_enode *e = new_node(CG_OP_CONST, CG_TEXT);
    if (jtrue(con, "isnull")) {
        e->untyped = true;
        e->is_null = true;
    } else if ((v = jget(con, "ival")) || (v = jget(con, "fval"))) {
        const cJSON *iv = jget(v, "ival");
        const char *fv = jstr(v, "fval");
        int64_t i;
        if (cJSON_IsNumber(iv))
            i = (int64_t)iv->valuedouble;
        else if (!fv && !int_from_source(col->default_text, col->default_offset, con, &i)) {
            cg_enode_free(e);
            return NULL;
        }
        e->text = fv ? cg_xstrdup(fv) : cg_xasprintf("%" PRId64, i);
        e->untyped = true; /* read as the column's type below */
    } else if ((v = jget(con, "sval"))) {
        const char *text = jstr(v, "sval");
        e->untyped = true;
        e->text = cg_xstrdup(text ? text : "");
    } else if ((v = jget(con, "boolval"))) {
        e->untyped = true;
        e->text = cg_xstrdup(jtrue(v, "boolval") ? "true" : "false");
    } else {
        cg_enode_free(e);
        return NULL;
    }
    return e;
}

static cg_enode *compile_default(const cg_column *col)
{
    if (!col->default_expr || col->identity)
        return NULL;
    cg_enode *e = default_const(col, col->default_expr, 0);
    if (!e)
        return NULL;
    cg_kind k = col->kind;
    if (k == CG_TIMESTAMPTZ || k == CG_JSONB || k == CG_INET || k == CG_INT32_ARRAY ||
        k == CG_TEXT_ARRAY) {
        if (!e->is_null) {
            cg_enode_free(e);
            return NULL;
        }
        e->untyped = false;
        e->type = k;
        return e;
    }
    if (e->untyped) {
        if (!coerce_untyped(e, k)) {
            cg_enode_free(e);
            return NULL;
        }
    } else if (e->type != k) {
        cg_enode_free(e);
        return NULL;
    }
    if (k == CG_TEXT && col->max_chars >= 0 && !e->is_null) {
        /* varchar(n): a longer default is cut (trailing spaces) or refused: leave it. */
        size_t chars = 0;
        for (const char *p = e->text; *p; p++)
            chars += ((unsigned char)*p & 0xC0) != 0x80;
        if (chars > (size_t)col->max_chars) {
            cg_enode_free(e);
            return NULL;
        }
    }
    if (k == CG_NUMERIC && col->precision >= 0 && !e->is_null && !e->num.nan) {
        /* numeric(p,s): a default with more decimals than s would be rounded, one with
           too many integer digits refused: leave those to the server. */
        if (num_frac_digits(&e->num) > col->scale ||
            num_int_digits(&e->num) > col->precision - col->scale) {
            cg_enode_free(e);
            return NULL;
        }
    }
    return e;
}

/* ---------------------------------------------------------------------------------- */

static void uses_columns(const cc *c, const cg_enode *n, bool *used)
{
    if (n->op == CG_OP_COLUMN) {
        bool listed = false;
        for (int i = 0; i < c->ck->ncolumns; i++)
            listed = listed || c->ck->columns[i] == n->column;
        if (!listed)
            cc_fail(c, "internal error: column %s is not in the CHECK's column list",
                    c->t->columns[n->column].name);
        used[n->column] = true;
    }
    for (int i = 0; i < n->nargs; i++)
        uses_columns(c, n->args[i], used);
}

static void type_leftovers(cg_enode *n)
{
    if (n->untyped) {
        n->untyped = false;
        n->type = CG_TEXT;
    }
    for (int i = 0; i < n->nargs; i++)
        type_leftovers(n->args[i]);
}

void cg_compile_checks(cg_schema *s)
{
    for (int i = 0; i < s->ntables; i++) {
        cg_table *t = &s->tables[i];
        for (int k = 0; k < t->nchecks; k++) {
            cg_check *ck = &t->checks[k];
            cc c = {.t = t, .ck = ck};
            cg_enode *e = compile(&c, ck->expr);
            need_bool(&c, e, "CHECK");
            type_leftovers(e);
            bool used[CG_MAX_COLUMNS] = {false};
            uses_columns(&c, e, used);
            ck->compiled = e;
            ck->defaults = cg_xcalloc((size_t)(ck->ncolumns ? ck->ncolumns : 1),
                                      sizeof *ck->defaults);
            for (int j = 0; j < ck->ncolumns; j++)
                ck->defaults[j] = compile_default(&t->columns[ck->columns[j]]);
        }
    }
}

/* ---------------------------------------------------------------------------------- */
/* Names and dump */

const char *cg_op_enum(cg_op op)
{
    static const char *const names[] = {
        NULL, "CERD_EXPR_COLUMN", "CERD_EXPR_CONST", "CERD_EXPR_AND", "CERD_EXPR_OR",
        "CERD_EXPR_NOT", "CERD_EXPR_EQ", "CERD_EXPR_NE", "CERD_EXPR_LT", "CERD_EXPR_LE",
        "CERD_EXPR_GT", "CERD_EXPR_GE", "CERD_EXPR_BETWEEN", "CERD_EXPR_IN",
        "CERD_EXPR_IS_NULL", "CERD_EXPR_IS_NOT_NULL", "CERD_EXPR_ADD", "CERD_EXPR_SUB",
        "CERD_EXPR_MUL", "CERD_EXPR_DIV", "CERD_EXPR_NEG", "CERD_EXPR_REGEX",
        "CERD_EXPR_IREGEX", "CERD_EXPR_FUNC", "CERD_EXPR_MOD"};
    return (op >= CG_OP_COLUMN && op <= CG_OP_MOD) ? names[op] : "?";
}

const char *cg_func_enum(cg_func f)
{
    switch (f) {
    case CG_FUNC_CARDINALITY: return "CERD_FUNC_CARDINALITY";
    case CG_FUNC_ARRAY_LENGTH: return "CERD_FUNC_ARRAY_LENGTH";
    case CG_FUNC_CHAR_LENGTH: return "CERD_FUNC_CHAR_LENGTH";
    case CG_FUNC_OCTET_LENGTH: return "CERD_FUNC_OCTET_LENGTH";
    }
    return "0";
}
