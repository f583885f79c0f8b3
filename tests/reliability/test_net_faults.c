/* The library over a network that delays, cuts and goes silent, through the fault proxy
   of tests/support/faultproxy.h (loopback), and cancellation from another thread:
   - 50 ms round trips: every operation still correct (pipelines and COPY keep their
     throughput: the factor against per-row round trips is printed, not asserted);
   - a connection cut in the middle of a result, a COPY, a pipeline or a COMMIT gives
     CERD_ECONNLOST (an interrupted COMMIT: CERD_ECOMMITUNKNOWN), nothing is half
     written (checked on a direct connection) and a pool discards the connection;
   - a blackholed server: connect_timeout, the pool's connect/acquire timeouts and
     statement timeouts bound every call (a watchdog ends the program on a hang);
   - an established connection whose server goes silent while TCP stays healthy
     (blackholed, stalled, or only its answers lost): the connection's I/O timeout ends
     a query, a typed read, a COPY (sending and waiting), a pipelined batch and a COMMIT
     with CERD_ETIMEOUT (COMMIT: CERD_ECOMMITUNKNOWN), closes the connection (a pool
     discards it) and leaves nothing half written;
   - cerd_conn_cancel() from another thread: CERD_ECANCELED, within the watchdog's 5 s. */
#include <pthread.h>

#include "bulk_support.h"
#include "faultproxy.h"
#include "watchdog.h"

#define HOUR (3600 * INT64_C(1000000))

static fproxy *px;

static int setup(void **state)
{
    (void)state;
    if (bulk_setup("net_faults"))
        return -1;
    return fproxy_start(&px, PQhost(pg), atoi(PQport(pg)));
}

static int teardown(void **state)
{
    (void)state;
    fproxy_stop(px);
    bulk_teardown();
    return 0;
}

/* Every test leaves the proxy forwarding plainly. */
static int reset_proxy(void **state)
{
    (void)state;
    fproxy_set_latency(px, 0);
    fproxy_stall(px, false);
    fproxy_blackhole(px, false);
    fproxy_mute_server(px, false);
    fproxy_cut_after_server_bytes(px, -1);
    fproxy_cut_after_client_bytes(px, -1);
    fproxy_cut_on_client_text(px, "", false);
    return 0;
}

/* The test database, reached through the proxy. */
static const char *proxied(const char *extra)
{
    static char s[2600];
    snprintf(s, sizeof s, "%s %s %s", db.direct_conninfo, fproxy_conninfo(px),
             extra ? extra : "");
    return s;
}

static cerd_conn *open_proxied(void)
{
    cerd_conn *c = NULL;
    check(cerd_conn_open(&c, proxied(NULL)), "open through the proxy");
    return c;
}

static long long count_between(const char *from, const char *to)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM price_data WHERE candle_time >= '%s' AND candle_time < '%s'",
             from, to);
    return scalar_ll(sql);
}

/* ------------------------------------------------------------------ latency */

static void test_latency__every_operation_is_correct_and_bulk_keeps_throughput(void **state)
{
    const cerd_table *t = &cerd_price_data_table;
    enum { NROW = 20, NBATCH = 500, NCOPY = 5000 };
    cerd_timestamp start = ts_of("2030-01-01 00:00:00+00");
    cerd_price_data *rows = candles(NROW + NBATCH + NCOPY, start, HOUR);
    cerd_price_data got = {0};
    cerd_batch *b = NULL;
    cerd_copy *w = NULL;
    int64_t n = 0, copied = 0;
    cerd_conn *c = open_proxied();
    (void)state;

    fproxy_set_latency(px, 25); /* each way: 50 ms per round trip */
    for (int i = 0; i < NROW; i++) {
        check(cerd_price_data_insert(&got, c, &rows[i]), "insert");
        rows[i].id = got.id;
    }
    for (int i = 0; i < NROW; i++) {
        check(cerd_price_data_get(&got, c, rows[i].id, rows[i].candle_time, rows[i].asset_id), "get");
        assert_true(rows_equal_json(t, &rows[i], &got));
    }
    /* update, in a transaction */
    check(cerd_conn_begin(c), "begin");
    rows[0].trade_count = (cerd_opt_int32){.valid = true, .value = 4242};
    check(cerd_price_data_update(NULL, c, &rows[0]), "update");
    check(cerd_conn_commit(c), "commit");
    check(cerd_price_data_get(&got, c, rows[0].id, rows[0].candle_time, rows[0].asset_id), "get updated");
    assert_true(got.trade_count.valid && got.trade_count.value == 4242);

    check(cerd_batch_new(&b, NULL), "batch");
    for (int i = NROW; i < NROW + NBATCH; i++)
        check(cerd_batch_insert(b, t, &rows[i]), "batch insert");
    check(cerd_batch_run(b, c), "batch run");
    cerd_batch_free(b);

    check(cerd_copy_begin(&w, c, t, NULL, NULL), "copy");
    check(cerd_copy_put_rows(w, &rows[NROW + NBATCH], NCOPY), "copy put");
    check(cerd_copy_end(&copied, w), "copy end");
    assert_int_equal(copied, NCOPY);

    check(cerd_row_count(&n, c, t, 0), "count");
    assert_int_equal(count_between("2030-01-01", "2031-01-01"), NROW + NBATCH + NCOPY);
    cerd_row_clear(t, &got);
    free(rows);
    cerd_conn_free(c);
}

