/* Client-side validation without a server (lib/validate.c): SQL's three-valued logic and
   every expression kind on a hand-built table; NOT NULL, varchar, numeric, encoding and
   type rules; the generated descriptors (every CHECK compiled, constants typed exactly,
   the valid rows of tests/crud/rows accepted); the email regex, also from many threads;
   and the row operations refusing an invalid row before touching the connection. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>
#include "conn/conn_internal.h"
#include "check.h"
#include "ops/expr.h"
#include "testdb.h"
#include "ops/validate_internal.h"

/* ---------------------------------------------------------------- a hand-built table */

typedef struct vt_row {
    int64_t id;              /* identity primary key */
    cerd_opt_int32 n;        /* integer */
    cerd_opt_int64 big;      /* bigint */
    cerd_opt_numeric price;  /* numeric(4,2) */
    cerd_opt_numeric amount; /* numeric */
    char *code;              /* varchar(5) */
    char *name;              /* text NOT NULL */
    cerd_opt_bool flag;      /* boolean */
    cerd_opt_timestamp t1;   /* timestamptz */
    cerd_opt_timestamp t2;   /* timestamptz */
    cerd_int32_array ids;    /* integer[] */
    cerd_text_array tags;    /* varchar(3)[] */
    char *status;            /* varchar(10) NOT NULL DEFAULT 'new' */
    cJSON *doc;              /* jsonb */
    cerd_opt_inet ip;        /* inet */
} vt_row;

enum { C_ID, C_N, C_BIG, C_PRICE, C_AMOUNT, C_CODE, C_NAME, C_FLAG, C_T1, C_T2, C_IDS, C_TAGS,
       C_STATUS, C_DOC, C_IP, NCOLS };

#define COL(nm, ty, fl, mc, p, s) \
    {.name = #nm, .type = ty, .flags = fl, .offset = offsetof(vt_row, nm), .max_chars = mc, \
     .precision = p, .scale = s}
static const cerd_column vt_columns[NCOLS] = {
    COL(id, CERD_TYPE_INT64,
        CERD_COL_NOT_NULL | CERD_COL_HAS_DEFAULT | CERD_COL_IDENTITY | CERD_COL_PRIMARY_KEY,
        -1, -1, -1),
    COL(n, CERD_TYPE_INT32, CERD_COL_OPTIONAL, -1, -1, -1),
    COL(big, CERD_TYPE_INT64, CERD_COL_OPTIONAL, -1, -1, -1),
    COL(price, CERD_TYPE_NUMERIC, CERD_COL_OPTIONAL, -1, 4, 2),
    COL(amount, CERD_TYPE_NUMERIC, CERD_COL_OPTIONAL, -1, -1, -1),
    COL(code, CERD_TYPE_TEXT, 0, 5, -1, -1),
    COL(name, CERD_TYPE_TEXT, CERD_COL_NOT_NULL, -1, -1, -1),
    COL(flag, CERD_TYPE_BOOL, CERD_COL_OPTIONAL, -1, -1, -1),
    COL(t1, CERD_TYPE_TIMESTAMPTZ, CERD_COL_OPTIONAL, -1, -1, -1),
    COL(t2, CERD_TYPE_TIMESTAMPTZ, CERD_COL_OPTIONAL, -1, -1, -1),
    COL(ids, CERD_TYPE_INT32_ARRAY, 0, -1, -1, -1),
    COL(tags, CERD_TYPE_TEXT_ARRAY, 0, 3, -1, -1),
    COL(status, CERD_TYPE_TEXT, CERD_COL_NOT_NULL | CERD_COL_HAS_DEFAULT, 10, -1, -1),
    COL(doc, CERD_TYPE_JSONB, 0, -1, -1, -1),
    COL(ip, CERD_TYPE_INET, CERD_COL_OPTIONAL, -1, -1, -1),
};

static cerd_table vt_table(const cerd_check *const *checks, uint16_t n)
{
    cerd_table t = {.abi = CERD_TABLE_ABI,
                    .name = "vt",
                    .row_size = sizeof(vt_row),
                    .ncolumns = NCOLS,
                    .columns = vt_columns,
                    .primary_key = {.name = "vt_pkey", .ncolumns = 1, .columns = {C_ID}},
                    .soft_delete_column = -1,
                    .nchecks = n,
                    .checks = checks};
    return t;
}

static vt_row base_row(void)
{
    vt_row r = {0};
    r.name = "widget";
    r.status = "new";
    return r;
}

/* ---------------------------------------------------------------- building expressions */

static void *arena[8192];
static int narena;

static void *track(void *p)
{
    assert_non_null(p);
    assert_true(narena < (int)(sizeof arena / sizeof arena[0]));
    arena[narena++] = p;
    return p;
}

static int arena_teardown(void **state)
{
    (void)state;
    while (narena > 0)
        free(arena[--narena]);
    return 0;
}

static cerd_expr *node(cerd_expr_op op, cerd_type type)
{
    cerd_expr *e = track(calloc(1, sizeof *e));
    e->op = op;
    e->type = type;
    e->column = -1;
    return e;
}

/* An operator node over n operands. */
static cerd_expr *E(cerd_expr_op op, cerd_type type, int n, ...)
{
    cerd_expr *e = node(op, type);
    const cerd_expr **args = track(calloc((size_t)n + 1, sizeof *args));
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        args[i] = va_arg(ap, const cerd_expr *);
    va_end(ap);
    e->nargs = (uint16_t)n;
    e->args = (const cerd_expr *const *)args;
    return e;
}

#define B2(op, a, b) E(op, CERD_TYPE_BOOL, 2, a, b)

static cerd_expr *C(int column)
{
    cerd_expr *e = node(CERD_EXPR_COLUMN, vt_columns[column].type);
    e->column = (int16_t)column;
    return e;
}

static cerd_expr *I(int64_t v)
{
    cerd_expr *e = node(CERD_EXPR_CONST, CERD_TYPE_INT32);
    char *text = track(malloc(32));
    snprintf(text, 32, "%lld", (long long)v);
    e->text = text;
    e->ival = v;
    return e;
}

static cerd_expr *I8(int64_t v)
{
    cerd_expr *e = I(v);
    e->type = CERD_TYPE_INT64;
    return e;
}

static cerd_expr *N(const char *text)
{
    cerd_expr *e = node(CERD_EXPR_CONST, CERD_TYPE_NUMERIC);
    cerd_numeric *n = track(calloc(1, sizeof *n));
    CERD_ASSERT_OK(cerd_numeric_parse(n, text));
    e->text = text;
    e->num = n;
    return e;
}

static cerd_expr *T(const char *text)
{
    cerd_expr *e = node(CERD_EXPR_CONST, CERD_TYPE_TEXT);
    e->text = text;
    e->len = (uint32_t)strlen(text);
    return e;
}

static cerd_expr *Bv(bool b)
{
    cerd_expr *e = node(CERD_EXPR_CONST, CERD_TYPE_BOOL);
    e->text = b ? "true" : "false";
    e->ival = b;
    return e;
}

static cerd_expr *TSv(int64_t us)
{
    cerd_expr *e = node(CERD_EXPR_CONST, CERD_TYPE_TIMESTAMPTZ);
    e->text = "ts";
    e->ival = us;
    return e;
}

static cerd_expr *NUL(cerd_type type)
{
    return node(CERD_EXPR_CONST, type); /* text NULL: SQL NULL */
}

static cerd_expr *F(cerd_expr_func f, const char *name, int n, const cerd_expr *a,
                    const cerd_expr *b)
{
    cerd_expr *e = n == 1 ? E(CERD_EXPR_FUNC, CERD_TYPE_INT32, 1, a)
                          : E(CERD_EXPR_FUNC, CERD_TYPE_INT32, 2, a, b);
    e->func = f;
    e->text = name;
    return e;
}

