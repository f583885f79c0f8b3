/* Value types and the binary codec without a server: timestamps, inet, UTF-8 checks,
   the exact-number JSON parser and printer, and encode/decode round trips of every
   cerd_type through a hand-written table descriptor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>

#include "wire/codec.h"
#include "wire/field.h"
#include "types/json_internal.h"
#include "check.h"

/* ------------------------------------------------------------------------------ */
/* Helpers */

/* A string literal and its length without the final NUL. */
#define LIT(s) (s), (int)(sizeof(s) - 1)

static void assert_message_contains(const char *needle)
{
    const char *msg = cerd_error_last()->message;
    if (!strstr(msg, needle))
        fail_msg("error message \"%s\" does not contain \"%s\"", msg, needle);
}

static cerd_timestamp parse_ts(const char *text)
{
    cerd_timestamp ts = 0;
    int rc = cerd_timestamp_parse(&ts, text);
    if (rc)
        fail_msg("cerd_timestamp_parse(\"%s\") = %d: %s", text, rc, cerd_error_last()->message);
    return ts;
}

static void assert_format(cerd_timestamp ts, const char *expected)
{
    char buf[CERD_TIMESTAMP_BUFSIZE];
    CERD_ASSERT_OK(cerd_timestamp_format(ts, buf));
    assert_string_equal(buf, expected);
}

/* ------------------------------------------------------------------------------ */
/* Timestamps */

