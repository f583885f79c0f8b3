/* Binary COPY in and out (bulk.h) against PostgreSQL: every table read back field for
   field; an invalid row aborts everything and is named; collect mode; a killed backend;
   partitions by month (existing, default, created on demand); COPY out. */
#include "bulk_support.h"

static int setup(void **state)
{
    (void)state;
    return bulk_setup("bulk_copy");
}

static int teardown(void **state)
{
    (void)state;
    bulk_teardown();
    return 0;
}

static int identity_column(const cerd_table *t)
{
    for (int i = 0; i < t->ncolumns; i++)
        if (t->columns[i].flags & CERD_COL_IDENTITY)
            return i;
    return -1;
}

/* The range that selects exactly the row with the primary key of row. */
static cerd_range pk_range(const cerd_table *t, const void *row)
{
    cerd_range r;
    memset(&r, 0, sizeof r);
    r.ncolumns = r.nequal = t->primary_key.ncolumns;
    for (int i = 0; i < r.ncolumns; i++)
        r.columns[i] = t->primary_key.columns[i];
    r.equal = row;
    return r;
}

static void test_copy__every_table_reads_back_field_for_field(void **state)
{
    enum { N = 6 };
    (void)state;
    for (size_t ti = 0; ti < cerd_table_count(); ti++) {
        const cerd_table *t = cerd_table_at(ti);
        char *rows = calloc(N, t->row_size);
        int idc = identity_column(t);
        cerd_copy *w = NULL;
        int64_t written = -1;

        assert_non_null(rows);
        for (int s = 0; s < N; s++) {
            cerd_factory_options o = CERD_FACTORY_OPTIONS_INIT;
            void *row = rows + (size_t)s * t->row_size;
            o.seed = 77000 + (uint64_t)s * 7919;
            o.create_parents = conn;
            check(cerd_factory_make(row, t, &o), t->name);
            if (idc >= 0) /* explicit ids, to find each row again */
                *(int64_t *)((char *)row + t->columns[idc].offset) = 5000000 + s;
        }
        check(cerd_copy_begin(&w, conn, t, NULL, NULL), t->name);
        check(cerd_copy_put_rows(w, rows, N), t->name);
        check(cerd_copy_end(&written, w), t->name);
        assert_int_equal(written, N);

        for (int s = 0; s < N; s++) {
            void *row = rows + (size_t)s * t->row_size;
            cerd_range r = pk_range(t, row);
            cerd_rows got = {0};
            check(cerd_row_range(&got, conn, t, &r), t->name);
            assert_int_equal(got.count, 1);
            if (!rows_equal_json(t, row, got.rows))
                fail_msg("%s row %d read back differently", t->name, s);
            cerd_rows_free(t, &got);
            cerd_row_clear(t, row);
        }
        free(rows);
    }
}

static long long candle_count(void)
{
    return scalar_ll("SELECT count(*) FROM price_data");
}

static void test_copy__an_invalid_row_in_the_middle_writes_nothing_and_is_named(void **state)
{
    enum { N = 10000, BAD = 5000 };
    cerd_price_data *rows = candles(N, ts_of("2025-06-01 00:00:00+00"), 60 * INT64_C(1000000));
    long long before = candle_count();
    cerd_copy *w = NULL;
    cerd_copy_options o = CERD_COPY_OPTIONS_INIT;
    int64_t written = -1;
    const cerd_error *e;
    int rc;
    (void)state;

    set_num(&rows[BAD].high_price, "0.00000001"); /* below open and close: chk_ohlc_logic */
    o.flush_bytes = 16 * 1024; /* rows before the bad one have reached the server */
    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, &o), "begin");
    rc = cerd_copy_put_rows(w, rows, N);
    assert_int_equal(rc, CERD_EINVALID);
    e = cerd_error_last();
    assert_non_null(strstr(e->message, "copy row 5000"));
    assert_string_equal(e->table, "price_data");
    assert_string_equal(e->constraint, "chk_ohlc_logic");
    assert_true(strcmp(e->column, "high_price") == 0 || strcmp(e->column, "low_price") == 0
                || strcmp(e->column, "open_price") == 0);
    assert_int_equal(cerd_copy_end(&written, w), CERD_EINVALID);
    assert_int_equal(written, 0);
    assert_int_equal(candle_count(), before);
    /* the connection is usable afterwards */
    assert_int_equal(cerd_conn_exec(conn, "SELECT 1"), 0);
    free(rows);
}