/* The columns an expression reads, for a cerd_check. */
static void columns_of(const cerd_expr *e, uint16_t *cols, uint16_t *n)
{
    if (e->op == CERD_EXPR_COLUMN) {
        for (uint16_t i = 0; i < *n; i++)
            if (cols[i] == (uint16_t)e->column)
                return;
        cols[(*n)++] = (uint16_t)e->column;
    }
    for (uint16_t i = 0; i < e->nargs; i++)
        columns_of(e->args[i], cols, n);
}

static cerd_check *make_check(const char *name, const cerd_expr *e)
{
    cerd_check *ck = track(calloc(1, sizeof *ck));
    uint16_t *cols = track(calloc(NCOLS, sizeof *cols));
    ck->name = name;
    ck->sql = name;
    ck->expr = e;
    ck->columns = cols;
    columns_of(e, cols, &ck->ncolumns);
    return ck;
}

/* The value of a boolean expression on row r: 'T', 'F', 'N' (NULL) or 'E' (an error
   PostgreSQL would raise), told apart by two CHECKs: e, and NOT e. */
static char truth_mode(const vt_row *r, const cerd_expr *e, cerd_validate_mode mode)
{
    const cerd_check *checks[2] = {make_check("pos", e),
                                   make_check("neg", E(CERD_EXPR_NOT, CERD_TYPE_BOOL, 1, e))};
    cerd_table t = vt_table(checks, 2);
    cerd_violations v;
    bool pos = false, neg = false, error = false;
    int rc = cerd_row_validate(&v, &t, r, mode);
    assert_true(rc == 0 || rc == CERD_EINVALID);
    for (size_t i = 0; i < v.count; i++) {
        if (v.items[i].kind != CERD_VIOLATION_CHECK)
            continue;
        pos = pos || strcmp(v.items[i].constraint, "pos") == 0;
        neg = neg || strcmp(v.items[i].constraint, "neg") == 0;
        error = error || strstr(v.items[i].message, "fails to evaluate") != NULL;
    }
    cerd_violations_free(&v);
    if (error) {
        assert_true(pos && neg);
        return 'E';
    }
    return pos ? (neg ? '?' : 'F') : (neg ? 'T' : 'N');
}

static char truth(const vt_row *r, const cerd_expr *e)
{
    return truth_mode(r, e, CERD_VALIDATE_STORED);
}

static char tv(const cerd_expr *e)
{
    vt_row r = base_row();
    return truth(&r, e);
}

static cerd_numeric num(const char *text)
{
    cerd_numeric n;
    CERD_ASSERT_OK(cerd_numeric_parse(&n, text));
    return n;
}

static cerd_opt_numeric onum(const char *text)
{
    return CERD_SOME(cerd_opt_numeric, num(text));
}

/* Validates and returns the violations (caller frees). */
static cerd_violations violations(const cerd_table *t, const void *row, cerd_validate_mode mode)
{
    cerd_violations v;
    int rc = cerd_row_validate(&v, t, row, mode);
    assert_int_equal(rc, v.count ? CERD_EINVALID : 0);
    assert_ptr_equal(v.table, t);
    return v;
}

static bool has_violation(const cerd_violations *v, cerd_violation_kind kind,
                          const char *constraint)
{
    for (size_t i = 0; i < v->count; i++)
        if (v->items[i].kind == kind && strcmp(v->items[i].constraint, constraint) == 0)
            return true;
    return false;
}

/* The single violation of a row on the hand-built table without CHECKs. */
static void expect_one(const vt_row *r, cerd_validate_mode mode, cerd_violation_kind kind,
                       int column)
{
    cerd_table t = vt_table(NULL, 0);
    cerd_violations v = violations(&t, r, mode);
    if (v.count != 1)
        for (size_t i = 0; i < v.count; i++)
            print_error("violation %zu: %s\n", i, v.items[i].message);
    assert_int_equal(v.count, 1);
    assert_int_equal(v.items[0].kind, kind);
    assert_int_equal(v.items[0].ncolumns, 1);
    assert_int_equal(v.items[0].columns[0], column);
    cerd_violations_free(&v);
}

static void expect_valid(const vt_row *r, cerd_validate_mode mode)
{
    cerd_table t = vt_table(NULL, 0);
    cerd_violations v = violations(&t, r, mode);
    for (size_t i = 0; i < v.count; i++)
        print_error("unexpected violation: %s\n", v.items[i].message);
    assert_int_equal(v.count, 0);
    cerd_violations_free(&v);
}

/* ---------------------------------------------------------------- three-valued logic */

static void test_validate__and_or_not_follow_three_valued_logic(void **state)
{
    const cerd_expr *v[3];
    const char names[3] = {'T', 'F', 'N'};
    /* SQL's truth tables, in the order T, F, N. */
    static const char and_table[3][3] = {{'T', 'F', 'N'}, {'F', 'F', 'F'}, {'N', 'F', 'N'}};
    static const char or_table[3][3] = {{'T', 'T', 'T'}, {'T', 'F', 'N'}, {'T', 'N', 'N'}};
    static const char not_table[3] = {'F', 'T', 'N'};
    (void)state;
    v[0] = Bv(true);
    v[1] = Bv(false);
    v[2] = NUL(CERD_TYPE_BOOL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tv(v[i]), names[i]);
        assert_int_equal(tv(E(CERD_EXPR_NOT, CERD_TYPE_BOOL, 1, v[i])), not_table[i]);
        for (int j = 0; j < 3; j++) {
            assert_int_equal(tv(B2(CERD_EXPR_AND, v[i], v[j])), and_table[i][j]);
            assert_int_equal(tv(B2(CERD_EXPR_OR, v[i], v[j])), or_table[i][j]);
        }
    }
    /* more than two operands; NULL anywhere without a deciding operand gives NULL */
    assert_int_equal(tv(E(CERD_EXPR_AND, CERD_TYPE_BOOL, 3, v[0], v[2], v[0])), 'N');
    assert_int_equal(tv(E(CERD_EXPR_AND, CERD_TYPE_BOOL, 3, v[0], v[2], v[1])), 'F');
    assert_int_equal(tv(E(CERD_EXPR_OR, CERD_TYPE_BOOL, 3, v[1], v[2], v[0])), 'T');
}

static void test_validate__a_check_passes_when_true_or_null_and_fails_when_false(void **state)
{
    vt_row r = base_row();
    /* CHECK (n > 0) */
    const cerd_check *checks[1] = {make_check("chk_n_positive", B2(CERD_EXPR_GT, C(C_N), I(0)))};
    cerd_table t = vt_table(checks, 1);
    (void)state;
    CERD_ASSERT_OK(cerd_row_validate(NULL, &t, &r, CERD_VALIDATE_STORED)); /* NULL */
  r.n = CERD_SOME(cerd_opt_int32, 1);
    CERD_ASSERT_OK(cerd_row_validate(NULL, &t, &r, CERD_VALIDATE_STORED));
    r.n = CERD_SOME(cerd_opt_int32, 0);
    assert_int_equal(cerd_row_validate(NULL, &t, &r, CERD_VALIDATE_STORED), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "chk_n_positive");
    assert_string_equal(cerd_error_last()->table, "vt");
    assert_string_equal(cerd_error_last()->column, "n");
    assert_non_null(strstr(cerd_error_last()->message, "n = 0"));
}

static void test_validate__and_or_stop_at_the_deciding_operand_like_postgres(void **state)
{
    /* false AND <error> is false; true OR <error> is true; NULL AND <error> raises */
    const cerd_expr *err = B2(CERD_EXPR_GT, E(CERD_EXPR_DIV, CERD_TYPE_INT32, 2, I(1), I(0)), I(0));
    (void)state;
    assert_int_equal(tv(err), 'E');
    assert_int_equal(tv(B2(CERD_EXPR_AND, Bv(false), err)), 'F');
    assert_int_equal(tv(B2(CERD_EXPR_OR, Bv(true), err)), 'T');
    assert_int_equal(tv(B2(CERD_EXPR_AND, NUL(CERD_TYPE_BOOL), err)), 'E');
    assert_int_equal(tv(B2(CERD_EXPR_AND, err, Bv(false))), 'E');
}

/* ---------------------------------------------------------------- each expression kind */