static void test_timestamp__epoch(void **state)
{
    (void)state;
    assert_format(0, "1970-01-01T00:00:00.000000Z");
    assert_int_equal(parse_ts("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ts("1970-01-01"), 0);
    assert_int_equal(parse_ts("1970-01-01 00:00"), 0);
}

static void test_timestamp__1900_and_2200_with_microseconds(void **state)
{
    (void)state;
    assert_format(INT64_C(-2208988800000000), "1900-01-01T00:00:00.000000Z");
    assert_int_equal(parse_ts("1900-01-01T00:00:00Z"), INT64_C(-2208988800000000));
    assert_format(INT64_C(7289654399999999), "2200-12-31T23:59:59.999999Z");
    assert_int_equal(parse_ts("2200-12-31T23:59:59.999999Z"), INT64_C(7289654399999999));
    assert_int_equal(parse_ts("2024-01-02T03:04:05.000006Z"), INT64_C(1704164645000006));
    assert_format(INT64_C(1704164645000006), "2024-01-02T03:04:05.000006Z");
}

static void test_timestamp__range_ends(void **state)
{
    char buf[CERD_TIMESTAMP_BUFSIZE];
    (void)state;
    assert_format(INT64_C(-62135596800000000), "0001-01-01T00:00:00.000000Z");
    assert_format(INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z");
    assert_int_equal(parse_ts("0001-01-01T00:00:00Z"), INT64_C(-62135596800000000));
    assert_int_equal(parse_ts("9999-12-31T23:59:59.999999Z"), INT64_C(253402300799999999));
    strcpy(buf, "x");
    assert_int_equal(cerd_timestamp_format(INT64_C(253402300800000000), buf), CERD_ERANGE);
    assert_string_equal(buf, "");
    assert_int_equal(cerd_timestamp_format(INT64_C(-62135596800000001), buf), CERD_ERANGE);
    assert_string_equal(buf, "");
    assert_int_equal(cerd_timestamp_format(INT64_MIN + 1, buf), CERD_ERANGE);
    assert_int_equal(cerd_timestamp_format(INT64_MAX - 1, buf), CERD_ERANGE);
}

static void test_timestamp__leap_years(void **state)
{
    cerd_timestamp ts;
    (void)state;
    assert_int_equal(parse_ts("2000-02-29T12:00:00Z"), INT64_C(951825600000000));
    assert_format(INT64_C(951825600000000), "2000-02-29T12:00:00.000000Z");
    assert_format(INT64_C(-11670998399999999), "1600-02-29T00:00:00.000001Z");
    assert_int_equal(parse_ts("2024-02-29") + INT64_C(86400000000), parse_ts("2024-03-01"));
    assert_int_equal(cerd_timestamp_parse(&ts, "2023-02-29"), CERD_EINVALID);
    assert_int_equal(cerd_timestamp_parse(&ts, "1900-02-29"), CERD_EINVALID);
    assert_int_equal(cerd_timestamp_parse(&ts, "2100-02-29T00:00:00Z"), CERD_EINVALID);
    assert_int_equal(cerd_timestamp_parse(&ts, "2024-02-30"), CERD_EINVALID);
    assert_int_equal(cerd_timestamp_parse(&ts, "2024-04-31"), CERD_EINVALID);
    /* 2000 is a leap year (divisible by 400): 366 days */
    assert_int_equal(parse_ts("2001-01-01") - parse_ts("2000-01-01"), INT64_C(366) * 86400000000);
    assert_int_equal(parse_ts("1901-01-01") - parse_ts("1900-01-01"), INT64_C(365) * 86400000000);
}

static void test_timestamp__negative_times_before_1970(void **state)
{
    (void)state;
    assert_format(-1, "1969-12-31T23:59:59.999999Z");
    assert_format(INT64_C(-1000000), "1969-12-31T23:59:59.000000Z");
    assert_format(INT64_C(-86400000000), "1969-12-31T00:00:00.000000Z");
    assert_int_equal(parse_ts("1969-12-31T23:59:59.999999Z"), -1);
    assert_int_equal(parse_ts("1969-12-31T23:59:59.5Z"), -500000);
}

static void test_timestamp__offsets(void **state)
{
    cerd_timestamp utc;
    (void)state;
    utc = parse_ts("2024-01-02T01:04:05Z");
    assert_int_equal(utc, INT64_C(1704157445000000));
    assert_int_equal(parse_ts("2024-01-02T03:04:05+02:00"), utc);
    assert_int_equal(parse_ts("2024-01-02T03:04:05+02"), utc);
    assert_int_equal(parse_ts("2024-01-02T03:04:05+0200"), utc);
    assert_int_equal(parse_ts("2024-01-01T17:04:05-08:00"), utc);
    assert_int_equal(parse_ts("2024-01-02T06:34:05+05:30"), utc);
    assert_int_equal(parse_ts("2024-01-02 01:04:05"), utc);
    assert_int_equal(parse_ts("2024-01-02t01:04:05z"), utc);
    assert_int_equal(parse_ts("2024-01-02T01:04:05.000000+00:00"), utc);
    /* an offset can move the instant across a day, month and year boundary */
    assert_int_equal(parse_ts("2024-01-01T00:30:00+01:00"), parse_ts("2023-12-31T23:30:00Z"));
}

static void test_timestamp__infinity(void **state)
{
    (void)state;
    assert_format(CERD_TIMESTAMP_INFINITY, "infinity");
    assert_format(CERD_TIMESTAMP_NEG_INFINITY, "-infinity");
    assert_true(parse_ts("infinity") == CERD_TIMESTAMP_INFINITY);
    assert_true(parse_ts("-infinity") == CERD_TIMESTAMP_NEG_INFINITY);
    assert_true(parse_ts("Infinity") == CERD_TIMESTAMP_INFINITY);
}

static void test_timestamp__rejects_invalid_text(void **state)
{
    static const char *bad[] = {
        "", "garbage", "2024", "2024-01", "24-01-02", "2024-1-02", "2024/01/02",
        "0000-01-01", "2024-00-10", "2024-13-01", "2024-01-00", "2024-01-32",
        "2024-01-02T", "2024-01-02T3:04", "2024-01-02T24:00:00", "2024-01-02T25:00",
        "2024-01-02T03:60", "2024-01-02T03:04:60", "2024-01-02T03:04:05.",
        "2024-01-02T03:04:05.1234567", "2024-01-02T03:04:05.123456789Z",
        "2024-01-02T03:04:05Zjunk", "2024-01-02T03:04:05+2", "2024-01-02T03:04:05+16:00",
        "2024-01-02T03:04:05+02:60", "2024-01-02T03:04:05+02:0", "2024-01-02T03:04:05 ",
        " 2024-01-02", "2024-01-02x", "infinityx", "+2024-01-02", "2024-01-02T03:04:05-",
        "2024-01-02T03:04:05.12a"};
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cerd_timestamp ts = 12345;
        int rc = cerd_timestamp_parse(&ts, bad[i]);
        if (rc != CERD_EINVALID)
            fail_msg("\"%s\" gave %d, expected CERD_EINVALID", bad[i], rc);
        assert_int_equal(ts, 12345);
        /* the message quotes the text */
        assert_non_null(strstr(cerd_error_last()->message, bad[i]));
    }
    assert_int_equal(cerd_timestamp_parse(&(cerd_timestamp){0}, "2024-01-02T03:04:05.1234567"),
                     CERD_EINVALID);
    assert_message_contains("six fractional digits");
    assert_int_equal(cerd_timestamp_parse(&(cerd_timestamp){0}, "2023-02-29"), CERD_EINVALID);
    assert_message_contains("day out of range");
    assert_int_equal(cerd_timestamp_parse(&(cerd_timestamp){0}, "2023-02-01T24:00"),
                     CERD_EINVALID);
    assert_message_contains("hour");
}

/* Every 97th day from year 1 to 9999, at a varying time of day, formats and parses
   back to itself, and consecutive days are 86400 seconds apart in the text's date. */
static void test_timestamp__format_parse_round_trip_across_the_calendar(void **state)
{
    char buf[CERD_TIMESTAMP_BUFSIZE];
    int64_t first = INT64_C(-62135596800000000), last = INT64_C(253402300799999999);
    int64_t step = INT64_C(97) * 86400000000 + 3723000017;
    (void)state;
    for (int64_t ts = first; ts <= last; ts += step) {
        cerd_timestamp back = 0;
        CERD_ASSERT_OK(cerd_timestamp_format(ts, buf));
        CERD_ASSERT_OK(cerd_timestamp_parse(&back, buf));
        if (back != ts)
            fail_msg("%lld -> %s -> %lld", (long long)ts, buf, (long long)back);
    }
}

static void test_timestamp__now_is_current(void **state)
{
    cerd_timestamp a, b;
    (void)state;
    a = cerd_timestamp_now();
    b = cerd_timestamp_now();
    assert_true(a > parse_ts("2024-01-01"));
    assert_true(a < parse_ts("2200-01-01"));
    assert_true(b >= a);
}

/* ------------------------------------------------------------------------------ */
/* inet */

static void assert_inet_round_trip(const char *in, const char *out)
{
    cerd_inet v;
    char buf[CERD_INET_BUFSIZE];
    int rc = cerd_inet_parse(&v, in);
    if (rc)
        fail_msg("cerd_inet_parse(\"%s\") = %d: %s", in, rc, cerd_error_last()->message);
    cerd_inet_format(&v, buf);
    if (strcmp(buf, out))
        fail_msg("\"%s\" formatted as \"%s\", expected \"%s\"", in, buf, out);
}

static void test_inet__ipv4(void **state)
{
    cerd_inet v;
    (void)state;
    CERD_ASSERT_OK(cerd_inet_parse(&v, "203.0.113.7"));
    assert_int_equal(v.family, 4);
    assert_int_equal(v.bits, 32);
    assert_memory_equal(v.addr, ((uint8_t[]){203, 0, 113, 7}), 4);
    CERD_ASSERT_OK(cerd_inet_parse(&v, "10.0.0.0/8"));
    assert_int_equal(v.bits, 8);
    assert_inet_round_trip("203.0.113.7", "203.0.113.7");
    assert_inet_round_trip("10.0.0.0/8", "10.0.0.0/8");
    assert_inet_round_trip("10.1.2.3/8", "10.1.2.3/8");
    assert_inet_round_trip("10.1.2.3/32", "10.1.2.3");
    assert_inet_round_trip("0.0.0.0/0", "0.0.0.0/0");
    assert_inet_round_trip("255.255.255.255", "255.255.255.255");
}

static void test_inet__ipv6_compression_as_postgresql_prints_it(void **state)
{
    cerd_inet v;
    (void)state;
    CERD_ASSERT_OK(cerd_inet_parse(&v, "2001:db8::1"));
    assert_int_equal(v.family, 6);
    assert_int_equal(v.bits, 128);
    assert_inet_round_trip("2001:db8::1", "2001:db8::1");
    assert_inet_round_trip("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
    assert_inet_round_trip("2001:db8::/32", "2001:db8::/32");
    assert_inet_round_trip("::", "::");
    assert_inet_round_trip("::/0", "::/0");
    assert_inet_round_trip("::1", "::1");
    assert_inet_round_trip("1::", "1::");
    /* the first of two equally long runs is compressed */
    assert_inet_round_trip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    /* the longest run wins */
    assert_inet_round_trip("1:0:0:2:0:0:0:3", "1:0:0:2::3");
    /* a single zero group is not compressed */
    assert_inet_round_trip("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7");
    assert_inet_round_trip("fe80:0000:0000:0000:0204:61ff:fe9d:f156/64",
                           "fe80::204:61ff:fe9d:f156/64");
    assert_inet_round_trip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_inet__ipv4_mapped_and_compatible(void **state)
{
    (void)state;
    assert_inet_round_trip("::ffff:1.2.3.4", "::ffff:1.2.3.4");
    assert_inet_round_trip("::ffff:0102:0304", "::ffff:1.2.3.4");
    assert_inet_round_trip("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104");
    assert_inet_round_trip("::1.2.3.4", "::1.2.3.4");
    assert_inet_round_trip("::0.0.1.0", "::100");
}

static void test_inet__rejects_invalid_text(void **state)
{
    static const char *bad[] = {"", "x", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/33",
                                "1.2.3.4/", "1.2.3.4/a", "1.2.3.4/-1", "1.2.3.4/1000",
                                "1.2.3.4 ", " 1.2.3.4", "::/129", "1::2::3", "12345::",
                                "::1/12x", "fe80::1%eth0", "/8"};
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cerd_inet v;
        int rc = cerd_inet_parse(&v, bad[i]);
        if (rc != CERD_EINVALID)
            fail_msg("\"%s\" gave %d, expected CERD_EINVALID", bad[i], rc);
    }
}

/* ------------------------------------------------------------------------------ */
/* Text */

static void test_text__accepts_valid_multibyte(void **state)
{
    const char *s = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e \xf4\x8f\xbf\xbf \xee\x80\x80"
                    " plain ASCII long enough for the word-at-a-time path";
    (void)state;
    CERD_ASSERT_OK(cerd_text_check(s, strlen(s)));
    CERD_ASSERT_OK(cerd_text_check("", 0));
    assert_int_equal(cerd_text_chars("h\xc3\xa9llo", 6), 5);
    assert_int_equal(cerd_text_chars("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 12), 4);
    assert_int_equal(cerd_text_chars(s, strlen(s)), 13 + 52);
    assert_int_equal(cerd_text_chars("", 0), 0);
}

static void assert_bad_text(const char *s, size_t len, size_t offset)
{
    char needle[64];
    int rc = cerd_text_check(s, len);
    if (rc != CERD_EENCODING)
        fail_msg("text of %zu bytes gave %d, expected CERD_EENCODING", len, rc);
    snprintf(needle, sizeof needle, "byte offset %zu", offset);
    assert_message_contains(needle);
}

static void test_text__rejects_overlong_forms(void **state)
{
    (void)state;
    assert_bad_text("ab\xc0\x80", 4, 2);
    assert_bad_text("ab\xc1\xbf", 4, 2);
    assert_bad_text("\xe0\x80\x80", 3, 0);
    assert_bad_text("\xe0\x9f\xbf", 3, 0);
    assert_bad_text("x\xf0\x80\x80\x80", 5, 1);
    assert_bad_text("x\xf0\x8f\xbf\xbf", 5, 1);
}

static void test_text__rejects_surrogates_and_beyond_u10ffff(void **state)
{
    (void)state;
    assert_bad_text("\xed\xa0\x80", 3, 0);             /* U+D800 */
    assert_bad_text("abc\xed\xbf\xbf", 6, 3);          /* U+DFFF */
    assert_bad_text("\xf4\x90\x80\x80", 4, 0);         /* U+110000 */
    assert_bad_text("\xf5\x80\x80\x80", 4, 0);
    assert_bad_text("\xff", 1, 0);
    assert_bad_text("\xfe", 1, 0);
    CERD_ASSERT_OK(cerd_text_check("\xed\x9f\xbf", 3)); /* U+D7FF */
}

static void test_text__rejects_truncated_sequences(void **state)
{
  (void)state;
    assert_bad_text("abc\xc3", 4, 3);
    assert_bad_text("abc\xe2\x82", 5, 3);
    assert_bad_text("\xf0\x9f\x98", 3, 0);
    assert_bad_text("\xc3(", 2, 0);
    assert_bad_text("\xe2(\xa1", 3, 0);
    assert_bad_text("0123456789\x80", 11, 10); /* lone continuation byte */
}

static void test_text__rejects_nul_byte(void **state)
{
    (void)state;
    assert_bad_text("abc\0def", 7, 3);
    assert_bad_text("\0", 1, 0);
    assert_bad_text("0123456789abcdefghi\0", 20, 19);
    assert_message_contains("NUL");
}

/* ------------------------------------------------------------------------------ */
/* JSON */

static cJSON *parse_ok(const char *text)
{
    cJSON *v = NULL;
    int rc = cerd__json_parse(text, strlen(text), &v);
    if (rc)
        fail_msg("cerd__json_parse(%s) = %d: %s", text, rc, cerd_error_last()->message);
    return v;
}

static void assert_json_prints(const char *in, const char *out)
{
    cJSON *v = parse_ok(in);
    char *s = cerd__json_print(v);
    char *c = cJSON_PrintUnformatted(v);
    assert_non_null(s);
    if (strcmp(s, out))
        fail_msg("%s printed as %s, expected %s", in, s, out);
    /* cJSON's own printer gives the same text */
    assert_string_equal(c, out);
    free(s);
    cJSON_free(c);
    cJSON_Delete(v);
}

static void test_json__parse_print_nested_unicode(void **state)
{
    cJSON *v, *a;
    (void)state;
    assert_json_prints("{\"a\": [1, 2.5, \"x\\u00e9\\n\"], \"b\": {\"c\": null, \"d\": true, "
                       "\"e\": false}, \"\xe2\x82\xac\": \"\xf0\x9f\x98\x80\"}",
                       "{\"a\":[1,2.5,\"x\xc3\xa9\\n\"],\"b\":{\"c\":null,\"d\":true,\"e\":false},"
                       "\"\xe2\x82\xac\":\"\xf0\x9f\x98\x80\"}");
    v = parse_ok(" [ \"\\ud83d\\ude00\", \"\\u20AC\", \"\\u00e9\", \"A\\u0041\" ] ");
    a = v->child;
    assert_string_equal(a->valuestring, "\xf0\x9f\x98\x80");
    assert_string_equal(a->next->valuestring, "\xe2\x82\xac");
    assert_string_equal(a->next->next->valuestring, "\xc3\xa9");
    assert_string_equal(a->next->next->next->valuestring, "AA");
    assert_int_equal(cJSON_GetArraySize(v), 4);
    /* the tree keeps cJSON's invariants: appending still works */
    assert_true(cJSON_AddItemToArray(v, cJSON_CreateNumber(7)));
    assert_int_equal(cJSON_GetArraySize(v), 5);
    assert_int_equal((int)cJSON_GetArrayItem(v, 4)->valuedouble, 7);
    cJSON_Delete(v);
    assert_json_prints("[[[[{\"k\":[[]]}]]]]", "[[[[{\"k\":[[]]}]]]]");
    assert_json_prints("{}", "{}");
    assert_json_prints("\"top-level string\"", "\"top-level string\"");
    assert_json_prints("  42  ", "42");
}

static void test_json__keeps_big_numbers_exact(void **state)
{
    static const char *raw[] = {"12345678901234567890.123456789", "1e400", "-1e400", "1E400",
                                "1.50", "-0", "0.0", "1e20", "1E+20", "1.0", "100e-2",
                                "0.30000000000000004", "123456789012345678901234567890",
                                "4.9e-324", "1e-400", "00.5e1"};
    (void)state;
    for (size_t i = 0; i < sizeof raw / sizeof *raw; i++) {
        cJSON *v = NULL;
        char *s;
        if (!strcmp(raw[i], "00.5e1")) { /* not JSON: leading zero */
            assert_int_equal(cerd__json_parse(raw[i], strlen(raw[i]), &v), CERD_EINVALID);
            continue;
        }
        v = parse_ok(raw[i]);
        if (!cJSON_IsRaw(v))
            fail_msg("%s should be a raw node", raw[i]);
        assert_string_equal(v->valuestring, raw[i]);
        s = cerd__json_print(v);
        assert_string_equal(s, raw[i]);
        free(s);
        cJSON_Delete(v);
    }
    assert_json_prints("{\"p\":12345678901234567890.123456789,\"q\":[1e400,0.1]}",
                       "{\"p\":12345678901234567890.123456789,\"q\":[1e400,0.1]}");
}

static void test_json__plain_numbers_stay_numbers(void **state)
{
    static const struct {
        const char *text;
        double value;
    } num[] = {{"0", 0},           {"1", 1},         {"-1", -1},         {"2.5", 2.5},
               {"0.1", 0.1},       {"100000", 1e5},  {"3000000000", 3e9}, {"1e+20", 1e20},
               {"-1e-05", -1e-5},  {"0.0001", 1e-4}, {"123456789012345", 123456789012345.0},
               {"1234567890123456", 1234567890123456.0}, {"4.94065645841247e-324", 4.94065645841247e-324},
               {"2.2250738585072014e-308", 2.2250738585072014e-308}, {"1e+300", 1e300}};
    (void)state;
    for (size_t i = 0; i < sizeof num / sizeof *num; i++) {
        cJSON *v = parse_ok(num[i].text);
        char *s;
        if (!cJSON_IsNumber(v))
            fail_msg("%s should be a number node", num[i].text);
        if (v->valuedouble != num[i].value)
            fail_msg("%s parsed as %.17g", num[i].text, v->valuedouble);
        s = cerd__json_print(v);
        assert_string_equal(s, num[i].text);
        free(s);
        cJSON_Delete(v);
    }
}

/* For many generated number tokens: whatever node the parser makes, cJSON's printer and
   ours give back the token exactly; and a token cJSON's own parse-and-print reproduces
   is a Number (except -0, which is kept raw because cJSON versions print it differently). */
static void test_json__number_nodes_print_back_exactly(void **state)
{
    uint64_t seed = 0x9E3779B97F4A7C15u;
    int numbers = 0;
    (void)state;
    for (int iter = 0; iter < 60000; iter++) {
        char tok[64];
        size_t n = 0;
        int ndig, nfrac;
        cJSON *mine = NULL, *theirs;
        char *p1, *p2;

#define RND() (seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17, seed)
        if (RND() % 3 == 0)
            tok[n++] = '-';
        ndig = 1 + (int)(RND() % 18);
        tok[n++] = ndig == 1 ? (char)('0' + RND() % 10) : (char)('1' + RND() % 9);
        for (int i = 1; i < ndig; i++)
            tok[n++] = (char)('0' + (RND() % 4 == 0 ? 0 : RND() % 10));
        if (RND() % 2) {
            nfrac = 1 + (int)(RND() % 17);
            tok[n++] = '.';
            for (int i = 0; i < nfrac; i++)
                tok[n++] = (char)('0' + RND() % 10);
        }
        if (RND() % 3 == 0) {
            tok[n++] = RND() % 2 ? 'e' : 'E';
            switch (RND() % 3) {
            case 0: tok[n++] = '-'; break;
            case 1: tok[n++] = '+'; break;
            default: break;
            }
            n += (size_t)sprintf(tok + n, "%d", (int)(RND() % 330));
        }
        tok[n] = '\0';
#undef RND
        /* also the %g form of random doubles */
        if (iter % 4 == 0) {
            double d;
            uint64_t bits = seed;
            memcpy(&d, &bits, sizeof d);
            if (d != d || d - d != 0)
                continue;
            snprintf(tok, sizeof tok, iter % 8 ? "%1.15g" : "%1.17g", d);
            n = strlen(tok);
        }

        CERD_ASSERT_OK(cerd__json_parse(tok, n, &mine));
        p1 = cJSON_PrintUnformatted(mine);
        p2 = cerd__json_print(mine);
        if (strcmp(p1, tok) || strcmp(p2, tok))
            fail_msg("%s printed as %s (cJSON) / %s (ours)", tok, p1, p2);
        theirs = cJSON_Parse(tok);
        if (theirs && strcmp(tok, "-0")) {
            char *p3 = cJSON_PrintUnformatted(theirs);
            if (!strcmp(p3, tok) && !cJSON_IsNumber(mine))
                fail_msg("%s is reproduced by cJSON but was kept raw", tok);
            if (cJSON_IsNumber(mine) && mine->valuedouble != theirs->valuedouble)
                fail_msg("%s: %.17g, cJSON says %.17g", tok, mine->valuedouble,
                         theirs->valuedouble);
            cJSON_free(p3);
        }
        numbers += cJSON_IsNumber(mine);
        cJSON_Delete(theirs);
        cJSON_free(p1);
        free(p2);
        cJSON_Delete(mine);
    }
    /* the generator produced both kinds */
    assert_true(numbers > 1000);
}

/* Our printer writes every double exactly as cJSON's printer does: random bit patterns,
   integers around the fast path's bounds, and a few special values. */
static void test_json__printer_matches_cjson_for_any_double(void **state)
{
    uint64_t seed = 12345;
    static const double special[] = {0.0, -0.0, 1e15, -1e15, 999999999999999.0,
                                     -999999999999999.0, 2147483647.0, 2147483648.0,
                                     -2147483649.0, 9007199254740993.0, 0.5, -0.5, 1e-320,
                                     1.7976931348623157e308, 5e-324, 123456.789};
    (void)state;
    for (int iter = 0; iter < 100000; iter++) {
        double d;
        cJSON *n;
        char *ours, *theirs;
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        if (iter < (int)(sizeof special / sizeof *special))
            d = special[iter];
        else if (iter % 3 == 0)
            d = (double)(int64_t)(seed % 4000000000000000u) - 2e15;
        else if (iter % 3 == 1)
            d = (double)(int32_t)seed / 1000.0;
        else
            memcpy(&d, &seed, sizeof d);
        n = cJSON_CreateNumber(d);
        ours = cerd__json_print(n);
        theirs = cJSON_PrintUnformatted(n);
        if (strcmp(ours, theirs))
            fail_msg("%.17g: we print %s, cJSON prints %s", d, ours, theirs);
        free(ours);
        cJSON_free(theirs);
        cJSON_Delete(n);
    }
}

static void test_json__escapes(void **state)
{
    cJSON *v;
    char *s;
    (void)state;
    v = parse_ok("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0001 \\u001f \\u007f\"");
    assert_string_equal(v->valuestring, "q\" b\\ s/ \b\f\n\r\t \x01 \x1f \x7f");
    s = cerd__json_print(v);
    assert_string_equal(s, "\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001 \\u001f \x7f\"");
    free(s);
    cJSON_Delete(v);
    v = parse_ok("{\"k\\n\\u00e9\": 1}");
    assert_string_equal(v->child->string, "k\n\xc3\xa9");
    s = cerd__json_print(v);
    assert_string_equal(s, "{\"k\\n\xc3\xa9\":1}");
    free(s);
    cJSON_Delete(v);
}

static void assert_json_invalid(const char *text, size_t len, int code)
{
    cJSON *v = (cJSON *)1;
    int rc = cerd__json_parse(text, len, &v);
    if (rc != code)
        fail_msg("parsing %.*s gave %d, expected %d", (int)len, text, rc, code);
    assert_null(v);
}

static void test_json__rejects_invalid_input(void **state)
{
    static const char *bad[] = {
        "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
        "{a:1}", "{1:2}", "[1 2]", "01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "1.e5",
        "0x10", "tru", "true1", "nul", "nulll", "True", "NaN", "Infinity", "-Infinity",
        "'a'", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\u0000\"",
        "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
        "\"\\ud800x\"", "\"\\ud83d\\ud83d\"", "[1] x", "[1][2]", "\"\x01\"", "\"a\nb\"",
        "\"\xff\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "[\"\xe2\x82\"]", "\xef\xbb\xbf{}",
        "/* c */ 1", "[1]//", "1 2", "\"\\", "\"\\\"", "[\"a\",", "{\"a\":1 \"b\":2}",
        "nan", "1_000", "1.5.3", "- 1", "\x00"};
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_json_invalid(bad[i], strlen(bad[i]), CERD_EINVALID);
    /* embedded NUL bytes, given by length */
    assert_json_invalid(LIT("[1]\0"), CERD_EINVALID);
    assert_json_invalid(LIT("\"a\0b\""), CERD_EINVALID);
    assert_json_invalid(LIT("\0"), CERD_EINVALID);
    /* a length shorter than the text: only that much is read */
    assert_json_invalid("[1,2]", 4, CERD_EINVALID);
    assert_json_invalid(LIT("\"\\u0000\""), CERD_EINVALID);
    assert_message_contains("\\u0000");
    assert_json_invalid(LIT("[1,}"), CERD_EINVALID);
    assert_message_contains("byte offset 3");
}

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 1);
    for (int i = 0; i < depth; i++) {
        s[i] = '[';
        s[depth * 2 - 1 - i] = ']';
    }
    s[depth * 2] = '\0';
    return s;
}

static void test_json__depth_limit(void **state)
{
    char *ok = nested(CERD_JSON_MAX_DEPTH), *deep = nested(CERD_JSON_MAX_DEPTH + 1);
    cJSON *v = NULL, *top, *cur;
    char *s;
    (void)state;
    CERD_ASSERT_OK(cerd__json_parse(ok, strlen(ok), &v));
    s = cerd__json_print(v);
    assert_string_equal(s, ok);
    free(s);
    cJSON_Delete(v);
    assert_json_invalid(deep, strlen(deep), CERD_ERANGE);
    /* only the opening brackets: refused at the limit, never read past the end */
    assert_json_invalid(deep, CERD_JSON_MAX_DEPTH + 1, CERD_ERANGE);
    assert_json_invalid(ok, CERD_JSON_MAX_DEPTH, CERD_EINVALID);
    free(ok);
    free(deep);

    /* printing a tree deeper than the limit fails instead of exhausting the stack */
    top = cur = cJSON_CreateArray();
    for (int i = 0; i < CERD_JSON_MAX_DEPTH + 5; i++) {
        cJSON *next = cJSON_CreateArray();
        cJSON_AddItemToArray(cur, next);
        cur = next;
    }
    assert_null(cerd__json_print(top));
    assert_int_equal(cerd_error_last()->code, CERD_EINVALID);
    cJSON_Delete(top);
}

static void test_json__printer_refuses_invalid_utf8_and_prints_nonfinite_as_null(void **state)
{
    cJSON *o = cJSON_CreateObject();
    char *s;
    (void)state;
    cJSON_AddItemToObject(o, "n", cJSON_CreateNumber(1.0 / 3.0));
    cJSON_AddItemToObject(o, "inf", cJSON_CreateNumber(HUGE_VAL));
    cJSON_AddItemToObject(o, "r", cJSON_CreateRaw("1.000"));
    cJSON_AddItemToObject(o, "i", cJSON_CreateNumber(-123456789012345.0));
    cJSON_AddItemToObject(o, "z", cJSON_CreateNumber(-0.0));
    cJSON_AddItemToObject(o, "big", cJSON_CreateNumber(1e15));
    s = cerd__json_print(o);
    assert_string_equal(s, "{\"n\":0.33333333333333331,\"inf\":null,\"r\":1.000,"
                           "\"i\":-123456789012345,\"z\":-0,\"big\":1e+15}");
    {
        char *c = cJSON_PrintUnformatted(o); /* the same text as cJSON's own printer */
        assert_string_equal(s, c);
        cJSON_free(c);
    }
    free(s);
    cJSON_AddItemToObject(o, "bad", cJSON_CreateString("\xc3"));
    assert_null(cerd__json_print(o));
    assert_int_equal(cerd_error_last()->code, CERD_EENCODING);
    cJSON_Delete(o);
    o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "\xff", cJSON_CreateNull());
    assert_null(cerd__json_print(o));
    assert_int_equal(cerd_error_last()->code, CERD_EENCODING);
    cJSON_Delete(o);
}

/* Truncations and random byte mutations of valid documents: every outcome is a clean
   success or a clean error (run under ASan to make this meaningful). */
static void test_json__invalid_inputs_never_crash(void **state)
{
    static const char *docs[] = {
        ("{\"a\":[1,2.5,-3e-7,\"x\\u00e9\\ud83d\\ude00\\n\"],\"b\":{\"c\":null,\"d\":true,"
         "\"e\":false},\"\xe2\x82\xac\":12345678901234567890.123456789}"),
        "[[[{\"k\":[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]}]]]", "\"\\u20ac\"", "-0.5E+10"};
    uint64_t seed = 42;
    int ok = 0, failed = 0;
    (void)state;
    for (size_t d = 0; d < sizeof docs / sizeof *docs; d++) {
        size_t len = strlen(docs[d]);
        char *buf = malloc(len);
        for (size_t cut = 0; cut <= len; cut++) {
            cJSON *v = NULL;
            memcpy(buf, docs[d], cut);
            /* an exactly sized copy lets ASan catch any read past the end */
            if (cerd__json_parse(buf, cut, &v) == 0) {
                ok++;
                cJSON_Delete(v);
            } else {
                failed++;
                assert_null(v);
            }
        }
        for (int iter = 0; iter < 20000; iter++) {
            cJSON *v = NULL;
            memcpy(buf, docs[d], len);
            for (int k = 0; k < 1 + iter % 3; k++) {
                seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
                buf[seed % len] = (char)(seed >> 32);
            }
            if (cerd__json_parse(buf, len - (size_t)(iter % 2), &v) == 0) {
                char *s = cerd__json_print(v);
                cJSON *again = NULL;
                ok++;
                /* whatever parses, prints to something that parses to the same text */
                assert_non_null(s);
                CERD_ASSERT_OK(cerd__json_parse(s, strlen(s), &again));
                {
                    char *s2 = cerd__json_print(again);
                    assert_string_equal(s, s2);
                    free(s2);
                }
                cJSON_Delete(again);
                free(s);
                cJSON_Delete(v);
            } else {
                failed++;
                assert_null(v);
            }
        }
        free(buf);
    }
    assert_true(ok > 0);
    assert_true(failed > 0);
}

/* ------------------------------------------------------------------------------ */
/* Codec */

typedef struct all_row {
    int64_t id;
    int64_t i64;
    cerd_opt_int64 oi64;
    int32_t i32;
    cerd_opt_int32 oi32;
    bool b;
    cerd_opt_bool ob;
    cerd_numeric num;
    cerd_opt_numeric onum;
    cerd_timestamp ts;
    cerd_opt_timestamp ots;
    char *txt;
    char *vc;
    cJSON *js;
    cerd_inet ip;
    cerd_opt_inet oip;
    cerd_int32_array ia;
    cerd_text_array ta;
} all_row;

enum {
    C_ID, C_I64, C_OI64, C_I32, C_OI32, C_B, C_OB, C_NUM, C_ONUM, C_TS, C_OTS, C_TXT, C_VC,
    C_JS, C_IP, C_OIP, C_IA, C_TA, NCOLS
};

#define COL(n, ty, fl, field, maxc, p, s)                                                   \
    {.name = n, .type = ty, .flags = fl, .offset = offsetof(all_row, field),                \
     .max_chars = maxc, .precision = p, .scale = s}
#define NN CERD_COL_NOT_NULL
#define OPT CERD_COL_OPTIONAL

static const cerd_column all_columns[NCOLS] = {
    COL("id", CERD_TYPE_INT64, NN | CERD_COL_IDENTITY | CERD_COL_PRIMARY_KEY, id, -1, -1, -1),
    COL("i64", CERD_TYPE_INT64, NN, i64, -1, -1, -1),
    COL("oi64", CERD_TYPE_INT64, OPT, oi64, -1, -1, -1),
    COL("i32", CERD_TYPE_INT32, NN, i32, -1, -1, -1),
    COL("oi32", CERD_TYPE_INT32, OPT | CERD_COL_HAS_DEFAULT, oi32, -1, -1, -1),
    COL("b", CERD_TYPE_BOOL, NN, b, -1, -1, -1),
    COL("ob", CERD_TYPE_BOOL, OPT, ob, -1, -1, -1),
    COL("num", CERD_TYPE_NUMERIC, NN, num, -1, 20, 8),
    COL("onum", CERD_TYPE_NUMERIC, OPT, onum, -1, -1, -1),
    COL("ts", CERD_TYPE_TIMESTAMPTZ, NN, ts, -1, -1, -1),
    COL("ots", CERD_TYPE_TIMESTAMPTZ, OPT, ots, -1, -1, -1),
    COL("txt", CERD_TYPE_TEXT, NN, txt, -1, -1, -1),
    COL("vc", CERD_TYPE_TEXT, 0, vc, 10, -1, -1),
    COL("js", CERD_TYPE_JSONB, 0, js, -1, -1, -1),
    COL("ip", CERD_TYPE_INET, NN, ip, -1, -1, -1),
    COL("oip", CERD_TYPE_INET, OPT, oip, -1, -1, -1),
    COL("ia", CERD_TYPE_INT32_ARRAY, 0, ia, -1, -1, -1),
    COL("ta", CERD_TYPE_TEXT_ARRAY, 0, ta, 50, -1, -1),
};

static const cerd_table all_table = {
    .abi = CERD_TABLE_ABI,
    .name = "all_types",
    .row_size = sizeof(all_row),
    .ncolumns = NCOLS,
    .columns = all_columns,
    .primary_key = {.name = "all_types_pkey", .ncolumns = 1, .columns = {C_ID}},
    .soft_delete_column = -1,
};

static void free_row(all_row *r)
{
    for (int i = 0; i < NCOLS; i++)
        cerd__field_free(&all_columns[i], r);
}

static cerd_numeric num(const char *text)
{
    cerd_numeric n;
    int rc = cerd_numeric_parse(&n, text);
    if (rc)
        fail_msg("cerd_numeric_parse(%s): %s", text, cerd_error_last()->message);
    return n;
}

static int32_t ia_values[] = {1, -2, 0, INT32_MAX, INT32_MIN};
static bool ia_nulls[] = {false, false, true, false, false};
static char *ta_values[] = {"alpha", NULL, "\xc3\xa9t\xc3\xa9", ""};

/* A row with every field present; owns nothing (borrowed literals), except js. */
static all_row full_row(void)
{
    all_row r;
    memset(&r, 0, sizeof r);
    r.id = 42;
    r.i64 = INT64_MIN;
    r.oi64 = CERD_SOME(cerd_opt_int64, INT64_MAX);
    r.i32 = -123456;
    r.oi32 = CERD_SOME(cerd_opt_int32, 7);
    r.b = true;
    r.ob = CERD_SOME(cerd_opt_bool, false);
    r.num = num("-12345678901.12345678");
    r.onum = CERD_SOME(cerd_opt_numeric, num("123456789012345678901234567890.12345678"));
    r.ts = INT64_C(7289654399999999);
    r.ots = CERD_SOME(cerd_opt_timestamp, INT64_C(-2208988800000000));
    r.txt = "h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x98\x80";
    r.vc = "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
           "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac";
    r.js = parse_ok("{\"a\":[1,12345678901234567890.123456789,\"\xc3\xa9\"],\"b\":{\"c\":null}}");
    CERD_ASSERT_OK(cerd_inet_parse(&r.ip, "2001:db8::1/64"));
    r.oip.valid = true;
    CERD_ASSERT_OK(cerd_inet_parse(&r.oip.value, "10.0.0.1"));
    r.ia = (cerd_int32_array){.values = ia_values, .nulls = ia_nulls, .count = 5, .valid = true};
    r.ta = (cerd_text_array){.values = ta_values, .count = 4, .valid = true};
    return r;
}

static void assert_rows_equal(const all_row *a, const all_row *b)
{
    char *ja, *jb;
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->i64, b->i64);
    assert_int_equal(a->oi64.valid, b->oi64.valid);
    assert_int_equal(a->oi64.value, b->oi64.value);
    assert_int_equal(a->i32, b->i32);
    assert_int_equal(a->oi32.valid, b->oi32.valid);
    assert_int_equal(a->oi32.value, b->oi32.value);
    assert_int_equal(a->b, b->b);
    assert_int_equal(a->ob.valid, b->ob.valid);
    assert_int_equal(a->ob.value, b->ob.value);
    assert_int_equal(cerd_numeric_cmp(&a->num, &b->num), 0);
    assert_int_equal(a->num.dscale, b->num.dscale);
    assert_int_equal(a->onum.valid, b->onum.valid);
    if (a->onum.valid) {
        assert_int_equal(cerd_numeric_cmp(&a->onum.value, &b->onum.value), 0);
        assert_int_equal(a->onum.value.dscale, b->onum.value.dscale);
    }
    assert_int_equal(a->ts, b->ts);
    assert_int_equal(a->ots.valid, b->ots.valid);
    assert_int_equal(a->ots.value, b->ots.value);
    assert_string_equal(a->txt, b->txt);
    if (a->vc || b->vc)
        assert_string_equal(a->vc, b->vc);
    assert_int_equal(!a->js, !b->js);
    if (a->js) {
        ja = cerd__json_print(a->js);
        jb = cerd__json_print(b->js);
        assert_string_equal(ja, jb);
        free(ja);
        free(jb);
    }
    assert_memory_equal(&a->ip, &b->ip, sizeof a->ip);
    assert_int_equal(a->oip.valid, b->oip.valid);
    if (a->oip.valid)
        assert_memory_equal(&a->oip.value, &b->oip.value, sizeof a->oip.value);
    assert_int_equal(a->ia.valid, b->ia.valid);
    assert_int_equal(a->ia.count, b->ia.count);
    for (size_t i = 0; i < a->ia.count; i++) {
        bool na = a->ia.nulls && a->ia.nulls[i], nb = b->ia.nulls && b->ia.nulls[i];
        assert_int_equal(na, nb);
        if (!na)
            assert_int_equal(a->ia.values[i], b->ia.values[i]);
    }
    assert_int_equal(a->ta.valid, b->ta.valid);
    assert_int_equal(a->ta.count, b->ta.count);
    for (size_t i = 0; i < a->ta.count; i++) {
        assert_int_equal(!a->ta.values[i], !b->ta.values[i]);
        if (a->ta.values[i])
            assert_string_equal(a->ta.values[i], b->ta.values[i]);
    }
}

/* Encodes every non-NULL field of in and decodes it into out (NULL fields: len -1). */
static void round_trip(const all_row *in, all_row *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < NCOLS; i++) {
        const cerd_column *c = &all_columns[i];
        cerd__buf b = {0};
        int rc;
        if (cerd__field_is_null(c, in)) {
            CERD_ASSERT_OK(cerd__decode_field(&all_table, c, NULL, -1, out));
            continue;
        }
        rc = cerd__encode_field(&all_table, c, in, &b);
        if (rc)
            fail_msg("encode %s: %d %s", c->name, rc, cerd_error_last()->message);
        rc = cerd__decode_field(&all_table, c, b.data ? b.data : "", (int)b.len, out);
        if (rc)
            fail_msg("decode %s: %d %s", c->name, rc, cerd_error_last()->message);
        cerd__buf_free(&b);
    }
}

static void test_codec__round_trips_every_type(void **state)
{
    all_row in = full_row(), out;
    (void)state;
    round_trip(&in, &out);
    assert_rows_equal(&in, &out);
    /* decoded strings and arrays are fresh allocations */
    assert_ptr_not_equal(out.txt, in.txt);
    assert_ptr_not_equal(out.ia.values, in.ia.values);
    assert_non_null(out.ia.nulls);
    free_row(&out);
    cJSON_Delete(in.js);
}

static void test_codec__round_trips_edge_values(void **state)
{
    all_row in = full_row(), out;
    int32_t one[] = {5};
    char *empty_strings[] = {"", ""};
    (void)state;
    in.i64 = INT64_MAX;
    in.i32 = INT32_MIN;
    in.b = false;
    in.num = num("0");
    in.onum = CERD_SOME(cerd_opt_numeric, num("NaN"));
    in.ts = CERD_TIMESTAMP_INFINITY;
    in.ots = CERD_SOME(cerd_opt_timestamp, CERD_TIMESTAMP_NEG_INFINITY);
    in.txt = "";
    in.vc = "exactly10!";
    cJSON_Delete(in.js);
    in.js = parse_ok("[]");
    CERD_ASSERT_OK(cerd_inet_parse(&in.ip, "::ffff:1.2.3.4"));
    CERD_ASSERT_OK(cerd_inet_parse(&in.oip.value, "0.0.0.0/0"));
    in.ia = (cerd_int32_array){.values = one, .nulls = NULL, .count = 1, .valid = true};
    in.ta = (cerd_text_array){.values = empty_strings, .count = 2, .valid = true};
    round_trip(&in, &out);
    assert_rows_equal(&in, &out);
    assert_null(out.ia.nulls); /* no NULL element: no nulls array */
    free_row(&out);
    cJSON_Delete(in.js);
}

static void test_codec__null_rules(void **state)
{
    all_row r, out;
    (void)state;
    memset(&r, 0, sizeof r);
    /* zero-initialised: identity 0, optionals invalid, pointers NULL, arrays invalid are
       NULL; plain values never are */
    static const int null_cols[] = {C_ID, C_OI64, C_OI32, C_OB, C_ONUM, C_OTS, C_VC, C_JS,
                                    C_OIP, C_IA, C_TA, C_TXT};
    static const int plain_cols[] = {C_I64, C_I32, C_B, C_NUM, C_TS, C_IP};
    for (size_t i = 0; i < sizeof null_cols / sizeof *null_cols; i++)
        assert_true(cerd__field_is_null(&all_columns[null_cols[i]], &r));
    for (size_t i = 0; i < sizeof plain_cols / sizeof *plain_cols; i++)
        assert_false(cerd__field_is_null(&all_columns[plain_cols[i]], &r));
    r.id = 1;
    r.oi64.valid = true;
    r.ia.valid = true; /* empty array, not NULL */
    assert_false(cerd__field_is_null(&all_columns[C_ID], &r));
    assert_false(cerd__field_is_null(&all_columns[C_OI64], &r));
    assert_false(cerd__field_is_null(&all_columns[C_IA], &r));

    /* decoding SQL NULL into a nullable field clears it */
    memset(&out, 0xAB, sizeof out);
    for (size_t i = 0; i < sizeof null_cols / sizeof *null_cols; i++) {
        if (null_cols[i] == C_ID)
            continue;
        CERD_ASSERT_OK(cerd__decode_field(&all_table, &all_columns[null_cols[i]], NULL, -1,
                                          &out));
        assert_true(cerd__field_is_null(&all_columns[null_cols[i]], &out));
    }
    /* ... and into a plain field is an error naming the column, leaving it zero */
    assert_int_equal(cerd__decode_field(&all_table, &all_columns[C_I64], NULL, -1, &out),
                     CERD_ERROR);
    assert_message_contains("all_types.i64");
    assert_int_equal(out.i64, 0);
}

static void encode_bytes(int col, const all_row *r, const void *expected, size_t len)
{
    cerd__buf b = {0};
    int rc = cerd__encode_field(&all_table, &all_columns[col], r, &b);
    if (rc)
        fail_msg("encode %s: %s", all_columns[col].name, cerd_error_last()->message);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, expected, len);
    cerd__buf_free(&b);
}