/* ------------------------------------------------------------------ cuts */

static void test_cut__in_the_middle_of_a_result_is_connection_lost(void **state)
{
    cJSON *j = NULL;
    cerd_rows rows = {0};
    cerd_range r = {0};
    cerd_copy_out *out = NULL;
    cerd_price_data row = {0}, *many = candles(3000, ts_of("2029-01-01 00:00:00+00"), HOUR);
    cerd_copy *w = NULL;
    cerd_conn *c;
    int rc;
    (void)state;

    /* thousands of candles (far more than 30 kB), written directly */
    check(cerd_copy_begin(&w, conn, &cerd_price_data_table, NULL, NULL), "copy");
    check(cerd_copy_put_rows(w, many, 3000), "copy put");
    check(cerd_copy_end(NULL, w), "copy end");
    free(many);
    c = open_proxied();

    fproxy_cut_after_server_bytes(px, 30000);
    assert_int_equal(cerd_conn_query_json(&j, c, "SELECT g, repeat('x', 200) AS pad "
                                                  "FROM generate_series(1, 20000) g", 0, NULL),
                     CERD_ECONNLOST);
    assert_null(j);
    assert_false(cerd_conn_ok(c));
    cerd_conn_free(c);

    /* a typed read of every candle */
    c = open_proxied();
    r.ncolumns = 1;
    r.columns[0] = (uint16_t)cerd_table_column(&cerd_price_data_table, "id");
    fproxy_cut_after_server_bytes(px, 30000);
    assert_int_equal(cerd_row_range(&rows, c, &cerd_price_data_table, &r), CERD_ECONNLOST);
    cerd_rows_free(&cerd_price_data_table, &rows);
    cerd_conn_free(c);

    /* COPY out */
    c = open_proxied();
    fproxy_cut_after_server_bytes(px, 30000);
    rc = cerd_copy_out_open(&out, c, &cerd_price_data_table);
    while (rc == 0 && (rc = cerd_copy_out_next(out, &row)) == 1)
        rc = 0;
    assert_int_equal(rc, CERD_ECONNLOST);
    cerd_copy_out_close(out);
    cerd_row_clear(&cerd_price_data_table, &row);
    cerd_conn_free(c);
    assert_true(fproxy_cuts(px) >= 3);
}

static void test_cut__in_the_middle_of_a_copy_writes_nothing(void **state)
{
    enum { N = 20000 };
    cerd_price_data *rows = candles(N, ts_of("2032-01-01 00:00:00+00"), HOUR);
    cerd_copy *w = NULL;
    int64_t copied = 0;
    cerd_conn *c = open_proxied();
    int rc;
    (void)state;

    fproxy_cut_after_client_bytes(px, 200000);
    check(cerd_copy_begin(&w, c, &cerd_price_data_table, NULL, NULL), "copy");
    rc = cerd_copy_put_rows(w, rows, N);
    if (rc == 0)
        rc = cerd_copy_end(&copied, w);
    else
        cerd_copy_abort(w);
    assert_int_equal(rc, CERD_ECONNLOST);
    assert_int_equal(count_between("2032-01-01", "2035-01-01"), 0);
    free(rows);
    cerd_conn_free(c);
}