static void test_validate__comparisons_of_numbers_are_exact_by_value(void **state)
{
    vt_row r = base_row();
    (void)state;
    /* numeric against integer constants, by value: no double on the way */
    r.amount = onum("1.50");
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_AMOUNT), N("1.5"))), 'T');
    assert_int_equal(truth(&r, B2(CERD_EXPR_GT, C(C_AMOUNT), I(1))), 'T');
    assert_int_equal(truth(&r, B2(CERD_EXPR_LT, C(C_AMOUNT), I(2))), 'T');
    r.amount = onum("0.1");
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ,
                                  E(CERD_EXPR_ADD, CERD_TYPE_NUMERIC, 2, C(C_AMOUNT), N("0.2")),
                                  N("0.3"))),
                     'T');
    r.amount = onum("9007199254740993"); /* 2^53 + 1: a double would say equal to 2^53 */
    assert_int_equal(truth(&r, B2(CERD_EXPR_GT, C(C_AMOUNT), I8(INT64_C(9007199254740992)))),
                     'T');
    r.amount = onum("0.00000000000000000001");
    assert_int_equal(truth(&r, B2(CERD_EXPR_GT, C(C_AMOUNT), I(0))), 'T');
    r.amount = onum("-0.00000000000000000001");
    assert_int_equal(truth(&r, B2(CERD_EXPR_GE, C(C_AMOUNT), I(0))), 'F');
    /* integer against numeric: 1 BETWEEN 0.1 AND 5.0 */
    r.n = CERD_SOME(cerd_opt_int32, 1);
    assert_int_equal(truth(&r, E(CERD_EXPR_BETWEEN, CERD_TYPE_BOOL, 3, C(C_N), N("0.1"), N("5.0"))),
                     'T');
    r.n = CERD_SOME(cerd_opt_int32, 0);
    assert_int_equal(truth(&r, E(CERD_EXPR_BETWEEN, CERD_TYPE_BOOL, 3, C(C_N), N("0.1"), N("5.0"))),
                     'F');
    /* column to column, integer with bigint and with numeric */
    r.n = CERD_SOME(cerd_opt_int32, 7);
    r.big = CERD_SOME(cerd_opt_int64, 7);
    r.amount = onum("7.000");
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_N), C(C_BIG))), 'T');
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_N), C(C_AMOUNT))), 'T');
    assert_int_equal(truth(&r, B2(CERD_EXPR_NE, C(C_BIG), C(C_AMOUNT))), 'F');
    /* NaN sorts above every number and equals NaN, as in PostgreSQL */
    r.amount = onum("NaN");
    assert_int_equal(truth(&r, B2(CERD_EXPR_GT, C(C_AMOUNT), N("1e30"))), 'T');
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_AMOUNT), N("NaN"))), 'T');
}

static void test_validate__every_comparison_operator_and_null_propagation(void **state)
{
    static const cerd_expr_op ops[6] = {CERD_EXPR_EQ, CERD_EXPR_NE, CERD_EXPR_LT,
                                        CERD_EXPR_LE, CERD_EXPR_GT, CERD_EXPR_GE};
    /* 3 op 5, 5 op 5, 7 op 5 */
    static const char expect[3][6] = {{'F', 'T', 'T', 'T', 'F', 'F'},
                                      {'T', 'F', 'F', 'T', 'F', 'T'},
                                      {'F', 'T', 'F', 'F', 'T', 'T'}};
    (void)state;
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 6; k++) {
            assert_int_equal(tv(B2(ops[k], I(3 + 2 * i), I(5))), expect[i][k]);
            assert_int_equal(tv(B2(ops[k], N(i == 0 ? "3.0" : i == 1 ? "5.00" : "7"), I(5))),
                             expect[i][k]);
            assert_int_equal(tv(B2(ops[k], TSv(3 + 2 * i), TSv(5))), expect[i][k]);
            assert_int_equal(tv(B2(ops[k], I(5), NUL(CERD_TYPE_INT32))), 'N');
            assert_int_equal(tv(B2(ops[k], NUL(CERD_TYPE_NUMERIC), N("1"))), 'N');
        }
    /* booleans: false < true */
    assert_int_equal(tv(B2(CERD_EXPR_LT, Bv(false), Bv(true))), 'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, Bv(true), Bv(true))), 'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, NUL(CERD_TYPE_BOOL), NUL(CERD_TYPE_BOOL))), 'N');
}

static void test_validate__text_equality_is_byte_equality(void **state)
{
    vt_row r = base_row();
    (void)state;
    r.code = "Bull";
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_CODE), T("Bull"))), 'T');
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_CODE), T("bull"))), 'F');
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_CODE), T("Bull "))), 'F');
    assert_int_equal(truth(&r, B2(CERD_EXPR_NE, C(C_CODE), T("Bul"))), 'T');
    /* precomposed é and e + combining accent differ, as under a deterministic collation */
    r.code = "caf\xc3\xa9";
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_CODE), T("cafe\xcc\x81"))), 'F');
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_CODE), T("caf\xc3\xa9"))), 'T');
    r.code = NULL;
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_CODE), T("x"))), 'N');
    r.code = "";
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_CODE), T(""))), 'T');
}

static void test_validate__between_is_two_comparisons_joined_by_and(void **state)
{
    const cerd_expr *five = I(5);
    (void)state;
#define BETW(x, lo, hi) E(CERD_EXPR_BETWEEN, CERD_TYPE_BOOL, 3, x, lo, hi)
    assert_int_equal(tv(BETW(five, I(5), I(5))), 'T'); /* inclusive */
    assert_int_equal(tv(BETW(five, I(1), I(4))), 'F');
    assert_int_equal(tv(BETW(five, I(6), I(9))), 'F');
    assert_int_equal(tv(BETW(five, I(9), I(1))), 'F'); /* not symmetric */
    assert_int_equal(tv(BETW(NUL(CERD_TYPE_INT32), I(1), I(9))), 'N');
    assert_int_equal(tv(BETW(five, NUL(CERD_TYPE_INT32), I(9))), 'N');
    assert_int_equal(tv(BETW(five, NUL(CERD_TYPE_INT32), I(4))), 'F'); /* NULL AND false */
    assert_int_equal(tv(BETW(five, I(6), NUL(CERD_TYPE_INT32))), 'F');
    assert_int_equal(tv(E(CERD_EXPR_NOT, CERD_TYPE_BOOL, 1, BETW(five, I(1), I(4)))), 'T');
    assert_int_equal(tv(BETW(N("0.5"), I(0), I(1))), 'T');
    assert_int_equal(tv(BETW(N("1.0000000001"), I(0), I(1))), 'F');
#undef BETW
}

static void test_validate__in_lists_follow_sql_null_rules(void **state)
{
    vt_row r = base_row();
    (void)state;
#define IN3(x, a, b, c) E(CERD_EXPR_IN, CERD_TYPE_BOOL, 4, x, a, b, c)
    r.code = "1h";
    assert_int_equal(truth(&r, IN3(C(C_CODE), T("1m"), T("1h"), T("1d"))), 'T');
    r.code = "1H";
    assert_int_equal(truth(&r, IN3(C(C_CODE), T("1m"), T("1h"), T("1d"))), 'F');
    /* a NULL element: no match gives NULL (the CHECK passes), a match still true */
    assert_int_equal(truth(&r, IN3(C(C_CODE), T("1m"), NUL(CERD_TYPE_TEXT), T("1d"))), 'N');
    r.code = "1d";
    assert_int_equal(truth(&r, IN3(C(C_CODE), T("1m"), NUL(CERD_TYPE_TEXT), T("1d"))), 'T');
    /* NOT IN with a NULL element is never true */
    r.code = "zz";
    assert_int_equal(truth(&r, E(CERD_EXPR_NOT, CERD_TYPE_BOOL, 1,
                                 IN3(C(C_CODE), T("1m"), NUL(CERD_TYPE_TEXT), T("1d")))),
                     'N');
    r.code = NULL;
    assert_int_equal(truth(&r, IN3(C(C_CODE), T("1m"), T("1h"), T("1d"))), 'N');
    /* numbers by value */
    r.amount = onum("2.000");
    assert_int_equal(truth(&r, IN3(C(C_AMOUNT), N("1"), N("2"), N("2.5"))), 'T');
    r.n = CERD_SOME(cerd_opt_int32, 3);
    assert_int_equal(truth(&r, IN3(C(C_N), I(1), I(2), N("3.0"))), 'T');
    assert_int_equal(truth(&r, IN3(C(C_N), I(1), I(2), N("3.5"))), 'F');
#undef IN3
}