static void test_codec__wire_format_bytes(void **state)
{
    all_row r;
    (void)state;
    memset(&r, 0, sizeof r);
    r.i64 = INT64_C(0x0102030405060708);
    encode_bytes(C_I64, &r, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    r.i32 = -2;
    encode_bytes(C_I32, &r, "\xff\xff\xff\xfe", 4);
    r.b = true;
    encode_bytes(C_B, &r, "\x01", 1);
    /* timestamps count from 2000-01-01 on the wire: the Unix epoch is -946684800 s */
    r.ts = 0;
    encode_bytes(C_TS, &r, "\xff\xfc\xa2\xfe\xc4\xc8\x20\x00", 8);
    r.ts = INT64_C(946684800000000);
    encode_bytes(C_TS, &r, "\0\0\0\0\0\0\0\0", 8);
    r.ts = CERD_TIMESTAMP_INFINITY;
    encode_bytes(C_TS, &r, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8);
    r.ts = CERD_TIMESTAMP_NEG_INFINITY;
    encode_bytes(C_TS, &r, "\x80\0\0\0\0\0\0\0", 8);
    CERD_ASSERT_OK(cerd_inet_parse(&r.ip, "10.1.2.3/8"));
    encode_bytes(C_IP, &r, "\x02\x08\x00\x04\x0a\x01\x02\x03", 8);
    CERD_ASSERT_OK(cerd_inet_parse(&r.ip, "::1"));
    encode_bytes(C_IP, &r, "\x03\x80\x00\x10\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 20);
    r.js = parse_ok("{\"a\": 1}");
    encode_bytes(C_JS, &r, "\x01{\"a\":1}", 8);
    cJSON_Delete(r.js);
    r.js = NULL;
    /* empty array: no dimensions */
    r.ia.valid = true;
    encode_bytes(C_IA, &r, "\0\0\0\0" "\0\0\0\0" "\0\0\0\x17", 12);
    {
        int32_t v[] = {7, 0};
        bool n[] = {false, true};
        r.ia = (cerd_int32_array){.values = v, .nulls = n, .count = 2, .valid = true};
        encode_bytes(C_IA, &r,
                     "\0\0\0\x01" "\0\0\0\x01" "\0\0\0\x17" "\0\0\0\x02" "\0\0\0\x01"
                     "\0\0\0\x04" "\0\0\0\x07" "\xff\xff\xff\xff",
                     32);
    }
    {
        char *v[] = {"ab", NULL};
        r.ta = (cerd_text_array){.values = v, .count = 2, .valid = true};
        encode_bytes(C_TA, &r,
                     "\0\0\0\x01" "\0\0\0\x01" "\0\0\0\x19" "\0\0\0\x02" "\0\0\0\x01"
                     "\0\0\0\x02" "ab" "\xff\xff\xff\xff",
                     30);
    }
    assert_int_equal(cerd__type_oid(CERD_TYPE_INT64), 20);
    assert_int_equal(cerd__type_oid(CERD_TYPE_INT32), 23);
    assert_int_equal(cerd__type_oid(CERD_TYPE_BOOL), 16);
    assert_int_equal(cerd__type_oid(CERD_TYPE_NUMERIC), 1700);
    assert_int_equal(cerd__type_oid(CERD_TYPE_TIMESTAMPTZ), 1184);
    assert_int_equal(cerd__type_oid(CERD_TYPE_TEXT), 25);
    assert_int_equal(cerd__type_oid(CERD_TYPE_JSONB), 3802);
    assert_int_equal(cerd__type_oid(CERD_TYPE_INET), 869);
    assert_int_equal(cerd__type_oid(CERD_TYPE_INT32_ARRAY), 1007);
    assert_int_equal(cerd__type_oid(CERD_TYPE_TEXT_ARRAY), 1009);
}

static void test_codec__text_checks_encoding_and_varchar_length(void **state)
{
    all_row r;
    cerd__buf b = {0};
    char *elems[] = {"ok", "bad\xc3"};
    char fifty_one[52];
    (void)state;
    memset(&r, 0, sizeof r);
    r.vc = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    CERD_ASSERT_OK(cerd__encode_field(&all_table, &all_columns[C_VC], &r, &b));
    assert_int_equal(b.len, 20);
    r.vc = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x";
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_VC], &r, &b), CERD_ERANGE);
    assert_int_equal(b.len, 20); /* nothing appended on failure */
    assert_message_contains("all_types.vc");
    assert_message_contains("character varying(10)");
    assert_message_contains("11 characters");
    /* excess characters that are all spaces are truncated by PostgreSQL, not refused */
    r.vc = "0123456789   ";
    CERD_ASSERT_OK(cerd__encode_field(&all_table, &all_columns[C_VC], &r, &b));
    r.vc = "0123456789  x";
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_VC], &r, &b), CERD_ERANGE);
    /* text without a limit */
    r.txt = "ab\xed\xa0\x80";
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_TXT], &r, &b),
                     CERD_EENCODING);
    assert_message_contains("all_types.txt");
    assert_message_contains("byte offset 2");
    /* array elements, each checked, the message naming the element */
    r.ta = (cerd_text_array){.values = elems, .count = 2, .valid = true};
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_TA], &r, &b),
                     CERD_EENCODING);
    assert_message_contains("all_types.ta[2]");
    memset(fifty_one, 'x', 51);
    fifty_one[51] = '\0';
    elems[1] = fifty_one;
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_TA], &r, &b), CERD_ERANGE);
    assert_message_contains("character varying(50)");
    fifty_one[50] = '\0';
    CERD_ASSERT_OK(cerd__encode_field(&all_table, &all_columns[C_TA], &r, &b));
    cerd__buf_free(&b);
}

