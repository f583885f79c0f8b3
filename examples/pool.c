/*
 * pool: a connection pool shared by worker threads, with per-user context for
 * row-level security.
 *
 *   pool [CONNINFO [READ_CONNINFO]]
 *       CONNINFO       the primary (default: $CRYPTOERD_DSN, else libpq's PG* environment)
 *       READ_CONNINFO  servers for reads, standbys first (default: CONNINFO)
 *
 * Brings the schema up to date, makes sure a user and a portfolio of theirs exist, then
 * runs 8 threads that borrow connections from one pool: each reads the user's portfolios
 * acting as that user (cerd_pool_acquire_as: app.current_user_id set for the
 * transaction only), and bumps a counter in a SERIALIZABLE transaction retried on
 * conflicts (cerd_pool_transact), keeping the commit's WAL position; then reads the
 * counter back through a read pool on the standbys with that position
 * (cerd_pool_acquire_read: read-your-writes, waiting for a standby to replay the write
 * or falling back to the primary), which always shows at least the value written.
 * Prints the pools' statistics at the end.
 *
 * A pool is thread-safe; a connection borrowed from it is used by the borrowing thread
 * only, until it gives it back with cerd_pool_release(). (Connecting as a superuser
 * bypasses row-level security; an application logs in as a role granted cryptoerd_app.)
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <cryptoerd/cryptoerd.h>

#define THREADS 8
#define ROUNDS 50

static cerd_pool *pool, *reads;
static int64_t user_id, counter_id;

static int fail(const char *what)
{
    const cerd_error *e = cerd_error_last();
    fprintf(stderr, "pool: %s: %s (%s)\n", what, e->message, cerd_strerror(e->code));
    return 1;
}

/* One attempt of a transaction: read the counter, write it back plus one (the value
   written goes to *arg). */
static int bump(cerd_conn *conn, void *arg)
{
    cerd_assets row = {0}, upd = {0};
    cerd_colset cols = {{0}};
    int rc;

    if ((rc = cerd_assets_get(&row, conn, counter_id)))
        return rc;
    upd.id = row.id;
    upd.access_count = CERD_SOME(cerd_opt_int32, row.access_count.value + 1);
    *(int32_t *)arg = upd.access_count.value;
    cerd_colset_add(&cols, CERD_ASSETS_ACCESS_COUNT);
    rc = cerd_assets_update_columns(NULL, conn, &upd, &cols);
    cerd_assets_clear(&row);
    return rc;
}

static void *worker(void *arg)
{
    cerd_txn_options serializable = CERD_TXN_OPTIONS_INIT;
    intptr_t failures = 0;
    (void)arg;

    serializable.isolation = CERD_ISOLATION_SERIALIZABLE;
    serializable.max_attempts = 100;
    for (int i = 0; i < ROUNDS; i++) {
        cerd_portfolios_rows mine = {0};
        cerd_page page = {0};
        cerd_conn *conn;

        /* Acting as the user: a transaction is open, the policies see user_id. */
        if (cerd_pool_acquire_as(&conn, pool, user_id)) {
            failures++;
            continue;
        }
        if (cerd_portfolios_list_by_user_id(&mine, conn, user_id, &page) || mine.count == 0)
            failures++;
        cerd_portfolios_list_free(&mine);
        cerd_conn_commit(conn);
        cerd_pool_release(pool, conn); /* rolls back anything still open */

        {
            cerd_lsn written = {0};
            cerd_assets row = {0};
            int32_t value = 0;

            serializable.commit_lsn = &written; /* the commit's WAL position */
            if (cerd_pool_transact(pool, &serializable, bump, &value)) {
                failures++;
                continue;
            }
            /* read-your-writes: a standby that has replayed the commit (waiting up to
               1 s), else the primary */
            if (cerd_pool_acquire_read(&conn, reads, &written, 1000)) {
                failures++;
                continue;
            }
            if (cerd_assets_get(&row, conn, counter_id) || row.access_count.value < value)
                failures++;
            cerd_assets_clear(&row);
            cerd_pool_release(reads, conn);
        }
    }
    return (void *)failures;
}