static void test_validate__is_null_and_is_not_null(void **state)
{
    vt_row r = base_row();
    (void)state;
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NULL, CERD_TYPE_BOOL, 1, C(C_N))), 'T');
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NOT_NULL, CERD_TYPE_BOOL, 1, C(C_N))), 'F');
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NULL, CERD_TYPE_BOOL, 1, C(C_DOC))), 'T');
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NULL, CERD_TYPE_BOOL, 1, C(C_IP))), 'T');
    r.n = CERD_SOME(cerd_opt_int32, 0);
    r.doc = cJSON_CreateObject();
    r.ip = CERD_SOME(cerd_opt_inet, ((cerd_inet){.family = 4, .bits = 32}));
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NULL, CERD_TYPE_BOOL, 1, C(C_N))), 'F');
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NOT_NULL, CERD_TYPE_BOOL, 1, C(C_N))), 'T');
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NOT_NULL, CERD_TYPE_BOOL, 1, C(C_DOC))), 'T');
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NOT_NULL, CERD_TYPE_BOOL, 1, C(C_IP))), 'T');
    /* deleted_by IS NULL OR deleted_at IS NOT NULL */
    {
        const cerd_expr *e = B2(CERD_EXPR_OR, E(CERD_EXPR_IS_NULL, CERD_TYPE_BOOL, 1, C(C_BIG)),
                                E(CERD_EXPR_IS_NOT_NULL, CERD_TYPE_BOOL, 1, C(C_T1)));
        assert_int_equal(truth(&r, e), 'T');
        r.big = CERD_SOME(cerd_opt_int64, 9);
        assert_int_equal(truth(&r, e), 'F');
        r.t1 = CERD_SOME(cerd_opt_timestamp, 1);
        assert_int_equal(truth(&r, e), 'T');
    }
    cJSON_Delete(r.doc);
}

static void test_validate__integer_arithmetic_overflows_like_postgres(void **state)
{
    vt_row r = base_row();
    const cerd_expr *sum;
    (void)state;
    /* n + 1 > 0 on integer: 2147483647 + 1 raises "integer out of range" */
    sum = B2(CERD_EXPR_GT, E(CERD_EXPR_ADD, CERD_TYPE_INT32, 2, C(C_N), I(1)), I(0));
    r.n = CERD_SOME(cerd_opt_int32, INT32_MAX - 1);
    assert_int_equal(truth(&r, sum), 'T');
    r.n = CERD_SOME(cerd_opt_int32, INT32_MAX);
    assert_int_equal(truth(&r, sum), 'E');
    {
        const cerd_check *checks[1] = {make_check("chk_sum", sum)};
        cerd_table t = vt_table(checks, 1);
        assert_int_equal(cerd_row_validate(NULL, &t, &r, CERD_VALIDATE_STORED), CERD_EINVALID);
        assert_string_equal(cerd_error_last()->constraint, "chk_sum");
        assert_non_null(strstr(cerd_error_last()->message, "integer out of range"));
    }
    /* the same on bigint does not overflow */
    assert_int_equal(truth(&r, B2(CERD_EXPR_GT,
                                  E(CERD_EXPR_ADD, CERD_TYPE_INT64, 2, C(C_N), I(1)), I(0))),
                     'T');
    r.big = CERD_SOME(cerd_opt_int64, INT64_MAX);
    assert_int_equal(truth(&r, B2(CERD_EXPR_GT,
                                  E(CERD_EXPR_ADD, CERD_TYPE_INT64, 2, C(C_BIG), I(1)), I(0))),
                     'E');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, E(CERD_EXPR_MUL, CERD_TYPE_INT32, 2, I(65536), I(32768)),
                           I(0))),
                     'E');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, E(CERD_EXPR_NEG, CERD_TYPE_INT32, 1, I(INT32_MIN)),
                           I(0))),
                     'E');
    /* division truncates toward zero; by zero raises; INT_MIN % -1 is 0 */
    assert_int_equal(tv(B2(CERD_EXPR_EQ, E(CERD_EXPR_DIV, CERD_TYPE_INT32, 2, I(-7), I(2)), I(-3))),
                     'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, E(CERD_EXPR_MOD, CERD_TYPE_INT32, 2, I(-7), I(2)), I(-1))),
                     'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, E(CERD_EXPR_MOD, CERD_TYPE_INT32, 2, I(1), I(0)), I(0))),
                     'E');
    assert_int_equal(tv(B2(CERD_EXPR_EQ,
                           E(CERD_EXPR_MOD, CERD_TYPE_INT32, 2, I(INT32_MIN), I(-1)), I(0))),
                     'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ,
                           E(CERD_EXPR_DIV, CERD_TYPE_INT32, 2, I(INT32_MIN), I(-1)), I(0))),
                     'E');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, E(CERD_EXPR_SUB, CERD_TYPE_INT32, 2, I(3), I(5)), I(-2))),
                     'T');
    /* NULL propagates through arithmetic */
    r.n.valid = false;
    assert_int_equal(truth(&r, sum), 'N');
}

static void test_validate__numeric_arithmetic_is_exact(void **state)
{
    (void)state;
#define NUMOP(op, a, b) E(op, CERD_TYPE_NUMERIC, 2, a, b)
    assert_int_equal(tv(B2(CERD_EXPR_EQ, NUMOP(CERD_EXPR_ADD, N("0.1"), N("0.2")), N("0.3"))), 'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, NUMOP(CERD_EXPR_SUB, N("0.3"), N("0.1")), N("0.2"))), 'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, NUMOP(CERD_EXPR_SUB, N("1"), N("1.0001")), N("-0.0001"))),
                     'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, NUMOP(CERD_EXPR_MUL, N("1.1"), N("1.1")), N("1.21"))), 'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, NUMOP(CERD_EXPR_MUL, N("-12345678.9"), N("1000")),
                           N("-12345678900"))),
                     'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ,
                           NUMOP(CERD_EXPR_ADD, N("99999999999999999999.99999999"), N("0.00000001")),
                           N("100000000000000000000"))),
                     'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, NUMOP(CERD_EXPR_ADD, I(2), N("0.5")), N("2.5"))), 'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, E(CERD_EXPR_NEG, CERD_TYPE_NUMERIC, 1, N("2.5")), N("-2.5"))),
                     'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, NUMOP(CERD_EXPR_MUL, N("0"), N("-5")), N("0"))), 'T');
    assert_int_equal(tv(B2(CERD_EXPR_EQ, NUMOP(CERD_EXPR_ADD, N("NaN"), N("1")), N("NaN"))), 'T');
    assert_int_equal(tv(B2(CERD_EXPR_GT, NUMOP(CERD_EXPR_ADD, NUL(CERD_TYPE_NUMERIC), N("1")), N("0"))),
                     'N');
#undef NUMOP
}