static void test_cut__in_the_middle_of_a_pipeline_batch_writes_nothing_half(void **state)
{
    enum { N = 2000 };
    cerd_batch_options o = CERD_BATCH_OPTIONS_INIT;
    cerd_price_data *rows = candles(N, ts_of("2036-01-01 00:00:00+00"), HOUR);
    cerd_batch *b = NULL;
    cerd_conn *c = open_proxied();
    long long stored;
    (void)state;

    /* cut while the batch is being sent: the server never sees its end */
    o.atomic = true;
    check(cerd_batch_new(&b, &o), "batch");
    for (int i = 0; i < N; i++)
        check(cerd_batch_insert(b, &cerd_price_data_table, &rows[i]), "queue");
    fproxy_cut_after_client_bytes(px, 50000);
    assert_int_equal(cerd_batch_run(b, c), CERD_ECONNLOST);
    assert_int_equal(cerd_batch_result_at(b, N - 1)->code, CERD_ECONNLOST);
    cerd_batch_free(b);
    cerd_conn_free(c);
    assert_int_equal(count_between("2036-01-01", "2037-01-01"), 0);

    /* cut while the results come back: the server may have finished (and committed)
       the whole batch, but never a part of it */
    c = open_proxied();
    check(cerd_batch_new(&b, &o), "batch");
    for (int i = 0; i < N; i++)
        check(cerd_batch_insert(b, &cerd_price_data_table, &rows[i]), "queue");
    fproxy_cut_after_server_bytes(px, 20000);
    assert_int_equal(cerd_batch_run(b, c), CERD_ECONNLOST);
    cerd_batch_free(b);
    cerd_conn_free(c);
    stored = count_between("2036-01-01", "2037-01-01");
    assert_true(stored == 0 || stored == N);
    free(rows);
}

static int insert_three(cerd_conn *c, void *arg)
{
    cerd_price_data *rows = arg;
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++)
        rc = cerd_price_data_insert(NULL, c, &rows[i]);
    return rc;
}

static void test_cut__during_commit_is_commit_outcome_unknown(void **state)
{
    cerd_price_data *rows = candles(12, ts_of("2038-01-01 00:00:00+00"), HOUR);
    cerd_conn *c = open_proxied();
    long long stored;
    (void)state;

    /* COMMIT never reaches the server: unknown to the caller, in fact rolled back */
    check(cerd_conn_begin(c), "begin");
    check(insert_three(c, rows), "insert");
    fproxy_cut_on_client_text(px, "COMMIT", false);
    assert_int_equal(cerd_conn_commit(c), CERD_ECOMMITUNKNOWN);
    assert_non_null(strstr(cerd_error_last()->message, "may or may not"));
    cerd_conn_free(c);
    assert_int_equal(count_between("2038-01-01", "2038-01-02"), 0);

    /* COMMIT reaches the server, its answer is lost: committed, all of it */
    c = open_proxied();
    check(cerd_conn_begin(c), "begin");
    check(insert_three(c, rows + 3), "insert");
    fproxy_cut_on_client_text(px, "COMMIT", true);
    assert_int_equal(cerd_conn_commit(c), CERD_ECOMMITUNKNOWN);
    cerd_conn_free(c);
    stored = count_between("2038-01-01", "2038-01-02");
    assert_true(stored == 0 || stored == 3);

    /* cerd_conn_transact does not retry it */
    c = open_proxied();
    fproxy_cut_on_client_text(px, "COMMIT", false);
    assert_int_equal(cerd_conn_transact(c, NULL, insert_three, rows + 6), CERD_ECOMMITUNKNOWN);
    cerd_conn_free(c);
    stored = count_between("2038-01-01", "2038-01-02");
    assert_true(stored == 0 || stored == 3);

    /* lost before COMMIT was sent: plainly lost, nothing committed */
    c = open_proxied();
    check(cerd_conn_begin(c), "begin");
    check(insert_three(c, rows + 9), "insert");
    fproxy_cut_after_server_bytes(px, 0);
    assert_int_equal(cerd_conn_exec(c, "SELECT 1"), CERD_ECONNLOST);
    assert_int_equal(cerd_conn_commit(c), CERD_ECONNLOST);
    cerd_conn_free(c);
    assert_true(count_between("2038-01-01", "2038-01-02") == stored);
    free(rows);
}

static void test_cut__the_pool_discards_the_connection(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool_statistics s0 = CERD_POOL_STATISTICS_INIT, s1 = CERD_POOL_STATISTICS_INIT;
    cerd_price_data *rows = candles(3, ts_of("2039-01-01 00:00:00+00"), HOUR);
    cerd_pool *pool = NULL;
    cerd_conn *c = NULL;
    cJSON *j = NULL;
    (void)state;

    o.conninfo = proxied(NULL);
    o.min_size = 1;
    o.max_size = 2;
    check(cerd_pool_new(&pool, &o), "pool");
    check(cerd_pool_stats(&s0, pool), "stats");

    /* mid-result */
    check(cerd_pool_acquire(&c, pool), "acquire");
    fproxy_cut_after_server_bytes(px, 30000);
    assert_int_equal(cerd_conn_query_json(&j, c, "SELECT g, repeat('x', 200) AS pad "
                                                  "FROM generate_series(1, 20000) g", 0, NULL),
                     CERD_ECONNLOST);
    cerd_pool_release(pool, c);

    /* at COMMIT, as a user */
    check(cerd_pool_acquire(&c, pool), "acquire again");
    check(cerd_conn_begin(c), "begin");
    check(insert_three(c, rows), "insert");
    fproxy_cut_on_client_text(px, "COMMIT", false);
    assert_int_equal(cerd_conn_commit(c), CERD_ECOMMITUNKNOWN);
    cerd_pool_release(pool, c);
    check(cerd_pool_stats(&s1, pool), "stats");
    assert_int_equal(s1.destroyed_broken + s1.destroyed_dirty,
                     s0.destroyed_broken + s0.destroyed_dirty + 2);
    assert_int_equal(count_between("2039-01-01", "2039-01-02"), 0);

    /* and lends a working connection next */
    check(cerd_pool_acquire(&c, pool), "acquire after the cuts");
    check(cerd_conn_query_json(&j, c, "SELECT 1 AS one", 0, NULL), "query");
    cJSON_Delete(j);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
    free(rows);
}

