/* cerd_numeric against PostgreSQL itself: thousands of deterministic pseudo-random
   values go through our parse/format/cmp/round_to_typmod/send/recv/add/sub/mul/div and
   through the server's numeric_in/numeric_out/numeric_cmp/numeric(p,s)/numeric_recv/
   numeric_send and + - * / round(),
   and the results must agree. Values are batched (one round trip per few thousand). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cryptoerd/cryptoerd.h>
#include "wire/codec.h"
#include "check.h"
#include "strbuf.h"
#include "testdb.h"

#define NUMERIC_OID 1700
#define NVALUES 6000
#define NGARBAGE 3000
#define NPAIRS 6000
#define VALUE_MAX 128

static testdb db;
static PGconn *pg;

/* The value pool, made once: what the generators below write. */
static char values[NVALUES][VALUE_MAX];

/* ------------------------------------------------------------------------------ */
/* deterministic pseudo-random numbers (splitmix64, fixed seed) */

static uint64_t rng = 0x5DEECE66DULL;

static uint64_t next_u64(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* uniform in lo..hi inclusive */
static int rnd(int lo, int hi)
{
    return lo + (int)(next_u64() % (uint64_t)(hi - lo + 1));
}

static bool chance(int percent)
{
    return rnd(0, 99) < percent;
}

/* ------------------------------------------------------------------------------ */
/* A text[] literal of texts[0..n), every element quoted. */
static char *array_literal(char (*texts)[VALUE_MAX], size_t n)
{
    strbuf b = {0};
    size_t i;
    strbuf_putc(&b, '{');
    for (i = 0; i < n; i++) {
        const char *c;
        if (i)
            strbuf_putc(&b, ',');
        strbuf_putc(&b, '"');
        for (c = texts[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                strbuf_putc(&b, '\\');
            strbuf_putc(&b, *c);
        }
        strbuf_putc(&b, '"');
    }
    strbuf_putc(&b, '}');
    return b.data;
}

/* ------------------------------------------------------------------------------ */
/* value generators */

static void add_digits(strbuf *b, int n, int zero_percent)
{
    int i;
    for (i = 0; i < n; i++)
        strbuf_putc(b, chance(zero_percent) ? '0' : (char)('0' + rnd(0, 9)));
}

static void add_sign(strbuf *b)
{
    int r = rnd(0, 99);
    if (r < 35)
        strbuf_putc(b, '-');
    else if (r < 40)
        strbuf_putc(b, '+');
}

/* A plain decimal: integer digits, fraction digits (scale 0-20), mostly <= 38 digits. */
static void gen_plain(strbuf *b, int max_total)
{
    int nint = rnd(0, 25), nfrac = rnd(0, 20);
    int zero_percent = chance(30) ? 60 : 10;
    if (nint + nfrac > max_total)
        nfrac = max_total - nint > 0 ? max_total - nint : 0;
    if (nint == 0 && nfrac == 0)
        nint = 1;
    add_sign(b);
    if (chance(10))
        strbuf_puts(b, "000"); /* leading zeros */
    if (nint > 0) {
        strbuf_putc(b, (char)('1' + rnd(0, 8)));
        add_digits(b, nint - 1, zero_percent);
    } else if (chance(70)) {
        strbuf_putc(b, '0');
    }
    if (nfrac > 0) {
        strbuf_putc(b, '.');
        add_digits(b, nfrac, zero_percent);
    } else if (chance(10)) {
        strbuf_putc(b, '.'); /* "5." */
    }
}

/* 9999.9999-style and 1000.0001-style values around powers of ten, with a last digit
   that rounds up or down at the next scale. */
static void gen_boundary(strbuf *b)
{
    int nint = rnd(0, 24), nfrac = rnd(0, 12), i;
    add_sign(b);
    switch (rnd(0, 3)) {
    case 0: /* 999.999[4|5] */
        for (i = 0; i < nint; i++)
            strbuf_putc(b, '9');
        if (nint == 0)
            strbuf_putc(b, '0');
        strbuf_putc(b, '.');
        for (i = 0; i < nfrac; i++)
            strbuf_putc(b, '9');
        strbuf_putc(b, (char)('0' + rnd(3, 6)));
        break;
    case 1: /* 1000[.000] */
        strbuf_putc(b, '1');
        for (i = 0; i < nint; i++)
            strbuf_putc(b, '0');
        if (chance(50)) {
            strbuf_putc(b, '.');
            for (i = 0; i < nfrac; i++)
                strbuf_putc(b, '0');
        }
        break;
    case 2: /* 0.000[1|5] */
        strbuf_puts(b, "0.");
        for (i = 0; i < nfrac; i++)
            strbuf_putc(b, '0');
        strbuf_putc(b, chance(50) ? '5' : '1');
        break;
    default: /* 1000.0005 */
        strbuf_putc(b, '1');
        for (i = 0; i < nint; i++)
            strbuf_putc(b, '0');
        strbuf_putc(b, '.');
        for (i = 0; i < nfrac; i++)
            strbuf_putc(b, '0');
        strbuf_putc(b, (char)('0' + rnd(4, 5)));
        break;
    }
}

static void gen_value(char *out)
{
    static const char *const specials[] = {"NaN",  "nan",  "Infinity", "-Infinity",
                                           "inf",  "-inf", "+Infinity", " NaN ",
                                           "-INF", "INFINITY"};
    static const char *const zeros[] = {"0", "0.000", "-0.0", "00", ".0", "0e5",
                                        "-0.00e-3", "+0", "0.00000000000000000000"};
    strbuf b = {0};
    int kind = rnd(0, 99);

    if (kind < 3) {
        strbuf_puts(&b, specials[rnd(0, (int)(sizeof specials / sizeof specials[0]) - 1)]);
    } else if (kind < 7) {
        strbuf_puts(&b, zeros[rnd(0, (int)(sizeof zeros / sizeof zeros[0]) - 1)]);
    } else if (kind < 22) {
        gen_boundary(&b);
    } else if (kind < 65) {
        gen_plain(&b, chance(95) ? 38 : 45);
    } else if (kind < 80) { /* exponents */
        char e[16];
        int nint = rnd(1, 6), nfrac = rnd(0, 12);
        add_sign(&b);
        strbuf_putc(&b, (char)('1' + rnd(0, 8)));
        add_digits(&b, nint - 1, 20);
        if (nfrac) {
            strbuf_putc(&b, '.');
            add_digits(&b, nfrac, 20);
        }
        snprintf(e, sizeof e, "%c%s%d", chance(50) ? 'e' : 'E',
                 chance(20) ? "+" : "", rnd(-30, 30));
        strbuf_puts(&b, e);
    } else if (kind < 90) { /* surrounding whitespace */
        static const char *const ws[] = {" ", "  ", "\t", "\n", " \t "};
        strbuf_puts(&b, ws[rnd(0, 4)]);
        gen_plain(&b, 30);
        strbuf_puts(&b, ws[rnd(0, 4)]);
    } else { /* very large and very small magnitudes */
        char e[16];
        add_sign(&b);
        strbuf_putc(&b, (char)('1' + rnd(0, 8)));
        strbuf_putc(&b, '.');
        add_digits(&b, rnd(0, 30), 20);
        snprintf(e, sizeof e, "e%d", chance(50) ? rnd(100, 400) : -rnd(100, 400));
        strbuf_puts(&b, e);
    }
    assert_true(b.len < VALUE_MAX);
    memcpy(out, b.data, b.len + 1);
    free(b.data);
}

/* Random text from number-ish characters: mostly invalid, sometimes a number. */
static void gen_garbage(char *out)
{
    static const char alphabet[] = "0123456789000..eE+-+-  \t\nnaifNIAty x,_";
    int len = rnd(0, 16), i;
    for (i = 0; i < len; i++)
        out[i] = alphabet[rnd(0, (int)sizeof alphabet - 2)];
    out[len] = '\0';
}

/* ------------------------------------------------------------------------------ */
/* helpers */

static int significant_digits_of_text(const char *t)
{
    const char *first = NULL, *last = NULL, *c;
    int n = 0;
    for (c = t; *c; c++) {
        if (*c >= '1' && *c <= '9') {
            if (!first)
                first = c;
            last = c;
        }
    }
    if (!first)
        return 0;
    for (c = first; c <= last; c++)
        n += *c >= '0' && *c <= '9';
    return n;
}

static const char *fmt(const cerd_numeric *n, char *buf, size_t size)
{
    int len = cerd_numeric_format(n, buf, size);
    assert_true(len >= 0 && (size_t)len < size);
    return buf;
}

/* Formats n into a pool-sized buffer; when the text is too long for it, copies
   fallback instead. */
static void fmt_or(const cerd_numeric *n, char *out, const char *fallback)
{
    if (cerd_numeric_format(n, out, VALUE_MAX) >= VALUE_MAX)
        memcpy(out, fallback, VALUE_MAX);
}

static PGresult *exec_params(const char *sql, int nparams, const Oid *types,
                             const char *const *vals, const int *lens, const int *formats,
                             int result_format)
{
    PGresult *res = PQexecParams(pg, sql, nparams, types, vals, lens, formats, result_format);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("query failed: %s\n%s", sql, PQerrorMessage(pg));
    return res;
}

static int setup(void **state)
{
    PGresult *res;
    int i;
    (void)state;
    if (testdb_create(&db, "numeric"))
        return -1;
    pg = testdb_connect(&db);
    if (!pg)
        return -1;
    res = PQexec(pg,
        "CREATE FUNCTION cerd_try(t text, OUT txt text, OUT val numeric)"
        " LANGUAGE plpgsql IMMUTABLE AS $$"
        " BEGIN val := t::numeric; txt := val::text;"
        " EXCEPTION WHEN others THEN txt := 'ERR:' || SQLSTATE; val := NULL; END $$;"
        "CREATE FUNCTION cerd_try_typmod(t text, tm int) RETURNS text"
        " LANGUAGE plpgsql IMMUTABLE AS $$"
        " BEGIN RETURN pg_catalog.\"numeric\"(t::numeric, tm)::text;"
        " EXCEPTION WHEN others THEN RETURN 'ERR:' || SQLSTATE; END $$;");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "setup: %s", PQerrorMessage(pg));
        PQclear(res);
        return -1;
    }
    PQclear(res);
    for (i = 0; i < NVALUES; i++)
        gen_value(values[i]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(pg);
    testdb_drop(&db);
    return 0;
}

/* ------------------------------------------------------------------------------ */
/* (1) and (3): numeric_in + numeric_out, and numeric_send into our recv */

/* Runs cerd_try over texts[0..n): per row PostgreSQL's text (or "ERR:<sqlstate>") and
   its binary numeric (NULL on error). Binary result format: text comes back as its
   bytes. */
static PGresult *server_parse(char (*texts)[VALUE_MAX], size_t n)
{
    char *lit = array_literal(texts, n);
    const char *vals[1] = {lit};
    PGresult *res = exec_params(
        "SELECT r.txt, r.val FROM unnest($1::text[]) WITH ORDINALITY u(x, i),"
        " LATERAL cerd_try(u.x) r ORDER BY u.i",
        1, NULL, vals, NULL, NULL, 1);
    free(lit);
    assert_int_equal(PQntuples(res), (int)n);
    return res;
}

/* Compares one text with what the server made of it; counts into the tallies. */
static void compare_parse(const char *text, PGresult *res, int row, int *same, int *refused39,
                          int *both_invalid, int *both_range)
{
    static char server[200000], ours[200000];
    int len = PQgetlength(res, row, 0), rc;
    cerd_numeric n;

    assert_true((size_t)len < sizeof server);
    memcpy(server, PQgetvalue(res, row, 0), (size_t)len);
    server[len] = '\0';
    rc = cerd_numeric_parse(&n, text);

    if (!strncmp(server, "ERR:", 4)) {
        if (!strcmp(server, "ERR:22P02") && rc == CERD_EINVALID) {
            (*both_invalid)++;
        } else if (!strcmp(server, "ERR:22003") && rc == CERD_ERANGE) {
            (*both_range)++;
        } else {
            fail_msg("\"%s\": server %s, ours %d (%s)", text, server, rc,
                     rc ? cerd_error_last()->message : fmt(&n, ours, sizeof ours));
        }
        assert_true(PQgetisnull(res, row, 1));
        return;
    }
    if (significant_digits_of_text(server) > CERD_NUMERIC_MAX_DIGITS) {
        cerd_numeric r;
        if (rc != CERD_ERANGE)
            fail_msg("\"%s\" has %d digits (server: %s) but parse gave %d", text,
                     significant_digits_of_text(server), server, rc);
        assert_int_equal(cerd__numeric_recv(&r, PQgetvalue(res, row, 1),
                                            PQgetlength(res, row, 1)),
                         CERD_ERANGE);
        (*refused39)++;
        return;
    }
    if (rc != 0)
        fail_msg("\"%s\": server accepts it as %s, ours %d: %s", text, server, rc,
                 cerd_error_last()->message);
    /* (1) our text is numeric_out's text */
    if (strcmp(fmt(&n, ours, sizeof ours), server) != 0)
        fail_msg("\"%s\": server %s, ours %s", text, server, ours);
    /* (3) the server's binary, through our recv, is the same value and text */
    {
        cerd_numeric r;
        int brc = cerd__numeric_recv(&r, PQgetvalue(res, row, 1), PQgetlength(res, row, 1));
        if (brc != 0)
            fail_msg("recv of the server's %s failed: %s", server, cerd_error_last()->message);
        if (strcmp(fmt(&r, ours, sizeof ours), server) != 0)
            fail_msg("recv of the server's %s formats as %s", server, ours);
        assert_memory_equal(&r, &n, sizeof n);
    }
    (*same)++;
}

static void test_numeric_pg__parse_and_format_agree_with_numeric_in_and_out(void **state)
{
    int same = 0, refused39 = 0, both_invalid = 0, both_range = 0, i;
    PGresult *res = server_parse(values, NVALUES);
    (void)state;
    for (i = 0; i < NVALUES; i++)
        compare_parse(values[i], res, i, &same, &refused39, &both_invalid, &both_range);
    PQclear(res);
    printf("numeric_in/numeric_out/numeric_send: %d values agree (%d refused for > 38 "
           "digits, %d out of range on both sides)\n",
           same, refused39, both_range);
    assert_true(same > NVALUES * 9 / 10);
    assert_true(refused39 > 0);
}

static void test_numeric_pg__edge_values_agree_with_numeric_in(void **state)
{
    static char edge[][VALUE_MAX] = {
        "1e-16383", "1e-16384", "0e-16384", "1e131071", "1e131072", "0e131072",
        "0e1073741822", "1e1073741822", "1e1073741823", "1e-1073741823",
        "1e99999999999999999999", "1e 5", "1e\t-5", "1e+ 5", "\v1\v", "\f-1.5\r",
        "12345678901234567890123456789012345678", "1234567890123456789012345678901234567.8",
        "1.2345678901234567890123456789012345678", "0.000012345678901234567890123456789012345678",
        "123456789012345678901234567890123456789", "1.23456789012345678901234567890123456789",
        "1e-1000", "9.9e1000", "+.5", "-.5e-0", "5.", ".", "+", "-", "", " ", "e5", "1e",
        "1e5.5", "1..2", "infinit", "Infinityy", "-nan", "+nan", "nanx", "NaN1", "1 2",
        "١", "1\xc2\xa0", "-0.00", "-0", "000.000", "1_000", "0x1F", "1,5",
    };
    int same = 0, refused39 = 0, both_invalid = 0, both_range = 0;
    size_t n = sizeof edge / sizeof edge[0], i;
    PGresult *res = server_parse(edge, n);
    (void)state;
    for (i = 0; i < n; i++)
        compare_parse(edge[i], res, (int)i, &same, &refused39, &both_invalid, &both_range);
    PQclear(res);
    printf("edge texts: %d agree, %d refused for > 38 digits, %d invalid and %d out of "
           "range on both sides\n",
           same, refused39, both_invalid, both_range);
    assert_true(both_invalid >= 20 && both_range >= 7 && refused39 >= 2);
}

static void test_numeric_pg__random_text_is_refused_exactly_when_numeric_in_does(void **state)
{
    static char garbage[NGARBAGE][VALUE_MAX];
    int same = 0, refused39 = 0, both_invalid = 0, both_range = 0, i;
    PGresult *res;
    (void)state;
    for (i = 0; i < NGARBAGE; i++)
        gen_garbage(garbage[i]);
    res = server_parse(garbage, NGARBAGE);
    for (i = 0; i < NGARBAGE; i++)
        compare_parse(garbage[i], res, i, &same, &refused39, &both_invalid, &both_range);
    PQclear(res);
    printf("random texts: %d accepted alike, %d refused as invalid by both\n", same,
           both_invalid);
    assert_true(same > 50 && both_invalid > NGARBAGE / 2);
}

/* ------------------------------------------------------------------------------ */
/* (2): our binary as a numeric parameter */

#define BATCH 250

static void test_numeric_pg__sent_binary_reads_back_as_our_text(void **state)
{
    static cerd_numeric sent[NVALUES + 64];
    int nsent = 0, i, compared = 0;
    strbuf sql = {0};
    (void)state;

    for (i = 0; i < NVALUES; i++)
        if (cerd_numeric_parse(&sent[nsent], values[i]) == 0)
            nsent++;
    {
        static const int64_t ints[] = {0, 1, -1, 9999, 10000, INT64_MAX, INT64_MIN,
                                       -1234567890123456789, 100000000};
        for (i = 0; i < (int)(sizeof ints / sizeof ints[0]); i++)
            cerd_numeric_from_int64(&sent[nsent++], ints[i]);
    }

    /* SELECT ARRAY[$1::numeric, ..., $250::numeric]::text[] as rows */
    strbuf_puts(&sql, "SELECT v FROM unnest(ARRAY[");
    for (i = 1; i <= BATCH; i++) {
        char p[16];
        snprintf(p, sizeof p, "%s$%d", i > 1 ? "," : "", i);
        strbuf_puts(&sql, p);
    }
    strbuf_puts(&sql, "]::numeric[]::text[]) WITH ORDINALITY u(v, i) ORDER BY i");

    for (i = 0; i < nsent; i += BATCH) {
        Oid types[BATCH];
        const char *vals[BATCH];
        int lens[BATCH], formats[BATCH], k, n = nsent - i < BATCH ? nsent - i : BATCH;
        cerd__buf bufs[BATCH];
        PGresult *res;
        memset(bufs, 0, sizeof bufs);
        for (k = 0; k < BATCH; k++) {
            /* a short last batch repeats its first value */
            const cerd_numeric *v = &sent[i + (k < n ? k : 0)];
            CERD_ASSERT_OK(cerd__numeric_send(v, &bufs[k]));
            types[k] = NUMERIC_OID;
            vals[k] = bufs[k].data;
            lens[k] = (int)bufs[k].len;
            formats[k] = 1;
        }
        res = exec_params(sql.data, BATCH, types, vals, lens, formats, 0);
        assert_int_equal(PQntuples(res), BATCH);
        for (k = 0; k < n; k++) {
            char ours[200000];
            fmt(&sent[i + k], ours, sizeof ours);
            if (strcmp(PQgetvalue(res, k, 0), ours) != 0)
                fail_msg("sent %s, server read %s", ours, PQgetvalue(res, k, 0));
            compared++;
        }
        PQclear(res);
        for (k = 0; k < BATCH; k++)
            cerd__buf_free(&bufs[k]);
    }
    free(sql.data);
    printf("numeric_recv of our binary: %d values agree\n", compared);
    assert_true(compared > NVALUES * 9 / 10);
}

/* ------------------------------------------------------------------------------ */
/* (4): numeric(p,s) */

static void test_numeric_pg__round_to_typmod_agrees_with_numeric_p_s(void **state)
{
    static const int typmods[][2] = {{20, 8}, {30, 2}, {30, 8}, {4, 2}, {5, 4}, {10, 6},
                                     {18, 8}, {38, 0}, {2, 4},  {6, -2}, {1, 0}, {38, 20}};
    static char texts[NVALUES][VALUE_MAX];
    int ntexts = 0, i, t, same = 0, both_range = 0;
    char *lit;
    (void)state;

    for (i = 0; i < NVALUES; i++) {
        cerd_numeric n;
        if (cerd_numeric_parse(&n, values[i]) == 0)
            memcpy(texts[ntexts++], values[i], VALUE_MAX);
    }
    lit = array_literal(texts, (size_t)ntexts);
    for (t = 0; t < (int)(sizeof typmods / sizeof typmods[0]); t++) {
        int p = typmods[t][0], s = typmods[t][1];
        char tm[16];
        const char *vals[2] = {lit, tm};
        PGresult *res;
        /* PostgreSQL 15's typmod: (precision << 16 | scale & 0x7ff) + VARHDRSZ */
        snprintf(tm, sizeof tm, "%d", ((p << 16) | (s & 0x7ff)) + 4);
        res = exec_params("SELECT cerd_try_typmod(u.x, $2::int) FROM unnest($1::text[])"
                          " WITH ORDINALITY u(x, i) ORDER BY u.i",
                          2, NULL, vals, NULL, NULL, 0);
        assert_int_equal(PQntuples(res), ntexts);
        for (i = 0; i < ntexts; i++) {
            const char *server = PQgetvalue(res, i, 0);
            char ours[200000];
            cerd_numeric n, r;
            int rc;
            CERD_ASSERT_OK(cerd_numeric_parse(&n, texts[i]));
            rc = cerd_numeric_round_to_typmod(&r, &n, p, s);
            if (!strcmp(server, "ERR:22003") && rc == CERD_ERANGE) {
                both_range++;
                continue;
            }
            if (rc != 0)
                fail_msg("\"%s\"::numeric(%d,%d): server %s, ours %d: %s", texts[i], p, s,
                         server, rc, cerd_error_last()->message);
            if (strcmp(fmt(&r, ours, sizeof ours), server) != 0)
                fail_msg("\"%s\"::numeric(%d,%d): server %s, ours %s", texts[i], p, s, server,
                         ours);
            same++;
        }
        PQclear(res);
    }
    free(lit);
    printf("numeric(p,s) for %d typmods: %d values agree, %d overflow on both sides\n",
           (int)(sizeof typmods / sizeof typmods[0]), same, both_range);
    assert_true(same > 1000 && both_range > 1000);
}

/* ------------------------------------------------------------------------------ */
/* (5): ordering */

static void test_numeric_pg__cmp_agrees_with_numeric_cmp(void **state)
{
    static char a[NPAIRS][VALUE_MAX], b[NPAIRS][VALUE_MAX];
    static int ok[NVALUES];
    int nok = 0, i, equal = 0, compared = 0;
    char *la, *lb;
    const char *vals[2];
    PGresult *res;
    (void)state;

    for (i = 0; i < NVALUES; i++) {
        cerd_numeric n;
        if (cerd_numeric_parse(&n, values[i]) == 0)
            ok[nok++] = i;
    }
    for (i = 0; i < NPAIRS; i++) {
        cerd_numeric n;
        char *x = a[i], *y = b[i];
        memcpy(x, values[ok[rnd(0, nok - 1)]], VALUE_MAX);
        switch (rnd(0, 4)) {
        case 0: /* the same value at another scale */
            CERD_ASSERT_OK(cerd_numeric_parse(&n, x));
            if (n.sign == CERD_NUMERIC_POS || n.sign == CERD_NUMERIC_NEG) {
                if (n.dscale < 30)
                    n.dscale = (uint16_t)(n.dscale + rnd(1, 5));
                fmt_or(&n, y, x);
            } else {
                memcpy(y, x, VALUE_MAX);
            }
            break;
        case 1: /* its negation */
            CERD_ASSERT_OK(cerd_numeric_parse(&n, x));
            if (n.sign == CERD_NUMERIC_POS)
                n.sign = CERD_NUMERIC_NEG;
            else if (n.sign == CERD_NUMERIC_NEG)
                n.sign = CERD_NUMERIC_POS;
            fmt_or(&n, y, x);
            break;
        case 2: /* a neighbour: one unit in the last place up or down */
            CERD_ASSERT_OK(cerd_numeric_parse(&n, x));
            if (n.ngroups > 0) {
                int last = n.ngroups - 1;
                if (n.digits[last] > 1 && chance(50))
                    n.digits[last]--;
                else if (n.digits[last] < 9999)
                    n.digits[last]++;
            }
            fmt_or(&n, y, x);
            break;
        default:
            memcpy(y, values[ok[rnd(0, nok - 1)]], VALUE_MAX);
            break;
        }
    }
    la = array_literal(a, NPAIRS);
    lb = array_literal(b, NPAIRS);
    vals[0] = la;
    vals[1] = lb;
    res = exec_params("SELECT numeric_cmp(u.x::numeric, u.y::numeric) FROM"
                      " unnest($1::text[], $2::text[]) WITH ORDINALITY u(x, y, i) ORDER BY u.i",
                      2, NULL, vals, NULL, NULL, 0);
    assert_int_equal(PQntuples(res), NPAIRS);
    for (i = 0; i < NPAIRS; i++) {
        cerd_numeric x, y;
        int server = atoi(PQgetvalue(res, i, 0)), ours;
        CERD_ASSERT_OK(cerd_numeric_parse(&x, a[i]));
        CERD_ASSERT_OK(cerd_numeric_parse(&y, b[i]));
        ours = cerd_numeric_cmp(&x, &y);
        ours = (ours > 0) - (ours < 0);
        if (ours != server)
            fail_msg("cmp(%s, %s): server %d, ours %d", a[i], b[i], server, ours);
        equal += server == 0;
        compared++;
    }
    PQclear(res);
    free(la);
    free(lb);
    printf("numeric_cmp: %d pairs agree (%d equal)\n", compared, equal);
    assert_true(equal > NPAIRS / 10);
}

/* ------------------------------------------------------------------------------ */
/* (6): arithmetic: + - * / and rounded division */

/* Operands that stress carries and borrows across base-10000 groups, signs, zero and
   the special values; every pair of them is tried, and random pool values besides. */
static const char *const arith_edges[] = {
    "0", "-0.000", "1", "-1", "0.0001", "-0.0001", "9999", "10000", "-10000", "9999.9999",
    "0.00009999", "99999999", "100000000", "1.00000001", "-99999999.99999999",
    "12345678901234567890", "0.000000000000000000000000000000000001",
    "99999999999999999999999999999999999999", "-9999999999999999999.9999999999999999999",
    "3", "7", "0.3", "-1.5", "2.5", "1e20", "1e-20", "5e-1", "123456789.123456789",
    "NaN", "Infinity", "-Infinity"};

/* PostgreSQL 15's select_div_scale: the scale of its numeric "/" result. */
static int pg_div_scale(const cerd_numeric *a, const cerd_numeric *b)
{
    int w1 = 0, w2 = 0, qweight, rscale, i;
    unsigned f1 = 0, f2 = 0;
    for (i = 0; i < a->ngroups; i++)
        if ((f1 = a->digits[i]) != 0) {
            w1 = a->weight - i;
            break;
        }
    for (i = 0; i < b->ngroups; i++)
        if ((f2 = b->digits[i]) != 0) {
            w2 = b->weight - i;
            break;
        }
    qweight = w1 - w2;
    if (f1 <= f2)
        qweight--;
    rscale = 16 - qweight * 4;
    if (rscale < a->dscale)
        rscale = a->dscale;
    if (rscale < b->dscale)
        rscale = b->dscale;
    if (rscale < 0)
        rscale = 0;
    return rscale > 1000 ? 1000 : rscale;
}

/* The integer text n shifted right by s decimal places (left for s < 0), as numeric_out
   writes a value of dscale max(s, 0). */
static void shift_text(const char *n, int s, char *out, size_t size)
{
    bool neg = n[0] == '-';
    const char *d = neg ? n + 1 : n;
    size_t len = strlen(d), o = 0;
    bool zero = strspn(d, "0") == len;
    if (neg && !zero)
        out[o++] = '-';
    if (s <= 0) {
        o += (size_t)snprintf(out + o, size - o, "%s", d);
        for (int i = 0; i < -s && !zero; i++)
            out[o++] = '0';
        out[o] = '\0';
        return;
    }
    if (len <= (size_t)s) {
        o += (size_t)snprintf(out + o, size - o, "0.");
        for (size_t i = len; i < (size_t)s; i++)
            out[o++] = '0';
        snprintf(out + o, size - o, "%s", d);
        return;
    }
    memcpy(out + o, d, len - (size_t)s);
    o += len - (size_t)s;
    out[o++] = '.';
    snprintf(out + o, size - o, "%s", d + len - s);
}

/* One result of ours against the server's text (NULL: the server refused, which here
   means division by zero). Returns 1 when equal, 0 when both sides say the exact
   result is beyond CERD_NUMERIC_MAX_DIGITS. */
static int agree(const char *what, const char *x, const char *y, int rc,
                 const cerd_numeric *ours, const char *server)
{
    static char buf[4096];
    if (!server) {
        if (rc != CERD_EINVALID)
            fail_msg("%s(%s, %s): server: division by zero, ours %d", what, x, y, rc);
        if (!strstr(cerd_error_last()->message, "division by zero"))
            fail_msg("%s(%s, %s): message %s", what, x, y, cerd_error_last()->message);
        return 1;
    }
    if (rc == CERD_ERANGE) {
        if (significant_digits_of_text(server) <= CERD_NUMERIC_MAX_DIGITS)
            fail_msg("%s(%s, %s): server %s, ours out of range: %s", what, x, y, server,
                     cerd_error_last()->message);
        return 0;
    }
    if (rc != 0)
        fail_msg("%s(%s, %s): server %s, ours %d: %s", what, x, y, server, rc,
                 cerd_error_last()->message);
    if (cerd_numeric_format(ours, buf, sizeof buf) >= (int)sizeof buf ||
        strcmp(buf, server) != 0)
        fail_msg("%s(%s, %s): server %s, ours %s", what, x, y, server, buf);
    return 1;
}

#define NARITH 8000

static void test_numeric_pg__arithmetic_agrees_with_add_sub_mul_div_round(void **state)
{
    static char a[NARITH][VALUE_MAX], b[NARITH][VALUE_MAX], sc[NARITH][VALUE_MAX];
    static int ok[NVALUES];
    int nok = 0, n = 0, i, k, j;
    int same[5] = {0}, range[5] = {0}, divzero = 0, carries = 0;
    char *la, *lb, *ls;
    const char *vals[3];
    PGresult *res;
    const int nedge = (int)(sizeof arith_edges / sizeof arith_edges[0]);
    (void)state;

    for (i = 0; i < NVALUES; i++) {
        cerd_numeric v;
        if (cerd_numeric_parse(&v, values[i]) == 0 && strlen(values[i]) < 60)
            ok[nok++] = i;
    }
    for (i = 0; i < nedge; i++)
        for (k = 0; k < nedge; k++, n++) {
            snprintf(a[n], VALUE_MAX, "%s", arith_edges[i]);
            snprintf(b[n], VALUE_MAX, "%s", arith_edges[k]);
        }
    for (; n < NARITH; n++) {
        cerd_numeric v;
        memcpy(a[n], values[ok[rnd(0, nok - 1)]], VALUE_MAX);
        switch (rnd(0, 5)) {
        case 0: /* its negation plus or minus one unit in the last place: cancellation */
            assert_int_equal(cerd_numeric_parse(&v, a[n]), 0);
            if (v.sign == CERD_NUMERIC_POS || v.sign == CERD_NUMERIC_NEG) {
                v.sign = v.sign == CERD_NUMERIC_POS ? CERD_NUMERIC_NEG : CERD_NUMERIC_POS;
                if (v.ngroups > 0 && v.digits[v.ngroups - 1] < 9999 && chance(50))
                    v.digits[v.ngroups - 1]++;
            }
            fmt_or(&v, b[n], a[n]);
            break;
        case 1: /* a small integer or short decimal */
            snprintf(b[n], VALUE_MAX, "%s%d%s", chance(40) ? "-" : "", rnd(0, 20000),
                     chance(50) ? ".5" : "");
            break;
        case 2: /* an edge value */
            snprintf(b[n], VALUE_MAX, "%s", arith_edges[rnd(0, nedge - 1)]);
            break;
        default:
            memcpy(b[n], values[ok[rnd(0, nok - 1)]], VALUE_MAX);
            break;
        }
    }
    /* scales: mostly small, some large (exact quotients keep few digits there) */
    for (i = 0; i < NARITH; i++)
        snprintf(sc[i], VALUE_MAX, "%d", chance(80) ? rnd(-3, 40) : rnd(41, 1000));

    la = array_literal(a, NARITH);
    lb = array_literal(b, NARITH);
    ls = array_literal(sc, NARITH);
    vals[0] = la;
    vals[1] = lb;
    vals[2] = ls;
    /* round(x / y, s) rounded once, exactly: PostgreSQL's own round(x / y, s) rounds
       twice (first to the scale "/" chooses), so the exact quotient comes from div():
       sign * trunc((2 |x| 10^s + |y|) / (2 |y|)) is |x / y| rounded half away from zero
       at s places, times 10^s. */
    res = exec_params(
        "SELECT x + y, x - y, x * y,"
        " CASE WHEN y = 0 AND x <> 'NaN' THEN NULL ELSE x / y END,"
        " CASE WHEN x IN ('NaN', 'Infinity', '-Infinity') OR y IN ('NaN', 'Infinity',"
        "  '-Infinity') OR y = 0 THEN NULL"
        "  WHEN s >= 0 THEN (sign(x) * sign(y) * div(2 * abs(x) * ('1e' || s)::numeric"
        "   + abs(y), 2 * abs(y)))::text"
        "  ELSE (sign(x) * sign(y) * div(2 * abs(x) + abs(y) * ('1e' || -s)::numeric,"
        "   2 * abs(y) * ('1e' || -s)::numeric))::text END"
        " FROM (SELECT u.x::numeric x, u.y::numeric y, u.s::int s, u.i"
        "  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY u(x, y, s, i)) q"
        " ORDER BY q.i",
        3, NULL, vals, NULL, NULL, 0);
    assert_int_equal(PQntuples(res), NARITH);
    for (i = 0; i < NARITH; i++) {
        cerd_numeric x, y, r;
        int s = atoi(sc[i]), rc;
        static char want[4096];
        assert_int_equal(cerd_numeric_parse(&x, a[i]), 0);
        assert_int_equal(cerd_numeric_parse(&y, b[i]), 0);
        for (j = 0; j < 3; j++) {
            static const char *const names[] = {"add", "sub", "mul"};
            rc = j == 0 ? cerd_numeric_add(&r, &x, &y)
                 : j == 1 ? cerd_numeric_sub(&r, &x, &y)
                          : cerd_numeric_mul(&r, &x, &y);
            if (agree(names[j], a[i], b[i], rc, &r, PQgetvalue(res, i, j)))
                same[j]++;
            else
                range[j]++;
        }
        /* x / y at the scale PostgreSQL chooses */
        rc = cerd_numeric_div(&r, &x, &y, pg_div_scale(&x, &y));
        if ((y.sign == CERD_NUMERIC_PINF || y.sign == CERD_NUMERIC_NINF) &&
            (x.sign == CERD_NUMERIC_POS || x.sign == CERD_NUMERIC_NEG)) {
            /* finite / infinity: PostgreSQL's "/" gives 0 without decimals; ours has the
               scale asked for, as round(x / y, s) has */
            assert_string_equal(PQgetvalue(res, i, 3), "0");
            assert_int_equal(rc, 0);
            assert_int_equal(r.ngroups, 0);
            assert_int_equal(r.sign, CERD_NUMERIC_POS);
            assert_int_equal(r.dscale, pg_div_scale(&x, &y));
            same[3]++;
        } else if (agree("div", a[i], b[i], rc, &r,
                  PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3))) {
            same[3]++;
            divzero += PQgetisnull(res, i, 3);
        } else {
            range[3]++;
        }
        /* rounded at s */
        if (PQgetisnull(res, i, 4))
            continue;
        rc = cerd_numeric_div(&r, &x, &y, s);
        shift_text(PQgetvalue(res, i, 4), s, want, sizeof want);
        if (agree("round-div", a[i], b[i], rc, &r, want))
            same[4]++;
        else
            range[4]++;
    }
    /* the carries: 9999.9999 + 0.0001 and 99999999 * 99999999 among the edges */
    {
        cerd_numeric p, q, r;
        char t[64];
        assert_int_equal(cerd_numeric_parse(&p, "9999.9999"), 0);
        assert_int_equal(cerd_numeric_parse(&q, "0.0001"), 0);
        assert_int_equal(cerd_numeric_add(&r, &p, &q), 0);
        assert_string_equal(fmt(&r, t, sizeof t), "10000.0000");
        carries++;
    }
    PQclear(res);
    free(la);
    free(lb);
    free(ls);
    printf("arithmetic: agree add %d, sub %d, mul %d, div %d (%d by zero), round-div %d; "
           "beyond %d digits on both sides: %d, %d, %d, %d, %d\n",
           same[0], same[1], same[2], same[3], divzero, same[4], CERD_NUMERIC_MAX_DIGITS,
           range[0], range[1], range[2], range[3], range[4]);
    assert_true(same[0] > NARITH / 2 && same[1] > NARITH / 2 && same[2] > NARITH / 3);
    assert_true(same[3] > NARITH / 3 && same[4] > NARITH / 3 && divzero > 10);
    assert_true(range[0] > 10 && range[2] > 10 && range[3] > 10 && carries == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_pg__parse_and_format_agree_with_numeric_in_and_out),
        cmocka_unit_test(test_numeric_pg__edge_values_agree_with_numeric_in),
        cmocka_unit_test(test_numeric_pg__random_text_is_refused_exactly_when_numeric_in_does),
        cmocka_unit_test(test_numeric_pg__sent_binary_reads_back_as_our_text),
        cmocka_unit_test(test_numeric_pg__round_to_typmod_agrees_with_numeric_p_s),
        cmocka_unit_test(test_numeric_pg__cmp_agrees_with_numeric_cmp),
        cmocka_unit_test(test_numeric_pg__arithmetic_agrees_with_add_sub_mul_div_round),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