static void test_validate__functions_on_arrays_and_text(void **state)
{
    vt_row r = base_row();
    int32_t v4[4] = {1, 2, 3, 4};
    char *tags[2] = {"ab", NULL};
    (void)state;
    /* NULL array: cardinality NULL (cardinality(x) <= 3 passes) */
    const cerd_expr *card = B2(CERD_EXPR_LE, F(CERD_FUNC_CARDINALITY, "cardinality", 1, C(C_IDS), NULL),
                               I(3));
    assert_int_equal(truth(&r, card), 'N');
    r.ids = (cerd_int32_array){.values = v4, .count = 3, .valid = true};
    assert_int_equal(truth(&r, card), 'T');
    r.ids.count = 4;
    assert_int_equal(truth(&r, card), 'F');
    r.ids.count = 0;
    assert_int_equal(truth(&r, card), 'T');
    /* array_length of an empty array is NULL; of dimension 2 too */
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NULL, CERD_TYPE_BOOL, 1,
                                 F(CERD_FUNC_ARRAY_LENGTH, "array_length", 2, C(C_IDS), I(1)))),
                     'T');
    r.ids.count = 2;
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ,
                                  F(CERD_FUNC_ARRAY_LENGTH, "array_length", 2, C(C_IDS), I(1)),
                                  I(2))),
                     'T');
    assert_int_equal(truth(&r, E(CERD_EXPR_IS_NULL, CERD_TYPE_BOOL, 1,
                                 F(CERD_FUNC_ARRAY_LENGTH, "array_length", 2, C(C_IDS), I(2)))),
                     'T');
    r.tags = (cerd_text_array){.values = tags, .count = 2, .valid = true};
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ,
                                  F(CERD_FUNC_CARDINALITY, "cardinality", 1, C(C_TAGS), NULL),
                                  I(2))),
                     'T');
    /* characters, not bytes */
    r.code = "\xce\xa9\xce\xbc\xce\xad"; /* Ωμέ: 3 characters, 6 bytes */
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ,
                                  F(CERD_FUNC_CHAR_LENGTH, "char_length", 1, C(C_CODE), NULL),
                                  I(3))),
                     'T');
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ,
                                  F(CERD_FUNC_OCTET_LENGTH, "octet_length", 1, C(C_CODE), NULL),
                                  I(6))),
                     'T');
}

static void test_validate__regex_matches_bytes_in_the_c_locale(void **state)
{
    vt_row r = base_row();
    static cerd_regex_cache cache;
    cerd_expr *re = E(CERD_EXPR_REGEX, CERD_TYPE_BOOL, 2, C(C_CODE), T("^[a-c]+[0-9]{2}$"));
    cerd_expr *ire = E(CERD_EXPR_IREGEX, CERD_TYPE_BOOL, 2, C(C_CODE), T("^[a-c]+[0-9]{2}$"));
    (void)state;
    re->regex = &cache;
    r.code = "abc12";
    assert_int_equal(truth(&r, re), 'T');
    assert_non_null(cache.compiled);
    assert_int_equal(truth(&r, ire), 'T');
    r.code = "ABC12";
    assert_int_equal(truth(&r, re), 'F');
    assert_int_equal(truth(&r, ire), 'T');
    r.code = "abc1";
    assert_int_equal(truth(&r, re), 'F');
    r.code = NULL;
    assert_int_equal(truth(&r, re), 'N');
    /* the value as stored: varchar(5) cuts "ab12   " to "ab12 ": no longer matches */
    r.code = "ab12   ";
    assert_int_equal(truth(&r, re), 'F');
}

/* ---------------------------------------------------------------- single-column rules */

static void test_validate__not_null_on_insert_leaves_defaults_to_the_server(void **state)
{
    vt_row r = base_row();
    (void)state;
    r.status = NULL;
    /* id 0 (identity) and status NULL (has a default) are absent on insert */
    expect_valid(&r, CERD_VALIDATE_INSERT);
    /* stored, status NULL breaks NOT NULL; the identity column is never absent */
    expect_one(&r, CERD_VALIDATE_STORED, CERD_VIOLATION_NOT_NULL, C_STATUS);
    r.status = "new";
    expect_valid(&r, CERD_VALIDATE_STORED);
    /* name (NOT NULL, no default) must be set in both modes */
    r.name = NULL;
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_NOT_NULL, C_NAME);
    expect_one(&r, CERD_VALIDATE_STORED, CERD_VIOLATION_NOT_NULL, C_NAME);
    assert_string_equal(cerd_error_last()->constraint, "not_null");
    assert_string_equal(cerd_error_last()->column, "name");
}

static void test_validate__varchar_length_counts_characters_and_allows_trailing_spaces(void **state)
{
    vt_row r = base_row();
    (void)state;
    r.code = "abcde";
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.code = "abcdef";
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_LENGTH, C_CODE);
    assert_string_equal(cerd_error_last()->constraint, "length");
    assert_non_null(strstr(cerd_error_last()->message, "character varying(5)"));
    r.code = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"; /* 5 characters, 10 bytes */
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.code = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_LENGTH, C_CODE);
    r.code = "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80";
    expect_valid(&r, CERD_VALIDATE_INSERT); /* five 4-byte characters */
    /* excess characters that are all spaces: PostgreSQL cuts them off */
    r.code = "abcde     ";
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.code = "abc       ";
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.code = "abcde    x";
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_LENGTH, C_CODE);
    r.code = "abcde\t";
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_LENGTH, C_CODE);
    /* CHECKs see the value as stored, cut */
    r.code = "abcde   ";
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ, C(C_CODE), T("abcde"))), 'T');
    assert_int_equal(truth(&r, B2(CERD_EXPR_EQ,
                                  F(CERD_FUNC_CHAR_LENGTH, "char_length", 1, C(C_CODE), NULL),
                                  I(5))),
                     'T');
    /* array elements: varchar(3)[] */
    {
        char *ok[3] = {"abc", "d  ", "xy    "}, *bad[2] = {"ab", "abcd"};
        r.code = NULL;
        r.tags = (cerd_text_array){.values = ok, .count = 3, .valid = true};
        expect_valid(&r, CERD_VALIDATE_INSERT);
        r.tags = (cerd_text_array){.values = bad, .count = 2, .valid = true};
        expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_LENGTH, C_TAGS);
        assert_non_null(strstr(cerd_error_last()->message, "tags[2]"));
    }
}

static void test_validate__numeric_is_rounded_as_stored_and_checked_for_precision(void **state)
{
    vt_row r = base_row();
    cerd_numeric stored;
    char text[64];
    (void)state;
    /* numeric(4,2): 99.99 fits; 99.994 rounds to 99.99; 99.995 rounds to 100.00, too long */
    r.price = onum("99.99");
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.price = onum("99.994");
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.price = onum("99.995");
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_NUMERIC_PRECISION, C_PRICE);
    assert_string_equal(cerd_error_last()->constraint, "numeric_precision");
    r.price = onum("-99.995");
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_NUMERIC_PRECISION, C_PRICE);
    r.price = onum("100");
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_NUMERIC_PRECISION, C_PRICE);
    r.price = onum("0.001");
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.price = onum("NaN"); /* NaN fits any numeric(p,s) */
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.price = onum("Infinity"); /* infinities fit none (PostgreSQL 15) */
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_NUMERIC_PRECISION, C_PRICE);
    /* the value as stored, rounded half away from zero: the public helper */
    stored = num("1.005");
    CERD_ASSERT_OK(cerd_numeric_round_to_typmod(&stored, &stored, 4, 2));
    cerd_numeric_format(&stored, text, sizeof text);
    assert_string_equal(text, "1.01");
    /* CHECKs see the rounded value: CHECK (price <= 1.00) */
    {
        const cerd_expr *le = B2(CERD_EXPR_LE, C(C_PRICE), N("1.00"));
        r.price = onum("1.004");
        assert_int_equal(truth(&r, le), 'T');
        r.price = onum("1.005");
        assert_int_equal(truth(&r, le), 'F');
        r.price = onum("-0.004"); /* rounds to 0.00 */
        assert_int_equal(truth(&r, B2(CERD_EXPR_GE, C(C_PRICE), I(0))), 'T');
        r.price = onum("-0.005"); /* rounds to -0.01 */
        assert_int_equal(truth(&r, B2(CERD_EXPR_GE, C(C_PRICE), I(0))), 'F');
    }
    /* a cerd_numeric the server could not receive is a type violation */
    r.price = onum("1");
    r.price.value.digits[0] = 10000;
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_TYPE, C_PRICE);
    /* an unconstrained numeric keeps every digit */
    r.price.valid = false;
    r.amount = onum("123456789012345678901234567890.12345678");
    expect_valid(&r, CERD_VALIDATE_INSERT);
}

