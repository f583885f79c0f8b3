/* Range reads (bulk.h) against PostgreSQL: random ranges on the index (asset_id,
   timeframe, candle_time) compared with the same SQL run through libpq, including empty
   ranges, bounds exactly at from and to, both directions, pages of 1 and of 7; the
   latest N candles after a backfill; streams over a range. */
#include "bulk_support.h"

enum { PER_TF = 400 };
#define HOUR (3600 * INT64_C(1000000))
#define MINUTE (60 * INT64_C(1000000))
static const char *const timeframes[2] = {"1h", "4h"};
static cerd_timestamp times[2][PER_TF];

static int setup(void **state)
{
    cerd_copy *w = NULL;
    (void)state;
    if (bulk_setup("bulk_range"))
        return -1;
    /* irregular instants; the second timeframe is inserted newest first (a backfill) */
    for (int f = 0; f < 2; f++) {
        cerd_price_data *rows = candles(PER_TF, 0, 0);
        for (int i = 0; i < PER_TF; i++) {
            int j = f ? PER_TF - 1 - i : i;
            times[f][j] = 1764547200000000 /* 2025-12-01 */ + j * HOUR + (j % 7) * MINUTE;
            rows[i].timeframe = (char *)timeframes[f];
            rows[i].candle_time = times[f][j];
        }
        if (cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, NULL)
            || cerd_copy_put_rows(w, rows, PER_TF) || cerd_copy_end(NULL, w)) {
            fprintf(stderr, "range setup: %s\n", cerd_error_last()->message);
            return -1;
        }
        free(rows);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bulk_teardown();
    return 0;
}

static cerd_range candle_range(const cerd_price_data *eq)
{
    cerd_range r;
    memset(&r, 0, sizeof r);
    r.ncolumns = 3;
    r.columns[0] = CERD_PRICE_DATA_ASSET_ID;
    r.columns[1] = CERD_PRICE_DATA_TIMEFRAME;
    r.columns[2] = CERD_PRICE_DATA_CANDLE_TIME;
    r.nequal = 2;
    r.equal = eq;
    return r;
}

/* The ids libpq returns for the same range, as a fresh array (count in *n). */
static int64_t *ids_by_sql(const cerd_price_data *eq, const cerd_price_data *from,
                           const cerd_price_data *to, bool desc, size_t *n)
{
    char sql[512], asset[32], f[CERD_TIMESTAMP_BUFSIZE], t[CERD_TIMESTAMP_BUFSIZE];
    const char *values[4];
    int np = 2;
    int64_t *ids;
    PGresult *res;

    snprintf(asset, sizeof asset, "%lld", (long long)eq->asset_id);
    values[0] = asset;
    values[1] = eq->timeframe;
    snprintf(sql, sizeof sql, "SELECT id FROM price_data WHERE asset_id = $1 AND "
             "timeframe = $2");
    if (from) {
        cerd_timestamp_format(from->candle_time, f);
        values[np++] = f;
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql), " AND candle_time >= $%d", np);
    }
    if (to) {
        cerd_timestamp_format(to->candle_time, t);
        values[np++] = t;
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql), " AND candle_time < $%d", np);
    }
    snprintf(sql + strlen(sql), sizeof sql - strlen(sql), " ORDER BY candle_time%s, id%s",
             desc ? " DESC" : "", desc ? " DESC" : "");
    res = PQexecParams(pg, sql, np, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    *n = (size_t)PQntuples(res);
    ids = calloc(*n + 1, sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < *n; i++)
        ids[i] = atoll(PQgetvalue(res, (int)i, 0));
    PQclear(res);
    return ids;
}

/* The ids of the range read page by page (limit 0: one read). */
static int64_t *ids_by_range(cerd_range r, uint32_t limit, size_t *n)
{
    size_t cap = 16;
    int64_t *ids = malloc(cap * sizeof *ids);
    cerd_price_data last = {0};
    *n = 0;
    assert_non_null(ids);
    r.limit = limit;
    for (;;) {
        cerd_rows page = {0};
        const cerd_price_data *rows;
        size_t count;
        check(cerd_row_range(&page, conn, &cerd_price_data_table, &r), "range");
        rows = page.rows;
        if (limit)
            assert_true(page.count <= limit);
        for (size_t i = 0; i < page.count; i++) {
            if (*n == cap)
                assert_non_null(ids = realloc(ids, (cap *= 2) * sizeof *ids));
            ids[(*n)++] = rows[i].id;
        }
        if (page.count) { /* keyset: continue after the last row */
            last.id = rows[page.count - 1].id;
            last.candle_time = rows[page.count - 1].candle_time;
            r.after = &last;
        }
        assert_int_equal(page.next.valid, limit && page.count == limit);
        count = page.count;
        cerd_rows_free(&cerd_price_data_table, &page);
        if (!limit || count < limit)
            break;
    }
    return ids;
}

static void compare(const int64_t *a, size_t na, const int64_t *b, size_t nb, const char *what)
{
    if (na != nb)
        fail_msg("%s: %zu rows by range, %zu by SQL", what, na, nb);
    for (size_t i = 0; i < na; i++)
        if (a[i] != b[i])
            fail_msg("%s: row %zu: id %lld by range, %lld by SQL", what, i, (long long)a[i],
                     (long long)b[i]);
}