static void test_codec__decode_rejects_bad_text(void **state)
{
    all_row out;
    (void)state;
    memset(&out, 0, sizeof out);
    assert_int_equal(cerd__decode_field(&all_table, &all_columns[C_TXT], LIT("a\0b"), &out),
                     CERD_EENCODING);
    assert_null(out.txt);
    assert_message_contains("all_types.txt");
    assert_int_equal(cerd__decode_field(&all_table, &all_columns[C_TXT], LIT("\xe9t\xe9"), &out),
                     CERD_EENCODING);
    assert_null(out.txt);
    assert_int_equal(cerd__decode_field(&all_table, &all_columns[C_TA],
                                        LIT("\0\0\0\x01" "\0\0\0\0" "\0\0\0\x19" "\0\0\0\x01"
                                        "\0\0\0\x01" "\0\0\0\x01" "\xff"), &out),
                     CERD_EENCODING);
    assert_false(out.ta.valid);
    assert_null(out.ta.values);
    /* a valid value with an embedded length decodes to a NUL-terminated copy */
    CERD_ASSERT_OK(cerd__decode_field(&all_table, &all_columns[C_TXT], "abcdef", 3, &out));
    assert_string_equal(out.txt, "abc");
    free_row(&out);
}

static void test_codec__decode_accepts_what_postgresql_sends_for_arrays(void **state)
{
    all_row out;
    (void)state;
    memset(&out, 0, sizeof out);
    /* has_null set, lower bound 0, element type varchar (1043) for a varchar[] column */
    CERD_ASSERT_OK(cerd__decode_field(&all_table, &all_columns[C_TA],
                                      LIT("\0\0\0\x01" "\0\0\0\x01" "\0\0\x04\x13" "\0\0\0\x03"
                                      "\0\0\0\0" "\xff\xff\xff\xff" "\0\0\0\x01" "a"
                                      "\0\0\0\0"), &out));
    assert_true(out.ta.valid);
    assert_int_equal(out.ta.count, 3);
    assert_null(out.ta.values[0]);
    assert_string_equal(out.ta.values[1], "a");
    assert_string_equal(out.ta.values[2], "");
    /* has_null set but no NULL element: no nulls array */
    CERD_ASSERT_OK(cerd__decode_field(&all_table, &all_columns[C_IA],
                                      LIT("\0\0\0\x01" "\0\0\0\x01" "\0\0\0\x17" "\0\0\0\x01"
                                      "\xff\xff\xff\xfb" "\0\0\0\x04" "\0\0\0\x09"), &out));
    assert_int_equal(out.ia.count, 1);
    assert_int_equal(out.ia.values[0], 9);
    assert_null(out.ia.nulls);
    free_row(&out);
    /* empty array */
    CERD_ASSERT_OK(cerd__decode_field(&all_table, &all_columns[C_IA],
                                      LIT("\0\0\0\0" "\0\0\0\0" "\0\0\0\x17"), &out));
    assert_true(out.ia.valid);
    assert_int_equal(out.ia.count, 0);
    free_row(&out);
    assert_false(out.ia.valid);
}

