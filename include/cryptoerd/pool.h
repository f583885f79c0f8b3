/**
 * @file pool.h
 * @brief A thread-safe pool of connections, with per-user context for row-level security.
 *
 * Thread safety: a pool is thread-safe (any thread may acquire, release and read
 * statistics at any time); a connection acquired from it belongs to the thread that
 * acquired it until that thread releases it, and is used by one thread at a time like
 * any ::cerd_conn.
 *
 * A pooled connection is a ::cerd_conn: every function of conn.h, table.h and the
 * generated table headers works on it the same as on a connection from
 * cerd_conn_open(), inside or outside a transaction. It is handed back with
 * cerd_pool_release(), never with cerd_conn_free().
 *
 * What the pool guarantees:
 * - Waiters are served first come, first served: a released or new connection goes to
 *   the thread that has waited longest, and a thread arriving while others wait queues
 *   behind them. At most ::cerd_pool_options::max_size connections exist at any time,
 *   however many threads wait.
 * - Connections are opened by one background thread, one at a time; after a failed
 *   attempt it waits a randomised, growing delay, so reconnecting after an outage is
 *   spread out rather than a stampede. While no connection exists and the last attempt
 *   failed, acquiring fails at once with ::CERD_ECONNECT instead of waiting.
 * - A released connection is made clean before it is lent again: a transaction left
 *   open is rolled back; session state changed through cerd_conn_exec() is reset
 *   (`DISCARD ALL`, then the library's session setup, the pool's settings and the
 *   after-connect hook again); a connection that is broken, still busy with a query
 *   (a result not consumed), inside a pipeline or in a failed transaction is closed
 *   instead of returned.
 * - A connection's socket is looked at before it is lent (a backend that was killed has
 *   closed it), unless it was released less than 0.1 ms before.
 * - A connection idle longer than ::cerd_pool_options::idle_check_ms, or not checked
 *   for a health-check period, is checked with a query before it is handed out, and a
 *   background thread checks idle connections every period. In a pool for writes
 *   (::CERD_POOL_READ_WRITE) the check also asks the server whether it is in recovery or
 *   read-only: such a connection is closed (reason failover), and once one is found
 *   every other connection is checked again before it is lent.
 * - Connections are retired after ::cerd_pool_options::max_lifetime_ms, shortened by a
 *   random part of ::cerd_pool_options::lifetime_jitter_ms for each connection so that
 *   they do not all expire at once, and after ::cerd_pool_options::idle_timeout_ms
 *   unused (never below ::cerd_pool_options::min_size); the pool is refilled to its
 *   minimum size in the background.
 *
 * User context for row-level security: cerd_pool_acquire_as() begins a transaction and
 * sets `app.current_user_id` with `SET LOCAL` in the same round trip (`BEGIN; SET LOCAL
 * citus.propagate_set_commands = 'local'; SET LOCAL app.current_user_id = '42'`, the id
 * formatted by the library from its int64, never caller text). A `SET LOCAL` lasts until
 * that transaction ends, so nothing leaks to the next borrower, with or without a pooler
 * such as PgBouncer in transaction mode in between; on Citus, the propagate setting makes
 * the coordinator forward the user to every worker the transaction touches (without
 * Citus it is an inert placeholder that ends with the transaction too). Every further
 * transaction the library begins on that borrowed connection (cerd_conn_begin(),
 * cerd_conn_transact()) acts as the same user; statements run outside a transaction act
 * as nobody.
 *
 * Read replicas with read-your-writes: a pool for writes and a read pool
 * (::CERD_POOL_PREFER_STANDBY) over the same primary and its streaming standbys. A write
 * committed with cerd_conn_commit_lsn() (or cerd_conn_transact() with
 * ::cerd_txn_options::commit_lsn) yields a ::cerd_lsn token; cerd_pool_acquire_read()
 * with that token lends a connection on which the write is visible:
 * - Guarantee: the connection is to a server not in recovery (a primary), or to a
 *   standby whose `pg_last_wal_replay_lsn()` has reached the token, checked outside any
 *   transaction just before it is lent, so every snapshot taken on it afterwards
 *   includes the write and everything committed before it on the primary. While the
 *   standby lags, the call waits (polling, at most its timeout); then it lends a
 *   connection of the read pool's ::cerd_pool_options::fallback pool (the primary) if it
 *   has one, or fails with ::CERD_ETIMEOUT. Without a token (NULL or 0) it is
 *   cerd_pool_acquire(): no guarantee.
 * - Not guaranteed: that a later read without the token sees the write; that two reads
 *   on different standbys see the same state; after a failover, a token only means
 *   something if the write reached the new primary (synchronous replication).
 * - Cost: the commit reads the WAL position in the same round trip (no extra round
 *   trip); each cerd_pool_acquire_read() with a token costs one round trip to the standby
 *   when it has caught up, one more every 1 to 20 ms while it lags, and up to the timeout
 *   of waiting; a fallback loads the primary with the read. ::cerd_pool_statistics counts
 *   the waits, fallbacks and timeouts.
 */