static void test_validate__integer_columns_take_their_whole_range(void **state)
{
    vt_row r = base_row();
    (void)state;
    r.n = CERD_SOME(cerd_opt_int32, INT32_MIN);
    r.big = CERD_SOME(cerd_opt_int64, INT64_MIN);
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.n = CERD_SOME(cerd_opt_int32, INT32_MAX);
    r.big = CERD_SOME(cerd_opt_int64, INT64_MAX);
    expect_valid(&r, CERD_VALIDATE_INSERT);
    /* but integer arithmetic in a CHECK overflows at the column type's bounds */
    assert_int_equal(truth(&r, B2(CERD_EXPR_GT,
                                  E(CERD_EXPR_MUL, CERD_TYPE_INT32, 2, C(C_N), I(2)), I(0))),
                     'E');
}

static void test_validate__text_must_be_utf8_and_values_within_postgres_types(void **state)
{
    vt_row r = base_row();
    char *bad_tags[1] = {"\xc3"};
    (void)state;
    r.name = "caf\xe9"; /* LATIN-1 */
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_ENCODING, C_NAME);
    assert_string_equal(cerd_error_last()->constraint, "encoding");
    r.name = "\xed\xa0\x80"; /* a UTF-16 surrogate */
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_ENCODING, C_NAME);
    r.name = "\xc0\xaf"; /* overlong */
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_ENCODING, C_NAME);
    r.name = "ok";
    r.tags = (cerd_text_array){.values = bad_tags, .count = 1, .valid = true};
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_ENCODING, C_TAGS);
    r.tags.valid = false;
    /* JSON strings and keys */
    r.doc = cJSON_CreateObject();
    cJSON_AddStringToObject(r.doc, "k", "\xff");
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_ENCODING, C_DOC);
    cJSON_Delete(r.doc);
    r.doc = cJSON_CreateArray();
    cJSON_AddItemToArray(r.doc, cJSON_CreateNumber(1.0 / 0.0));
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_TYPE, C_DOC);
    cJSON_Delete(r.doc);
    r.doc = NULL;
    /* timestamps beyond PostgreSQL's range; infinity is fine */
    r.t1 = CERD_SOME(cerd_opt_timestamp, CERD_TIMESTAMP_INFINITY);
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.t1 = CERD_SOME(cerd_opt_timestamp, INT64_C(-210866803200000000)); /* 4714-11-24 BC */
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.t1 = CERD_SOME(cerd_opt_timestamp, INT64_C(-210866803200000001));
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_TYPE, C_T1);
    r.t1 = CERD_SOME(cerd_opt_timestamp, INT64_MAX - 1); /* year 294247: in range */
    expect_valid(&r, CERD_VALIDATE_INSERT);
    r.t1.valid = false;
    /* inet */
    r.ip = CERD_SOME(cerd_opt_inet, ((cerd_inet){.family = 5}));
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_TYPE, C_IP);
    r.ip = CERD_SOME(cerd_opt_inet, ((cerd_inet){.family = 4, .bits = 33}));
    expect_one(&r, CERD_VALIDATE_INSERT, CERD_VIOLATION_TYPE, C_IP);
}

static void test_validate__every_violation_of_a_row_is_reported_at_once(void **state)
{
    vt_row r = base_row();
    const cerd_check *checks[2] = {
        make_check("chk_n_positive", B2(CERD_EXPR_GT, C(C_N), I(0))),
        make_check("chk_code", E(CERD_EXPR_IN, CERD_TYPE_BOOL, 3, C(C_CODE), T("a"), T("b")))};
    cerd_table t = vt_table(checks, 2);
    cerd_violations v;
    (void)state;
    r.name = NULL;                     /* not_null */
    r.code = "toolong";                /* length (and chk_code) */
    r.price = onum("1000");            /* numeric_precision */
    r.n = CERD_SOME(cerd_opt_int32, -1); /* chk_n_positive */
    assert_int_equal(cerd_row_validate(&v, &t, &r, CERD_VALIDATE_INSERT), CERD_EINVALID);
    assert_int_equal(v.count, 5);
    /* columns in table order, then CHECKs in descriptor order */
    assert_int_equal(v.items[0].kind, CERD_VIOLATION_NUMERIC_PRECISION);
    assert_int_equal(v.items[1].kind, CERD_VIOLATION_LENGTH);
    assert_int_equal(v.items[2].kind, CERD_VIOLATION_NOT_NULL);
    assert_string_equal(v.items[3].constraint, "chk_n_positive");
    assert_string_equal(v.items[4].constraint, "chk_code");
    assert_int_equal(v.items[4].ncolumns, 1);
    assert_int_equal(v.items[4].columns[0], C_CODE);
    assert_non_null(strstr(v.items[4].message, "code = 'toolong'"));
    /* the error record: every message, the first one's names */
    assert_int_equal(cerd_error_last()->code, CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "numeric_precision");
    assert_string_equal(cerd_error_last()->column, "price");
    for (size_t i = 0; i < v.count; i++)
        assert_non_null(strstr(cerd_error_last()->message, v.items[i].message));
    assert_non_null(strstr(cerd_error_last()->message, "5 violations"));
    cerd_violations_free(&v);
    assert_int_equal(v.count, 0);
    assert_null(v.items);
    cerd_violations_free(NULL);
    /* valid: out is an empty list */
    r = base_row();
    CERD_ASSERT_OK(cerd_row_validate(&v, &t, &r, CERD_VALIDATE_INSERT));
    assert_int_equal(v.count, 0);
    assert_ptr_equal(v.table, &t);
    cerd_violations_free(&v);
    /* misuse */
    assert_int_equal(cerd_row_validate(NULL, NULL, &r, CERD_VALIDATE_INSERT), CERD_EMISUSE);
    assert_int_equal(cerd_row_validate(NULL, &t, NULL, CERD_VALIDATE_INSERT), CERD_EMISUSE);
    assert_int_equal(cerd_row_validate(NULL, &t, &r, (cerd_validate_mode)42), CERD_EMISUSE);
}

static void test_validate__partial_updates_check_only_what_they_set(void **state)
{
    vt_row r = base_row();
    /* CHECK (n <= big) reads two columns */
    const cerd_check *checks[1] = {make_check("chk_n_le_big", B2(CERD_EXPR_LE, C(C_N), C(C_BIG)))};
    cerd_table t = vt_table(checks, 1);
    cerd_colset set = {{0}};
    (void)state;
    r.n = CERD_SOME(cerd_opt_int32, 5);
    r.big = CERD_SOME(cerd_opt_int64, 1);
    r.name = NULL; /* not set by the update: not checked */
    cerd_colset_add(&set, C_N);
    /* big keeps its stored value, unknown here: the CHECK is left to the server */
    CERD_ASSERT_OK(cerd__row_validate(&t, &r, CERD_VALIDATE_STORED, &set, NULL));
    cerd_colset_add(&set, C_BIG);
    assert_int_equal(cerd__row_validate(&t, &r, CERD_VALIDATE_STORED, &set, NULL),
                     CERD_EINVALID);
    cerd_colset_add(&set, C_NAME);
    {
        cerd_violations v;
        assert_int_equal(cerd__row_validate(&t, &r, CERD_VALIDATE_STORED, &set, &v),
                         CERD_EINVALID);
        assert_int_equal(v.count, 2);
        cerd_violations_free(&v);
    }
}

/* ---------------------------------------------------------------- generated descriptors */

static size_t count_numeric_constants(const cerd_expr *e)
{
    size_t n = 0;
    if (e->op == CERD_EXPR_CONST && e->type == CERD_TYPE_NUMERIC && e->text) {
        cerd_numeric parsed;
        char a[64], b[64];
        assert_non_null(e->num);
        CERD_ASSERT_OK(cerd_numeric_parse(&parsed, e->text));
        cerd_numeric_format(&parsed, a, sizeof a);
        cerd_numeric_format(e->num, b, sizeof b);
        if (cerd_numeric_cmp(&parsed, e->num) != 0 || parsed.dscale != e->num->dscale ||
            memcmp(&parsed, e->num, sizeof parsed) != 0)
            fail_msg("numeric constant %s generated as %s", a, b);
        n++;
    }
    if (e->op == CERD_EXPR_CONST && e->type == CERD_TYPE_TEXT && e->text)
        assert_int_equal(e->len, strlen(e->text));
    if ((e->op == CERD_EXPR_REGEX || e->op == CERD_EXPR_IREGEX))
        assert_non_null(e->regex);
    for (uint16_t i = 0; i < e->nargs; i++)
        n += count_numeric_constants(e->args[i]);
    return n;
}

