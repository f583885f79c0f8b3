/* Read replicas with read-your-writes, on servers of the test's own: a primary and a
   streaming standby (pg_basebackup -R, asynchronous replication, so the standby's replay
   may lag any commit). A write committed on the primary gives a token (its WAL
   position); a read through the read pool with that token always sees the write on the
   standby. With the standby's replay paused, the read waits and fails with
   CERD_ETIMEOUT, or is lent a primary connection when the read pool has a fallback;
   once replay resumes, the read is on the standby again and sees the write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "pool_support.h"

#define WRITES 200
#define WAIT_MS 10000  /* bound of a read's wait for replay while replay runs */
#define PAUSED_MS 300  /* bound of a read's wait while replay is paused */

static char base[256];
static pt_server primary, standby;
static char both_hosts[512];

static int setup(void **state)
{
    (void)state;
    if (pt_pair_start(&primary, &standby, base, sizeof base, "ryw", false))
        return -1;
    snprintf(both_hosts, sizeof both_hosts,
             "host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres",
             primary.port, standby.port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pt_server_stop(&primary, "immediate");
    pt_server_stop(&standby, "immediate");
    pt_rmtree(base);
    return 0;
}

static cerd_pool *new_pool(cerd_pool_target target, const char *app, cerd_pool *fallback)
{
    cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
    cerd_pool *pool = NULL;
    char ci[600];
    snprintf(ci, sizeof ci, "%s application_name=%s", both_hosts, app);
    o.conninfo = ci;
    o.target = target;
    o.min_size = 1;
    o.max_size = 2;
    o.acquire_timeout_ms = 5000;
    o.connect_timeout_ms = 2000;
    o.fallback = fallback;
    CERD_ASSERT_OK(cerd_pool_new(&pool, &o));
    return pool;
}

static int port_of(cerd_conn *c)
{
    return atoi(PQport(pt_pg(c)));
}

static int insert_asset(cerd_conn *c, void *arg)
{
    cerd_assets a = {.symbol = arg, .name = "Read your writes", .asset_type = "crypto"};
    return cerd_assets_insert(NULL, c, &a);
}

/* Writes an asset on the primary, committed with its position in *token: by
   cerd_conn_commit_lsn() on a borrowed connection, or by cerd_pool_transact() with the
   commit_lsn option. */
static void write_asset(cerd_pool *writes, char *symbol, bool by_transact, cerd_lsn *token)
{
    if (by_transact) {
        cerd_txn_options o = CERD_TXN_OPTIONS_INIT;
        o.commit_lsn = token;
        CERD_ASSERT_OK(cerd_pool_transact(writes, &o, insert_asset, symbol));
    } else {
        cerd_conn *c = NULL;
        CERD_ASSERT_OK(cerd_pool_acquire(&c, writes));
        assert_int_equal(port_of(c), primary.port);
        CERD_ASSERT_OK(cerd_conn_begin(c));
        CERD_ASSERT_OK(insert_asset(c, symbol));
        CERD_ASSERT_OK(cerd_conn_commit_lsn(token, c));
        cerd_pool_release(writes, c);
    }
    assert_true(token->value != 0);
}

/* Whether the asset is visible on c. */
static bool sees(cerd_conn *c, const char *symbol)
{
    cerd_assets a = {0};
    int rc = cerd_assets_get_by_symbol(&a, c, symbol);
    if (rc != 0 && rc != CERD_ENOTFOUND)
        CERD_ASSERT_OK(rc);
    cerd_assets_clear(&a);
    return rc == 0;
}

static void test_pool_read_your_writes__a_read_with_the_token_always_sees_the_write(void **state)
{
    cerd_pool *writes = new_pool(CERD_POOL_READ_WRITE, "cerd_ryw_w", NULL);
    cerd_pool *reads = new_pool(CERD_POOL_PREFER_STANDBY, "cerd_ryw_r", NULL);
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    cerd_lsn previous = {0};
    int seen = 0;
    (void)state;

    for (int i = 0; i < WRITES; i++) {
        char symbol[24];
        cerd_lsn token = {0};
        cerd_conn *c = NULL;

        snprintf(symbol, sizeof symbol, "RYW%d", i);
        write_asset(writes, symbol, i % 2 == 1, &token);
        /* each commit's position is past the one before */
        assert_true(token.value > previous.value);
        previous = token;
        CERD_ASSERT_OK(cerd_pool_acquire_read(&c, reads, &token, WAIT_MS));
        assert_int_equal(port_of(c), standby.port); /* a read on the standby... */
        seen += sees(c, symbol);                    /* ...that sees the write */
        cerd_pool_release(reads, c);
    }
    assert_int_equal(seen, WRITES);
    CERD_ASSERT_OK(cerd_pool_stats(&s, reads));
    print_message("%d reads with the token: %llu waited for the standby's replay\n", WRITES,
                  (unsigned long long)s.replay_waits);
    assert_int_equal(s.replay_fallbacks, 0);
    assert_int_equal(s.replay_timeouts, 0);
    cerd_pool_free(reads);
    cerd_pool_free(writes);
}

static void pause_replay(bool on)
{
    assert_true(pt_server_exec(&standby, on ? "SELECT pg_wal_replay_pause()"
                                            : "SELECT pg_wal_replay_resume()"));
    assert_true(pt_server_wait_for(&standby, "SELECT pg_get_wal_replay_pause_state()",
                                   on ? "paused" : "not paused", 20000));
}

static void test_pool_read_your_writes__a_paused_standby_times_out_or_falls_back(void **state)
{
    cerd_pool *writes = new_pool(CERD_POOL_READ_WRITE, "cerd_ryw_w", NULL);
    cerd_pool *reads = new_pool(CERD_POOL_PREFER_STANDBY, "cerd_ryw_r", NULL);
    cerd_pool *reads_fb = new_pool(CERD_POOL_PREFER_STANDBY, "cerd_ryw_f", writes);
    cerd_pool_statistics s = CERD_POOL_STATISTICS_INIT;
    cerd_lsn token = {0};
    cerd_conn *c = (cerd_conn *)1;
    char why[256], *v;
    int64_t t0, waited;
    (void)state;

    /* everything so far is on the standby; then its replay stops */
    if (!pt_server_wait_replay(&primary, &standby, 30000, why, sizeof why))
        fail_msg("%s", why);
    pause_replay(true);
    write_asset(writes, "PAUSED", false, &token);
    /* the standby has not got the write: a read there would not see it */
    v = pt_server_value(&standby, "SELECT count(*) FROM assets WHERE symbol = 'PAUSED'");
    assert_non_null(v);
    assert_string_equal(v, "0");
    free(v);

    /* without a fallback: waits for the bound, then CERD_ETIMEOUT */
    t0 = pt_now_ms();
    assert_int_equal(cerd_pool_acquire_read(&c, reads, &token, PAUSED_MS), CERD_ETIMEOUT);
    waited = pt_now_ms() - t0;
    print_message("timed out after %lld ms: %s\n", (long long)waited, cerd_error_last()->message);
    assert_null(c);
    assert_true(waited >= PAUSED_MS); /* it did wait for the standby */
    assert_non_null(strstr(cerd_error_last()->message, "replayed"));
    CERD_ASSERT_OK(cerd_pool_stats(&s, reads));
    assert_int_equal(s.replay_timeouts, 1);
    assert_int_equal(s.replay_fallbacks, 0);
    assert_int_equal(s.in_use, 0); /* the standby's connection went back */

    /* with a fallback: after the bound, a connection to the primary, which sees it */
    CERD_ASSERT_OK(cerd_pool_acquire_read(&c, reads_fb, &token, PAUSED_MS));
    assert_int_equal(port_of(c), primary.port);
    assert_true(sees(c, "PAUSED"));
    cerd_pool_release(reads_fb, c); /* released to the read pool: goes to its fallback */
    /* a bound of 0: checked once, then the fallback at once; released to the fallback */
    CERD_ASSERT_OK(cerd_pool_acquire_read(&c, reads_fb, &token, 0));
    assert_int_equal(port_of(c), primary.port);
    cerd_pool_release(writes, c);
    /* acting as a user: the transaction is open with the user set */
    CERD_ASSERT_OK(cerd_pool_acquire_read_as(&c, reads_fb, &token, 0, 42));
    assert_int_equal(port_of(c), primary.port);
    v = pt_conn_value(c, "SELECT current_setting('app.current_user_id')");
    assert_string_equal(v, "42");
    free(v);
    cerd_pool_release(reads_fb, c);
    CERD_ASSERT_OK(cerd_pool_stats(&s, reads_fb));
    assert_int_equal(s.replay_fallbacks, 3);
    assert_int_equal(s.replay_timeouts, 0);
    assert_int_equal(s.in_use, 0);
    CERD_ASSERT_OK(cerd_pool_stats(&s, writes));
    assert_int_equal(s.in_use, 0); /* every fallback connection came back */

    /* a read without the token is not held back (and does not see the write) */
    CERD_ASSERT_OK(cerd_pool_acquire_read(&c, reads, NULL, 0));
    assert_int_equal(port_of(c), standby.port);
    assert_false(sees(c, "PAUSED"));
    cerd_pool_release(reads, c);

    /* replay resumes: the read is lent on the standby, and sees the write */
    pause_replay(false);
    CERD_ASSERT_OK(cerd_pool_acquire_read(&c, reads, &token, WAIT_MS));
    assert_int_equal(port_of(c), standby.port);
    assert_true(sees(c, "PAUSED"));
    cerd_pool_release(reads, c);
    CERD_ASSERT_OK(cerd_pool_acquire_read_as(&c, reads_fb, &token, WAIT_MS, 42));
    assert_int_equal(port_of(c), standby.port);
    assert_true(sees(c, "PAUSED"));
    cerd_pool_release(reads_fb, c);

    cerd_pool_free(reads_fb);
    cerd_pool_free(reads);
    cerd_pool_free(writes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_read_your_writes__a_read_with_the_token_always_sees_the_write),
        cmocka_unit_test(test_pool_read_your_writes__a_paused_standby_times_out_or_falls_back),
    };
    return cmocka_run_group_tests_name("pool_read_your_writes", tests, setup, teardown);
}