#ifndef CRYPTOERD_POOL_H
#define CRYPTOERD_POOL_H

#include <stdint.h>

#include <cryptoerd/common.h>
#include <cryptoerd/conn.h>

CERD_BEGIN_DECLS

/** A pool of connections (opaque). Created by cerd_pool_new(), freed by cerd_pool_free(). */
typedef struct cerd_pool cerd_pool;

/** Which servers a pool's connections may be on. */
typedef enum cerd_pool_target {
    /** A pool for writes: only a server that accepts writes. Adds
        `target_session_attrs=read-write` to the connection string unless it names
        target_session_attrs itself, and checks after connecting and at every health
        check that the server is neither in recovery nor read-only. */
    CERD_POOL_READ_WRITE = 0,
    /** A read pool, for queries that may read from replicas: adds
        `target_session_attrs=prefer-standby` unless the string names
        target_session_attrs, so a standby among the hosts is used while there is one. */
    CERD_POOL_PREFER_STANDBY = 1,
    /** Any server the connection string leads to; health checks test only liveness. */
    CERD_POOL_ANY = 2
} cerd_pool_target;

/**
 * A function the pool runs on every connection it opens, after the library's session
 * setup and the pool's settings, and again after it resets a session; return 0 to keep
 * the connection, a negative code to close it (counted as a failed connection attempt).
 * It runs on a pool thread, without the pool's lock held, so it may run SQL on @p conn
 * (which it must not keep or free). It should be idempotent.
 */
typedef int (*cerd_pool_connect_fn)(cerd_conn *conn, void *arg);

/**
 * Options of cerd_pool_new(). Initialise with ::CERD_POOL_OPTIONS_INIT, then set the
 * fields that differ from the defaults; fields are only ever added at the end, and the
 * version field tells the library which ones the caller knows. Times are milliseconds;
 * for the times marked so, 0 disables the feature.
 */
