/* cerd_numeric without a server: PostgreSQL 15's text syntax and dscale rules, its
   output text, ordering, typmod rounding, the 38-digit limit and the binary format. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cryptoerd/cryptoerd.h>
#include "wire/codec.h"
#include "check.h"

/* ------------------------------------------------------------------------------ */
/* helpers */

static char fmtbuf[200000];

static const char *fmt(const cerd_numeric *n)
{
    int len = cerd_numeric_format(n, fmtbuf, sizeof fmtbuf);
    assert_true(len >= 0 && (size_t)len < sizeof fmtbuf);
    assert_int_equal(strlen(fmtbuf), (size_t)len);
    return fmtbuf;
}

static cerd_numeric num(const char *text)
{
    cerd_numeric n;
    int rc = cerd_numeric_parse(&n, text);
    if (rc != 0)
        fail_msg("parse(\"%s\") = %d: %s", text, rc, cerd_error_last()->message);
    return n;
}

/* parse(in) succeeds, formats as out and has dscale `dscale`. */
static void check_parse(const char *in, const char *out, int dscale)
{
    cerd_numeric n = num(in);
    if (strcmp(fmt(&n), out) != 0)
        fail_msg("parse(\"%s\") formats as \"%s\", expected \"%s\"", in, fmtbuf, out);
    assert_int_equal(n.dscale, dscale);
}

/* The struct is normalised: groups < 10000, no leading/trailing zero groups, zero is
   ngroups 0, weight 0, sign POS. */
static void check_normalised(const cerd_numeric *n)
{
    int i;
    assert_true(n->ngroups >= 0 && n->ngroups <= CERD_NUMERIC_MAX_GROUPS);
    for (i = 0; i < n->ngroups; i++)
        assert_true(n->digits[i] < 10000);
    if (n->ngroups > 0) {
        assert_int_not_equal(n->digits[0], 0);
        assert_int_not_equal(n->digits[n->ngroups - 1], 0);
    } else if (n->sign == CERD_NUMERIC_POS || n->sign == CERD_NUMERIC_NEG) {
        assert_int_equal(n->weight, 0);
        assert_int_equal(n->sign, CERD_NUMERIC_POS);
    }
    for (i = n->ngroups; i < CERD_NUMERIC_MAX_GROUPS; i++)
        assert_int_equal(n->digits[i], 0);
}

static void check_parse_fails(const char *in, int code)
{
    cerd_numeric n;
    int rc = cerd_numeric_parse(&n, in);
    if (rc != code)
        fail_msg("parse(\"%s\") = %d, expected %d", in, rc, code);
    assert_int_equal(cerd_error_last()->code, code);
}

/* round_to_typmod(in, p, s) gives out (or the error code when out is NULL). */
static void check_typmod(const char *in, int p, int s, const char *out)
{
    cerd_numeric n = num(in), r;
    int rc = cerd_numeric_round_to_typmod(&r, &n, p, s);
    if (out) {
        if (rc != 0)
            fail_msg("%s::numeric(%d,%d) failed: %s", in, p, s, cerd_error_last()->message);
        if (strcmp(fmt(&r), out) != 0)
            fail_msg("%s::numeric(%d,%d) = %s, expected %s", in, p, s, fmtbuf, out);
        check_normalised(&r);
    } else {
        if (rc != CERD_ERANGE)
            fail_msg("%s::numeric(%d,%d) = %d (%s), expected CERD_ERANGE", in, p, s, rc,
                     rc ? "" : fmt(&r));
    }
}

/* ------------------------------------------------------------------------------ */
/* parse and format */

static void test_numeric__parse_format_round_trips(void **state)
{
    static const char *const values[] = {
        "0", "1", "-1", "0.5", "-0.5", "1.50", "12345678", "0.00000001", "-12.3400",
        "99999999999999999999.99999999", "100000000", "10000", "9999", "0.0001", "0.00010",
        "123456789012345678901234567890.12345678", "-0.000000000000000000000000000001",
        "1000000000000000000000000000000000000000000000000000", "NaN", "Infinity",
        "-Infinity", "0.000", "7", "-7.0000000000",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        cerd_numeric n = num(values[i]);
        check_normalised(&n);
        if (strcmp(fmt(&n), values[i]) != 0)
            fail_msg("\"%s\" round-trips as \"%s\"", values[i], fmtbuf);
    }
}

static void test_numeric__parse_sets_dscale_like_postgresql(void **state)
{
    (void)state;
    check_parse("1.50", "1.50", 2);
    check_parse("1.", "1", 0);
    check_parse(".5", "0.5", 1);
    check_parse("+.5", "0.5", 1);
    check_parse("-.050", "-0.050", 3);
    check_parse("007.10", "7.10", 2);
    check_parse("0000", "0", 0);
    check_parse("0.0000000000", "0.0000000000", 10);
    check_parse("-0.00", "0.00", 2);
    check_parse("-0", "0", 0);
    check_parse("+12", "12", 0);
}

static void test_numeric__parse_applies_the_exponent_to_value_and_dscale(void **state)
{
    (void)state;
    check_parse("1e3", "1000", 0);
    check_parse("1E3", "1000", 0);
    check_parse("1e+3", "1000", 0);
    check_parse("1.5e-3", "0.0015", 4);
    check_parse("1.50e1", "15.0", 1);
    check_parse("1.5e1", "15", 0);
    check_parse("12.345e2", "1234.5", 1);
    check_parse("1e-5", "0.00001", 5);
    check_parse("-2.5E-1", "-0.25", 2);
    check_parse(".5e1", "5", 0);
    check_parse("5.e0", "5", 0);
    check_parse("0e10", "0", 0);
    check_parse("0.000e2", "0.0", 1);
    check_parse("0e-3", "0.000", 3);
    check_parse("1e0", "1", 0);
    check_parse("1e-0", "1", 0);
    check_parse("123e-10", "0.0000000123", 10);
    check_parse("1e 5", "100000", 0); /* strtol skips spaces, so numeric_in does too */
    check_parse("1e\t-5", "0.00001", 5);
    check_parse("1e0005", "100000", 0);
}