/* A candle of an asset that does not exist, in the middle of a COPY: in the writer's own
   transaction the foreign-key checks are deferred to its COMMIT (migration 012, copy.c),
   in a caller's transaction they run at the end of the COPY statement as always; either
   way the error is the foreign key's, named, and nothing is written. */
static void test_copy__a_missing_asset_is_a_foreign_key_violation_in_either_mode(void **state)
{
    enum { N = 3000, BAD = 1500 };
    cerd_price_data *rows = candles(N, ts_of("2025-07-01 00:00:00+00"), 60 * INT64_C(1000000));
    long long before = candle_count();
    const cerd_error *e;
    cerd_copy *w = NULL;
    int64_t written = -1;
    int rc;
    (void)state;

    /* every foreign key of the schema may be deferred, and none is unless asked */
    assert_int_equal(scalar_ll("SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                               "AND connamespace = current_schema()::regnamespace "
                               "AND (NOT condeferrable OR condeferred)"), 0);
    assert_true(scalar_ll("SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                          "AND connamespace = current_schema()::regnamespace") > 30);

    rows[BAD].asset_id = INT64_C(987654321);
    for (int in_caller_txn = 0; in_caller_txn < 2; in_caller_txn++) {
        if (in_caller_txn)
            check(cerd_conn_begin(conn), "caller's begin");
        check(cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, NULL), "begin");
        check(cerd_copy_put_rows(w, rows, N), "put"); /* the server checks at the end */
        rc = cerd_copy_end(&written, w);
        e = cerd_error_last();
        if (rc != CERD_EFOREIGNKEY)
            print_message("copy end (%s): %d %s [%s]\n", in_caller_txn ? "caller's" : "own",
                          rc, e->message, e->sqlstate);
        assert_int_equal(rc, CERD_EFOREIGNKEY);
        /* the server names the partition the row went to (price_data_y2025m07, on Citus
           one of its shards); the record names the table written to */
        assert_string_equal(e->table, "price_data");
        assert_string_equal(e->constraint, "price_data_asset_id_fkey");
        assert_int_equal(strcmp(e->sqlstate, "23503"), 0);
        assert_int_equal(written, 0);
        if (in_caller_txn) /* the caller's transaction failed with the statement */
            check(cerd_conn_rollback(conn), "caller's rollback");
        assert_int_equal(PQtransactionStatus(cerd_conn_pgconn(conn)), PQTRANS_IDLE);
        assert_int_equal(candle_count(), before);
    }
    /* the writer's deferral ends with its transaction: a plain insert is checked at once */
    rows[0].asset_id = INT64_C(987654321);
    assert_int_equal(cerd_price_data_insert(&rows[1], conn, &rows[0]), CERD_EFOREIGNKEY);
    free(rows);
}

static void test_copy__collect_mode_writes_the_valid_rows_and_reports_the_others(void **state)
{
    enum { N = 100 };
    cerd_price_data *rows = candles(N, ts_of("2025-07-01 00:00:00+00"), 60 * INT64_C(1000000));
    long long before = candle_count();
    cerd_copy *w = NULL;
    cerd_copy_options o = CERD_COPY_OPTIONS_INIT;
    cerd_copy_rejects rej = {0};
    int64_t written = -1;
    (void)state;

    set_num(&rows[10].low_price, "999999999");
    set_num(&rows[50].high_price, "0.00000001");
    rows[70].timeframe = "2h";
    o.collect_invalid = true;
    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, &o), "begin");
    for (size_t i = 0; i < N; i++)
        check(cerd_copy_put(w, &rows[i]), "put");
    check(cerd_copy_take_rejects(&rej, w), "rejects");
    check(cerd_copy_end(&written, w), "end");
    assert_int_equal(written, N - 3);
    assert_int_equal(candle_count(), before + N - 3);
    assert_int_equal(rej.count, 3);
    assert_int_equal(rej.items[0].ordinal, 10);
    assert_int_equal(rej.items[1].ordinal, 50);
    assert_int_equal(rej.items[2].ordinal, 70);
    assert_string_equal(rej.items[0].violations.items[0].constraint, "chk_ohlc_logic");
    assert_string_equal(rej.items[1].violations.items[0].constraint, "chk_ohlc_logic");
    assert_string_equal(rej.items[2].violations.items[0].constraint, "chk_price_data_timeframe");
    /* the refused rows' candle times are not there */
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data WHERE candle_time IN "
                               "(timestamptz '2025-07-01 00:10:00+00', "
                               "timestamptz '2025-07-01 00:50:00+00', "
                               "timestamptz '2025-07-01 01:10:00+00')"), 0);
    cerd_copy_rejects_free(&rej);
    free(rows);
}