static void assert_decode_fails(int col, const char *data, int len, int code)
{
    all_row out;
    int rc;
    memset(&out, 0, sizeof out);
    rc = cerd__decode_field(&all_table, &all_columns[col], data, len, &out);
    if (rc != code)
        fail_msg("decoding %d bytes into %s gave %d, expected %d", len, all_columns[col].name,
                 rc, code);
    assert_message_contains(all_columns[col].name);
    free_row(&out);
}

static void test_codec__decode_rejects_malformed_values(void **state)
{
    (void)state;
    assert_decode_fails(C_I64, LIT("\0\0\0\x01"), CERD_ERROR);
    assert_decode_fails(C_OI32, LIT("\0\0\0\0\0\0\0\x01"), CERD_ERROR);
    assert_decode_fails(C_B, LIT(""), CERD_ERROR);
    assert_decode_fails(C_TS, LIT("\0\0\0\0"), CERD_ERROR);
    assert_decode_fails(C_JS, LIT("{}"), CERD_ERROR);            /* no version byte */
    assert_decode_fails(C_JS, LIT("\x02{}"), CERD_ERROR);        /* unknown version */
    assert_decode_fails(C_JS, LIT("\x01{"), CERD_ERROR);         /* invalid JSON */
    assert_decode_fails(C_IP, LIT("\x02\x21\x00\x04\x01\x02\x03\x04"), CERD_ERROR); /* /33 */
    assert_decode_fails(C_IP, LIT("\x02\x20\x00\x04\x01\x02\x03"), CERD_ERROR);
    assert_decode_fails(C_IP, LIT("\x04\x20\x00\x04\x01\x02\x03\x04"), CERD_ERROR);
    assert_decode_fails(C_IP, LIT("\x03\x20\x00\x04\x01\x02\x03\x04"), CERD_ERROR);
    /* a timestamp past what 64-bit Unix microseconds hold */
    assert_decode_fails(C_TS, LIT("\x7f\xff\xff\xff\xff\xff\xff\xfe"), CERD_ERANGE);
    /* arrays: two dimensions, huge count, truncated element, wrong element type,
       trailing bytes, bad flag */
    assert_decode_fails(C_IA,
                        LIT("\0\0\0\x02" "\0\0\0\0" "\0\0\0\x17" "\0\0\0\x01" "\0\0\0\x01"
                        "\0\0\0\x01" "\0\0\0\x01" "\0\0\0\x04" "\0\0\0\x07"), CERD_ERROR);
    assert_message_contains("dimensional");
    assert_decode_fails(C_IA,
                        LIT("\0\0\0\x01" "\0\0\0\0" "\0\0\0\x17" "\x7f\xff\xff\xff" "\0\0\0\x01"
                        "\0\0\0\x04" "\0\0\0\x07"), CERD_ERROR);
    assert_decode_fails(C_IA,
                        LIT("\0\0\0\x01" "\0\0\0\0" "\0\0\0\x17" "\0\0\0\x01" "\0\0\0\x01"
                        "\0\0\0\x04" "\0\0\0"), CERD_ERROR);
    assert_decode_fails(C_IA,
                        LIT("\0\0\0\x01" "\0\0\0\0" "\0\0\0\x14" "\0\0\0\x01" "\0\0\0\x01"
                        "\0\0\0\x04" "\0\0\0\x07"), CERD_ERROR);
    assert_decode_fails(C_IA,
                        LIT("\0\0\0\x01" "\0\0\0\0" "\0\0\0\x17" "\0\0\0\x01" "\0\0\0\x01"
                        "\0\0\0\x04" "\0\0\0\x07" "x"), CERD_ERROR);
    assert_decode_fails(C_IA, LIT("\0\0\0\0" "\0\0\0\x07" "\0\0\0\x17"), CERD_ERROR);
    assert_decode_fails(C_IA, LIT("\0\0\0\x01"), CERD_ERROR);
    assert_decode_fails(C_TA,
                        LIT("\0\0\0\x01" "\0\0\0\0" "\0\0\0\x19" "\0\0\0\x02" "\0\0\0\x01"
                        "\0\0\0\x01" "a" "\0\0\0\x05" "ab"), CERD_ERROR);
    assert_decode_fails(C_TA,
                        LIT("\0\0\0\x01" "\0\0\0\0" "\0\0\0\x19" "\0\0\0\x01" "\0\0\0\x01"
                        "\xff\xff\xff\xf0"), CERD_ERROR);
}