static void test_numeric__parse_accepts_nan_and_infinities_in_any_case(void **state)
{
    static const struct {
        const char *in;
        uint16_t sign;
        const char *out;
    } cases[] = {
        {"NaN", CERD_NUMERIC_NAN, "NaN"},       {"nan", CERD_NUMERIC_NAN, "NaN"},
        {"nAn", CERD_NUMERIC_NAN, "NaN"},       {"Infinity", CERD_NUMERIC_PINF, "Infinity"},
        {"infinity", CERD_NUMERIC_PINF, "Infinity"},
        {"+INFINITY", CERD_NUMERIC_PINF, "Infinity"},
        {"-Infinity", CERD_NUMERIC_NINF, "-Infinity"},
        {"inf", CERD_NUMERIC_PINF, "Infinity"}, {"+inf", CERD_NUMERIC_PINF, "Infinity"},
        {"-INF", CERD_NUMERIC_NINF, "-Infinity"},
        {"  -inf\t", CERD_NUMERIC_NINF, "-Infinity"},
        {" NaN ", CERD_NUMERIC_NAN, "NaN"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cerd_numeric n = num(cases[i].in);
        assert_int_equal(n.sign, cases[i].sign);
        assert_int_equal(n.ngroups, 0);
        assert_int_equal(n.dscale, 0);
        assert_string_equal(fmt(&n), cases[i].out);
    }
}

static void test_numeric__parse_allows_surrounding_whitespace(void **state)
{
    (void)state;
    check_parse("  12.5  ", "12.5", 1);
    check_parse("\t\n\v\f\r-3\r\n", "-3", 0);
    check_parse(" 1e3 ", "1000", 0);
    check_parse_fails(" 1 2 ", CERD_EINVALID);
    check_parse_fails("- 1", CERD_EINVALID);
    check_parse_fails("1 .5", CERD_EINVALID);
}

static void test_numeric__parse_refuses_what_is_not_a_number(void **state)
{
    static const char *const bad[] = {
        "", " ", "abc", "-", "+", ".", "-.", "..5", "1..2", "1.2.3", "1e", "1e+", "1e-",
        "1e+ 5", "e5", "1x", "1,5", "0x10", "1_000", "--1", "+-1", "1e5.5", "1e5e5",
        "NaNx", "+NaN", "-NaN", "infinit", "Infinityy", "in", "1 e5", "١", "1\x01",
        "12 34", "1.5.", "$1",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cerd_numeric n;
        int rc;
        cerd_error_clear();
        rc = cerd_numeric_parse(&n, bad[i]);
        if (rc != CERD_EINVALID)
            fail_msg("parse(\"%s\") = %d, expected CERD_EINVALID", bad[i], rc);
        assert_int_equal(cerd_error_last()->code, CERD_EINVALID);
    }
    /* the message quotes the offending text */
    check_parse_fails("12abc", CERD_EINVALID);
    assert_non_null(strstr(cerd_error_last()->message, "\"12abc\""));
}

static void test_numeric__parse_refuses_null_arguments(void **state)
{
    cerd_numeric n;
    (void)state;
    assert_int_equal(cerd_numeric_parse(&n, NULL), CERD_EMISUSE);
    assert_int_equal(cerd_numeric_parse(NULL, "1"), CERD_EMISUSE);
}

static void test_numeric__parse_never_crashes_on_random_text(void **state)
{
    static const char alphabet[] = "0123456789000..eE+-  \tnaifNItyx";
    uint64_t seed = 0x243F6A8885A308D3u;
    char text[48];
    int i, ok = 0;
    (void)state;
    for (i = 0; i < 200000; i++) {
        int len, j, rc;
        cerd_numeric n, again;
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        len = (int)((seed >> 33) % 24);
        for (j = 0; j < len; j++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            text[j] = alphabet[(seed >> 33) % (sizeof alphabet - 1)];
        }
        text[len] = '\0';
        rc = cerd_numeric_parse(&n, text);
        if (rc == 0) {
            ok++;
            check_normalised(&n);
            /* what was accepted formats to text that parses back to the same value */
            CERD_ASSERT_OK(cerd_numeric_parse(&again, fmt(&n)));
            assert_int_equal(cerd_numeric_cmp(&n, &again), 0);
            assert_int_equal(n.dscale, again.dscale);
            assert_memory_equal(&n, &again, sizeof n);
        } else if (rc != CERD_EINVALID && rc != CERD_ERANGE) {
            fail_msg("parse(\"%s\") = %d", text, rc);
        }
    }
    assert_true(ok > 1000);
}

static void test_numeric__format_behaves_like_snprintf(void **state)
{
    cerd_numeric n = num("-123.4500");
    char small[5];
    (void)state;
    assert_int_equal(cerd_numeric_format(&n, NULL, 0), 9);
    assert_int_equal(cerd_numeric_format(&n, small, sizeof small), 9);
    assert_string_equal(small, "-123");
    assert_int_equal(cerd_numeric_format(&n, small, 1), 9);
    assert_string_equal(small, "");
    n = num("Infinity");
    assert_int_equal(cerd_numeric_format(&n, small, sizeof small), 8);
    assert_string_equal(small, "Infi");
}

static void test_numeric__zero_initialised_struct_is_zero(void **state)
{
    cerd_numeric z;
    (void)state;
    memset(&z, 0, sizeof z);
    assert_string_equal(fmt(&z), "0");
    z.dscale = 3;
    assert_string_equal(fmt(&z), "0.000");
}

/* ------------------------------------------------------------------------------ */
/* the 38-digit limit and PostgreSQL's own limits */

static void test_numeric__holds_38_digits_at_every_alignment(void **state)
{
    char text[64];
    int point, lead;
    (void)state;
    for (lead = 0; lead < 8; lead++) {         /* leading fractional zeros: 0.000ddd */
        for (point = 0; point <= 38; point++) { /* digits before the point */
            int i, k = 0;
            cerd_numeric n;
            if (lead && point)
                continue;
            if (point == 0) {
                text[k++] = '0';
                text[k++] = '.';
                for (i = 0; i < lead; i++)
                    text[k++] = '0';
            }
            for (i = 0; i < 38; i++) {
                if (point && i == point)
                    text[k++] = '.';
                text[k++] = (char)('1' + (i * 7 + lead) % 9);
            }
            text[k] = '\0';
            n = num(text);
            check_normalised(&n);
            assert_string_equal(fmt(&n), text);
            assert_true(n.ngroups <= 11);

            /* one more digit at the end is one too many */
            strcat(text, point == 38 ? ".7" : "7");
            check_parse_fails(text, CERD_ERANGE);
        }
    }
}

static void test_numeric__counts_significant_digits_not_zeros(void **state)
{
    char text[256];
    (void)state;
    /* 1 digit before the point and 37 after */
    check_parse("1.2345678901234567890123456789012345678",
                "1.2345678901234567890123456789012345678", 37);
    check_parse_fails("1.23456789012345678901234567890123456789", CERD_ERANGE);
    /* leading and trailing zeros are not significant */
    check_parse("0.0000000000000000000012345678901234567890123456789012345678",
                "0.0000000000000000000012345678901234567890123456789012345678", 58);
    check_parse("12345678901234567890123456789012345678000000000000",
                "12345678901234567890123456789012345678000000000000", 0);
    check_parse("1.0000000000000000000000000000000000000000000000000000",
                "1.0000000000000000000000000000000000000000000000000000", 52);
    check_parse("1e100", "1" "0000000000000000000000000000000000000000000000000000000000000000"
                         "000000000000000000000000000000000000", 0);
    /* zeros between significant digits are */
    snprintf(text, sizeof text, "1%036d1", 0);
    check_parse(text, text, 0);
    snprintf(text, sizeof text, "1%037d1", 0);
    check_parse_fails(text, CERD_ERANGE);
    snprintf(text, sizeof text, "-0.1%037d1e40", 0);
    check_parse_fails(text, CERD_ERANGE);
    /* the message quotes the text */
    snprintf(text, sizeof text, "9%038d", 1);
    check_parse_fails(text, CERD_ERANGE);
    assert_non_null(strstr(cerd_error_last()->message, text));
}

static void test_numeric__refuses_what_postgresql_cannot_store(void **state)
{
    cerd_numeric n;
    (void)state;
    /* dscale is at most 16383, the weight an int16 (131072 digits before the point) */
    n = num("1e-16383");
    assert_int_equal(n.dscale, 16383);
    check_parse_fails("1e-16384", CERD_ERANGE);
    check_parse_fails("0e-16384", CERD_ERANGE);
    n = num("1e131071");
    assert_int_equal(cerd_numeric_format(&n, NULL, 0), 131072);
    check_parse_fails("1e131072", CERD_ERANGE);
    check_parse("0e131072", "0", 0);
    check_parse("0e1073741822", "0", 0);
    check_parse_fails("1e1073741822", CERD_ERANGE);
    check_parse_fails("0e1073741823", CERD_ERANGE); /* numeric_in's exponent limit */
    check_parse_fails("1e-1073741823", CERD_ERANGE);
    check_parse_fails("1e99999999999999999999999", CERD_ERANGE);
}

/* ------------------------------------------------------------------------------ */
/* ordering */

static int sign_of(int x)
{
    return (x > 0) - (x < 0);
}

static void test_numeric__cmp_orders_like_postgresql(void **state)
{
    /* ascending; equal values share a rank */
    static const struct {
        const char *text;
        int rank;
    } v[] = {
        {"-Infinity", 0}, {"-1e30", 1},  {"-99999999.99", 2}, {"-1.5", 3},     {"-1.50", 3},
        {"-1", 4},        {"-0.0001", 5}, {"-1e-30", 6},       {"0", 7},        {"0.000", 7},
        {"-0", 7},        {"1e-30", 8},   {"0.00010", 9},      {"0.0001", 9},   {"0.5", 10},
        {"1", 11},        {"1.0", 11},    {"1.0001", 12},      {"9999", 13},    {"10000", 14},
        {"10000.00", 14}, {"1e30", 15},   {"Infinity", 16},    {"NaN", 17},     {"nan", 17},
    };
    size_t i, j, n = sizeof v / sizeof v[0];
    (void)state;
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            cerd_numeric a = num(v[i].text), b = num(v[j].text);
            int got = sign_of(cerd_numeric_cmp(&a, &b));
            int want = sign_of(v[i].rank - v[j].rank);
            if (got != want)
                fail_msg("cmp(%s, %s) = %d, expected %d", v[i].text, v[j].text, got, want);
        }
    }
}

