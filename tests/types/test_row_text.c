/* rowtext.h: rows of any table to and from one text buffer (no server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>

/* Whether needle occurs in the len bytes at text (which hold NUL bytes: NULL fields). */
static bool contains(const char *text, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(text + i, needle, n) == 0)
            return true;
    return false;
}

static void expect_round_trip(const cerd_table *t, const void *row, char **text_out, size_t *len_out)
{
    char *text = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    void *back = calloc(1, t->row_size);
    assert_int_equal(cerd_rows_format_text(&text, &len, t, row, 1), 0);
    assert_non_null(text);
    assert_int_equal(cerd_row_parse_text(back, t, text, len), 0);
    assert_int_equal(cerd_rows_format_text(&again, &len2, t, back, 1), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(text, again, len);
    cerd_text_free(again);
    cerd_row_clear(t, back);
    free(back);
    *text_out = text;
    *len_out = len;
}

static void test_row_text__price_data_round_trips_exactly(void **state)
{
    (void)state;
    cerd_price_data row = {0};
    char *text;
    size_t len;
    row.asset_id = 7;
    row.timeframe = strdup("1h");
    assert_int_equal(cerd_numeric_parse(&row.open_price, "123456789012.12345678"), 0);
    assert_int_equal(cerd_numeric_parse(&row.high_price, "-0.00000001"), 0);
    assert_int_equal(cerd_numeric_parse(&row.low_price, "NaN"), 0);
    assert_int_equal(cerd_numeric_parse(&row.close_price, "1e-5"), 0);
    const char *json = "{\"x\":1.10000000000000000001,\"s\":\"a\\u001fb\"}";
    assert_int_equal(cerd_json_parse(&row.technical_indicators, json, strlen(json)), 0);
    row.candle_time = 1704164645000006;
    row.trade_count = CERD_SOME(cerd_opt_int32, -2147483647 - 1);
    expect_round_trip(&cerd_price_data_table, &row, &text, &len);
    /* plain row: no escapes; NULL fields are one NUL byte */
    assert_int_equal(text[0], 'p');
    assert_int_equal(text[len - 1], CERD_TEXT_RS);
    assert_true(contains(text, len, "2024-01-02T03:04:05.000006Z"));
    assert_true(contains(text, len, "123456789012.12345678"));
    assert_true(contains(text, len, "-0.00000001"));
    assert_true(contains(text, len, "-2147483648"));
    assert_true(contains(text, len, "1.10000000000000000001"));
    cerd_text_free(text);
    cerd_price_data_clear(&row);
}

static void test_row_text__separators_in_text_are_escaped(void **state)
{
    (void)state;
    cerd_assets row = {0};
    char *text;
    size_t len;
    row.symbol = strdup("A\x1f" "B");
    row.name = strdup("x\x1e\x1by");
    row.asset_type = strdup("crypto");
    expect_round_trip(&cerd_assets_table, &row, &text, &len);
    assert_int_equal(text[0], 'e');
    cerd_assets back = {0};
    assert_int_equal(cerd_row_parse_text(&back, &cerd_assets_table, text, len), 0);
    assert_string_equal(back.symbol, "A\x1f" "B");
    assert_string_equal(back.name, "x\x1e\x1by");
    cerd_assets_clear(&back);
    cerd_text_free(text);
    cerd_assets_clear(&row);
}

static void test_row_text__inet_and_arrays_round_trip(void **state)
{
    (void)state;
    cerd_user_sessions s = {0};
    char *text;
    size_t len;
    s.user_id = 1;
    assert_int_equal(cerd_inet_parse(&s.ip_address.value, "2001:db8::/32"), 0);
    s.ip_address.valid = true;
    expect_round_trip(&cerd_user_sessions_table, &s, &text, &len);
    assert_true(contains(text, len, "2001:db8::/32"));
    cerd_text_free(text);
    cerd_user_sessions_clear(&s);

    cerd_ai_sector_analysis a = {0};
    static char *tags[] = {"defi", NULL, "l\"2"};
    a.narrative_tag = (cerd_text_array){tags, 3, true};
    char *t2;
    size_t l2;
    assert_int_equal(cerd_rows_format_text(&t2, &l2, &cerd_ai_sector_analysis_table, &a, 1), 0);
    assert_true(contains(t2, l2, "[\"defi\",null,\"l\\\"2\"]"));
    cerd_ai_sector_analysis back = {0};
    assert_int_equal(cerd_row_parse_text(&back, &cerd_ai_sector_analysis_table, t2, l2), 0);
    assert_int_equal(back.narrative_tag.count, 3);
    assert_string_equal(back.narrative_tag.values[2], "l\"2");
    assert_null(back.narrative_tag.values[1]);
    cerd_ai_sector_analysis_clear(&back);
    cerd_text_free(t2);
}

/* Builds "p" + fields joined by FS + RS. */
static size_t build(char *out, const char *const *fields, int n)
{
    size_t len = 0;
    out[len++] = 'p';
    for (int i = 0; i < n; i++) {
        if (i)
            out[len++] = CERD_TEXT_FS;
        size_t l = fields[i] ? strlen(fields[i]) : 1;
        memcpy(out + len, fields[i] ? fields[i] : "", l); /* NULL: one NUL byte */
        len += l;
    }
    out[len++] = CERD_TEXT_RS;
    return len;
}

static void test_row_text__default_marker_and_errors(void **state)
{
    (void)state;
    const cerd_table *t = cerd_table_find("assets");
    assert_non_null(t);
    const char *f[64] = {0};
    char buf[4096];
    cerd_assets row = {0};
    int n = t->ncolumns;
    f[cerd_table_column(t, "symbol")] = "BTC";
    f[cerd_table_column(t, "name")] = "Bitcoin";
    f[cerd_table_column(t, "asset_type")] = "crypto";
    size_t len = build(buf, f, n);
    /* DEFAULT: the two bytes NUL 'D' */
    char with_default[4200];
    int ds = cerd_table_column(t, "data_source");
    f[ds] = "\x01"; /* placeholder, replaced below */
    len = build(with_default, f, n);
    char *ph = memchr(with_default, '\x01', len);
    assert_non_null(ph);
    memmove(ph + 2, ph + 1, len - (size_t)(ph + 1 - with_default));
    ph[0] = '\0';
    ph[1] = 'D';
    len++;
    assert_int_equal(cerd_row_parse_text(&row, t, with_default, len), 0);
    assert_true(cerd_colset_has(&row.defaults, (unsigned)ds));
    assert_string_equal(row.symbol, "BTC");
    cerd_assets_clear(&row);

    f[ds] = NULL;
    f[cerd_table_column(t, "market_cap_rank")] = "2147483648";
    len = build(buf, f, n);
    assert_int_equal(cerd_row_parse_text(&row, t, buf, len), CERD_ERANGE);
    assert_string_equal(cerd_error_last()->column, "market_cap_rank");
    f[cerd_table_column(t, "market_cap_rank")] = "12x";
    len = build(buf, f, n);
    assert_int_equal(cerd_row_parse_text(&row, t, buf, len), CERD_EINVALID);
    f[cerd_table_column(t, "market_cap_rank")] = NULL;
    len = build(buf, f, n - 1);
    assert_int_equal(cerd_row_parse_text(&row, t, buf, len), CERD_EINVALID);
    cerd_assets_clear(&row);

    cerd_rows many = {0};
    len = build(buf, f, n);
    memcpy(buf + len, buf, len);
    assert_int_equal(cerd_rows_parse_text(&many, t, buf, 2 * len), 0);
    assert_int_equal(many.count, 2);
    assert_string_equal(((cerd_assets *)many.rows)[1].name, "Bitcoin");
    cerd_rows_free(t, &many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_text__price_data_round_trips_exactly),
        cmocka_unit_test(test_row_text__separators_in_text_are_escaped),
        cmocka_unit_test(test_row_text__inet_and_arrays_round_trip),
        cmocka_unit_test(test_row_text__default_marker_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
