/* The binary codec against a real PostgreSQL: rows encoded with cerd__encode_field and
   inserted as binary parameters come back, in binary, decoded to the same values, and in
   text exactly as our own formatting writes them. Values the server would refuse are
   refused client-side first, with the same verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
#include "testdb.h"

static testdb db;
static PGconn *pg;

typedef struct pg_row {
    int64_t id;
    int64_t i8;
    cerd_opt_int32 i4;
    cerd_opt_bool b;
    cerd_numeric n208;
    cerd_opt_numeric n;
    cerd_opt_timestamp ts;
    char *vc;
    char *t;
    cJSON *j;
    cerd_opt_inet ip;
    cerd_int32_array ia;
    cerd_text_array va;
} pg_row;

enum { C_ID, C_I8, C_I4, C_B, C_N208, C_N, C_TS, C_VC, C_T, C_J, C_IP, C_IA, C_VA, NCOLS };

#define COL(n, ty, fl, field, maxc, p, s)                                                   \
    {.name = n, .type = ty, .flags = fl, .offset = offsetof(pg_row, field), .max_chars = maxc, \
     .precision = p, .scale = s}
#define OPT CERD_COL_OPTIONAL
#define NN CERD_COL_NOT_NULL

static const cerd_column cols[NCOLS] = {
    COL("id", CERD_TYPE_INT64, NN | CERD_COL_IDENTITY | CERD_COL_PRIMARY_KEY, id, -1, -1, -1),
    COL("i8", CERD_TYPE_INT64, NN, i8, -1, -1, -1),
    COL("i4", CERD_TYPE_INT32, OPT, i4, -1, -1, -1),
    COL("b", CERD_TYPE_BOOL, OPT, b, -1, -1, -1),
    COL("n208", CERD_TYPE_NUMERIC, NN, n208, -1, 20, 8),
    COL("n", CERD_TYPE_NUMERIC, OPT, n, -1, -1, -1),
    COL("ts", CERD_TYPE_TIMESTAMPTZ, OPT, ts, -1, -1, -1),
    COL("vc", CERD_TYPE_TEXT, 0, vc, 10, -1, -1),
    COL("t", CERD_TYPE_TEXT, 0, t, -1, -1, -1),
    COL("j", CERD_TYPE_JSONB, 0, j, -1, -1, -1),
    COL("ip", CERD_TYPE_INET, OPT, ip, -1, -1, -1),
    COL("ia", CERD_TYPE_INT32_ARRAY, 0, ia, -1, -1, -1),
    COL("va", CERD_TYPE_TEXT_ARRAY, 0, va, 50, -1, -1),
};

static const cerd_table codec_table = {
    .abi = CERD_TABLE_ABI,
    .name = "codec_t",
    .row_size = sizeof(pg_row),
    .ncolumns = NCOLS,
    .columns = cols,
    .primary_key = {.name = "codec_t_pkey", .ncolumns = 1, .columns = {C_ID}},
    .soft_delete_column = -1,
};

static const char create_sql[] =
    "CREATE TABLE codec_t ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " i8 bigint NOT NULL, i4 integer, b boolean, n208 numeric(20,8) NOT NULL, n numeric,"
    " ts timestamptz, vc varchar(10), t text, j jsonb, ip inet, ia integer[],"
    " va varchar(50)[])";

static const char insert_sql[] =
    "INSERT INTO codec_t (i8, i4, b, n208, n, ts, vc, t, j, ip, ia, va)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";

static const char select_binary_sql[] =
    "SELECT id, i8, i4, b, n208, n, ts, vc, t, j, ip, ia, va FROM codec_t WHERE id = $1";

/* PostgreSQL's own text for each column: the types' output functions (text result format;
   not ::text casts, which for inet would add the /32), timestamps through to_char in UTC
   with microseconds (the session's TimeZone is UTC too), text arrays as JSON so element
   quoting is out of the picture. */
static const char select_text_sql[] =
    "SELECT id, i8, i4, b, n208, n,"
    " CASE WHEN isfinite(ts) THEN to_char(ts AT TIME ZONE 'UTC',"
    "                                     'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    "      ELSE ts::text END,"
    " vc, t, j, ip, ia, to_jsonb(va),"
    " extract(epoch FROM ts)::text, ts::text"
    " FROM codec_t WHERE id = $1::bigint";