/* ------------------------------------------------------------------------------ */
/* from_int64 */

static void test_numeric__from_int64_covers_the_whole_range(void **state)
{
    static const int64_t values[] = {0, 1, -1, 9999, 10000, -10000, 100000000, 123456789,
                                      INT64_MAX, INT64_MIN, INT64_MIN + 1, 1000000000000000000};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        char want[32];
        cerd_numeric n;
        snprintf(want, sizeof want, "%lld", (long long)values[i]);
        cerd_numeric_from_int64(&n, values[i]);
        check_normalised(&n);
        assert_int_equal(n.dscale, 0);
        assert_string_equal(fmt(&n), want);
        {
            cerd_numeric p = num(want);
            assert_memory_equal(&n, &p, sizeof n);
        }
    }
}

/* ------------------------------------------------------------------------------ */
/* numeric(p,s) */

static void test_numeric__round_to_typmod_fits_30_8(void **state)
{
    (void)state;
    check_typmod("1234567890123456789012.12345678", 30, 8, "1234567890123456789012.12345678");
    check_typmod("9999999999999999999999.99999999", 30, 8, "9999999999999999999999.99999999");
    check_typmod("9999999999999999999999.999999995", 30, 8, NULL);
    check_typmod("9999999999999999999999.999999994", 30, 8, "9999999999999999999999.99999999");
    check_typmod("12345678901234567890123", 30, 8, NULL);
    check_typmod("1.5", 30, 8, "1.50000000");
    check_typmod("-0.000000005", 30, 8, "-0.00000001");
    check_typmod("0.000000004999", 30, 8, "0.00000000");
}