static void test_copy__a_killed_backend_is_connlost_and_nothing_is_written(void **state)
{
    enum { N = 20000 };
    cerd_price_data *rows = candles(N, ts_of("2025-08-01 00:00:00+00"), INT64_C(1000000));
    long long before = candle_count();
    cerd_copy *w = NULL;
    cerd_copy_options o = CERD_COPY_OPTIONS_INIT;
    int rc = 0;
    size_t i;
    PGresult *res;
    (void)state;

    o.flush_bytes = 4096;
    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, &o), "begin");
    for (i = 0; i < 1000; i++)
        check(cerd_copy_put(w, &rows[i]), "put");
    res = testdb_ok(pg, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND query LIKE 'COPY %'");
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    for (; i < N && rc == 0; i++)
        rc = cerd_copy_put(w, &rows[i]);
    if (rc == 0)
        rc = cerd_copy_end(NULL, w);
    else
        assert_int_equal(cerd_copy_end(NULL, w), rc);
    assert_int_equal(rc, CERD_ECONNLOST);
    assert_int_equal(candle_count(), before);
    reconnect();
    free(rows);
}

/* The partition each candle of these months landed in, as "month:partition" lines. On
   Citus (label citus) tableoid names the partition's shard on its worker
   ("price_data_y2025m03_102345", one of the partition's shards): the shard id maps it
   back to its partition through pg_dist_shard, so the check is the same on both. */
static char *partitions_of(const char *from, const char *to)
{
    static int citus = -1;
    char sql[1024];
    if (citus < 0) {
        char *v = testdb_scalar(pg, "SELECT to_regclass('pg_catalog.pg_dist_shard') IS NOT NULL");
        citus = v && !strcmp(v, "t");
        free(v);
    }
    if (!citus)
        snprintf(sql, sizeof sql,
                 "SELECT string_agg(DISTINCT to_char(candle_time AT TIME ZONE 'UTC', 'YYYY-MM') "
                 "|| ':' || tableoid::regclass::text, ',') FROM price_data "
                 "WHERE candle_time >= '%s' AND candle_time < '%s'", from, to);
    else
        snprintf(sql, sizeof sql,
                 "WITH c AS (SELECT DISTINCT to_char(candle_time AT TIME ZONE 'UTC', 'YYYY-MM') "
                 "AS m, tableoid::regclass::text AS rel FROM price_data "
                 "WHERE candle_time >= '%s' AND candle_time < '%s') "
                 "SELECT string_agg(DISTINCT c.m || ':' || coalesce(s.logicalrelid::regclass"
                 "::text, c.rel), ',') FROM c LEFT JOIN pg_dist_shard s "
                 "ON s.shardid = substring(c.rel from '_([0-9]+)$')::bigint", from, to);
    return testdb_scalar(pg, sql);
}