static int setup(void **state)
{
    PGresult *res;
    (void)state;
    if (testdb_create(&db, "codec"))
        return -1;
    pg = testdb_connect(&db);
    if (!pg)
        return -1;
    res = PQexec(pg, create_sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "%s", PQerrorMessage(pg));
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (pg)
        PQfinish(pg);
    testdb_drop(&db);
    return 0;
}

/* ------------------------------------------------------------------------------ */
/* Helpers */

static cerd_numeric num(const char *text)
{
    cerd_numeric n;
    if (cerd_numeric_parse(&n, text))
        fail_msg("cerd_numeric_parse(%s): %s", text, cerd_error_last()->message);
    return n;
}

static cerd_timestamp ts(const char *text)
{
    cerd_timestamp v;
    if (cerd_timestamp_parse(&v, text))
        fail_msg("cerd_timestamp_parse(%s): %s", text, cerd_error_last()->message);
    return v;
}

static cerd_opt_inet ip(const char *text)
{
    cerd_opt_inet v = {.valid = true};
    if (cerd_inet_parse(&v.value, text))
        fail_msg("cerd_inet_parse(%s): %s", text, cerd_error_last()->message);
    return v;
}

static cJSON *json(const char *text)
{
    cJSON *v = NULL;
    if (cerd__json_parse(text, strlen(text), &v))
        fail_msg("cerd__json_parse(%s): %s", text, cerd_error_last()->message);
    return v;
}

static char *json_text(const cJSON *v)
{
    char *s = cerd__json_print(v);
    if (!s)
        fail_msg("cerd__json_print: %s", cerd_error_last()->message);
    return s;
}

/* Our canonical print of JSON text the server wrote. */
static char *normalise_json(const char *text)
{
    cJSON *v = json(text);
    char *s = json_text(v);
    cJSON_Delete(v);
    return s;
}