static void test_numeric__round_to_typmod_4_2_overflows_when_rounding_carries(void **state)
{
    cerd_numeric n = num("99.995"), r;
    (void)state;
    check_typmod("99.99", 4, 2, "99.99");
    check_typmod("99.994", 4, 2, "99.99");
    check_typmod("-99.994", 4, 2, "-99.99");
    check_typmod("99.995", 4, 2, NULL);
    check_typmod("-99.995", 4, 2, NULL);
    check_typmod("100", 4, 2, NULL);
    check_typmod("9.999", 4, 2, "10.00");
    check_typmod("0.005", 4, 2, "0.01");
    assert_int_equal(cerd_numeric_round_to_typmod(&r, &n, 4, 2), CERD_ERANGE);
    assert_non_null(strstr(cerd_error_last()->message,
                           "numeric field overflow: 99.995 does not fit numeric(4,2): a field "
                           "with precision 4, scale 2 must round to an absolute value less "
                           "than 10^2"));
}

static void test_numeric__round_to_typmod_rounds_half_away_from_zero(void **state)
{
    (void)state;
    check_typmod("-0.005", 10, 2, "-0.01");
    check_typmod("0.004", 10, 2, "0.00");
    check_typmod("-0.004", 10, 2, "0.00");
    check_typmod("0.5", 10, 0, "1");
    check_typmod("-0.5", 10, 0, "-1");
    check_typmod("0.49999", 10, 0, "0");
    check_typmod("2.5", 10, 0, "3");
    check_typmod("0.00005", 10, 4, "0.0001");
    check_typmod("0.00004", 10, 4, "0.0000");
    check_typmod("0.00000005", 10, 0, "0");
    check_typmod("9999.99995", 10, 4, "10000.0000");
    check_typmod("99999999.5", 10, 0, "100000000");
    check_typmod("0.99995", 5, 4, "1.0000");
    check_typmod("0.99994", 5, 4, "0.9999");
    check_typmod("9.99995", 5, 4, NULL);
    check_typmod("1234.56789", 10, 6, "1234.567890");
    check_typmod("9999.9999995", 10, 6, NULL);
    check_typmod("123456.78", 18, 8, "123456.78000000");
}

static void test_numeric__round_to_typmod_handles_postgresql_15_scales(void **state)
{
    (void)state;
    check_typmod("0.995", 2, 2, NULL);
    check_typmod("0.994", 2, 2, "0.99");
    check_typmod("0.0012", 2, 4, "0.0012");
    check_typmod("0.012", 2, 4, NULL);
    check_typmod("123.5", 3, -1, "120");
    check_typmod("125", 2, -1, "130");
    check_typmod("995", 2, -1, NULL);
    check_typmod("-5", 2, -1, "-10");
    check_typmod("4", 2, -1, "0");
}

/* A hand-made struct with all 12 groups 9999 (more digits than parse allows) rounds
   within its last group and carries out of the top without overrunning anything. */
static void test_numeric__round_to_typmod_carries_out_of_a_full_struct(void **state)
{
    cerd_numeric n, r;
    int i;
    (void)state;
    memset(&n, 0, sizeof n);
    n.ngroups = CERD_NUMERIC_MAX_GROUPS;
    n.dscale = 44;
    for (i = 0; i < CERD_NUMERIC_MAX_GROUPS; i++)
        n.digits[i] = 9999;
    CERD_ASSERT_OK(cerd_numeric_round_to_typmod(&r, &n, 1000, 43));
    check_normalised(&r);
    assert_int_equal(r.ngroups, 1);
    assert_int_equal(r.weight, 1);
    assert_int_equal(r.digits[0], 1);
    assert_int_equal(r.dscale, 43);
    CERD_ASSERT_OK(cerd_numeric_round_to_typmod(&r, &n, 1000, 44));
    assert_memory_equal(&r, &n, sizeof n);
}

static void test_numeric__round_to_typmod_passes_nan_and_refuses_infinity(void **state)
{
    cerd_numeric n = num("NaN"), r;
    (void)state;
    CERD_ASSERT_OK(cerd_numeric_round_to_typmod(&r, &n, 4, 2));
    assert_int_equal(r.sign, CERD_NUMERIC_NAN);
    n = num("Infinity");
    assert_int_equal(cerd_numeric_round_to_typmod(&r, &n, 30, 8), CERD_ERANGE);
    assert_non_null(strstr(cerd_error_last()->message, "infinite"));
    n = num("-Infinity");
    assert_int_equal(cerd_numeric_round_to_typmod(&r, &n, 30, 8), CERD_ERANGE);
    CERD_ASSERT_OK(cerd_numeric_round_to_typmod(&r, &n, -1, 0));
    assert_int_equal(r.sign, CERD_NUMERIC_NINF);
}