/* ------------------------------------------------------------------ blackhole */

static void test_blackhole__connect_is_bounded_by_connect_timeout(void **state)
{
    cerd_conn *c = NULL;
    (void)state;

    fproxy_blackhole(px, true);
    watchdog_arm(15, "cerd_conn_open to a blackholed server (connect_timeout=2)");
    assert_int_equal(cerd_conn_open(&c, proxied("connect_timeout=2")), CERD_ECONNECT);
    watchdog_disarm();
    assert_null(c);
}

static void test_blackhole__the_pool_fails_within_its_timeouts(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    cerd_conn *c = NULL;
    int rc;
    (void)state;

    o.conninfo = proxied(NULL);
    o.connect_timeout_ms = 2000;
    o.acquire_timeout_ms = 3000;
    o.min_size = 1;
    o.max_size = 1;
    o.idle_check_ms = 0; /* every lend checks the connection first */

    /* creating a pool: the first connection never answers */
    fproxy_blackhole(px, true);
    watchdog_arm(20, "cerd_pool_new against a blackholed server");
    assert_int_equal(cerd_pool_new(&pool, &o), CERD_ECONNECT);
    watchdog_disarm();

    /* a pool whose server goes silent: the check before lending and the new
       connection both time out, and so does the acquisition */
    fproxy_blackhole(px, false);
    check(cerd_pool_new(&pool, &o), "pool");
    fproxy_blackhole(px, true);
    watchdog_arm(30, "cerd_pool_acquire with a blackholed server");
    rc = cerd_pool_acquire(&c, pool);
    watchdog_disarm();
    assert_true(rc == CERD_ETIMEOUT || rc == CERD_ECONNECT);
    assert_null(c);
    fproxy_blackhole(px, false);
    watchdog_arm(30, "cerd_pool_free after a blackhole");
    cerd_pool_free(pool);
    watchdog_disarm();
}