static void test_copy__candles_of_three_months_land_in_their_partitions(void **state)
{
    enum { N = 90 };
    /* one candle a day from 2025-03-01: March, April and May */
    cerd_price_data *rows = candles(N, ts_of("2025-03-01 12:00:00+00"), 86400 * INT64_C(1000000));
    cerd_copy *w = NULL;
    int64_t written = 0;
    char *parts;
    (void)state;

    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, NULL), "begin");
    check(cerd_copy_put_rows(w, rows, N), "put");
    check(cerd_copy_end(&written, w), "end");
    assert_int_equal(written, N);
    parts = partitions_of("2025-03-01", "2025-06-01");
    assert_string_equal(parts, "2025-03:price_data_y2025m03,2025-04:price_data_y2025m04,"
                               "2025-05:price_data_y2025m05");
    free(parts);
    free(rows);
}

static void test_copy__a_month_without_partition_goes_to_default_or_is_created(void **state)
{
    cerd_price_data *rows = candles(20, ts_of("2031-06-10 00:00:00+00"), 3600 * INT64_C(1000000));
    cerd_price_data *later = candles(40, ts_of("2032-01-20 00:00:00+00"), 86400 * INT64_C(1000000));
    cerd_copy *w = NULL;
    cerd_copy_options o = CERD_COPY_OPTIONS_INIT;
    int64_t written = 0;
    char *parts;
    (void)state;

    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, NULL), "begin");
    check(cerd_copy_put_rows(w, rows, 20), "put");
    check(cerd_copy_end(&written, w), "end");
    parts = partitions_of("2031-06-01", "2031-07-01");
    assert_string_equal(parts, "2031-06:price_data_default");
    free(parts);

    /* 2032-01 .. 2032-02, created first; rows put one at a time */
    o.create_partitions = true;
    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, &o), "begin");
    for (int i = 0; i < 40; i++)
        check(cerd_copy_put(w, &later[i]), "put");
    check(cerd_copy_end(&written, w), "end");
    assert_int_equal(written, 40);
    parts = partitions_of("2032-01-01", "2032-03-01");
    assert_string_equal(parts, "2032-01:price_data_y2032m01,2032-02:price_data_y2032m02");
    free(parts);
    assert_int_equal(PQtransactionStatus(pg), PQTRANS_IDLE);

    /* one array spanning three new months: all created before its first row is sent */
    free(later);
    later = candles(80, ts_of("2033-01-15 00:00:00+00"), 86400 * INT64_C(1000000));
    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, &o), "begin");
    check(cerd_copy_put_rows(w, later, 80), "put_rows");
    check(cerd_copy_end(&written, w), "end");
    assert_int_equal(written, 80);
    parts = partitions_of("2033-01-01", "2033-05-01");
    assert_string_equal(parts, "2033-01:price_data_y2033m01,2033-02:price_data_y2033m02,"
                               "2033-03:price_data_y2033m03,2033-04:price_data_y2033m04");
    free(parts);

    /* a table that is not partitioned refuses the option */
    assert_int_equal(cerd_copy_begin(&w, conn, &cerd_assets_table, NULL, &o), CERD_EMISUSE);
    assert_null(w);
    free(rows);
    free(later);
}