static void test_numeric__round_to_typmod_unconstrained_copies_unchanged(void **state)
{
    cerd_numeric n = num("-123.456789012345678901234567890"), r;
    (void)state;
    CERD_ASSERT_OK(cerd_numeric_round_to_typmod(&r, &n, -1, 0));
    assert_memory_equal(&r, &n, sizeof n);
    /* in place */
    CERD_ASSERT_OK(cerd_numeric_round_to_typmod(&n, &n, 6, 2));
    assert_string_equal(fmt(&n), "-123.46");
}

static void test_numeric__round_to_typmod_refuses_invalid_typmods(void **state)
{
    cerd_numeric n = num("1"), r;
    (void)state;
    assert_int_equal(cerd_numeric_round_to_typmod(&r, &n, 0, 0), CERD_EMISUSE);
    assert_int_equal(cerd_numeric_round_to_typmod(&r, &n, 1001, 0), CERD_EMISUSE);
    assert_int_equal(cerd_numeric_round_to_typmod(&r, &n, 10, 1001), CERD_EMISUSE);
    assert_int_equal(cerd_numeric_round_to_typmod(&r, &n, 10, -1001), CERD_EMISUSE);
}

/* ------------------------------------------------------------------------------ */
/* binary format */

static void check_wire(const char *text, const unsigned char *want, size_t want_len)
{
    cerd_numeric n = num(text), back;
    cerd__buf b = {0};
    CERD_ASSERT_OK(cerd__numeric_send(&n, &b));
    assert_int_equal(b.len, want_len);
    assert_memory_equal(b.data, want, want_len);
    CERD_ASSERT_OK(cerd__numeric_recv(&back, b.data, (int)b.len));
    assert_memory_equal(&back, &n, sizeof n);
    cerd__buf_free(&b);
}

static void test_numeric__send_writes_postgresql_binary_numeric(void **state)
{
    static const unsigned char w150[] = {0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x13, 0x88};
    static const unsigned char wneg[] = {0, 2, 0xFF, 0xFF, 0x40, 0, 0, 8, 0x04, 0xD2, 0, 1};
    static const unsigned char wzero[] = {0, 0, 0, 0, 0, 0, 0, 3};
    static const unsigned char wbig[] = {0, 1, 0, 2, 0, 0, 0, 0, 0, 1};
    static const unsigned char wnan[] = {0, 0, 0, 0, 0xC0, 0, 0, 0};
    static const unsigned char wpinf[] = {0, 0, 0, 0, 0xD0, 0, 0, 0};
    static const unsigned char wninf[] = {0, 0, 0, 0, 0xF0, 0, 0, 0};
    (void)state;
    check_wire("1.50", w150, sizeof w150);
    check_wire("-0.12340001", wneg, sizeof wneg);
    check_wire("-0.000", wzero, sizeof wzero);
    check_wire("100000000", wbig, sizeof wbig);
    check_wire("NaN", wnan, sizeof wnan);
    check_wire("Infinity", wpinf, sizeof wpinf);
    check_wire("-Infinity", wninf, sizeof wninf);
}

static void test_numeric__send_recv_round_trip(void **state)
{
    static const char *const values[] = {
        "0", "1", "-1", "0.00000001", "12345678901234567890123456789012345678",
        "-1.2345678901234567890123456789012345678", "99999999999999999999.99999999",
        "1e-16383", "1e131071", "0.000", "10000.0000", "NaN", "-Infinity",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        cerd_numeric n = num(values[i]), back;
        cerd__buf b = {0};
        CERD_ASSERT_OK(cerd__numeric_send(&n, &b));
        assert_int_equal(b.len, 8 + 2 * (size_t)n.ngroups);
        CERD_ASSERT_OK(cerd__numeric_recv(&back, b.data, (int)b.len));
        assert_memory_equal(&back, &n, sizeof n);
        cerd__buf_free(&b);
    }
}

static void test_numeric__send_refuses_an_invalid_struct(void **state)
{
    cerd_numeric n;
    cerd__buf b = {0};
    (void)state;
    memset(&n, 0, sizeof n);
    n.sign = 0x1234;
    assert_int_equal(cerd__numeric_send(&n, &b), CERD_ERANGE);
    n = num("1.5");
    n.digits[0] = 10000;
    assert_int_equal(cerd__numeric_send(&n, &b), CERD_ERANGE);
    n = num("1.5");
    n.ngroups = 13;
    assert_int_equal(cerd__numeric_send(&n, &b), CERD_ERANGE);
    n = num("1.5");
    n.dscale = 0; /* the .5 would be cut off by the server */
    assert_int_equal(cerd__numeric_send(&n, &b), CERD_ERANGE);
    assert_non_null(strstr(cerd_error_last()->message, "1.5"));
    memset(&n, 0, sizeof n); /* 48 digits */
    n.ngroups = 12;
    for (int i = 0; i < 12; i++)
        n.digits[i] = 9999;
    assert_int_equal(cerd__numeric_send(&n, &b), CERD_ERANGE);
    assert_int_equal(b.len, 0);
    cerd__buf_free(&b);
}

static void test_numeric__send_normalises_a_hand_made_struct(void **state)
{
    static const unsigned char want[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 5};
    cerd_numeric n;
    cerd__buf b = {0};
    (void)state;
    memset(&n, 0, sizeof n);
    n.ngroups = 3; /* 0005 0000 with a leading zero group: 5 */
    n.weight = 1;
    n.digits[1] = 5;
    CERD_ASSERT_OK(cerd__numeric_send(&n, &b));
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    cerd__buf_free(&b);
}