/* Random bytes into every column: clean errors or values, never a crash or a leak. */
static void test_codec__decode_never_crashes_on_garbage(void **state)
{
    uint64_t seed = 7;
    unsigned char buf[64];
    (void)state;
    for (int iter = 0; iter < 200000; iter++) {
        all_row out;
        int col = iter % NCOLS, len = (int)((iter / NCOLS) % 48);
        unsigned char *copy;
        for (int i = 0; i < len; i++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            buf[i] = (unsigned char)seed;
            /* keep array headers plausible often enough to reach the element loop */
            if (i < 12 && seed % 3 == 0)
                buf[i] = i == 3 || i == 7 ? 1 : i == 11 ? (col == C_TA ? 0x19 : 0x17) : 0;
            if ((i == 15 || i == 19) && seed % 2 == 0)
                buf[i] = (unsigned char)(seed % 3);
        }
        copy = malloc((size_t)len + 1);
        memcpy(copy, buf, (size_t)len);
        memset(&out, 0, sizeof out);
        if (cerd__decode_field(&all_table, &all_columns[col], (const char *)copy, len, &out) ==
            0)
            cerd__field_free(&all_columns[col], &out);
        free(copy);
    }
}

static void test_codec__free_field_zeroes(void **state)
{
    all_row in = full_row(), out;
    (void)state;
    round_trip(&in, &out);
    cJSON_Delete(in.js);
    free_row(&out);
    for (int i = 0; i < NCOLS; i++) {
        const cerd_column *c = &all_columns[i];
        if (c->flags & (CERD_COL_OPTIONAL | CERD_COL_IDENTITY) || c->type == CERD_TYPE_TEXT ||
            c->type == CERD_TYPE_JSONB || c->type == CERD_TYPE_INT32_ARRAY ||
            c->type == CERD_TYPE_TEXT_ARRAY)
            assert_true(cerd__field_is_null(c, &out));
    }
    assert_int_equal(out.i64, 0);
    assert_int_equal(out.num.ngroups, 0);
    assert_int_equal(out.ts, 0);
    assert_int_equal(out.ip.family, 0);
    free_row(&out); /* twice is harmless */
}