static void test_copy__explicit_columns_and_not_null_checks(void **state)
{
    cerd_price_data *rows = candles(3, ts_of("2025-09-01 00:00:00+00"), 60 * INT64_C(1000000));
    cerd_colset cols = {{0}};
    cerd_copy *w = NULL;
    int64_t written = 0;
    static const int send[] = {CERD_PRICE_DATA_ASSET_ID, CERD_PRICE_DATA_TIMEFRAME,
                               CERD_PRICE_DATA_OPEN_PRICE, CERD_PRICE_DATA_HIGH_PRICE,
                               CERD_PRICE_DATA_LOW_PRICE, CERD_PRICE_DATA_CLOSE_PRICE,
                               CERD_PRICE_DATA_CANDLE_TIME};
    (void)state;
    for (size_t i = 0; i < sizeof send / sizeof *send; i++)
        cerd_colset_add(&cols, (unsigned)send[i]);
    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, &cols, NULL), "begin");
    check(cerd_copy_put_rows(w, rows, 3), "put");
    check(cerd_copy_end(&written, w), "end");
    assert_int_equal(written, 3);
    /* volume (not sent) got its default 0, market_cap NULL */
    assert_int_equal(scalar_ll("SELECT count(*) FROM price_data WHERE candle_time >= "
                               "'2025-09-01' AND candle_time < '2025-09-02' AND volume = 0 "
                               "AND market_cap IS NULL"), 3);

    /* a NOT NULL column of the set left NULL is refused before anything is sent */
    cerd_colset_add(&cols, CERD_PRICE_DATA_IS_VALIDATED);
    cerd_colset_add(&cols, CERD_PRICE_DATA_VOLUME);
    rows[1].volume.valid = false;
    rows[1].candle_time += 3600 * INT64_C(1000000);
    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, &cols, NULL), "begin");
    assert_int_equal(cerd_copy_put(w, &rows[1]), CERD_EINVALID);
    assert_string_equal(cerd_error_last()->column, "volume");
    cerd_copy_abort(w);
    free(rows);
}

static void test_copy_out__reads_every_row_as_stored(void **state)
{
    enum { SAMPLES = 64 };
    const cerd_table *t = &cerd_price_data_table;
    cerd_copy_out *r = NULL;
    cerd_price_data row = {0}, *sample = calloc(SAMPLES, sizeof *sample);
    long long total = candle_count(), n = 0;
    size_t ns = 0;
    int rc;
    (void)state;

    assert_non_null(sample);
    check(cerd_copy_out_open(&r, conn, t), "open");
    while ((rc = cerd_copy_out_next(r, &row)) == 1) {
        if (n++ % 7 == 0 && ns < SAMPLES) { /* keep a sample: the row moves out */
            sample[ns++] = row;
            memset(&row, 0, sizeof row);
        }
    }
    check(rc < 0 ? rc : 0, "next");
    check(cerd_copy_out_close(r), "close");
    assert_int_equal(n, total);
    assert_true(ns > 10);
    for (size_t i = 0; i < ns; i++) { /* each equals the row a range read returns */
        cerd_range range = pk_range(t, &sample[i]);
        cerd_rows got = {0};
        check(cerd_row_range(&got, conn, t, &range), "range");
        assert_int_equal(got.count, 1);
        assert_true(rows_equal_json(t, &sample[i], got.rows));
        cerd_rows_free(t, &got);
        cerd_row_clear(t, &sample[i]);
    }
    free(sample);

    /* closing early cancels the COPY and leaves the connection usable */
    check(cerd_copy_out_open(&r, conn, t), "open");
    assert_int_equal(cerd_copy_out_next(r, &row), 1);
    check(cerd_copy_out_close(r), "close early");
    cerd_row_clear(t, &row);
    assert_int_equal(cerd_conn_exec(conn, "SELECT 1"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy__every_table_reads_back_field_for_field),
        cmocka_unit_test(test_copy__an_invalid_row_in_the_middle_writes_nothing_and_is_named),
        cmocka_unit_test(test_copy__a_missing_asset_is_a_foreign_key_violation_in_either_mode),
        cmocka_unit_test(test_copy__collect_mode_writes_the_valid_rows_and_reports_the_others),
        cmocka_unit_test(test_copy__candles_of_three_months_land_in_their_partitions),
        cmocka_unit_test(test_copy__a_month_without_partition_goes_to_default_or_is_created),
        cmocka_unit_test(test_copy__explicit_columns_and_not_null_checks),
        cmocka_unit_test(test_copy_out__reads_every_row_as_stored),
        cmocka_unit_test(test_copy__a_killed_backend_is_connlost_and_nothing_is_written),
    };
    return cmocka_run_group_tests_name("bulk_copy", tests, setup, teardown);
}