static int recv_bytes(cerd_numeric *out, const unsigned char *data, size_t len)
{
    return cerd__numeric_recv(out, (const char *)data, (int)len);
}

static void test_numeric__recv_refuses_malformed_buffers(void **state)
{
    static const unsigned char good[] = {0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x13, 0x88};
    static const unsigned char badsign[] = {0, 0, 0, 0, 0x80, 0, 0, 0};
    static const unsigned char baddscale[] = {0, 0, 0, 0, 0, 0, 0x40, 0};
    static const unsigned char baddigit[] = {0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10};
    static const unsigned char negdigits[] = {0xFF, 0xFF, 0, 0, 0, 0, 0, 0};
    unsigned char longer[sizeof good + 1];
    cerd_numeric n;
    size_t len;
    (void)state;
    for (len = 0; len < sizeof good; len++) /* every truncation */
        assert_int_equal(recv_bytes(&n, good, len), CERD_ERROR);
    memcpy(longer, good, sizeof good);
    longer[sizeof good] = 0;
    assert_int_equal(recv_bytes(&n, longer, sizeof longer), CERD_ERROR);
    assert_int_equal(cerd__numeric_recv(&n, NULL, 8), CERD_ERROR);
    assert_int_equal(cerd__numeric_recv(&n, (const char *)good, -1), CERD_ERROR);
    assert_int_equal(recv_bytes(&n, badsign, sizeof badsign), CERD_ERROR);
    assert_int_equal(recv_bytes(&n, baddscale, sizeof baddscale), CERD_ERROR);
    assert_int_equal(recv_bytes(&n, baddigit, sizeof baddigit), CERD_ERROR);
    assert_int_equal(recv_bytes(&n, negdigits, sizeof negdigits), CERD_ERROR);
    assert_int_equal(recv_bytes(&n, good, sizeof good), 0);
    assert_string_equal(fmt(&n), "1.50");
}

/* Binary numeric from its header fields and groups; returns its length. */
static size_t wire_of(unsigned char *w, int weight, uint16_t sign, uint16_t dscale,
                      const uint16_t *groups, int ngroups)
{
    int i;
    w[0] = (unsigned char)(ngroups >> 8);
    w[1] = (unsigned char)ngroups;
    w[2] = (unsigned char)((uint16_t)weight >> 8);
    w[3] = (unsigned char)weight;
    w[4] = (unsigned char)(sign >> 8);
    w[5] = (unsigned char)sign;
    w[6] = (unsigned char)(dscale >> 8);
    w[7] = (unsigned char)dscale;
    for (i = 0; i < ngroups; i++) {
        w[8 + 2 * i] = (unsigned char)(groups[i] >> 8);
        w[9 + 2 * i] = (unsigned char)groups[i];
    }
    return 8 + 2 * (size_t)ngroups;
}

static void test_numeric__recv_refuses_more_than_38_digits(void **state)
{
    /* 1 9999 ... 9999 . 9900: 37 integer digits, then 2 fraction digits */
    uint16_t g[40] = {1, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9900};
    unsigned char w[8 + 2 * 40];
    cerd_numeric n;
    size_t len;
    (void)state;
    len = wire_of(w, 9, CERD_NUMERIC_POS, 0, g, 10);
    assert_int_equal(recv_bytes(&n, w, len), 0);
    assert_string_equal(fmt(&n), "1999999999999999999999999999999999999");

    len = wire_of(w, 9, CERD_NUMERIC_NEG, 1, g, 11); /* 38 digits: -1999...9.9 */
    assert_int_equal(recv_bytes(&n, w, len), 0);
    assert_string_equal(fmt(&n), "-1999999999999999999999999999999999999.9");

    len = wire_of(w, 9, CERD_NUMERIC_NEG, 2, g, 11); /* 39 digits */
    assert_int_equal(recv_bytes(&n, w, len), CERD_ERANGE);
    assert_non_null(strstr(cerd_error_last()->message,
                           "\"-1999999999999999999999999999999999999.99\""));

    /* a buffer with leading and trailing zero groups is fine: 13 significant digits
       among 40 groups */
    memset(g, 0, sizeof g);
    g[5] = 7;
    g[8] = 8;
    len = wire_of(w, 20, CERD_NUMERIC_POS, 4, g, 40);
    assert_int_equal(recv_bytes(&n, w, len), 0);
    check_normalised(&n);
    assert_int_equal(n.ngroups, 4);
    assert_int_equal(n.weight, 15);
    assert_string_equal(fmt(&n), "7000000000008"
                                 "000000000000000000000000000000000000000000000000.0000");
    /* but spread over 16 groups they are 61 digits */
    g[8] = 0;
    g[20] = 8;
    assert_int_equal(recv_bytes(&n, w, wire_of(w, 20, CERD_NUMERIC_POS, 4, g, 40)), CERD_ERANGE);
}