static void test_range__random_ranges_equal_the_same_sql(void **state)
{
    unsigned seed = 20251201;
    size_t empty = 0, nonempty = 0, paged = 0;
    (void)state;
    for (int it = 0; it < 300; it++) {
        cerd_price_data eq = base_candle, from = {0}, to = {0};
        int f = (int)(rand_r(&seed) % 2);
        bool desc = rand_r(&seed) % 2, has_from = rand_r(&seed) % 5 != 0,
             has_to = rand_r(&seed) % 5 != 0;
        cerd_range r;
        int64_t *want, *got;
        size_t nw, ng;
        char what[96];

        eq.timeframe = (char *)timeframes[f];
        /* bounds exactly at a candle, a microsecond off, or between candles */
        for (int b = 0; b < 2; b++) {
            cerd_price_data *bound = b ? &to : &from;
            int k = (int)(rand_r(&seed) % PER_TF);
            switch (rand_r(&seed) % 4) {
            case 0: bound->candle_time = times[f][k]; break;
            case 1: bound->candle_time = times[f][k] + 1; break;
            case 2: bound->candle_time = times[f][k] - 1; break;
            default: bound->candle_time = times[f][k] + 17 * MINUTE; break;
            }
        }
        if (it % 10 == 0) /* empty: to at or before from */
            to.candle_time = from.candle_time - (it % 20 ? 0 : HOUR);
        else if (it % 10 == 1) /* exactly one candle: [t, t + 1µs) */
            to.candle_time = from.candle_time = times[f][it % PER_TF],
            to.candle_time += 1;
        r = candle_range(&eq);
        r.descending = desc;
        r.from = has_from || it % 10 < 2 ? &from : NULL;
        r.to = has_to || it % 10 < 2 ? &to : NULL;
        snprintf(what, sizeof what, "range %d (%s, %s)", it, eq.timeframe,
                 desc ? "desc" : "asc");
        want = ids_by_sql(&eq, r.from, r.to, desc, &nw);
        got = ids_by_range(r, 0, &ng);
        compare(got, ng, want, nw, what);
        free(got);
        if (it % 10 == 1)
            assert_int_equal(nw, 1);
        if (it % 10 == 0)
            assert_int_equal(nw, 0);
        if (nw <= 60 || it % 25 == 3) { /* pages of 1 and of 7 */
            got = ids_by_range(r, 1, &ng);
            compare(got, ng, want, nw, what);
            free(got);
            got = ids_by_range(r, 7, &ng);
            compare(got, ng, want, nw, what);
            free(got);
            paged++;
        }
        nw ? nonempty++ : empty++;
        free(want);
    }
    assert_true(empty >= 30);
    assert_true(nonempty >= 100);
    assert_true(paged >= 30);
}

static void test_range__the_latest_candles_are_by_time_after_a_backfill(void **state)
{
    cerd_price_data eq = base_candle;
    cerd_range r;
    cerd_rows page = {0};
    const cerd_price_data *rows;
    (void)state;
    eq.timeframe = (char *)timeframes[1]; /* inserted newest first */
    r = candle_range(&eq);
    r.descending = true;
    r.limit = 10;
    check(cerd_row_range(&page, conn, &cerd_price_data_table, &r), "latest");
    assert_int_equal(page.count, 10);
    rows = page.rows;
    for (int i = 0; i < 10; i++)
        assert_int_equal(rows[i].candle_time, times[1][PER_TF - 1 - i]);
    cerd_rows_free(&cerd_price_data_table, &page);
}

static void test_stream__a_range_streams_in_order_in_small_fetches(void **state)
{
    cerd_price_data eq = base_candle, from = {0}, row = {0};
    cerd_range r;
    cerd_stream *s = NULL;
    int64_t *want;
    size_t nw, n = 0;
    int rc;
    (void)state;
    eq.timeframe = (char *)timeframes[0];
    from.candle_time = times[0][37];
    r = candle_range(&eq);
    r.from = &from;
    r.descending = true;
    want = ids_by_sql(&eq, &from, NULL, true, &nw);
    check(cerd_stream_open(&s, conn, &cerd_price_data_table, &r, 16), "open");
    while ((rc = cerd_stream_next(s, &row)) == 1) {
        assert_true(n < nw);
        assert_int_equal(row.id, want[n]);
        n++;
    }
    check(rc < 0 ? rc : 0, "next");
    check(cerd_stream_close(s), "close");
    assert_int_equal(n, nw);
    assert_int_equal(PQtransactionStatus(pg), PQTRANS_IDLE);
    cerd_row_clear(&cerd_price_data_table, &row);

    /* inside the caller's transaction: the cursor lives there and is closed */
    check(cerd_conn_begin(conn), "begin");
    check(cerd_stream_open(&s, conn, &cerd_price_data_table, NULL, 100), "open whole");
    n = 0;
    while ((rc = cerd_stream_next(s, &row)) == 1)
        n++;
    check(rc < 0 ? rc : 0, "next");
    check(cerd_stream_close(s), "close");
    check(cerd_conn_commit(conn), "commit");
    assert_int_equal(n, 2 * PER_TF);
    cerd_row_clear(&cerd_price_data_table, &row);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range__random_ranges_equal_the_same_sql),
        cmocka_unit_test(test_range__the_latest_candles_are_by_time_after_a_backfill),
        cmocka_unit_test(test_stream__a_range_streams_in_order_in_small_fetches),
    };
    return cmocka_run_group_tests_name("bulk_range", tests, setup, teardown);
}