typedef struct cerd_pool_options {
    unsigned version;          /**< Layout version: 2 (1: without @c fallback). */
    /** libpq connection string or URI, multi-host strings included
        ("host=db1,db2 port=5432,5432 dbname=x"); NULL or "" uses libpq's PG*
        environment. Copied: need not outlive cerd_pool_new(). */
    const char *conninfo;
    unsigned min_size;         /**< Connections kept open even when idle (default 1). */
    unsigned max_size;         /**< Most connections open at once, >= 1 (default 10). */
    /** How long cerd_pool_acquire() waits for a connection before failing with
        ::CERD_ETIMEOUT (default 5000). */
    unsigned acquire_timeout_ms;
    /** Limit on opening one connection, per host tried (libpq's connect_timeout,
        rounded up to whole seconds, at least 2), unless the connection string sets
        connect_timeout; also the limit on one health check (default 5000). */
    unsigned connect_timeout_ms;
    unsigned idle_timeout_ms;  /**< Close connections unused this long, above min_size; 0: never (default 600000). */
    unsigned max_lifetime_ms;  /**< Retire connections this old once released; 0: never (default 1800000). */
    /** Each connection's lifetime is shortened by a random amount up to this, so
        connections opened together do not expire together (default 60000). */
    unsigned lifetime_jitter_ms;
    /** Period of the health checks of idle connections; every connection is also
        checked before being lent when its last check is older than this (default 5000).
        Must be > 0. */
    unsigned health_check_period_ms;
    /** A connection idle longer than this is checked before being lent; 0: always
        (default 500). */
    unsigned idle_check_ms;
    /** statement_timeout of the pool's sessions; 0: the server's setting (default 0). Its
        connections' I/O timeout (cerd_conn_set_io_timeout()) follows it: this plus 5 s. */
    unsigned statement_timeout_ms;
    /** idle_in_transaction_session_timeout of the pool's sessions; 0: the server's
        setting (default 0). */
    unsigned idle_in_transaction_timeout_ms;
    cerd_pool_target target;   /**< Which servers to use (default ::CERD_POOL_READ_WRITE). */
    /** 1 (default): statements are prepared once per connection under names and reused;
        0: no named server-side prepared statements are used, each statement is sent
        with its parameters as an unnamed statement in one round trip, for poolers that
        do not support named ones (PgBouncer in transaction mode before 1.21). */
    int named_statements;
    cerd_pool_connect_fn after_connect; /**< Run on each new session, or NULL (default). */
    void *after_connect_arg;            /**< Passed to @c after_connect. */
    /** Version 2. For a read pool: the pool (normally for writes, on the primary) whose
        connections cerd_pool_acquire_read() lends when this pool's server has not
        replayed the awaited position in time; NULL (default): it fails with
        ::CERD_ETIMEOUT instead. Such a connection is released to either pool. Borrowed:
        must outlive this pool; must not itself have a fallback. */
    cerd_pool *fallback;
} cerd_pool_options;

/** Default options, version 2: see each field of ::cerd_pool_options. */
#define CERD_POOL_OPTIONS_INIT                                                         \
    {2, NULL, 1, 10, 5000, 5000, 600000, 1800000, 60000, 5000, 500, 0, 0,           \
     CERD_POOL_READ_WRITE, 1, NULL, NULL, NULL}

/**
 * Counters of a pool, as cerd_pool_stats() fills them. Initialise with
 * ::CERD_POOL_STATISTICS_INIT (the version field says which fields the caller knows).
 * Counts are since the pool was created.
 */
typedef struct cerd_pool_statistics {
    unsigned version;          /**< Layout version: 2 (1: without the replay_ counters). */
    unsigned total;            /**< Connections open now (idle + in use + being checked). */
    unsigned idle;             /**< Open and waiting to be lent. */
    unsigned in_use;           /**< Lent to a caller (or being checked before lending). */
    unsigned waiting;          /**< Threads waiting in cerd_pool_acquire(). */
    unsigned connecting;       /**< Connection attempts in progress (0 or 1). */
    uint64_t acquires;         /**< Connections lent. */
    uint64_t waits;            /**< Acquisitions that had to wait. */
    uint64_t wait_us;          /**< Time spent waiting by all acquisitions, microseconds. */
    uint64_t timeouts;         /**< Acquisitions that failed with ::CERD_ETIMEOUT. */
    uint64_t connect_failures; /**< Connection attempts that failed. */
    uint64_t created;          /**< Connections opened. */
    uint64_t destroyed_lifetime; /**< Closed: reached their lifetime. */
    uint64_t destroyed_idle;   /**< Closed: idle longer than idle_timeout_ms. */
    uint64_t destroyed_broken; /**< Closed: lost, or a health check failed or timed out. */
    uint64_t destroyed_failover; /**< Closed: a pool for writes found the server in recovery or read-only. */
    /** Closed: released busy, in a failed transaction or inside a pipeline, or the
        release-time rollback or session reset failed. */
    uint64_t destroyed_dirty;
    uint64_t destroyed_closed; /**< Closed by cerd_pool_free(). */
    /** cerd_pool_acquire_read() calls whose server had not yet replayed the awaited
        position at the first check (version 2). */
    uint64_t replay_waits;
    /** cerd_pool_acquire_read() calls that lent a connection of the fallback pool
        (version 2). */
    uint64_t replay_fallbacks;
    /** cerd_pool_acquire_read() calls that failed with ::CERD_ETIMEOUT because the
        server had not replayed the position in time, without fallback (version 2). */
    uint64_t replay_timeouts;
} cerd_pool_statistics;