static void test_numeric__recv_truncates_digits_hidden_by_dscale(void **state)
{
    /* 1.23456 sent with dscale 2: PostgreSQL's numeric_recv keeps 1.23 */
    static const unsigned char wire[] = {0, 3, 0, 0, 0, 0, 0, 2, 0, 1, 0x09, 0x29, 0x17, 0x70};
    static const unsigned char all_hidden[] = {0, 1, 0xFF, 0xFF, 0x40, 0, 0, 3, 0x00, 0x09};
    static const unsigned char special_digits[] = {0, 1, 0, 0, 0xD0, 0, 0, 0, 0, 1};
    cerd_numeric n;
    (void)state;
    assert_int_equal(recv_bytes(&n, wire, sizeof wire), 0);
    check_normalised(&n);
    assert_string_equal(fmt(&n), "1.23");
    assert_int_equal(n.ngroups, 2);
    assert_int_equal(n.digits[1], 2300);
    /* -0.0009 with dscale 3: -0.000, and zero is positive */
    assert_int_equal(recv_bytes(&n, all_hidden, sizeof all_hidden), 0);
    check_normalised(&n);
    assert_string_equal(fmt(&n), "0.000");
    /* digits of a special value are ignored, as numeric_recv ignores them */
    assert_int_equal(recv_bytes(&n, special_digits, sizeof special_digits), 0);
    assert_int_equal(n.sign, CERD_NUMERIC_PINF);
    assert_int_equal(n.ngroups, 0);
}

/* ------------------------------------------------------------------------------ */
/* arithmetic (tests/types/test_numeric_pg.c compares it with the server's) */

static const char *op2(int (*f)(cerd_numeric *, const cerd_numeric *, const cerd_numeric *),
                       const char *a, const char *b)
{
    cerd_numeric x = num(a), y = num(b), r;
    assert_int_equal(f(&r, &x, &y), 0);
    return fmt(&r);
}

static void test_numeric__add_sub_mul_are_exact_with_postgresql_dscale(void **state)
{
    (void)state;
    assert_string_equal(op2(cerd_numeric_add, "9999.9999", "0.0001"), "10000.0000");
    assert_string_equal(op2(cerd_numeric_add, "-10000", "1"), "-9999");
    assert_string_equal(op2(cerd_numeric_sub, "1", "0.00000001"), "0.99999999");
    assert_string_equal(op2(cerd_numeric_sub, "1.50", "1.5"), "0.00");
    assert_string_equal(op2(cerd_numeric_mul, "99999999", "99999999"), "9999999800000001");
    assert_string_equal(op2(cerd_numeric_mul, "-1.5", "0.20"), "-0.300");
    assert_string_equal(op2(cerd_numeric_mul, "0.0", "-7"), "0.0");
    assert_string_equal(op2(cerd_numeric_add, "Infinity", "-Infinity"), "NaN");
    assert_string_equal(op2(cerd_numeric_sub, "Infinity", "1e30"), "Infinity");
    assert_string_equal(op2(cerd_numeric_mul, "-Infinity", "-2"), "Infinity");
    assert_string_equal(op2(cerd_numeric_mul, "Infinity", "0"), "NaN");
    assert_string_equal(op2(cerd_numeric_add, "NaN", "1"), "NaN");
    /* out may be an operand */
    {
        cerd_numeric a = num("2.5"), b = num("4");
        assert_int_equal(cerd_numeric_mul(&a, &a, &b), 0);
        assert_string_equal(fmt(&a), "10.0");
    }
}

static void test_numeric__arithmetic_refuses_more_than_38_digits_never_rounds(void **state)
{
    cerd_numeric a = num("99999999999999999999999999999999999999"), one = num("1"), r;
    cerd_numeric small = num("0.1");
    (void)state;
    assert_int_equal(cerd_numeric_add(&r, &a, &one), 0); /* 1e38: one digit */
    assert_string_equal(fmt(&r), "100000000000000000000000000000000000000");
    assert_int_equal(cerd_numeric_add(&r, &a, &small), CERD_ERANGE);
    assert_non_null(strstr(cerd_error_last()->message, "38 significant digits"));
    assert_int_equal(cerd_numeric_mul(&r, &a, &a), CERD_ERANGE);
    {
        cerd_numeric big = num("1e300"), tiny = num("1e-300");
        assert_int_equal(cerd_numeric_add(&r, &big, &tiny), CERD_ERANGE);
        assert_int_equal(cerd_numeric_mul(&r, &big, &tiny), 0);
        assert_int_equal(cerd_numeric_cmp(&r, &one), 0);
    }
    assert_int_equal(cerd_numeric_add(NULL, &a, &one), CERD_EMISUSE);
    a.digits[0] = 10000; /* not a valid group */
    assert_int_equal(cerd_numeric_add(&r, &a, &one), CERD_EMISUSE);
}

static void test_numeric__div_rounds_half_away_from_zero_to_the_scale(void **state)
{
    cerd_numeric a, b, r;
    (void)state;
    assert_string_equal((a = num("2"), b = num("3"), cerd_numeric_div(&r, &a, &b, 4), fmt(&r)),
                        "0.6667");
    a = num("-2");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 4), 0);
    assert_string_equal(fmt(&r), "-0.6667");
    a = num("1");
    b = num("8");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 2), 0);
    assert_string_equal(fmt(&r), "0.13"); /* 0.125: half away from zero */
    a = num("-1");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 2), 0);
    assert_string_equal(fmt(&r), "-0.13");
    a = num("9999.99995");
    b = num("1");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 4), 0);
    assert_string_equal(fmt(&r), "10000.0000"); /* the carry crosses groups */
    a = num("1250");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, -2), 0);
    assert_string_equal(fmt(&r), "1300");
    a = num("1");
    b = num("4");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 1000), 0); /* exact: 2 digits */
    assert_int_equal(r.dscale, 1000);
    b = num("3");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 1000), CERD_ERANGE);
    b = num("0.000");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 2), CERD_EINVALID);
    assert_non_null(strstr(cerd_error_last()->message, "division by zero"));
    a = num("NaN");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 2), 0);
    assert_int_equal(r.sign, CERD_NUMERIC_NAN);
    a = num("-Infinity");
    b = num("-2");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 2), 0);
    assert_int_equal(r.sign, CERD_NUMERIC_PINF);
    b = num("Infinity");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 2), 0);
    assert_int_equal(r.sign, CERD_NUMERIC_NAN);
    a = num("5");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 2), 0);
    assert_string_equal(fmt(&r), "0.00");
    assert_int_equal(cerd_numeric_div(&r, &a, &b, 20000), CERD_EMISUSE);
}