/* Inserts r with binary parameters; returns the new id. */
static int64_t insert_row(const pg_row *r)
{
    const char *values[NCOLS - 1];
    int lengths[NCOLS - 1], formats[NCOLS - 1];
    Oid types[NCOLS - 1];
    cerd__buf bufs[NCOLS - 1];
    PGresult *res;
    int64_t id;

    memset(bufs, 0, sizeof bufs);
    for (int i = 1; i < NCOLS; i++) {
        const cerd_column *c = &cols[i];
        int k = i - 1;
        types[k] = cerd__type_oid(c->type);
        formats[k] = 1;
        values[k] = NULL;
        lengths[k] = 0;
        if (cerd__field_is_null(c, r))
            continue;
        if (cerd__encode_field(&codec_table, c, r, &bufs[k]))
            fail_msg("encode %s: %s", c->name, cerd_error_last()->message);
        values[k] = bufs[k].data ? bufs[k].data : "";
        lengths[k] = (int)bufs[k].len;
    }
    res = PQexecParams(pg, insert_sql, NCOLS - 1, types, values, lengths, formats, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("INSERT: %s", PQerrorMessage(pg));
    assert_int_equal(PQgetlength(res, 0, 0), 8);
    {
        pg_row tmp;
        memset(&tmp, 0, sizeof tmp);
        CERD_ASSERT_OK(cerd__decode_field(&codec_table, &cols[C_ID], PQgetvalue(res, 0, 0),
                                          8, &tmp));
        id = tmp.id;
    }
    PQclear(res);
    for (int k = 0; k < NCOLS - 1; k++)
        cerd__buf_free(&bufs[k]);
    return id;
}

static PGresult *select_row(const char *sql, int64_t id, int result_format)
{
    char idtext[32];
    const char *values[1] = {idtext};
    PGresult *res;
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    res = PQexecParams(pg, sql, 1, NULL, values, NULL, NULL, result_format);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("SELECT: %s", PQerrorMessage(pg));
    return res;
}

static void decode_row(PGresult *res, pg_row *out)
{
    memset(out, 0, sizeof *out);
    assert_int_equal(PQnfields(res), NCOLS);
    for (int i = 0; i < NCOLS; i++) {
        int len = PQgetisnull(res, 0, i) ? -1 : PQgetlength(res, 0, i);
        int rc = cerd__decode_field(&codec_table, &cols[i], PQgetvalue(res, 0, i), len, out);
        if (rc)
            fail_msg("decode %s: %d %s", cols[i].name, rc, cerd_error_last()->message);
    }
}

static void free_row(pg_row *r)
{
    for (int i = 0; i < NCOLS; i++)
        cerd__field_free(&cols[i], r);
}

static void assert_text(PGresult *res, int col, const char *expected)
{
    const char *got = PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
    if (!expected && !got)
        return;
    if (!expected || !got || strcmp(expected, got))
        fail_msg("column %s: PostgreSQL says %s%s%s, we say %s%s%s", PQfname(res, col),
                 got ? "\"" : "", got ? got : "NULL", got ? "\"" : "", expected ? "\"" : "",
                 expected ? expected : "NULL", expected ? "\"" : "");
}

static char *int_array_text(const cerd_int32_array *a)
{
    char *s = malloc(a->count * 14 + 3), *p = s;
    *p++ = '{';
    for (size_t i = 0; i < a->count; i++) {
        if (i)
            *p++ = ',';
        if (a->nulls && a->nulls[i])
            p += sprintf(p, "NULL");
        else
            p += sprintf(p, "%d", (int)a->values[i]);
    }
    *p++ = '}';
    *p = '\0';
    return s;
}

static char *text_array_json(const cerd_text_array *a)
{
    cJSON *arr = cJSON_CreateArray();
    char *s;
    for (size_t i = 0; i < a->count; i++)
        cJSON_AddItemToArray(arr, a->values[i] ? cJSON_CreateString(a->values[i])
                                               : cJSON_CreateNull());
    s = json_text(arr);
    cJSON_Delete(arr);
    return s;
}

/* Inserts r, reads it back in binary (must equal r, numerics as the column rounds them)
   and in text (must equal our formatting of the decoded row). Returns the id. */
static int64_t check_round_trip(const pg_row *r)
{
    int64_t id = insert_row(r);
    PGresult *res;
    pg_row out;
    cerd_numeric rounded;
    char buf[256];

    /* binary */
    res = select_row(select_binary_sql, id, 1);
    decode_row(res, &out);
    PQclear(res);
    assert_int_equal(out.id, id);
    assert_int_equal(out.i8, r->i8);
    assert_int_equal(out.i4.valid, r->i4.valid);
    assert_int_equal(out.i4.value, r->i4.value);
    assert_int_equal(out.b.valid, r->b.valid);
    assert_int_equal(out.b.value, r->b.value);
    CERD_ASSERT_OK(cerd_numeric_round_to_typmod(&rounded, &r->n208, 20, 8));
    assert_int_equal(cerd_numeric_cmp(&out.n208, &rounded), 0);
    assert_int_equal(out.n208.dscale, 8);
    assert_int_equal(out.n.valid, r->n.valid);
    if (r->n.valid) {
        assert_int_equal(cerd_numeric_cmp(&out.n.value, &r->n.value), 0);
        assert_int_equal(out.n.value.dscale, r->n.value.dscale);
    }
    assert_int_equal(out.ts.valid, r->ts.valid);
    if (r->ts.valid)
        assert_int_equal(out.ts.value, r->ts.value);
    assert_int_equal(!out.vc, !r->vc);
    if (r->vc)
        assert_string_equal(out.vc, r->vc);
    assert_int_equal(!out.t, !r->t);
    if (r->t)
        assert_string_equal(out.t, r->t);
    assert_int_equal(!out.j, !r->j);
    if (r->j) {
        char *a = json_text(r->j), *b = json_text(out.j);
        assert_string_equal(b, a);
        free(a);
        free(b);
    }
    assert_int_equal(out.ip.valid, r->ip.valid);
    if (r->ip.valid)
        assert_memory_equal(&out.ip.value, &r->ip.value, sizeof r->ip.value);
    assert_int_equal(out.ia.valid, r->ia.valid);
    assert_int_equal(out.ia.count, r->ia.count);
    for (size_t i = 0; i < r->ia.count; i++) {
        bool rn = r->ia.nulls && r->ia.nulls[i], on = out.ia.nulls && out.ia.nulls[i];
        assert_int_equal(on, rn);
        if (!rn)
            assert_int_equal(out.ia.values[i], r->ia.values[i]);
    }
    assert_int_equal(out.va.valid, r->va.valid);
    assert_int_equal(out.va.count, r->va.count);
    for (size_t i = 0; i < r->va.count; i++) {
        assert_int_equal(!out.va.values[i], !r->va.values[i]);
        if (r->va.values[i])
            assert_string_equal(out.va.values[i], r->va.values[i]);
    }

    /* text: PostgreSQL's output equals our formatting of what we decoded */
    res = select_row(select_text_sql, id, 0);
    snprintf(buf, sizeof buf, "%lld", (long long)out.i8);
    assert_text(res, 1, buf);
    if (out.i4.valid)
        snprintf(buf, sizeof buf, "%d", (int)out.i4.value);
    assert_text(res, 2, out.i4.valid ? buf : NULL);
    assert_text(res, 3, out.b.valid ? (out.b.value ? "t" : "f") : NULL);
    cerd_numeric_format(&out.n208, buf, sizeof buf);
    assert_text(res, 4, buf);
    if (out.n.valid)
        cerd_numeric_format(&out.n.value, buf, sizeof buf);
    assert_text(res, 5, out.n.valid ? buf : NULL);
    if (out.ts.valid)
        CERD_ASSERT_OK(cerd_timestamp_format(out.ts.value, buf));
    assert_text(res, 6, out.ts.valid ? buf : NULL);
    assert_text(res, 7, out.vc);
    assert_text(res, 8, out.t);
    if (out.j) {
        char *ours = json_text(out.j), *theirs = normalise_json(PQgetvalue(res, 0, 9));
        assert_string_equal(ours, theirs);
        free(ours);
        free(theirs);
    } else {
        assert_true(PQgetisnull(res, 0, 9));
    }
    if (out.ip.valid)
        cerd_inet_format(&out.ip.value, buf);
    assert_text(res, 10, out.ip.valid ? buf : NULL);
    if (out.ia.valid) {
        char *s = int_array_text(&out.ia);
        assert_text(res, 11, s);
        free(s);
    } else {
        assert_true(PQgetisnull(res, 0, 11));
    }
    if (out.va.valid) {
        char *ours = text_array_json(&out.va), *theirs = normalise_json(PQgetvalue(res, 0, 12));
        assert_string_equal(ours, theirs);
        free(ours);
        free(theirs);
    } else {
        assert_true(PQgetisnull(res, 0, 12));
    }
    /* the timestamp's epoch seconds, as the server computes them */
    if (out.ts.valid && out.ts.value != CERD_TIMESTAMP_INFINITY &&
        out.ts.value != CERD_TIMESTAMP_NEG_INFINITY) {
        int64_t us = out.ts.value, s = us / 1000000, frac = us % 1000000;
        if (frac < 0) {
            frac += 1000000;
            s--;
        }
        snprintf(buf, sizeof buf, "%s%lld.%06lld", s < 0 && frac ? "-" : "",
                 (long long)(s < 0 && frac ? -(s + 1) : s),
                 (long long)(s < 0 && frac ? 1000000 - frac : frac));
        assert_text(res, 13, buf);
    }
    PQclear(res);
    free_row(&out);
    return id;
}

static pg_row base_row(void)
{
    pg_row r;
    memset(&r, 0, sizeof r);
    r.i8 = INT64_C(-9223372036854775807) - 1;
    r.i4 = CERD_SOME(cerd_opt_int32, INT32_MAX);
    r.b = CERD_SOME(cerd_opt_bool, true);
    r.n208 = num("123456789012.12345678");
    r.n = CERD_SOME(cerd_opt_numeric, num("-98765432109876543210.0123456789"));
    r.ts = CERD_SOME(cerd_opt_timestamp, 0);
    r.vc = "plain";
    r.t = "some text";
    r.ip = ip("203.0.113.7");
    return r;
}

/* ------------------------------------------------------------------------------ */
/* Tests */

static void test_codec_pg__timestamps_at_epoch_1900_and_2200(void **state)
{
    static const char *when[] = {"1970-01-01T00:00:00Z", "1900-01-01T00:00:00.000001Z",
                                 "2200-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.5Z",
                                 "2000-02-29T12:34:56.789012+05:30", "0001-01-01T00:00:00Z",
                                 "9999-12-31T23:59:59.999999Z"};
    (void)state;
    for (size_t i = 0; i < sizeof when / sizeof *when; i++) {
        pg_row r = base_row();
        r.ts = CERD_SOME(cerd_opt_timestamp, ts(when[i]));
        check_round_trip(&r);
    }
}

static void test_codec_pg__timestamp_infinities_and_null(void **state)
{
    pg_row r = base_row();
    int64_t id;
    char *s;
    char sql[128];
    (void)state;
    r.ts = CERD_SOME(cerd_opt_timestamp, CERD_TIMESTAMP_INFINITY);
    id = check_round_trip(&r);
    snprintf(sql, sizeof sql, "SELECT ts = 'infinity' FROM codec_t WHERE id = %lld",
             (long long)id);
    s = testdb_scalar(pg, sql);
    assert_string_equal(s, "t");
    free(s);
    r.ts = CERD_SOME(cerd_opt_timestamp, CERD_TIMESTAMP_NEG_INFINITY);
    check_round_trip(&r);
    r.ts.valid = false;
    check_round_trip(&r);
}

static void test_codec_pg__nested_json_with_unicode(void **state)
{
    pg_row r = base_row();
    (void)state;
    /* keys in jsonb's order (shorter first, then bytewise) so the text compares equal */
    r.j = json("{\"a\": [1, 12345678901234567890.123456789, \"\\u00e9\\ud83d\\ude00\", "
               "{\"k\": null, \"\xc3\xbc\": [true, false, [], {}]}], "
               "\"bb\": {\"x\": \"\\u4e2d\\u6587 \\\"q\\\" \\\\ \\n \\u0001\"}, "
               "\"ccc\": [0.1, -2.5, 1.50, -0.000001, 100000000000000000000]}");
    check_round_trip(&r);
    cJSON_Delete(r.j);
    r.j = json("\"just a string \xe2\x82\xac\"");
    check_round_trip(&r);
    cJSON_Delete(r.j);
    r.j = json("[]");
    check_round_trip(&r);
    cJSON_Delete(r.j);
}

/* jsonb normalises numbers as numeric does; the decoded tree prints as the server's text. */
static void test_codec_pg__json_numbers_come_back_as_the_server_writes_them(void **state)
{
    pg_row r = base_row(), out;
    PGresult *res;
    int64_t id;
    char *ours;
    (void)state;
    r.j = json("[1e+20, 1E400, 0.30000000000000004, 1.0e-3, -0, 2.50]");
    id = insert_row(&r);
    res = select_row(select_binary_sql, id, 1);
    decode_row(res, &out);
    PQclear(res);
    ours = json_text(out.j);
    res = select_row(select_text_sql, id, 0);
    {
        char *theirs = normalise_json(PQgetvalue(res, 0, 9));
        assert_string_equal(ours, theirs);
        free(theirs);
    }
    PQclear(res);
    assert_non_null(strstr(ours, "1000000000000000000000000000000000000000000000000000000000"));
    assert_non_null(strstr(ours, "0.30000000000000004"));
    assert_non_null(strstr(ours, "0.0010"));
    free(ours);
    free_row(&out);
    cJSON_Delete(r.j);
}

static void test_codec_pg__arrays_empty_with_null_elements_and_null(void **state)
{
    int32_t v[] = {1, 0, -3, INT32_MIN, INT32_MAX};
    bool n[] = {false, true, false, false, true};
    char *e[] = {"a", NULL, "", "with space, \"quotes\" {braces} \\", "NULL",
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"};
    pg_row r = base_row();
    (void)state;
    /* empty */
    r.ia = (cerd_int32_array){.valid = true};
    r.va = (cerd_text_array){.valid = true};
    check_round_trip(&r);
    /* with NULL elements */
    r.ia = (cerd_int32_array){.values = v, .nulls = n, .count = 5, .valid = true};
    r.va = (cerd_text_array){.values = e, .count = 6, .valid = true};
    check_round_trip(&r);
    /* without NULL elements */
    r.ia.nulls = NULL;
    r.va.values = e + 2;
    r.va.count = 4;
    check_round_trip(&r);
    /* NULL arrays */
    r.ia = (cerd_int32_array){0};
    r.va = (cerd_text_array){0};
    check_round_trip(&r);
}

static void test_codec_pg__nulls_in_every_nullable_column(void **state)
{
    pg_row r;
    (void)state;
    memset(&r, 0, sizeof r);
    r.i8 = 1;
    r.n208 = num("0");
    check_round_trip(&r);
}

static void test_codec_pg__varchar_at_exactly_its_length_in_multibyte_characters(void **state)
{
    pg_row r = base_row();
    char fifty[50 * 4 + 1];
    char *e[] = {fifty};
    for (int i = 0; i < 50; i++)
        memcpy(fifty + 4 * i, "\xf0\x9f\x98\x80", 4); /* U+1F600, four bytes */
    fifty[200] = '\0';
    (void)state;
    assert_int_equal(cerd_text_chars(e[0], strlen(e[0])), 50);
    r.vc = "\xe2\x82\xac\xc3\xa9\xf0\x9f\x98\x80\xe4\xb8\xad\xe6\x96\x87\xc3\xbc\xc3\xb6"
           "\xc3\xa4\xc3\x9f\xe2\x82\xac"; /* 10 characters, 25 bytes */
    assert_int_equal(cerd_text_chars(r.vc, strlen(r.vc)), 10);
    r.va = (cerd_text_array){.values = e, .count = 1, .valid = true};
    check_round_trip(&r);
}

/* What PostgreSQL does with the text parameter, sent as text: NULL on success or the
   SQLSTATE (static storage) of its refusal. */
static const char *server_verdict_on_vc(const char *value)
{
    static char state[6];
    const char *values[1] = {value};
    PGresult *res = PQexecParams(pg, "INSERT INTO codec_t (i8, n208, vc) VALUES (0, 0, $1)", 1,
                                 NULL, values, NULL, NULL, 0);
    const char *verdict = NULL;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        snprintf(state, sizeof state, "%s", PQresultErrorField(res, PG_DIAG_SQLSTATE));
        verdict = state;
    }
    PQclear(res);
    return verdict;
}

static char *count_rows(void)
{
    return testdb_scalar(pg, "SELECT count(*) FROM codec_t");
}

static void test_codec_pg__varchar_too_long_is_refused_client_side(void **state)
{
    const char *eleven = "\xe2\x82\xac\xc3\xa9\xf0\x9f\x98\x80\xe4\xb8\xad\xe6\x96\x87\xc3\xbc"
                         "\xc3\xb6\xc3\xa4\xc3\x9f\xe2\x82\xac\xe2\x82\xac";
    pg_row r = base_row();
    cerd__buf b = {0};
    char *before, *after;
    (void)state;
    before = count_rows();
    r.vc = (char *)eleven;
    assert_int_equal(cerd__encode_field(&codec_table, &cols[C_VC], &r, &b), CERD_ERANGE);
    assert_non_null(strstr(cerd_error_last()->message, "codec_t.vc"));
    assert_non_null(strstr(cerd_error_last()->message, "character varying(10)"));
    assert_non_null(strstr(cerd_error_last()->message, "11 characters"));
    assert_int_equal(b.len, 0);
    after = count_rows();
    assert_string_equal(before, after);
    free(after);
    /* the server's own verdict is the same (string_data_right_truncation) */
    assert_non_null(server_verdict_on_vc(eleven));
    assert_string_equal(server_verdict_on_vc(eleven), "22001");
    /* and both accept excess characters that are only spaces (the server truncates) */
    r.vc = "0123456789   ";
    CERD_ASSERT_OK(cerd__encode_field(&codec_table, &cols[C_VC], &r, &b));
    assert_null(server_verdict_on_vc("0123456789   "));
    r.vc = "0123456789";
    check_round_trip(&r);
    cerd__buf_free(&b);
    free(before);
}

static void test_codec_pg__invalid_text_is_refused_client_side(void **state)
{
    pg_row r = base_row();
    cerd__buf b = {0};
    char *e[] = {"ok", "bad \xed\xa0\x80"};
    (void)state;
    r.t = "bad \xff byte";
    assert_int_equal(cerd__encode_field(&codec_table, &cols[C_T], &r, &b), CERD_EENCODING);
    assert_non_null(strstr(cerd_error_last()->message, "codec_t.t"));
    assert_non_null(strstr(cerd_error_last()->message, "byte offset 4"));
    r.t = "overlong \xc0\xaf";
    assert_int_equal(cerd__encode_field(&codec_table, &cols[C_T], &r, &b), CERD_EENCODING);
    r.va = (cerd_text_array){.values = e, .count = 2, .valid = true};
    assert_int_equal(cerd__encode_field(&codec_table, &cols[C_VA], &r, &b), CERD_EENCODING);
    assert_non_null(strstr(cerd_error_last()->message, "codec_t.va[2]"));
    r.j = cJSON_CreateString("\xc3");
    assert_int_equal(cerd__encode_field(&codec_table, &cols[C_J], &r, &b), CERD_EENCODING);
    cJSON_Delete(r.j);
    /* a NUL byte cannot be in a C string field; the check the codec applies refuses it */
    assert_int_equal(cerd_text_check("a\0b", 3), CERD_EENCODING);
    assert_int_equal(b.len, 0);
    cerd__buf_free(&b);
}

/* A server sending text that is not UTF-8 (client_encoding LATIN1) gets an error, not a
   crash or a bad string. */
static void test_codec_pg__decoding_non_utf8_from_the_server_fails_cleanly(void **state)
{
    pg_row r = base_row(), out;
    PGresult *res;
    int64_t id;
    int rc;
    (void)state;
    r.t = "caf\xc3\xa9";
    id = insert_row(&r);
    PQclear(testdb_ok(pg, "SET client_encoding = 'LATIN1'"));
    res = select_row("SELECT t FROM codec_t WHERE id = $1", id, 1);
    assert_int_equal(PQgetlength(res, 0, 0), 4); /* "caf\xe9" */
    memset(&out, 0, sizeof out);
    rc = cerd__decode_field(&codec_table, &cols[C_T], PQgetvalue(res, 0, 0),
                            PQgetlength(res, 0, 0), &out);
    assert_int_equal(rc, CERD_EENCODING);
    assert_null(out.t);
    PQclear(res);
    PQclear(testdb_ok(pg, "SET client_encoding = 'UTF8'"));
}

static void test_codec_pg__inet_v4_v6_with_and_without_prefix(void **state)
{
    static const char *addrs[] = {"203.0.113.7", "10.0.0.0/8", "10.1.2.3/8", "0.0.0.0/0",
                                  "255.255.255.255/32", "2001:db8::1", "2001:db8::/32",
                                  "::", "::1", "1::", "::ffff:1.2.3.4", "::1.2.3.4",
                                  "::ffff:10.0.0.0/104", "2001:db8:0:0:1:0:0:1",
                                  "1:0:0:2:0:0:0:3", "1:0:2:3:4:5:6:7",
                                  "fe80::204:61ff:fe9d:f156/64", "::0.0.1.0", "::2",
                                  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0:0:1::"};
    (void)state;
    for (size_t i = 0; i < sizeof addrs / sizeof *addrs; i++) {
        pg_row r = base_row();
        char sql[256], *theirs, buf[CERD_INET_BUFSIZE];
        r.ip = ip(addrs[i]);
        check_round_trip(&r);
        /* PostgreSQL's parse of the same text gives the text we format */
        snprintf(sql, sizeof sql, "SELECT '%s'::inet", addrs[i]);
        theirs = testdb_scalar(pg, sql);
        cerd_inet_format(&r.ip.value, buf);
        assert_string_equal(buf, theirs);
        free(theirs);
    }
}

static void test_codec_pg__numerics_round_to_the_column(void **state)
{
    static const char *values[] = {"0", "1.123456785", "-1.123456785", "999999999999.99999999",
                                   "0.00000001", "12.5"};
    (void)state;
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        pg_row r = base_row();
        r.n208 = num(values[i]);
        r.n = CERD_SOME(cerd_opt_numeric, num(values[i]));
        check_round_trip(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_pg__timestamps_at_epoch_1900_and_2200),
        cmocka_unit_test(test_codec_pg__timestamp_infinities_and_null),
        cmocka_unit_test(test_codec_pg__nested_json_with_unicode),
        cmocka_unit_test(test_codec_pg__json_numbers_come_back_as_the_server_writes_them),
        cmocka_unit_test(test_codec_pg__arrays_empty_with_null_elements_and_null),
        cmocka_unit_test(test_codec_pg__nulls_in_every_nullable_column),
        cmocka_unit_test(test_codec_pg__varchar_at_exactly_its_length_in_multibyte_characters),
        cmocka_unit_test(test_codec_pg__varchar_too_long_is_refused_client_side),
        cmocka_unit_test(test_codec_pg__invalid_text_is_refused_client_side),
        cmocka_unit_test(test_codec_pg__decoding_non_utf8_from_the_server_fails_cleanly),
        cmocka_unit_test(test_codec_pg__inet_v4_v6_with_and_without_prefix),
        cmocka_unit_test(test_codec_pg__numerics_round_to_the_column),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