static void test_validate__every_check_of_the_schema_is_compiled_with_typed_constants(void **state)
{
    size_t checks = 0, numerics = 0, defaults = 0;
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        for (uint16_t k = 0; k < t->nchecks; k++) {
            const cerd_check *ck = t->checks[k];
            assert_non_null(ck->expr);
            assert_int_equal(ck->expr->type, CERD_TYPE_BOOL);
            assert_true(ck->ncolumns > 0);
            for (uint16_t c = 1; c < ck->ncolumns; c++)
                assert_true(ck->columns[c - 1] < ck->columns[c]);
            numerics += count_numeric_constants(ck->expr);
            for (uint16_t c = 0; ck->defaults && c < ck->ncolumns; c++)
                if (ck->defaults[c]) {
                    defaults++;
                    numerics += count_numeric_constants(ck->defaults[c]);
                    assert_int_equal(ck->defaults[c]->type, t->columns[ck->columns[c]].type);
                }
            checks++;
        }
    }
    assert_int_equal(checks, 173); /* every CHECK of schema/ */
    assert_true(numerics > 100);
    assert_true(defaults >= 14);
}

/* Replaces {"$ref": ...} (a parent row's id, in tests/crud/rows) with 1. */
static void resolve_refs(cJSON *o)
{
    for (cJSON *v = o ? o->child : NULL, *next; v; v = next) {
        next = v->next;
        if (cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "$ref"))
            cJSON_ReplaceItemInObjectCaseSensitive(o, v->string, cJSON_CreateNumber(1));
    }
}

static cJSON *merged(const cJSON *base, const cJSON *patch)
{
    cJSON *out = cJSON_Duplicate(base, 1), *v;
    cJSON_ArrayForEach(v, patch) {
        cJSON_DeleteItemFromObjectCaseSensitive(out, v->string);
        cJSON_AddItemToObject(out, v->string, cJSON_Duplicate(v, 1));
    }
    resolve_refs(out);
    return out;
}

static void expect_row_valid(const cerd_table *t, const cJSON *obj, cerd_validate_mode mode,
                             const char *what)
{
    void *row = calloc(1, t->row_size);
    cerd_violations v;
    assert_non_null(row);
    if (cerd_row_from_json(row, t, obj))
        fail_msg("%s %s: %s", t->name, what, cerd_error_last()->message);
    if (cerd_row_validate(&v, t, row, mode))
        fail_msg("%s %s refused: %s", t->name, what, cerd_error_last()->message);
    cerd_violations_free(&v);
    cerd_row_clear(t, row);
    free(row);
}

static void test_validate__the_valid_rows_of_every_table_pass(void **state)
{
    (void)state;
    for (size_t i = 0; i < cerd_table_count(); i++) {
        const cerd_table *t = cerd_table_at(i);
        char path[512];
        char *text;
        cJSON *doc = NULL, *row, *up;
        const cJSON *variants, *v;
        snprintf(path, sizeof path, "%s/tests/crud/rows/%s.json", CERD_SOURCE_DIR, t->name);
        text = testdb_read_file(path);
        assert_non_null(text);
        CERD_ASSERT_OK(cerd_json_parse(&doc, text, strlen(text)));
        free(text);
        row = merged(cJSON_GetObjectItemCaseSensitive(doc, "row"), NULL);
        expect_row_valid(t, row, CERD_VALIDATE_INSERT, "row");
        up = merged(row, cJSON_GetObjectItemCaseSensitive(doc, "update"));
        expect_row_valid(t, up, CERD_VALIDATE_INSERT, "updated row");
        variants = cJSON_GetObjectItemCaseSensitive(doc, "variants");
        cJSON_ArrayForEach(v, variants) {
            cJSON *m = merged(row, v);
            expect_row_valid(t, m, CERD_VALIDATE_INSERT, "variant");
            cJSON_Delete(m);
        }
        cJSON_Delete(up);
        cJSON_Delete(row);
        cJSON_Delete(doc);
    }
}

static void test_validate__generated_checks_on_price_data(void **state)
{
    cerd_price_data p = {0};
    cerd_violations v;
    (void)state;
    p.asset_id = 1;
    p.timeframe = "1h";
    p.open_price = num("100.5");
    p.high_price = num("101");
    p.low_price = num("99.25");
    p.close_price = num("100.75");
    p.candle_time = 1700000000000000;
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_price_data_table, &p, CERD_VALIDATE_INSERT));
    /* low above open: chk_ohlc_logic; a timeframe not in the list */
    p.low_price = num("100.6");
    p.timeframe = "2h";
    v = violations(&cerd_price_data_table, &p, CERD_VALIDATE_INSERT);
    assert_int_equal(v.count, 2);
    assert_true(has_violation(&v, CERD_VIOLATION_CHECK, "chk_price_data_timeframe"));
    assert_true(has_violation(&v, CERD_VIOLATION_CHECK, "chk_ohlc_logic"));
    cerd_violations_free(&v);
    /* open_price numeric(20,8): a 9th decimal rounds, 13 integer digits do not fit */
    p.timeframe = "1M";
    p.low_price = num("99.25");
    p.open_price = num("100.000000004");
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_price_data_table, &p, CERD_VALIDATE_INSERT));
    p.open_price = num("1000000000000");
    v = violations(&cerd_price_data_table, &p, CERD_VALIDATE_INSERT);
    assert_true(has_violation(&v, CERD_VIOLATION_NUMERIC_PRECISION, "numeric_precision"));
    cerd_violations_free(&v);
    /* volume has a default (0): absent on insert, the CHECK sees the default */
    p.open_price = num("100.5");
    assert_false(p.volume.valid);
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_price_data_table, &p, CERD_VALIDATE_INSERT));
    p.volume = CERD_SOME(cerd_opt_numeric, num("-0.004")); /* numeric(30,2): rounds to 0.00 */
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_price_data_table, &p, CERD_VALIDATE_INSERT));
    p.volume = CERD_SOME(cerd_opt_numeric, num("-0.005")); /* rounds to -0.01 */
    assert_int_equal(cerd_row_validate(NULL, &cerd_price_data_table, &p, CERD_VALIDATE_INSERT),
                     CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "chk_volume_non_negative");
}

static void test_validate__defaults_of_absent_columns_feed_checks_on_insert(void **state)
{
    cerd_model_jobs j = {0};
    cerd_violations v;
    (void)state;
    j.model_id = 1;
    j.job_status = "pending";
    j.job_type = "lstm_training";
    j.job_category = "training";
    j.job_config = cJSON_CreateObject();
    j.retry_count = CERD_SOME(cerd_opt_int32, 3);
    /* max_retries written as DEFAULT: its DEFAULT 3 applies; retry_count <= max_retries
       holds */
    cerd_colset_add(&j.defaults, CERD_MODEL_JOBS_MAX_RETRIES);
    CERD_ASSERT_OK(cerd_row_validate(&v, &cerd_model_jobs_table, &j, CERD_VALIDATE_INSERT));
    cerd_violations_free(&v);
    j.retry_count = CERD_SOME(cerd_opt_int32, 4);
    v = violations(&cerd_model_jobs_table, &j, CERD_VALIDATE_INSERT);
    assert_int_equal(v.count, 1);
    assert_string_equal(v.items[0].constraint, "chk_retry_count");
    assert_non_null(strstr(v.items[0].message, "max_retries = 3 (default)"));
    cerd_violations_free(&v);
    j.defaults = (cerd_colset){{0}};
    j.max_retries = CERD_SOME(cerd_opt_int32, 10);
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_model_jobs_table, &j, CERD_VALIDATE_INSERT));
    /* left NULL, a nullable max_retries is written as NULL, also on insert (the write
       rule): the CHECK is NULL, so it passes */
    j.max_retries.valid = false;
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_model_jobs_table, &j, CERD_VALIDATE_INSERT));
    /* as stored, a NULL max_retries is NULL: NOT NULL breaks */
    j.max_retries.valid = false;
    v = violations(&cerd_model_jobs_table, &j, CERD_VALIDATE_STORED);
    assert_true(has_violation(&v, CERD_VIOLATION_NOT_NULL, "not_null"));
    cerd_violations_free(&v);
    cJSON_Delete(j.job_config);
}