static void test_blackhole__statement_timeout_bounds_a_stalled_statement(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    cerd_conn *c = NULL;
    cJSON *j = NULL;
    (void)state;

    o.conninfo = proxied(NULL);
    o.statement_timeout_ms = 300;
    check(cerd_pool_new(&pool, &o), "pool");
    check(cerd_pool_acquire(&c, pool), "acquire");
    watchdog_arm(10, "a statement under statement_timeout");
    assert_int_equal(cerd_conn_query_json(&j, c, "SELECT pg_sleep(30)", 0, NULL),
                     CERD_ETIMEOUT);
    watchdog_disarm();
    assert_string_equal(cerd_error_last()->sqlstate, "57014");
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

static const char *conn_option(cerd_conn *c, const char *keyword)
{
    static char value[64];
    PQconninfoOption *opts = PQconninfo(cerd_conn_pgconn(c));
    value[0] = '\0';
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (!strcmp(o->keyword, keyword) && o->val)
            snprintf(value, sizeof value, "%s", o->val);
    PQconninfoFree(opts);
    return value;
}

static void test_blackhole__connections_carry_tcp_keepalives_and_user_timeout(void **state)
{
    cerd_conn *c = open_proxied();
    (void)state;

    assert_string_equal(conn_option(c, "keepalives"), "1");
    assert_string_equal(conn_option(c, "keepalives_idle"), "30");
    assert_string_equal(conn_option(c, "keepalives_interval"), "10");
    assert_string_equal(conn_option(c, "keepalives_count"), "3");
    assert_string_equal(conn_option(c, "tcp_user_timeout"), "30000");
    cerd_conn_free(c);
    /* the caller's connection string wins */
    check(cerd_conn_open(&c, proxied("tcp_user_timeout=5000 keepalives_idle=7")), "open");
    assert_string_equal(conn_option(c, "tcp_user_timeout"), "5000");
    assert_string_equal(conn_option(c, "keepalives_idle"), "7");
    assert_string_equal(conn_option(c, "keepalives"), "1");
    cerd_conn_free(c);
}

/* ------------------------------------------------------------------ I/O timeout */

#define IO_MS 400 /* the connections' I/O timeout in these tests */

static cerd_conn *open_bounded(void)
{
    cerd_conn *c = open_proxied();
    cerd_conn_set_io_timeout(c, IO_MS);
    return c;
}

/* The call ended by the I/O timeout left the connection closed: unusable, the next call
   fails at once as lost. */
static void assert_closed_by_io_timeout(cerd_conn *c)
{
    assert_false(cerd_conn_ok(c));
    assert_int_equal(PQstatus(cerd_conn_pgconn(c)), CONNECTION_BAD);
    watchdog_arm(10, "a call on a connection the I/O timeout closed");
    assert_int_equal(cerd_conn_exec(c, "SELECT 1"), CERD_ECONNLOST);
    watchdog_disarm();
}

static void assert_io_timeout_message(void)
{
    assert_non_null(strstr(cerd_error_last()->message, "I/O timeout"));
}

static void test_io_timeout__default_follows_the_session_statement_timeout(void **state)
{
    cerd_conn *c = NULL;
    (void)state;

    c = open_proxied();
    assert_int_equal(cerd_conn_io_timeout(c), 0); /* no statement_timeout: off */
    cerd_conn_set_io_timeout(c, 1234);
    assert_int_equal(cerd_conn_io_timeout(c), 1234);
    cerd_conn_free(c);

    check(cerd_conn_open(&c, proxied("options='-c statement_timeout=1500'")), "open");
    assert_int_equal(cerd_conn_io_timeout(c), 1500 + 5000);
    cerd_conn_free(c);
    check(cerd_conn_open(&c, proxied("options='-c statement_timeout=2min'")), "open");
    assert_int_equal(cerd_conn_io_timeout(c), 120000 + 5000);
    cerd_conn_free(c);

    /* the derived bound ends a blackholed call by itself */
    check(cerd_conn_open(&c, proxied("options='-c statement_timeout=200'")), "open");
    assert_int_equal(cerd_conn_io_timeout(c), 5200);
    fproxy_blackhole(px, true);
    watchdog_arm(30, "a query on a blackholed connection, default I/O timeout");
    assert_int_equal(cerd_conn_exec(c, "SELECT 1"), CERD_ETIMEOUT);
    watchdog_disarm();
    assert_io_timeout_message();
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
}

static void test_io_timeout__a_query_on_a_blackholed_connection(void **state)
{
    cerd_price_data row = {0}, got = {0}, *rows = candles(2, ts_of("2041-01-01 00:00:00+00"), HOUR);
    cJSON *j = NULL;
    cerd_conn *c;
    (void)state;

    /* caller SQL */
    c = open_bounded();
    check(cerd_conn_query_json(&j, c, "SELECT 1 AS one", 0, NULL), "query before");
    cJSON_Delete(j);
    j = NULL;
    fproxy_blackhole(px, true);
    watchdog_arm(20, "cerd_conn_query_json on a blackholed connection");
    assert_int_equal(cerd_conn_query_json(&j, c, "SELECT 1 AS one", 0, NULL), CERD_ETIMEOUT);
    watchdog_disarm();
    assert_null(j);
    assert_io_timeout_message();
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    fproxy_blackhole(px, false);

    /* typed API: first use of a shape (prepare and execute in one round trip), then a
       prepared statement's execution */
    c = open_bounded();
    check(cerd_price_data_insert(&got, c, &rows[0]), "insert before");
    fproxy_blackhole(px, true);
    watchdog_arm(20, "a prepared insert on a blackholed connection");
    assert_int_equal(cerd_price_data_insert(NULL, c, &rows[1]), CERD_ETIMEOUT);
    watchdog_disarm();
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    fproxy_blackhole(px, false);

    c = open_bounded();
    fproxy_blackhole(px, true);
    watchdog_arm(20, "a first get on a blackholed connection");
    assert_int_equal(cerd_price_data_get(&row, c, got.id, got.candle_time, got.asset_id),
                     CERD_ETIMEOUT);
    watchdog_disarm();
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    assert_int_equal(count_between("2041-01-01", "2041-01-02"), 1);
    cerd_row_clear(&cerd_price_data_table, &row);
    cerd_row_clear(&cerd_price_data_table, &got);
    free(rows);
}

static void test_io_timeout__a_copy_on_a_silent_connection_writes_nothing(void **state)
{
    enum { N = 100000, SMALL = 1000 };
    cerd_price_data *rows = candles(N, ts_of("2042-01-01 00:00:00+00"), HOUR);
    cerd_copy *w = NULL;
    int64_t copied = 0;
    long long stored;
    cerd_conn *c;
    int rc;
    (void)state;

    /* sending: the proxy reads nothing, the kernel's buffers fill, the send waits */
    c = open_bounded();
    check(cerd_copy_begin(&w, c, &cerd_price_data_table, NULL, NULL), "copy");
    fproxy_stall(px, true);
    watchdog_arm(30, "COPY data sent to a stalled connection");
    rc = cerd_copy_put_rows(w, rows, N);
    if (rc == 0)
        rc = cerd_copy_end(&copied, w);
    else {
        assert_io_timeout_message();
        cerd_copy_abort(w);
    }
    watchdog_disarm();
    assert_int_equal(rc, CERD_ETIMEOUT);
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    fproxy_stall(px, false);
    assert_int_equal(count_between("2042-01-01", "2060-01-01"), 0);

    /* waiting for the COPY's result: blackholed before its end is sent */
    c = open_bounded();
    check(cerd_copy_begin(&w, c, &cerd_price_data_table, NULL, NULL), "copy");
    check(cerd_copy_put_rows(w, rows, SMALL), "copy put");
    fproxy_blackhole(px, true);
    watchdog_arm(20, "the end of a COPY on a blackholed connection");
    assert_int_equal(cerd_copy_end(&copied, w), CERD_ETIMEOUT);
    watchdog_disarm();
    assert_io_timeout_message();
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    fproxy_blackhole(px, false);
    assert_int_equal(count_between("2042-01-01", "2060-01-01"), 0);

    /* the end reaches the server, its answer is lost: all rows or none */
    c = open_bounded();
    check(cerd_copy_begin(&w, c, &cerd_price_data_table, NULL, NULL), "copy");
    check(cerd_copy_put_rows(w, rows, SMALL), "copy put");
    fproxy_mute_server(px, true);
    watchdog_arm(20, "the end of a COPY whose answer is lost");
    assert_int_equal(cerd_copy_end(&copied, w), CERD_ETIMEOUT);
    watchdog_disarm();
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    stored = count_between("2042-01-01", "2060-01-01");
    assert_true(stored == 0 || stored == SMALL);
    free(rows);
}

static void test_io_timeout__a_pipeline_batch_on_a_silent_connection(void **state)
{
    enum { N = 500 };
    cerd_batch_options o = CERD_BATCH_OPTIONS_INIT;
    cerd_price_data *rows = candles(N, ts_of("2061-01-01 00:00:00+00"), HOUR);
    cerd_batch *b = NULL;
    cerd_conn *c;
    (void)state;

    o.atomic = true;
    for (int round = 0; round < 2; round++) {
        c = open_bounded();
        if (round == 1) /* the shapes are prepared: only executions travel */
            check(cerd_price_data_insert(NULL, c, &rows[0]), "prepare");
        check(cerd_batch_new(&b, &o), "batch");
        for (int i = 1; i < N; i++)
            check(cerd_batch_insert(b, &cerd_price_data_table, &rows[i]), "queue");
        /* BEGIN is answered; the pipeline reaches the server, which runs it inside the
           transaction, and its results are lost */
        fproxy_mute_server_on_client_text(px, "cerd_");
        watchdog_arm(20, "a pipelined batch whose results are lost");
        assert_int_equal(cerd_batch_run(b, c), CERD_ETIMEOUT);
        watchdog_disarm();
        assert_io_timeout_message();
        assert_int_equal(cerd_batch_result_at(b, N - 2)->code, CERD_ETIMEOUT);
        cerd_batch_free(b);
        assert_closed_by_io_timeout(c);
        cerd_conn_free(c);
        fproxy_mute_server(px, false);
        /* COMMIT was never sent: none of the batch (row 0 was inserted on its own) */
        assert_int_equal(count_between("2061-01-01", "2062-01-01"), round);
    }

    /* blackholed before BEGIN: the batch ends there */
    c = open_bounded();
    check(cerd_batch_new(&b, &o), "batch");
    for (int i = 1; i < N; i++)
        check(cerd_batch_insert(b, &cerd_price_data_table, &rows[i]), "queue");
    fproxy_blackhole(px, true);
    watchdog_arm(20, "an atomic batch on a blackholed connection");
    assert_int_equal(cerd_batch_run(b, c), CERD_ETIMEOUT);
    watchdog_disarm();
    cerd_batch_free(b);
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    assert_int_equal(count_between("2061-01-01", "2062-01-01"), 1);
    free(rows);
}

static void test_io_timeout__a_commit_on_a_silent_connection_is_outcome_unknown(void **state)
{
    cerd_price_data *rows = candles(9, ts_of("2063-01-01 00:00:00+00"), HOUR);
    cerd_lsn lsn = {0};
    long long stored;
    cerd_conn *c;
    (void)state;

    /* COMMIT swallowed: unknown to the caller, in fact never committed */
    c = open_bounded();
    check(cerd_conn_begin(c), "begin");
    check(insert_three(c, rows), "insert");
    fproxy_blackhole(px, true);
    watchdog_arm(20, "COMMIT on a blackholed connection");
    assert_int_equal(cerd_conn_commit(c), CERD_ECOMMITUNKNOWN);
    watchdog_disarm();
    assert_non_null(strstr(cerd_error_last()->message, "may or may not"));
    assert_io_timeout_message();
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    fproxy_blackhole(px, false);
    assert_int_equal(count_between("2063-01-01", "2063-01-02"), 0);

    /* COMMIT delivered, its answer lost: committed, all of it (or, never, nothing) */
    c = open_bounded();
    check(cerd_conn_begin(c), "begin");
    check(insert_three(c, rows + 3), "insert");
    fproxy_mute_server(px, true);
    watchdog_arm(20, "COMMIT whose answer is lost");
    assert_int_equal(cerd_conn_commit_lsn(&lsn, c), CERD_ECOMMITUNKNOWN);
    watchdog_disarm();
    assert_int_equal(lsn.value, 0);
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    fproxy_mute_server(px, false);
    stored = count_between("2063-01-01", "2063-01-02");
    assert_true(stored == 0 || stored == 3);

    /* cerd_conn_transact does not retry it */
    c = open_bounded();
    fproxy_mute_server_on_client_text(px, "COMMIT");
    watchdog_arm(20, "cerd_conn_transact whose COMMIT answer is lost");
    assert_int_equal(cerd_conn_transact(c, NULL, insert_three, rows + 6), CERD_ECOMMITUNKNOWN);
    watchdog_disarm();
    assert_closed_by_io_timeout(c);
    cerd_conn_free(c);
    fproxy_mute_server(px, false);
    stored = count_between("2063-01-01", "2063-01-02");
    assert_true(stored == 0 || stored == 3 || stored == 6);
    free(rows);
}

static void test_io_timeout__the_pool_discards_the_connection(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool_statistics s0 = CERD_POOL_STATISTICS_INIT, s1 = CERD_POOL_STATISTICS_INIT;
    cerd_pool *pool = NULL;
    cerd_conn *c = NULL;
    cJSON *j = NULL;
    (void)state;

    o.conninfo = proxied(NULL);
    o.min_size = 1;
    o.max_size = 2;
    check(cerd_pool_new(&pool, &o), "pool");
    check(cerd_pool_stats(&s0, pool), "stats");
    check(cerd_pool_acquire(&c, pool), "acquire");
    cerd_conn_set_io_timeout(c, IO_MS);
    fproxy_blackhole(px, true);
    watchdog_arm(20, "a pooled connection's query on a blackholed connection");
    assert_int_equal(cerd_conn_query_json(&j, c, "SELECT 1 AS one", 0, NULL), CERD_ETIMEOUT);
    watchdog_disarm();
    fproxy_blackhole(px, false);
    watchdog_arm(30, "releasing a connection closed by its I/O timeout");
    cerd_pool_release(pool, c);
    watchdog_disarm();
    check(cerd_pool_stats(&s1, pool), "stats");
    assert_int_equal(s1.destroyed_broken + s1.destroyed_dirty,
                     s0.destroyed_broken + s0.destroyed_dirty + 1);
    check(cerd_pool_acquire(&c, pool), "acquire after the timeout");
    check(cerd_conn_query_json(&j, c, "SELECT 1 AS one", 0, NULL), "query");
    cJSON_Delete(j);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

/* The pool sets its statement_timeout after the connection opened: the connection's I/O
   timeout follows it (plus the 5 s margin), unless a pool has none. */
static void test_io_timeout__follows_the_pools_statement_timeout(void **state)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    cerd_conn *c = NULL;
    (void)state;

    o.conninfo = proxied(NULL);
    o.max_size = 1;
    o.statement_timeout_ms = 1500;
    check(cerd_pool_new(&pool, &o), "pool");
    check(cerd_pool_acquire(&c, pool), "acquire");
    assert_int_equal(cerd_conn_io_timeout(c), 1500 + 5000);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);

    o.statement_timeout_ms = 0;
    check(cerd_pool_new(&pool, &o), "pool without a statement timeout");
    check(cerd_pool_acquire(&c, pool), "acquire");
    assert_int_equal(cerd_conn_io_timeout(c), 0);
    cerd_pool_release(pool, c);
    cerd_pool_free(pool);
}