/** Initialiser of ::cerd_pool_statistics, version 2. */
#define CERD_POOL_STATISTICS_INIT                                                      \
    {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

/**
 * Creates a pool and starts its two background threads (one opens connections, one
 * checks and retires them). The pool's first @p opts->min_size connections are opened
 * before it returns, one after the other, so a wrong connection string fails here;
 * connections beyond min_size are opened in the background when borrowers wait.
 *
 * @param[out] out  the new pool, owned by the caller (cerd_pool_free()).
 * @param opts      options; NULL for ::CERD_POOL_OPTIONS_INIT. Borrowed for the call.
 * @return 0; ::CERD_EMISUSE for inconsistent options (max_size 0, min_size > max_size,
 *         health_check_period_ms 0, unknown version or target, a connection string
 *         libpq cannot parse); ::CERD_ECONNECT when the first connection fails;
 *         ::CERD_ENOMEM; ::CERD_ERROR when a thread cannot be started.
 */
CERD_EXTERN int cerd_pool_new(cerd_pool **out, const cerd_pool_options *opts);

/**
 * Borrows a connection: an idle one when no thread is waiting, else waits in line, at
 * most ::cerd_pool_options::acquire_timeout_ms, for one to be released or opened.
 *
 * @param pool      the pool.
 * @param[out] out  the connection, lent to the calling thread until it passes it to
 *                  cerd_pool_release(); never to be freed with cerd_conn_free().
 * @return 0; ::CERD_ETIMEOUT when none became free in time; ::CERD_ECONNECT when the
 *         pool has no connection and cannot open one (message from the last attempt);
 *         ::CERD_EMISUSE for NULL arguments or a pool being freed.
 */
CERD_EXTERN int cerd_pool_acquire(cerd_conn **out, cerd_pool *pool);

/**
 * Borrows a connection acting as user @p user_id for row-level security: a transaction
 * is open on it, in which `app.current_user_id` is @p user_id (set with `SET LOCAL` in
 * the BEGIN's round trip, so it ends with the transaction). The caller ends that
 * transaction with cerd_conn_commit() or cerd_conn_rollback(); releasing rolls back
 * whatever is still open. Later transactions begun by the library on this connection
 * (cerd_conn_begin(), cerd_conn_transact()) act as the same user until it is released.
 *
 * @param pool      the pool.
 * @param user_id   the acting user (users.id).
 * @param[out] out  as for cerd_pool_acquire().
 * @return as cerd_pool_acquire(); or the code of the failed BEGIN (the connection is
 *         then released and @p out is NULL). A connection found lost at this point is
 *         replaced silently.
 */
CERD_EXTERN int cerd_pool_acquire_as(cerd_conn **out, cerd_pool *pool, int64_t user_id);

/**
 * Borrows a connection on which a write is visible (read-your-writes; see the file's
 * description): from @p pool, once its server is a primary or a standby that has
 * replayed the write-ahead log up to @p after.
 *
 * The connection is acquired as by cerd_pool_acquire() (waiting at most
 * ::cerd_pool_options::acquire_timeout_ms), then its server is asked
 * (`pg_is_in_recovery()`, `pg_last_wal_replay_lsn()`) right away and then every 1 ms,
 * 2 ms, ... (at most 20 ms apart) until it has replayed @p after or @p timeout_ms have
 * passed since the first check. The wait ends within @p timeout_ms plus one check,
 * which is itself limited by ::cerd_pool_options::connect_timeout_ms. In time, the
 * connection is lent outside any transaction: every snapshot taken on it sees the
 * write. Too late, it is released and, when @p pool has a
 * ::cerd_pool_options::fallback, a connection of that pool is lent instead (acquired
 * as by cerd_pool_acquire(), without a check: a primary has its own writes); it may be
 * released to @p pool or to the fallback pool.
 *
 * @param[out] out    as for cerd_pool_acquire().
 * @param pool        the read pool.
 * @param after       the token of the write (cerd_conn_commit_lsn()); NULL or 0: no
 *                    condition, as cerd_pool_acquire().
 * @param timeout_ms  how long to wait for the standby's replay; 0: check once, then
 *                    fall back at once.
 * @return 0; ::CERD_ETIMEOUT when the server had not replayed @p after in time and
 *         there is no fallback (message with both positions), or when no connection
 *         became free; the other codes of cerd_pool_acquire() (of the fallback pool's
 *         too); ::CERD_ECONNLOST or ::CERD_ESERVER when the check failed.
 */
CERD_EXTERN int cerd_pool_acquire_read(cerd_conn **out, cerd_pool *pool, const cerd_lsn *after,
                                       unsigned timeout_ms);

/**
 * As cerd_pool_acquire_read(), then as cerd_pool_acquire_as(): a transaction is open on
 * the connection, acting as user @p user_id for row-level security.
 *
 * @param[out] out    as for cerd_pool_acquire().
 * @param pool        the read pool.
 * @param after       the token of the write, or NULL.
 * @param timeout_ms  how long to wait for the standby's replay.
 * @param user_id     the acting user (users.id).
 * @return as cerd_pool_acquire_read(); or the code of the failed BEGIN (the connection
 *         is then released and @p out is NULL).
 */
CERD_EXTERN int cerd_pool_acquire_read_as(cerd_conn **out, cerd_pool *pool,
                                          const cerd_lsn *after, unsigned timeout_ms,
                                          int64_t user_id);

/**
 * Hands a borrowed connection back. A transaction still open is rolled back and the
 * session is cleaned (see the file's description); a connection that cannot be made
 * clean, or that has outlived its lifetime, is closed and replaced in the background.
 * Failures are never reported: the connection is closed instead. Accepts NULL.
 * A connection that did not come from @p pool (or from its
 * ::cerd_pool_options::fallback) is left alone (::CERD_EMISUSE in the error record).
 *
 * @param pool  the pool it came from.
 * @param conn  the connection; the caller must not use it afterwards.
 */
CERD_EXTERN void cerd_pool_release(cerd_pool *pool, cerd_conn *conn);

/**
 * Runs @p fn in a transaction on a borrowed connection with cerd_conn_transact()
 * (retrying serialization failures and deadlocks as it does), then releases it.
 *
 * @param pool  the pool.
 * @param opts  transaction options; NULL for ::CERD_TXN_OPTIONS_INIT.
 * @param fn    the work of one attempt, given the borrowed connection.
 * @param arg   passed to @p fn.
 * @return 0 once committed; an acquisition error of cerd_pool_acquire(); or the code
 *         cerd_conn_transact() returned.
 */
CERD_EXTERN int cerd_pool_transact(cerd_pool *pool, const cerd_txn_options *opts,
                                   cerd_txn_fn fn, void *arg);

/**
 * As cerd_pool_transact(), each attempt acting as user @p user_id for row-level
 * security (`app.current_user_id` set for the attempt's transaction only).
 *
 * @param pool     the pool.
 * @param user_id  the acting user (users.id).
 * @param opts     transaction options; NULL for ::CERD_TXN_OPTIONS_INIT.
 * @param fn       the work of one attempt.
 * @param arg      passed to @p fn.
 * @return as cerd_pool_transact().
 */
CERD_EXTERN int cerd_pool_transact_as(cerd_pool *pool, int64_t user_id,
                                      const cerd_txn_options *opts, cerd_txn_fn fn,
                                      void *arg);

/**
 * Reads the pool's counters, consistently with one another.
 *
 * @param pool      the pool.
 * @param[in,out] out  initialised with ::CERD_POOL_STATISTICS_INIT; filled (the fields
 *                  of its version).
 * @return 0; ::CERD_EMISUSE for NULL arguments or an unknown version.
 */
CERD_EXTERN int cerd_pool_stats(cerd_pool_statistics *out, cerd_pool *pool);

/**
 * Closes the pool: threads waiting in cerd_pool_acquire() fail with ::CERD_EMISUSE,
 * the background threads stop, and idle connections are closed. Connections still
 * borrowed stay usable; each is closed when released, and the pool's memory is freed
 * with the last of them. Accepts NULL. No other call may use @p pool once this one has
 * begun, except cerd_pool_release() of connections still borrowed.
 */
CERD_EXTERN void cerd_pool_free(cerd_pool *pool);

CERD_END_DECLS

#endif