static void test_codec__encode_refuses_out_of_range_values(void **state)
{
    all_row r;
    cerd__buf b = {0};
    (void)state;
    memset(&r, 0, sizeof r);
    r.ts = INT64_MIN + 1;
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_TS], &r, &b), CERD_ERANGE);
    assert_message_contains("all_types.ts");
    r.ts = INT64_C(-210866803200000001); /* one microsecond before 4714-11-24 BC */
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_TS], &r, &b), CERD_ERANGE);
    r.ts = INT64_C(-210866803200000000);
    CERD_ASSERT_OK(cerd__encode_field(&all_table, &all_columns[C_TS], &r, &b));
    b.len = 0;
    r.ip.family = 5;
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_IP], &r, &b), CERD_EINVALID);
    r.ip.family = 4;
    r.ip.bits = 33;
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_IP], &r, &b), CERD_ERANGE);
    r.js = cJSON_CreateString("\xff");
    assert_int_equal(cerd__encode_field(&all_table, &all_columns[C_JS], &r, &b), CERD_EENCODING);
    assert_message_contains("all_types.js");
    cJSON_Delete(r.js);
    assert_int_equal(b.len, 0);
    cerd__buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timestamp__epoch),
        cmocka_unit_test(test_timestamp__1900_and_2200_with_microseconds),
        cmocka_unit_test(test_timestamp__range_ends),
        cmocka_unit_test(test_timestamp__leap_years),
        cmocka_unit_test(test_timestamp__negative_times_before_1970),
        cmocka_unit_test(test_timestamp__offsets),
        cmocka_unit_test(test_timestamp__infinity),
        cmocka_unit_test(test_timestamp__rejects_invalid_text),
        cmocka_unit_test(test_timestamp__format_parse_round_trip_across_the_calendar),
        cmocka_unit_test(test_timestamp__now_is_current),
        cmocka_unit_test(test_inet__ipv4),
        cmocka_unit_test(test_inet__ipv6_compression_as_postgresql_prints_it),
        cmocka_unit_test(test_inet__ipv4_mapped_and_compatible),
        cmocka_unit_test(test_inet__rejects_invalid_text),
        cmocka_unit_test(test_text__accepts_valid_multibyte),
        cmocka_unit_test(test_text__rejects_overlong_forms),
        cmocka_unit_test(test_text__rejects_surrogates_and_beyond_u10ffff),
        cmocka_unit_test(test_text__rejects_truncated_sequences),
        cmocka_unit_test(test_text__rejects_nul_byte),
        cmocka_unit_test(test_json__parse_print_nested_unicode),
        cmocka_unit_test(test_json__keeps_big_numbers_exact),
        cmocka_unit_test(test_json__plain_numbers_stay_numbers),
        cmocka_unit_test(test_json__number_nodes_print_back_exactly),
        cmocka_unit_test(test_json__printer_matches_cjson_for_any_double),
        cmocka_unit_test(test_json__escapes),
        cmocka_unit_test(test_json__rejects_invalid_input),
        cmocka_unit_test(test_json__depth_limit),
        cmocka_unit_test(test_json__printer_refuses_invalid_utf8_and_prints_nonfinite_as_null),
        cmocka_unit_test(test_json__invalid_inputs_never_crash),
        cmocka_unit_test(test_codec__round_trips_every_type),
        cmocka_unit_test(test_codec__round_trips_edge_values),
        cmocka_unit_test(test_codec__null_rules),
        cmocka_unit_test(test_codec__wire_format_bytes),
        cmocka_unit_test(test_codec__text_checks_encoding_and_varchar_length),
        cmocka_unit_test(test_codec__decode_rejects_bad_text),
        cmocka_unit_test(test_codec__decode_accepts_what_postgresql_sends_for_arrays),
        cmocka_unit_test(test_codec__decode_rejects_malformed_values),
        cmocka_unit_test(test_codec__decode_never_crashes_on_garbage),
        cmocka_unit_test(test_codec__free_field_zeroes),
        cmocka_unit_test(test_codec__encode_refuses_out_of_range_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