static void test_validate__cardinality_and_owner_checks_of_the_schema(void **state)
{
    cerd_sectors s = {0};
    cerd_watchlists w = {0};
    int32_t ids[4] = {1, 2, 3, 4};
    (void)state;
    s.coingecko_id = "defi";
    s.name = "DeFi";
    s.description = "Decentralised finance";
    s.top_3_coins_id = (cerd_int32_array){.values = ids, .count = 3, .valid = true};
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_sectors_table, &s, CERD_VALIDATE_INSERT));
    s.top_3_coins_id.count = 4;
    assert_int_equal(cerd_row_validate(NULL, &cerd_sectors_table, &s, CERD_VALIDATE_INSERT),
                     CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "chk_sectors_top_3_coins_id_cardinality");
    s.top_3_coins_id.valid = false; /* NULL: cardinality NULL, the CHECK passes */
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_sectors_table, &s, CERD_VALIDATE_INSERT));

    w.name = "Main";
    w.watchlist_type = "default";
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_watchlists_table, &w, CERD_VALIDATE_INSERT));
    w.user_id = 7; /* a default watchlist belongs to the system user (0) */
    assert_int_equal(cerd_row_validate(NULL, &cerd_watchlists_table, &w, CERD_VALIDATE_INSERT),
                     CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "chk_watchlists_owner");
    w.watchlist_type = "personal";
    CERD_ASSERT_OK(cerd_row_validate(NULL, &cerd_watchlists_table, &w, CERD_VALIDATE_INSERT));
}

/* ---------------------------------------------------------------- the email regex */

static int email_ok(const char *email)
{
    cerd_users u = {0};
    u.email = (char *)email;
    u.password_hash = "x";
    return cerd_row_validate(NULL, &cerd_users_table, &u, CERD_VALIDATE_INSERT);
}

static const struct {
    const char *email;
    bool ok;
} EMAILS[] = {
    {"alice@example.com", true},
    {"Alice.Smith+tag@Example.CO.uk", true},
    {"a_b%c-d@sub-domain.example.io", true},
    {"UPPER@EXAMPLE.COM", true}, /* ~* ignores case */
    {"x@y.zz", true},
    {"x@y.z", false},            /* a TLD of one letter */
    {"x@y.c0m", false},
    {"no-at-sign.example.com", false},
    {"two@@example.com", false},
    {"@example.com", false},
    {"space @example.com", false},
    {"caf\xc3\xa9@example.com", false}, /* non-ASCII is in no class */
    {"alice@example.com\n", false},     /* $ is the end of the text only */
    {"alice@example.com ", false},
    {"", false},
};

static void test_validate__email_regex_as_postgres_reads_it(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof EMAILS / sizeof EMAILS[0]; i++) {
        int rc = email_ok(EMAILS[i].email);
        if (rc != (EMAILS[i].ok ? 0 : CERD_EINVALID))
            fail_msg("\"%s\": %d (%s)", EMAILS[i].email, rc, cerd_error_last()->message);
        if (!EMAILS[i].ok)
            assert_string_equal(cerd_error_last()->constraint, "chk_email_format");
    }
}

static void *email_thread(void *arg)
{
    long failures = 0;
    (void)arg;
    for (int round = 0; round < 2000; round++) {
        size_t i = (size_t)round % (sizeof EMAILS / sizeof EMAILS[0]);
        if (email_ok(EMAILS[i].email) != (EMAILS[i].ok ? 0 : CERD_EINVALID))
            failures++;
    }
    return (void *)failures;
}

static void test_validate__regexes_are_shared_safely_between_threads(void **state)
{
    pthread_t th[8];
    (void)state;
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, email_thread, NULL), 0);
    for (int i = 0; i < 8; i++) {
        void *failures;
        pthread_join(th[i], &failures);
        assert_int_equal((long)failures, 0);
    }
}

/* ---------------------------------------------------------------- the row operations */

static void test_validate__row_operations_refuse_invalid_rows_before_the_connection(void **state)
{
    /* A connection object with no server behind it: validation must answer first. */
    struct cerd_conn fake;
    cerd_assets a = {0};
    (void)state;
    memset(&fake, 0, sizeof fake);
    a.symbol = "BTC";
    a.name = "Bitcoin";
    a.asset_type = "meme";
    assert_int_equal(cerd_assets_insert(NULL, &fake, &a), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "chk_assets_asset_type");
    assert_int_equal(cerd_assets_upsert(NULL, &fake, &a), CERD_EINVALID);
    a.id = 1;
    assert_int_equal(cerd_assets_update(NULL, &fake, &a), CERD_EINVALID);
    {
        cerd_colset cols = {{0}};
        cerd_colset_add(&cols, CERD_ASSETS_ASSET_TYPE);
        assert_int_equal(cerd_assets_update_columns(NULL, &fake, &a, &cols), CERD_EINVALID);
    }
    a.asset_type = "crypto";
    a.name = NULL;
    assert_int_equal(cerd_assets_insert(NULL, &fake, &a), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->constraint, "not_null");
    assert_string_equal(cerd_error_last()->column, "name");
    /* the switch is per connection, on by default */
    assert_false(fake.validation_off);
    cerd_conn_set_validation(&fake, false);
    assert_true(fake.validation_off);
    cerd_conn_set_validation(&fake, true);
    assert_false(fake.validation_off);
    cerd_conn_set_validation(NULL, false); /* harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_teardown(f, arena_teardown)
        T_(test_validate__and_or_not_follow_three_valued_logic),
        T_(test_validate__a_check_passes_when_true_or_null_and_fails_when_false),
        T_(test_validate__and_or_stop_at_the_deciding_operand_like_postgres),
        T_(test_validate__comparisons_of_numbers_are_exact_by_value),
        T_(test_validate__every_comparison_operator_and_null_propagation),
        T_(test_validate__text_equality_is_byte_equality),
        T_(test_validate__between_is_two_comparisons_joined_by_and),
        T_(test_validate__in_lists_follow_sql_null_rules),
        T_(test_validate__is_null_and_is_not_null),
        T_(test_validate__integer_arithmetic_overflows_like_postgres),
        T_(test_validate__numeric_arithmetic_is_exact),
        T_(test_validate__functions_on_arrays_and_text),
        T_(test_validate__regex_matches_bytes_in_the_c_locale),
        T_(test_validate__not_null_on_insert_leaves_defaults_to_the_server),
        T_(test_validate__varchar_length_counts_characters_and_allows_trailing_spaces),
        T_(test_validate__numeric_is_rounded_as_stored_and_checked_for_precision),
        T_(test_validate__integer_columns_take_their_whole_range),
        T_(test_validate__text_must_be_utf8_and_values_within_postgres_types),
        T_(test_validate__every_violation_of_a_row_is_reported_at_once),
        T_(test_validate__partial_updates_check_only_what_they_set),
        T_(test_validate__every_check_of_the_schema_is_compiled_with_typed_constants),
        T_(test_validate__the_valid_rows_of_every_table_pass),
        T_(test_validate__generated_checks_on_price_data),
        T_(test_validate__defaults_of_absent_columns_feed_checks_on_insert),
        T_(test_validate__cardinality_and_owner_checks_of_the_schema),
        T_(test_validate__email_regex_as_postgres_reads_it),
        T_(test_validate__regexes_are_shared_safely_between_threads),
        T_(test_validate__row_operations_refuse_invalid_rows_before_the_connection),
#undef T_
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