/* ------------------------------------------------------------------ cancel */

typedef struct canceler {
    cerd_conn *conn;
    int rc;
} canceler;

static void *cancel_soon(void *arg)
{
    canceler *k = arg;
    nanosleep(&(struct timespec){0, 300000000}, NULL);
    k->rc = cerd_conn_cancel(k->conn);
    return NULL;
}

static void test_cancel__a_long_statement_canceled_from_another_thread(void **state)
{
    canceler k = {open_proxied(), -1};
    pthread_t th;
    cJSON *j = NULL;
    (void)state;

    /* outside a transaction */
    watchdog_arm(5, "a statement canceled with cerd_conn_cancel");
    assert_int_equal(pthread_create(&th, NULL, cancel_soon, &k), 0);
    assert_int_equal(cerd_conn_query_json(&j, k.conn, "SELECT pg_sleep(10)", 0, NULL),
                     CERD_ECANCELED);
    pthread_join(th, NULL);
    watchdog_disarm();
    assert_int_equal(k.rc, 0);
    assert_string_equal(cerd_error_last()->sqlstate, "57014");
    assert_true(cerd_conn_ok(k.conn));

    /* inside one: the transaction is failed, rolled back, the connection usable */
    check(cerd_conn_begin(k.conn), "begin");
    watchdog_arm(5, "a statement canceled inside a transaction");
    assert_int_equal(pthread_create(&th, NULL, cancel_soon, &k), 0);
    assert_int_equal(cerd_conn_exec(k.conn, "SELECT pg_sleep(10)"), CERD_ECANCELED);
    pthread_join(th, NULL);
    watchdog_disarm();
    check(cerd_conn_rollback(k.conn), "rollback");
    check(cerd_conn_query_json(&j, k.conn, "SELECT 1 AS one", 0, NULL), "after");
    cJSON_Delete(j);

    /* a statement timeout keeps its own code */
    check(cerd_conn_exec(k.conn, "SET statement_timeout = 200"), "set");
    assert_int_equal(cerd_conn_exec(k.conn, "SELECT pg_sleep(5)"), CERD_ETIMEOUT);
    check(cerd_conn_exec(k.conn, "RESET statement_timeout"), "reset");
    cerd_conn_free(k.conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_latency__every_operation_is_correct_and_bulk_keeps_throughput, reset_proxy),
        cmocka_unit_test_setup(test_cut__in_the_middle_of_a_result_is_connection_lost, reset_proxy),
        cmocka_unit_test_setup(test_cut__in_the_middle_of_a_copy_writes_nothing, reset_proxy),
        cmocka_unit_test_setup(test_cut__in_the_middle_of_a_pipeline_batch_writes_nothing_half, reset_proxy),
        cmocka_unit_test_setup(test_cut__during_commit_is_commit_outcome_unknown, reset_proxy),
        cmocka_unit_test_setup(test_cut__the_pool_discards_the_connection, reset_proxy),
        cmocka_unit_test_setup(test_blackhole__connect_is_bounded_by_connect_timeout, reset_proxy),
        cmocka_unit_test_setup(test_blackhole__the_pool_fails_within_its_timeouts, reset_proxy),
        cmocka_unit_test_setup(test_blackhole__statement_timeout_bounds_a_stalled_statement, reset_proxy),
        cmocka_unit_test_setup(test_blackhole__connections_carry_tcp_keepalives_and_user_timeout, reset_proxy),
        cmocka_unit_test_setup(test_io_timeout__default_follows_the_session_statement_timeout, reset_proxy),
        cmocka_unit_test_setup(test_io_timeout__a_query_on_a_blackholed_connection, reset_proxy),
        cmocka_unit_test_setup(test_io_timeout__a_copy_on_a_silent_connection_writes_nothing, reset_proxy),
        cmocka_unit_test_setup(test_io_timeout__a_pipeline_batch_on_a_silent_connection, reset_proxy),
        cmocka_unit_test_setup(test_io_timeout__a_commit_on_a_silent_connection_is_outcome_unknown, reset_proxy),
        cmocka_unit_test_setup(test_io_timeout__the_pool_discards_the_connection, reset_proxy),
        cmocka_unit_test_setup(test_io_timeout__follows_the_pools_statement_timeout, reset_proxy),
        cmocka_unit_test_setup(test_cancel__a_long_statement_canceled_from_another_thread, reset_proxy),
    };
    return cmocka_run_group_tests_name("net_faults", tests, setup, teardown);
}