static void test_numeric__neg_abs_digits_and_to_double(void **state)
{
    cerd_numeric n = num("-12.3400"), r;
    (void)state;
    assert_int_equal(cerd_numeric_neg(&r, &n), 0);
    assert_string_equal(fmt(&r), "12.3400");
    assert_int_equal(cerd_numeric_abs(&r, &n), 0);
    assert_string_equal(fmt(&r), "12.3400");
    n = num("0.00");
    assert_int_equal(cerd_numeric_neg(&r, &n), 0);
    assert_string_equal(fmt(&r), "0.00");
    assert_int_equal(r.sign, CERD_NUMERIC_POS);
    n = num("-Infinity");
    assert_int_equal(cerd_numeric_neg(&r, &n), 0);
    assert_int_equal(r.sign, CERD_NUMERIC_PINF);
    assert_int_equal(cerd_numeric_abs(&r, &n), 0);
    assert_int_equal(r.sign, CERD_NUMERIC_PINF);
    assert_int_equal(cerd_numeric_neg(NULL, &n), CERD_EMISUSE);

    n = num("-12.3400");
    assert_int_equal(cerd_numeric_significant_digits(&n), 4);
    assert_int_equal(cerd_numeric_integer_digits(&n), 2);
    assert_int_equal(cerd_numeric_fraction_digits(&n), 2);
    n = num("1e50");
    assert_int_equal(cerd_numeric_significant_digits(&n), 1);
    assert_int_equal(cerd_numeric_integer_digits(&n), 51);
    assert_int_equal(cerd_numeric_fraction_digits(&n), 0);
    n = num("0.000123");
    assert_int_equal(cerd_numeric_significant_digits(&n), 3);
    assert_int_equal(cerd_numeric_integer_digits(&n), 0);
    assert_int_equal(cerd_numeric_fraction_digits(&n), 6);
    n = num("NaN");
    assert_int_equal(cerd_numeric_significant_digits(&n), 0);

    n = num("-1234.5678");
    assert_true(cerd_numeric_to_double(&n) == -1234.5678);
    n = num("1e-300");
    assert_true(cerd_numeric_to_double(&n) == 1e-300);
    n = num("0");
    assert_true(cerd_numeric_to_double(&n) == 0.0);
    n = num("Infinity");
    assert_true(cerd_numeric_to_double(&n) > 1e308);
    n = num("NaN");
    assert_true(cerd_numeric_to_double(&n) != cerd_numeric_to_double(&n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric__parse_format_round_trips),
        cmocka_unit_test(test_numeric__parse_sets_dscale_like_postgresql),
        cmocka_unit_test(test_numeric__parse_applies_the_exponent_to_value_and_dscale),
        cmocka_unit_test(test_numeric__parse_accepts_nan_and_infinities_in_any_case),
        cmocka_unit_test(test_numeric__parse_allows_surrounding_whitespace),
        cmocka_unit_test(test_numeric__parse_refuses_what_is_not_a_number),
        cmocka_unit_test(test_numeric__parse_refuses_null_arguments),
        cmocka_unit_test(test_numeric__parse_never_crashes_on_random_text),
        cmocka_unit_test(test_numeric__format_behaves_like_snprintf),
        cmocka_unit_test(test_numeric__zero_initialised_struct_is_zero),
        cmocka_unit_test(test_numeric__holds_38_digits_at_every_alignment),
        cmocka_unit_test(test_numeric__counts_significant_digits_not_zeros),
        cmocka_unit_test(test_numeric__refuses_what_postgresql_cannot_store),
        cmocka_unit_test(test_numeric__cmp_orders_like_postgresql),
        cmocka_unit_test(test_numeric__from_int64_covers_the_whole_range),
        cmocka_unit_test(test_numeric__round_to_typmod_fits_30_8),
        cmocka_unit_test(test_numeric__round_to_typmod_4_2_overflows_when_rounding_carries),
        cmocka_unit_test(test_numeric__round_to_typmod_rounds_half_away_from_zero),
        cmocka_unit_test(test_numeric__round_to_typmod_handles_postgresql_15_scales),
        cmocka_unit_test(test_numeric__round_to_typmod_carries_out_of_a_full_struct),
        cmocka_unit_test(test_numeric__round_to_typmod_passes_nan_and_refuses_infinity),
        cmocka_unit_test(test_numeric__round_to_typmod_unconstrained_copies_unchanged),
        cmocka_unit_test(test_numeric__round_to_typmod_refuses_invalid_typmods),
        cmocka_unit_test(test_numeric__send_writes_postgresql_binary_numeric),
        cmocka_unit_test(test_numeric__send_recv_round_trip),
        cmocka_unit_test(test_numeric__send_refuses_an_invalid_struct),
        cmocka_unit_test(test_numeric__send_normalises_a_hand_made_struct),
        cmocka_unit_test(test_numeric__recv_refuses_malformed_buffers),
        cmocka_unit_test(test_numeric__recv_refuses_more_than_38_digits),
        cmocka_unit_test(test_numeric__recv_truncates_digits_hidden_by_dscale),
        cmocka_unit_test(test_numeric__add_sub_mul_are_exact_with_postgresql_dscale),
        cmocka_unit_test(test_numeric__arithmetic_refuses_more_than_38_digits_never_rounds),
        cmocka_unit_test(test_numeric__div_rounds_half_away_from_zero_to_the_scale),
        cmocka_unit_test(test_numeric__neg_abs_digits_and_to_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