/* Schema, one user with a portfolio, one counter; on a borrowed connection. */
static int prepare(void)
{
    cerd_users user = {.email = "pool-example@example.com", .password_hash = "not-a-real-hash"};
    cerd_assets counter = {.symbol = "POOLEX", .name = "Pool example counter",
                           .asset_type = "crypto"};
    cerd_users u = {0};
    cerd_assets a = {0};
    cerd_conn *conn;
    int rc;

    if (cerd_pool_acquire(&conn, pool))
        return fail("acquire");
    if ((rc = cerd_migrate(NULL, conn)))
        goto out;
    counter.access_count = CERD_SOME(cerd_opt_int32, 0);
    if ((rc = cerd_assets_upsert_by_symbol(&a, conn, &counter)))
        goto out;
    counter_id = a.id;
    rc = cerd_users_get_by_email(&u, conn, user.email);
    if (rc == CERD_ENOTFOUND)
        rc = cerd_users_insert(&u, conn, &user);
    if (rc)
        goto out;
    user_id = u.id;
    /* the portfolio is created acting as its owner, as the policies require */
    cerd_pool_release(pool, conn);
    if (cerd_pool_acquire_as(&conn, pool, user_id))
        return fail("acquire_as");
    {
        cerd_portfolios p = {.user_id = user_id};
        cerd_portfolios_rows mine = {0};
        cerd_page page = {0};
        if (!(rc = cerd_portfolios_list_by_user_id(&mine, conn, user_id, &page))
            && mine.count == 0)
            rc = cerd_portfolios_insert(NULL, conn, &p);
        cerd_portfolios_list_free(&mine);
        if (!rc)
            rc = cerd_conn_commit(conn);
    }
out:
    if (rc)
        fail("prepare");
    cerd_users_clear(&u);
    cerd_assets_clear(&a);
    cerd_pool_release(pool, conn);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    cerd_pool_options opts = CERD_POOL_OPTIONS_INIT, read_opts;
    cerd_pool_statistics stats = CERD_POOL_STATISTICS_INIT, rstats = CERD_POOL_STATISTICS_INIT;
    pthread_t threads[THREADS];
    intptr_t failures = 0;

    opts.conninfo = argc > 1 ? argv[1] : getenv("CRYPTOERD_DSN");
    opts.min_size = 2;
    opts.max_size = 4;                    /* 8 threads share 4 sessions */
    opts.statement_timeout_ms = 10000;    /* no statement runs away */
    opts.idle_in_transaction_timeout_ms = 30000;
    if (cerd_pool_new(&pool, &opts))
        return fail("pool");
    /* the read pool: standbys while there are, the primary when one lags too long */
    read_opts = opts;
    if (argc > 2)
        read_opts.conninfo = argv[2];
    read_opts.target = CERD_POOL_PREFER_STANDBY;
    read_opts.min_size = 1;
    read_opts.fallback = pool;
    if (cerd_pool_new(&reads, &read_opts)) {
        fail("read pool");
        cerd_pool_free(pool);
        return 1;
    }
    if (prepare()) {
        cerd_pool_free(reads);
        cerd_pool_free(pool);
        return 1;
    }
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++) {
        void *f;
        pthread_join(threads[i], &f);
        failures += (intptr_t)f;
    }
    cerd_pool_stats(&stats, pool);
    cerd_pool_stats(&rstats, reads);
    printf("%d rounds by %d threads, %ld failures\n", ROUNDS, THREADS, (long)failures);
    printf("pool: %u open (%u idle), %" PRIu64 " acquisitions, %" PRIu64 " waited "
           "(%" PRIu64 " ms in all), %" PRIu64 " timeouts, %" PRIu64 " connections opened\n",
           stats.total, stats.idle, stats.acquires, stats.waits, stats.wait_us / 1000,
           stats.timeouts, stats.created);
    printf("read pool: %" PRIu64 " acquisitions, %" PRIu64 " waited for a standby's replay, "
           "%" PRIu64 " went to the primary\n", rstats.acquires, rstats.replay_waits,
           rstats.replay_fallbacks);
    cerd_pool_free(reads); /* before the pool it falls back to */
    cerd_pool_free(pool);
    return failures ? 1 : 0;
}
