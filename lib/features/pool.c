/* The connection pool.
 *
 * One mutex guards the pool's state: a LIFO stack of idle connections (the most recently
 * used is lent first, so surplus connections age and are retired), a FIFO queue of
 * waiting threads, each with its own condition variable (a released connection is handed
 * directly to the thread that waited longest: no barging, no thundering herd), and the
 * counters. Two background threads: the connector opens connections one at a time, with
 * a randomised, growing delay after failures; the maintainer retires idle connections
 * past their lifetime or idle timeout and health-checks the others. No network I/O is
 * done with the mutex held: a connection being checked, cleaned or opened is owned by
 * one thread and counted, not locked.
 *
 * The fast path (see "parking" below): a thread releasing a clean connection while
 * nobody waits parks it in its own cell, an atomic pointer on a cache line of its own;
 * its next acquire takes it back with one atomic exchange, without the mutex. A parked
 * connection stays counted in use under the mutex; whoever empties a cell (the thread
 * itself, a thread that would otherwise wait, the maintainer, cerd_pool_free()) owns
 * the connection. Lending still goes through validate(), release through clean().
 */
/* PTHREAD_MUTEX_ADAPTIVE_NP (glibc): spin briefly before sleeping on the mutex, whose
   critical sections are a few dozen instructions. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) && defined(__linux__)
#include <x86intrin.h>
#define HAVE_TICKS 1
#endif

#include "conn/conn_internal.h"
#include "util/error_internal.h"
#include "cryptoerd/pool.h"

/* Why a connection is closed (indexes of cerd_pool::destroyed). */
enum {
    R_OK = 0,
    R_LIFETIME,
    R_IDLE,
    R_BROKEN,
    R_FAILOVER,
    R_DIRTY,
    R_BUSY, /* released mid-query: cancelled, then closed; counted as dirty */
    R_CLOSED,
    R__COUNT
};

/* One pooled connection. Its fields are used by the thread that owns it at the time:
   the borrower, the maintainer checking it, or any thread holding the pool's mutex
   while it sits in the idle stack. */
typedef struct slot {
    cerd_conn *conn;
    cerd_pool *pool;
    struct slot *next;    /* idle stack, or a private list */
    int64_t expires;      /* monotonic ns; INT64_MAX: never */
    int64_t last_used;    /* when last released (or opened) */
    int64_t last_checked; /* when last verified with a query (or opened) */
    uint64_t parked_ticks; /* ticks() when last parked (when ticks are usable) */
    unsigned generation;  /* pool generation when last verified */
    int why;              /* result of a check, on the maintainer's lists */
    bool lent;
} slot;

/* A thread's parking place for one idle connection (threads share cells when there are
   more threads than cells). acquires: connections lent from the cell. */
typedef struct cell {
    _Alignas(64) _Atomic(struct slot *) parked;
    _Atomic uint64_t acquires;
} cell;

typedef struct waiter {
    pthread_cond_t cond;
    struct waiter *prev, *next;
    slot *got;  /* the connection handed over */
    int error;  /* or the code to fail with */
    bool done;
} waiter;

struct cerd_pool {
    cerd_pool_options opts; /* conninfo: NULL (the expanded copy is below) */
    char *conninfo;
    int64_t acquire_ns, connect_ns, idle_ns, lifetime_ns, jitter_ns, period_ns, idle_check_ns,
        tick_ns;
    cell *cells; /* n_cells of them; the cells' contents change without the mutex */
    unsigned n_cells; /* a power of 2 */

    /* Everything above is read-only once the pool exists and is read without the
       mutex; what follows changes under it: apart, they share no cache line. */
    _Alignas(64) pthread_mutex_t mu;
    pthread_condattr_t cond_attr; /* CLOCK_MONOTONIC */
    pthread_cond_t connector_cv, maint_cv;
    pthread_t connector, maintainer;
    bool connector_started, maintainer_started;

    slot *idle;
    waiter *head, *tail;
    unsigned n_idle, n_total, n_in_use, n_checking, n_connecting;
    /* changed under the mutex, read without it by the fast path (atomic for that) */
    _Atomic unsigned n_waiting;
    _Atomic bool closing;
    _Atomic unsigned generation; /* bumped when a server is found read-only: re-verify */
    unsigned n_inside; /* threads inside cerd_pool_acquire() */
    bool orphaned;

    bool connect_failing;
    int64_t retry_at;
    int64_t backoff_ns;
    char connect_error[512];
    uint64_t rng;

    uint64_t acquires, waits, wait_ns, timeouts, connect_failures, created;
    uint64_t destroyed[R__COUNT];
    uint64_t replay_waits, replay_fallbacks, replay_timeouts;
};

/* Whether the server refuses writes: in recovery, or transaction_read_only (a standby,
   or a primary fenced with default_transaction_read_only). */
#define CHECK_SQL                                                                      \
    "SELECT pg_catalog.pg_is_in_recovery()"                                            \
    " OR pg_catalog.current_setting('transaction_read_only')::boolean"

/* --- time and randomness ------------------------------------------------------ */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CLOCK_MONOTONIC at the kernel tick's granularity (late by a few ms at most), at a
   quarter of the cost: for release's stamps, compared with limits of milliseconds. A
   stamp that is late makes a connection look idle longer, never shorter. */
static int64_t coarse_ns(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
#else
    return now_ns();
#endif
}

/* "Parked a moment ago" in time-stamp counter ticks, so that the fast path lends a
   connection its thread has just released without reading the clock. Only where the
   kernel keeps time with the TSC itself (then it is constant and the same on every CPU),
   and once it has been calibrated against CLOCK_MONOTONIC over at least 10 ms (by the
   maintainers); until then quiet_ticks is 0 and the fast path reads the clock. */
#ifdef HAVE_TICKS
static uint64_t ticks(void)
{
    return __rdtsc();
}
#else
static uint64_t ticks(void)
{
    return 0;
}
#endif

static pthread_once_t ticks_once = PTHREAD_ONCE_INIT;
static bool ticks_usable;        /* set once, before any pool's threads start */
static uint64_t ticks_anchor;
static int64_t ticks_anchor_ns;
static _Atomic uint64_t quiet_ticks; /* ticks in QUIET_NS; 0: not known (yet) */

static void ticks_init(void)
{
#ifdef HAVE_TICKS
    char name[32] = "";
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

    if (f) {
        if (!fgets(name, sizeof name, f))
            name[0] = '\0';
        fclose(f);
    }
    if (strcmp(name, "tsc\n") == 0) {
        ticks_anchor_ns = now_ns();
        ticks_anchor = ticks();
        ticks_usable = true;
    }
#endif
}

static void ticks_calibrate(void)
{
    int64_t ns;
    uint64_t t;

    if (!ticks_usable || atomic_load_explicit(&quiet_ticks, memory_order_relaxed))
        return;
    t = ticks() - ticks_anchor;
    ns = now_ns() - ticks_anchor_ns;
    if (ns >= 10000000 && t > 0) /* ratio of two counts, not money: a double is exact enough */
        atomic_store_explicit(&quiet_ticks, (uint64_t)((double)t / (double)ns * 100000.0),
                              memory_order_relaxed);
}

static int64_t ms_ns(unsigned ms)
{
    return (int64_t)ms * 1000000;
}

static struct timespec to_timespec(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    return ts;
}

/* xorshift64*, under the mutex */
static uint64_t rand_locked(cerd_pool *p)
{
    p->rng ^= p->rng >> 12;
    p->rng ^= p->rng << 25;
    p->rng ^= p->rng >> 27;
    return p->rng * 2685821657736338717ULL;
}

/* --- talking to a server with a deadline -------------------------------------- */

/* Waits until the socket is readable; 1 readable, 0 deadline passed, -1 failure. */
static int wait_readable(PGconn *pg, int64_t deadline)
{
    struct pollfd pfd = {PQsocket(pg), POLLIN, 0};

    if (pfd.fd < 0)
        return -1;
    for (;;) {
        int64_t left = deadline - now_ns();
        int r;
        if (left <= 0)
            return 0;
        r = poll(&pfd, 1, (int)((left + 999999) / 1000000));
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* Runs one statement, giving up at the deadline (the connection is then mid-query and
   must be closed). Records nothing in the error record. 0 and *out (when given) the
   result, or -1. */
static int query_deadline(PGconn *pg, const char *sql, int nparams, const char *const *values,
                          int64_t deadline, PGresult **out)
{
    PGresult *keep = NULL;
    bool failed = false;

    if (out)
        *out = NULL;
    if (PQstatus(pg) != CONNECTION_OK
        || !PQsendQueryParams(pg, sql, nparams, NULL, values, NULL, NULL, 0))
        return -1;
    for (;;) {
        PGresult *res;
        ExecStatusType st;

        while (PQisBusy(pg)) {
            if (wait_readable(pg, deadline) <= 0 || !PQconsumeInput(pg)) {
                PQclear(keep);
                return -1;
            }
        }
        if (!(res = PQgetResult(pg)))
            break;
        st = PQresultStatus(res);
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
            PQclear(keep);
            keep = res;
        } else {
            failed = true;
            PQclear(res);
        }
    }
    if (failed || PQstatus(pg) != CONNECTION_OK) {
        PQclear(keep);
        return -1;
    }
    if (out)
        *out = keep;
    else
        PQclear(keep);
    return 0;
}

/* Without a round trip: -1 the connection is dead, 1 the server sent something while it
   was idle (consumed; it deserves a real check), 0 nothing arrived. */
static int socket_state(PGconn *pg)
{
    struct pollfd pfd = {PQsocket(pg), POLLIN, 0};
    PGnotify *n;
    int r;

    if (pfd.fd < 0)
        return -1;
    do
        r = poll(&pfd, 1, 0);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return 0;
    if (r < 0 || !PQconsumeInput(pg) || PQstatus(pg) != CONNECTION_OK)
        return -1;
    while ((n = PQnotifies(pg)))
        PQfreemem(n);
    return 1;
}

/* Reads and drops results until the connection is idle: 1 done, 0 the deadline passed,
   -1 failure (or a COPY, which cannot be drained this way). */
static int drain(PGconn *pg, int64_t until)
{
    for (;;) {
        PGresult *res;
        ExecStatusType st;

        while (PQisBusy(pg)) {
            int r = wait_readable(pg, until);
            if (r <= 0)
                return r;
            if (!PQconsumeInput(pg))
                return -1;
        }
        if (!(res = PQgetResult(pg)))
            return 1;
        st = PQresultStatus(res);
        PQclear(res);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
            return -1;
    }
}

/* A query left running by a borrower: cancel it and wait (at most 2 s) until the server
   has stopped it, so that it does not go on working for nobody after the close. The
   cancel is repeated, since one that arrives before the query starts is lost. */
static void cancel_query(PGconn *pg)
{
    PGcancel *cancel = PQgetCancel(pg);
    int64_t deadline = now_ns() + ms_ns(2000);
    char err[256];

    if (!cancel)
        return;
    while (now_ns() < deadline) {
        int64_t until = now_ns() + ms_ns(100);
        if (!PQcancel(cancel, err, sizeof err))
            break;
        if (drain(pg, until < deadline ? until : deadline) != 0)
            break;
    }
    PQfreeCancel(cancel);
}

/* Closes a connection (no mutex held). */
static void close_slot(slot *s, int why)
{
    if (!s)
        return;
    if (why == R_BUSY && PQstatus(s->conn->pg) == CONNECTION_OK)
        cancel_query(s->conn->pg);
    cerd_conn_free(s->conn);
    free(s);
}

static void close_list(slot *s)
{
    while (s) {
        slot *next = s->next;
        close_slot(s, s->why);
        s = next;
    }
}

/* --- sessions ------------------------------------------------------------------ */

/* The pool's settings for a new or reset session, and the writability check, in one
   round trip; then the after-connect hook. Records an error on failure. */
static int setup_session(cerd_pool *p, cerd_conn *c)
{
    char sql[512] = CHECK_SQL, v[2][16];
    const char *values[2];
    int n = 0, rc;
    PGresult *res;
    bool read_only;

    if (p->opts.statement_timeout_ms) {
        snprintf(v[n], sizeof v[n], "%u", p->opts.statement_timeout_ms);
        values[n] = v[n];
        n++;
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql),
                 ", pg_catalog.set_config('statement_timeout', $%d, false)", n);
    }
    if (p->opts.idle_in_transaction_timeout_ms) {
        snprintf(v[n], sizeof v[n], "%u", p->opts.idle_in_transaction_timeout_ms);
        values[n] = v[n];
        n++;
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql),
                 ", pg_catalog.set_config('idle_in_transaction_session_timeout', $%d, false)", n);
    }
    if (query_deadline(c->pg, sql, n, values, now_ns() + p->connect_ns, &res))
        return cerd__error(PQstatus(c->pg) == CONNECTION_OK ? CERD_ESERVER : CERD_ECONNLOST,
                           "pool: session setup failed: %s", PQerrorMessage(c->pg));
    read_only = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (p->opts.statement_timeout_ms)
        cerd__conn_follow_statement_timeout(c, p->opts.statement_timeout_ms);
    if (read_only && p->opts.target == CERD_POOL_READ_WRITE)
        return cerd__error(CERD_ECONNECT, "pool: server %s:%s is read-only or in recovery, "
                           "and the pool is for writes", PQhost(c->pg), PQport(c->pg));
    if (p->opts.after_connect && (rc = p->opts.after_connect(c, p->opts.after_connect_arg))) {
        char why[512];
        snprintf(why, sizeof why, "%s", cerd_error_last()->code == rc
                                            ? cerd_error_last()->message : cerd_strerror(rc));
        return cerd__error(rc < 0 ? rc : CERD_ERROR, "pool: after_connect hook failed: %s", why);
    }
    return 0;
}

/* Opens a connection with the pool's settings (no mutex held). *lost tells that the
   session was opened but lost during its setup (killed: worth another try at once). */
static int open_slot(cerd_pool *p, slot **out, bool *lost)
{
    cerd_conn *c = NULL;
    slot *s;
    int rc;

    *out = NULL;
    *lost = false;
    if (!(s = calloc(1, sizeof *s)))
        return cerd__error(CERD_ENOMEM, "pool: out of memory");
    if ((rc = cerd_conn_open(&c, p->conninfo))) {
        *lost = rc == CERD_ECONNLOST; /* connected, then lost in the library's setup */
        free(s);
        return rc;
    }
    c->unnamed_statements = !p->opts.named_statements;
    if ((rc = setup_session(p, c))) {
        char message[1024];
        *lost = rc == CERD_ECONNLOST;
        cerd_conn_free(c);
        free(s);
        if (rc == CERD_ENOMEM)
            return rc;
        /* whatever went wrong, the caller could not get a usable connection */
        snprintf(message, sizeof message, "%s", cerd_error_last()->message);
        return cerd__error(CERD_ECONNECT, "%s", message);
    }
    c->session_dirty = false; /* what the hook set is the sessions' baseline */
    s->conn = c;
    s->pool = p;
    c->pool_slot = s;
    *out = s;
    return 0;
}

/* Stamps a connection just opened, as it joins the pool. */
static void admit_locked(cerd_pool *p, slot *s)
{
    int64_t now = now_ns();

    s->last_used = s->last_checked = now;
    s->generation = p->generation;
    s->expires = INT64_MAX;
    if (p->lifetime_ns) {
        int64_t jitter = p->jitter_ns < p->lifetime_ns ? p->jitter_ns : p->lifetime_ns / 2;
        s->expires = now + p->lifetime_ns
                     - (jitter > 0 ? (int64_t)(rand_locked(p) % (uint64_t)(jitter + 1)) : 0);
    }
    p->n_total++;
    p->created++;
}

/* A query proving the connection alive (and, for a pool for writes, writable). */
static int check_slot(cerd_pool *p, slot *s, unsigned generation)
{
    PGresult *res;
    bool read_only;

    /* failed or timed out: the server is gone or unresponsive (no cancel is sent) */
    if (query_deadline(s->conn->pg, CHECK_SQL, 0, NULL, now_ns() + p->connect_ns, &res))
        return R_BROKEN;
    read_only = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (read_only && p->opts.target == CERD_POOL_READ_WRITE)
        return R_FAILOVER;
    s->last_checked = now_ns();
    s->generation = generation;
    return R_OK;
}

/* A connection released less than this ago was working then: lent without even a look
   at its socket (the hot path of a busy pool costs no system call). quiet_ticks is
   this in ticks. */
#define QUIET_NS 100000

/* Before lending (no mutex held): R_OK or why to close it. */
static int validate(cerd_pool *p, slot *s, unsigned generation)
{
    PGconn *pg = s->conn->pg;
    int64_t now = now_ns(), idle = now - s->last_used;
    int sock;

    if (PQstatus(pg) != CONNECTION_OK || PQtransactionStatus(pg) != PQTRANS_IDLE)
        return R_BROKEN;
    if (now >= s->expires)
        return R_LIFETIME;
    if (s->generation != generation || idle >= p->idle_check_ns
        || now - s->last_checked >= p->period_ns)
        return check_slot(p, s, generation);
    if (idle < QUIET_NS)
        return R_OK;
    /* Without a round trip: a killed backend has closed the socket (or said why). */
    if ((sock = socket_state(pg)) < 0)
        return R_BROKEN;
    return sock > 0 ? check_slot(p, s, generation) : R_OK;
}

/* validate() for a connection parked by the fast path less than QUIET_NS ago (by the
   ticks): its release checked its lifetime and stamped last_used a moment ago (coarse:
   at most a tick late), and a socket so recently working is not looked at, as in
   validate(). No clock read. */
static int validate_quiet(cerd_pool *p, slot *s, unsigned generation)
{
    PGconn *pg = s->conn->pg;

    if (PQstatus(pg) != CONNECTION_OK || PQtransactionStatus(pg) != PQTRANS_IDLE)
        return R_BROKEN;
    if (s->generation != generation || p->idle_check_ns == 0
        || s->last_used - s->last_checked >= p->period_ns)
        return check_slot(p, s, generation);
    return R_OK;
}

/* On release (no mutex held): makes the connection clean, or says why to close it. */
static int clean(cerd_pool *p, slot *s)
{
    cerd_conn *c = s->conn;
    PGconn *pg = c->pg;

    c->has_user = false;
    c->validation_off = false; /* a borrower's choice does not pass to the next one */
    if (PQstatus(pg) != CONNECTION_OK)
        return R_BROKEN;
    if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF)
        return R_DIRTY;
    switch (PQtransactionStatus(pg)) {
    case PQTRANS_IDLE:
        break;
    case PQTRANS_INTRANS:
        if (query_deadline(pg, "ROLLBACK", 0, NULL, now_ns() + p->connect_ns, NULL))
            return R_BROKEN;
        break;
    case PQTRANS_ACTIVE:
        return R_BUSY;
    case PQTRANS_INERROR:
        return R_DIRTY;
    default:
        return R_BROKEN;
    }
    if (c->session_dirty) {
        if (cerd__conn_reset_session(c) || setup_session(p, c))
            return PQstatus(pg) == CONNECTION_OK ? R_DIRTY : R_BROKEN;
        /* the connection was verified by setup_session */
        c->session_dirty = false;
        s->last_checked = now_ns();
    }
    return R_OK;
}

/* --- the queue of waiters ------------------------------------------------------- */

static void enqueue_locked(cerd_pool *p, waiter *w, bool front)
{
    if (front) {
        w->prev = NULL;
        w->next = p->head;
        if (p->head)
            p->head->prev = w;
        else
            p->tail = w;
        p->head = w;
    } else {
        w->next = NULL;
        w->prev = p->tail;
        if (p->tail)
            p->tail->next = w;
        else
            p->head = w;
        p->tail = w;
    }
    p->n_waiting++;
}

static void dequeue_locked(cerd_pool *p, waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        p->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        p->tail = w->prev;
    w->prev = w->next = NULL;
    p->n_waiting--;
}

/* Hands a free connection to the longest waiter, or puts it on the idle stack. */
static void give_locked(cerd_pool *p, slot *s)
{
    waiter *w = p->head;

    if (w) {
        dequeue_locked(p, w);
        w->got = s;
        w->done = true;
        p->n_in_use++;
        pthread_cond_signal(&w->cond);
    } else {
        s->next = p->idle;
        p->idle = s;
        p->n_idle++;
    }
}

static void fail_waiters_locked(cerd_pool *p, int code)
{
    while (p->head) {
        waiter *w = p->head;
        dequeue_locked(p, w);
        w->error = code;
        w->done = true;
        pthread_cond_signal(&w->cond);
    }
}

static bool want_connection_locked(const cerd_pool *p)
{
    unsigned have = p->n_total + p->n_connecting;

    if (p->closing || have >= p->opts.max_size)
        return false;
    return have < p->opts.min_size || p->n_waiting > p->n_connecting;
}

/* Forgets a connection about to be closed (the caller closes it without the mutex). */
static void remove_locked(cerd_pool *p, slot *s, int why, bool in_use)
{
    p->n_total--;
    if (in_use)
        p->n_in_use--;
    p->destroyed[why == R_BUSY ? R_DIRTY : why]++;
    if (why == R_FAILOVER) {
        p->generation++;
        pthread_cond_signal(&p->maint_cv);
    }
    s->why = why;
    if (want_connection_locked(p))
        pthread_cond_signal(&p->connector_cv);
}

static bool unused_locked(const cerd_pool *p)
{
    return p->orphaned && p->n_in_use == 0 && p->n_inside == 0;
}

static void destroy_pool(cerd_pool *p)
{
    free(p->cells);
    pthread_cond_destroy(&p->connector_cv);
    pthread_cond_destroy(&p->maint_cv);
    pthread_condattr_destroy(&p->cond_attr);
    pthread_mutex_destroy(&p->mu);
    free(p->conninfo);
    free(p);
}

/* --- parking: the fast path ------------------------------------------------------ */

/* Threads are numbered on first use; a thread's cell in any pool is its number modulo
   the pool's cell count (a power of 2: no division), so the threads started together
   for a pool get a cell each. */
static _Atomic unsigned thread_count;
static _Thread_local unsigned thread_number; /* the number + 1; 0: not numbered yet */

static cell *my_cell(cerd_pool *p)
{
    if (!thread_number)
        thread_number = atomic_fetch_add_explicit(&thread_count, 1, memory_order_relaxed) + 1;
    return &p->cells[(thread_number - 1) & (p->n_cells - 1)];
}

/* Empties a cell: the connection that was parked there (the caller owns it now; it is
   still counted in use), or NULL. The exchange synchronises with the park, so the
   slot's fields written before parking are seen. */
static slot *unpark(cell *c)
{
    if (!atomic_load(&c->parked))
        return NULL;
    return atomic_exchange(&c->parked, NULL);
}

/* Any parked connection, looking at this thread's cell first (mutex held). */
static slot *unpark_any_locked(cerd_pool *p)
{
    unsigned first = (unsigned)(my_cell(p) - p->cells);

    for (unsigned i = 0; i < p->n_cells; i++) {
        slot *s = unpark(&p->cells[(first + i) & (p->n_cells - 1)]);
        if (s)
            return s;
    }
    return NULL;
}

/* Every parked connection back to the pool: to the longest waiters first, the others
   on the idle stack (mutex held). */
static void unpark_all_locked(cerd_pool *p)
{
    for (unsigned i = 0; i < p->n_cells; i++) {
        slot *s = unpark(&p->cells[i]);
        if (s) {
            p->n_in_use--; /* give_locked() counts it again if a waiter gets it */
            give_locked(p, s);
        }
    }
}

/* Release's fast path, for a clean connection: parks it in this thread's cell when
   nobody waits and the pool is not being freed. true: done (parked, or taken from the
   cell by another thread meanwhile); false: the caller still owns it. */
static bool park(cerd_pool *p, slot *s, int64_t now)
{
    slot *expected = NULL;
    cell *c;

    if (atomic_load(&p->n_waiting) || atomic_load(&p->closing))
        return false;
    c = my_cell(p);
    if (atomic_load(&c->parked))
        return false; /* a connection of a thread sharing the cell is there */
    s->last_used = now;
    if (atomic_load_explicit(&quiet_ticks, memory_order_relaxed))
        s->parked_ticks = ticks();
    if (!atomic_compare_exchange_strong(&c->parked, &expected, s))
        return false;
    /* A thread queueing (or cerd_pool_free()) counts itself in n_waiting (sets closing)
       before it looks at the cells, and this thread filled the cell before looking at
       n_waiting and closing (all sequentially consistent): one of the two sees the
       other. A waiter may have come: take the connection back for the slow path, which
       hands it to the longest waiter, unless somebody has already taken it. */
    if (!atomic_load(&p->n_waiting) && !atomic_load(&p->closing))
        return true;
    expected = s;
    return !atomic_compare_exchange_strong(&c->parked, &expected, NULL);
}

/* --- background threads ------------------------------------------------------ */

static void *connector_main(void *arg)
{
    cerd_pool *p = arg;

    pthread_mutex_lock(&p->mu);
    while (!p->closing) {
        slot *s = NULL;
        char message[sizeof p->connect_error];
        bool lost;
        int rc;

        if (!want_connection_locked(p)) {
            pthread_cond_wait(&p->connector_cv, &p->mu);
            continue;
        }
        if (now_ns() < p->retry_at) { /* backing off after a failure */
            struct timespec ts = to_timespec(p->retry_at);
            pthread_cond_timedwait(&p->connector_cv, &p->mu, &ts);
            continue;
        }
        p->n_connecting++;
        pthread_mutex_unlock(&p->mu);
        rc = open_slot(p, &s, &lost);
        if (rc)
            snprintf(message, sizeof message, "%s", cerd_error_last()->message);
        pthread_mutex_lock(&p->mu);
        p->n_connecting--;
        if (rc == 0) {
            admit_locked(p, s);
            p->connect_failing = false;
            p->backoff_ns = 0;
            p->retry_at = 0;
            if (p->closing) {
                remove_locked(p, s, R_CLOSED, false);
                pthread_mutex_unlock(&p->mu);
                close_slot(s, R_CLOSED);
                pthread_mutex_lock(&p->mu);
            } else {
                give_locked(p, s);
            }
        } else if (lost) {
            /* The server is there but the new session was killed: try again soon, and
               let waiters wait. */
            p->connect_failures++;
            p->retry_at = now_ns() + ms_ns(5);
        } else {
            /* Spread the next attempts out: a growing, randomised delay up to half a
               health-check period (at most 2 s), so that a promoted standby or a
               restarted server is found within one period, without a stampede. */
            int64_t cap = p->period_ns / 2, delay;
            if (cap > ms_ns(2000))
                cap = ms_ns(2000);
            if (cap < ms_ns(50))
                cap = ms_ns(50);
            p->backoff_ns = p->backoff_ns ? p->backoff_ns * 2 : ms_ns(20);
            if (p->backoff_ns > cap)
                p->backoff_ns = cap;
            delay = p->backoff_ns / 2
                    + (int64_t)(rand_locked(p) % (uint64_t)(p->backoff_ns / 2 + 1));
            p->retry_at = now_ns() + delay;
            p->connect_failures++;
            p->connect_failing = true;
            snprintf(p->connect_error, sizeof p->connect_error, "%s", message);
            if (p->n_total == 0) /* nothing could come back: say so now */
                fail_waiters_locked(p, CERD_ECONNECT);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* One round of maintenance: entered and left with the mutex held. */
static void maintain_locked(cerd_pool *p)
{
    int64_t now = now_ns();
    slot *retire = NULL, *check = NULL, *closing = NULL, **pp;
    unsigned generation = p->generation;

    /* parked connections are looked after like the idle ones (their threads take the
       slow path once, then park again) */
    unpark_all_locked(p);
    pp = &p->idle;
    while (*pp) {
        slot *s = *pp;
        int why = R_OK;

        if (now >= s->expires)
            why = R_LIFETIME;
        else if (p->idle_ns && now - s->last_used >= p->idle_ns
                 && p->n_total > p->opts.min_size)
            why = R_IDLE;
        if (why) {
            *pp = s->next;
            p->n_idle--;
            remove_locked(p, s, why, false);
            s->next = retire;
            retire = s;
        } else if (s->generation != generation || now - s->last_checked >= p->period_ns) {
            *pp = s->next;
            p->n_idle--;
            p->n_checking++;
            s->next = check;
            check = s;
        } else {
            pp = &s->next;
        }
    }
    if (!retire && !check)
        return;
    pthread_mutex_unlock(&p->mu);
    close_list(retire);
    for (slot *s = check; s; s = s->next)
        s->why = check_slot(p, s, generation);
    pthread_mutex_lock(&p->mu);
    while (check) {
        slot *s = check;
        check = s->next;
        p->n_checking--;
        if (s->why == R_OK && !p->closing) {
            give_locked(p, s);
        } else {
            remove_locked(p, s, s->why == R_OK ? R_CLOSED : s->why, false);
            s->next = closing;
            closing = s;
        }
    }
    if (closing) {
        pthread_mutex_unlock(&p->mu);
        close_list(closing);
        pthread_mutex_lock(&p->mu);
    }
}

static void *maintainer_main(void *arg)
{
    cerd_pool *p = arg;
    unsigned seen = 0;

    pthread_mutex_lock(&p->mu);
    seen = p->generation;
    while (!p->closing) {
        ticks_calibrate();
        if (seen == p->generation) { /* a failover found: go round again at once */
            struct timespec ts = to_timespec(now_ns() + p->tick_ns);
            pthread_cond_timedwait(&p->maint_cv, &p->mu, &ts);
            if (p->closing)
                break;
        }
        seen = p->generation;
        maintain_locked(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* --- creating and freeing ------------------------------------------------------- */

/* Appends " key='value'" with libpq's quoting. */
static void append_kv(char *out, size_t *used, const char *key, const char *value)
{
    size_t n = *used;

    n += (size_t)sprintf(out + n, "%s%s='", n ? " " : "", key);
    for (const char *c = value; *c; c++) {
        if (*c == '\'' || *c == '\\')
            out[n++] = '\\';
        out[n++] = *c;
    }
    out[n++] = '\'';
    out[n] = '\0';
    *used = n;
}

/* The connection string with the pool's additions: connect_timeout and
   target_session_attrs, unless the caller's string has them. */
static char *expand_conninfo(const cerd_pool_options *o)
{
    char *err = NULL, *out, number[16];
    PQconninfoOption *opts = PQconninfoParse(o->conninfo ? o->conninfo : "", &err);
    bool has_timeout = false, has_target = false;
    size_t size = 128, used = 0;

    if (!opts) {
        cerd__error(CERD_EMISUSE, "pool: bad connection string: %s", err ? err : "?");
        PQfreemem(err);
        return NULL;
    }
    for (PQconninfoOption *c = opts; c->keyword; c++)
        if (c->val)
            size += strlen(c->keyword) + 2 * strlen(c->val) + 4;
    if (!(out = malloc(size))) {
        PQconninfoFree(opts);
        cerd__error(CERD_ENOMEM, "pool: out of memory");
        return NULL;
    }
    out[0] = '\0';
    for (PQconninfoOption *c = opts; c->keyword; c++) {
        if (!c->val)
            continue;
        has_timeout |= !strcmp(c->keyword, "connect_timeout");
        has_target |= !strcmp(c->keyword, "target_session_attrs");
        append_kv(out, &used, c->keyword, c->val);
    }
    PQconninfoFree(opts);
    if (!has_timeout) {
        unsigned s = (o->connect_timeout_ms + 999) / 1000;
        snprintf(number, sizeof number, "%u", s < 2 ? 2 : s);
        append_kv(out, &used, "connect_timeout", number);
    }
    if (!has_target && o->target != CERD_POOL_ANY)
        append_kv(out, &used, "target_session_attrs",
                  o->target == CERD_POOL_READ_WRITE ? "read-write" : "prefer-standby");
    return out;
}

int cerd_pool_new(cerd_pool **out, const cerd_pool_options *opts)
{
    cerd_pool_options defaults = CERD_POOL_OPTIONS_INIT, given;
    cerd_pool *p;
    slot *first = NULL;
    int64_t tick;
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "pool: out is NULL");
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (opts->version != 1 && opts->version != 2)
        return cerd__error(CERD_EMISUSE, "pool: unknown options version %u", opts->version);
    if (opts->version == 1) { /* the caller's struct ends before fallback */
        memcpy(&given, opts, offsetof(cerd_pool_options, fallback));
        given.version = 2;
        given.fallback = NULL;
        opts = &given;
    }
    if (opts->fallback && opts->fallback->opts.fallback)
        return cerd__error(CERD_EMISUSE, "pool: the fallback pool has a fallback itself");
    if (opts->max_size == 0 || opts->min_size > opts->max_size)
        return cerd__error(CERD_EMISUSE, "pool: need 0 <= min_size <= max_size, max_size >= 1");
    if (opts->health_check_period_ms == 0)
        return cerd__error(CERD_EMISUSE, "pool: health_check_period_ms must be > 0");
    if (opts->target != CERD_POOL_READ_WRITE && opts->target != CERD_POOL_PREFER_STANDBY
        && opts->target != CERD_POOL_ANY)
        return cerd__error(CERD_EMISUSE, "pool: unknown target %d", (int)opts->target);
    pthread_once(&ticks_once, ticks_init);
    if (!(p = calloc(1, sizeof *p)))
        return cerd__error(CERD_ENOMEM, "pool: out of memory");
    p->opts = *opts;
    p->opts.conninfo = NULL;
    if (!(p->conninfo = expand_conninfo(opts))) {
        free(p);
        return cerd_error_last()->code;
    }
    p->acquire_ns = ms_ns(opts->acquire_timeout_ms);
    p->connect_ns = ms_ns(opts->connect_timeout_ms ? opts->connect_timeout_ms : 5000);
    p->idle_ns = ms_ns(opts->idle_timeout_ms);
    p->lifetime_ns = ms_ns(opts->max_lifetime_ms);
    p->jitter_ns = ms_ns(opts->lifetime_jitter_ms);
    p->period_ns = ms_ns(opts->health_check_period_ms);
    p->idle_check_ns = ms_ns(opts->idle_check_ms);
    /* The maintainer wakes often enough for the shortest of its deadlines. */
    tick = p->period_ns / 2;
    if (p->idle_ns && p->idle_ns / 2 < tick)
        tick = p->idle_ns / 2;
    if (p->lifetime_ns && p->lifetime_ns / 4 < tick)
        tick = p->lifetime_ns / 4;
    if (tick > ms_ns(1000))
        tick = ms_ns(1000);
    if (tick < ms_ns(10))
        tick = ms_ns(10);
    p->tick_ns = tick;
    p->rng = (uint64_t)now_ns() ^ ((uint64_t)(uintptr_t)p << 17) ^ 0x9E3779B97F4A7C15ULL;
    if (!p->rng)
        p->rng = 1;
    /* a cell per connection (rounded up to a power of 2), at most 64: threads beyond
       share them */
    p->n_cells = 1;
    while (p->n_cells < opts->max_size && p->n_cells < 64)
        p->n_cells *= 2;
    if (!(p->cells = aligned_alloc(_Alignof(cell), p->n_cells * sizeof *p->cells))) {
        free(p->conninfo);
        free(p);
        return cerd__error(CERD_ENOMEM, "pool: out of memory");
    }
    for (unsigned i = 0; i < p->n_cells; i++) {
        atomic_init(&p->cells[i].parked, NULL);
        atomic_init(&p->cells[i].acquires, 0);
    }

    {
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
        pthread_mutex_init(&p->mu, &attr);
        pthread_mutexattr_destroy(&attr);
    }
    pthread_condattr_init(&p->cond_attr);
    pthread_condattr_setclock(&p->cond_attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->connector_cv, &p->cond_attr);
    pthread_cond_init(&p->maint_cv, &p->cond_attr);

    /* The pool starts with min_size connections, opened one after the other: a wrong
       connection string fails here rather than in every acquire, and the first
       borrowers do not queue behind the connector. */
    for (unsigned i = 0; i < opts->min_size; i++) {
        bool lost;
        if ((rc = open_slot(p, &first, &lost))) {
            close_list(p->idle);
            destroy_pool(p);
            return rc;
        }
        admit_locked(p, first);
        give_locked(p, first);
    }
    if (pthread_create(&p->connector, NULL, connector_main, p) == 0)
        p->connector_started = true;
    if (p->connector_started && pthread_create(&p->maintainer, NULL, maintainer_main, p) == 0)
        p->maintainer_started = true;
    if (!p->maintainer_started) {
        cerd_pool_free(p);
        return cerd__error(CERD_ERROR, "pool: cannot start its threads");
    }
    *out = p;
    return 0;
}

void cerd_pool_free(cerd_pool *p)
{
    slot *idle;
    bool free_now;

    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    fail_waiters_locked(p, CERD_EMISUSE);
    unpark_all_locked(p); /* onto the idle stack, closed below */
    pthread_cond_broadcast(&p->connector_cv);
    pthread_cond_broadcast(&p->maint_cv);
    pthread_mutex_unlock(&p->mu);
    if (p->connector_started)
        pthread_join(p->connector, NULL);
    if (p->maintainer_started)
        pthread_join(p->maintainer, NULL);

    pthread_mutex_lock(&p->mu);
    unpark_all_locked(p); /* none should be left (park() sees closing): to be sure */
    idle = p->idle;
    p->idle = NULL;
    for (slot *s = idle; s; s = s->next) {
        p->n_idle--;
        remove_locked(p, s, R_CLOSED, false);
    }
    p->orphaned = true;
    free_now = unused_locked(p);
    pthread_mutex_unlock(&p->mu);
    close_list(idle);
    if (free_now)
        destroy_pool(p);
}

/* --- lending -------------------------------------------------------------------- */

int cerd_pool_acquire(cerd_conn **out, cerd_pool *p)
{
    int64_t deadline = 0;
    bool retry = false, free_now;
    char message[sizeof p->connect_error + 64];
    slot *parked = NULL;
    int rc = 0, why = R_OK;

    if (!p || !out)
        return cerd__error(CERD_EMISUSE, "pool: acquire: pool or out is NULL");
    *out = NULL;
    /* The fast path: the connection this thread parked, unless somebody waits (who
       came first); checked like any other before it is lent. */
    if (!atomic_load(&p->n_waiting) && !atomic_load(&p->closing)) {
        cell *c = my_cell(p);
        if ((parked = unpark(c))) {
            uint64_t quiet = atomic_load_explicit(&quiet_ticks, memory_order_relaxed);
            why = quiet && ticks() - parked->parked_ticks < quiet
                      ? validate_quiet(p, parked, p->generation)
                      : validate(p, parked, p->generation);
            if (why == R_OK) {
                atomic_fetch_add_explicit(&c->acquires, 1, memory_order_relaxed);
                parked->lent = true;
                *out = parked->conn;
                return 0;
            }
        }
    }
    message[0] = '\0';
    pthread_mutex_lock(&p->mu);
    p->n_inside++;
    if (parked) { /* it failed the check: closed, and this thread goes on to the slow path */
        remove_locked(p, parked, why, true);
        pthread_mutex_unlock(&p->mu);
        close_slot(parked, why);
        pthread_mutex_lock(&p->mu);
    }
    for (;;) {
        slot *s = NULL;
        unsigned generation;

        if (p->closing) {
            rc = CERD_EMISUSE;
            snprintf(message, sizeof message, "pool: acquire: the pool is being freed");
            break;
        }
        if ((retry || !p->head) && p->idle) {
            s = p->idle;
            p->idle = s->next;
            p->n_idle--;
            p->n_in_use++;
        } else if ((retry || !p->head) && (s = unpark_any_locked(p))) {
            /* parked by another thread (counted in use) */
        } else if (p->n_total == 0 && p->connect_failing && now_ns() < p->retry_at) {
            rc = CERD_ECONNECT;
            snprintf(message, sizeof message, "pool: cannot connect: %s", p->connect_error);
            break;
        } else {
            waiter w = {.got = NULL};
            int64_t waited_from = now_ns();
            struct timespec ts;

            if (!deadline)
                deadline = waited_from + p->acquire_ns;
            ts = to_timespec(deadline);
            pthread_cond_init(&w.cond, &p->cond_attr);
            enqueue_locked(p, &w, retry);
            /* a connection parked before this thread counted itself in n_waiting goes to
               the longest waiter (see park()) */
            unpark_all_locked(p);
            if (want_connection_locked(p))
                pthread_cond_signal(&p->connector_cv);
            while (!w.done)
                if (pthread_cond_timedwait(&w.cond, &p->mu, &ts) == ETIMEDOUT && !w.done) {
                    dequeue_locked(p, &w);
                    break;
                }
            pthread_cond_destroy(&w.cond);
            p->waits++;
            p->wait_ns += (uint64_t)(now_ns() - waited_from);
            if (!w.done) {
                p->timeouts++;
                rc = CERD_ETIMEOUT;
                snprintf(message, sizeof message, "pool: no connection became free within "
                         "%u ms (%u open, at most %u)", p->opts.acquire_timeout_ms,
                         p->n_total, p->opts.max_size);
                break;
            }
            if (w.error) {
                rc = w.error;
                if (rc == CERD_ECONNECT)
                    snprintf(message, sizeof message, "pool: cannot connect: %s",
                             p->connect_error);
                else
                    snprintf(message, sizeof message, "pool: acquire: the pool is being freed");
                break;
            }
            s = w.got; /* counted in use by the thread that handed it over */
        }
        generation = p->generation;
        p->acquires++;
        p->n_inside--;
        pthread_mutex_unlock(&p->mu);

        /* The slot is ours and counted in use: the pool cannot go away meanwhile. */
        if ((why = validate(p, s, generation)) == R_OK) {
            s->lent = true;
            *out = s->conn;
            return 0;
        }
        pthread_mutex_lock(&p->mu);
        p->acquires--;
        p->n_inside++;
        remove_locked(p, s, why, true);
        pthread_mutex_unlock(&p->mu);
        close_slot(s, why);
        pthread_mutex_lock(&p->mu);
        retry = true; /* keep this thread's place in the line */
    }
    p->n_inside--;
    free_now = unused_locked(p);
    pthread_mutex_unlock(&p->mu);
    if (free_now)
        destroy_pool(p);
    return cerd__error(rc, "%s", message);
}

void cerd_pool_release(cerd_pool *p, cerd_conn *conn)
{
    slot *s;
    int why;
    int64_t now;
    bool free_now = false;

    if (!conn)
        return;
    s = conn->pool_slot;
    if (p && s && s->pool != p && p->opts.fallback == s->pool)
        p = s->pool; /* lent by cerd_pool_acquire_read() from the fallback */
    if (!p || !s || s->pool != p || !s->lent) {
        cerd__error(CERD_EMISUSE, "pool: release: the connection is not lent by this pool");
        return;
    }
    s->lent = false;
    why = clean(p, s);
    now = coarse_ns();
    if (why == R_OK && now >= s->expires)
        why = R_LIFETIME;
    if (why == R_OK && park(p, s, now))
        return;
    now = now_ns(); /* the slow path's stamps are exact: QUIET_NS is 0.1 ms */
    if (why == R_OK && now >= s->expires)
        why = R_LIFETIME;
    pthread_mutex_lock(&p->mu);
    if (why == R_OK && p->closing)
        why = R_CLOSED;
    if (why != R_OK) {
        remove_locked(p, s, why, true);
        free_now = unused_locked(p);
    } else {
        s->last_used = now;
        p->n_in_use--;
        give_locked(p, s);
    }
    pthread_mutex_unlock(&p->mu);
    if (why != R_OK)
        close_slot(s, why);
    if (free_now)
        destroy_pool(p);
}

int cerd_pool_acquire_as(cerd_conn **out, cerd_pool *p, int64_t user_id)
{
    if (!p || !out)
        return cerd__error(CERD_EMISUSE, "pool: acquire_as: pool or out is NULL");
    *out = NULL;
    /* A connection lost before anything ran on it is replaced: nothing was done yet. */
    for (unsigned attempt = 0;; attempt++) {
        cerd_conn *c;
        int rc = cerd_pool_acquire(&c, p);

        if (rc)
            return rc;
        c->has_user = true;
        c->user_id = user_id;
        rc = cerd__conn_begin(c, "BEGIN", "pool: acquire_as: begin");
        if (rc == 0) {
            *out = c;
            return 0;
        }
        cerd_pool_release(p, c);
        if (rc != CERD_ECONNLOST || attempt >= p->opts.max_size)
            return rc;
    }
}

/* --- read-your-writes ------------------------------------------------------------- */

/* Whether the server has the position $1: a primary has every write of its own; a
   standby once it has replayed that far. Also the replayed position, for messages. */
#define REPLAY_SQL                                                                     \
    "SELECT NOT pg_catalog.pg_is_in_recovery()"                                        \
    " OR coalesce(pg_catalog.pg_last_wal_replay_lsn() >= $1::pg_catalog.pg_lsn, false),"    \
    " pg_catalog.pg_last_wal_replay_lsn()"

/* Polls between checks: 1 ms, doubling, at most this. */
#define REPLAY_POLL_MAX_NS 20000000

/* 1 the server has the position, 0 not yet, -1 the check failed (recorded). */
static int replay_reached(cerd_pool *p, cerd_conn *c, const char *lsn, char *replayed,
                          size_t size)
{
    const char *values[1] = {lsn};
    PGresult *res;
    int reached;

    if (query_deadline(c->pg, REPLAY_SQL, 1, values, now_ns() + p->connect_ns, &res)) {
        cerd__error(PQstatus(c->pg) == CONNECTION_OK ? CERD_ESERVER : CERD_ECONNLOST,
                    "pool: acquire_read: checking the replay position failed: %s",
                    PQerrorMessage(c->pg));
        return -1;
    }
    reached = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    snprintf(replayed, size, "%s", PQntuples(res) == 1 && !PQgetisnull(res, 0, 1)
                                       ? PQgetvalue(res, 0, 1) : "nothing");
    PQclear(res);
    return reached;
}

static int acquire_read(cerd_conn **out, cerd_pool *p, const cerd_lsn *after,
                        unsigned timeout_ms)
{
    char lsn[24], replayed[24] = "", where[300];
    int64_t deadline, pause = 1000000;
    bool waited = false;
    cerd_conn *c;
    int rc, r;

    if (!p || !out)
        return cerd__error(CERD_EMISUSE, "pool: acquire_read: pool or out is NULL");
    *out = NULL;
    if (!after || after->value == 0)
        return cerd_pool_acquire(out, p);
    snprintf(lsn, sizeof lsn, "%X/%X", (unsigned)(after->value >> 32), (unsigned)after->value);
    if ((rc = cerd_pool_acquire(&c, p)))
        return rc;
    deadline = now_ns() + ms_ns(timeout_ms);
    for (;;) {
        if ((r = replay_reached(p, c, lsn, replayed, sizeof replayed)) < 0) {
            rc = cerd_error_last()->code;
            cerd_pool_release(p, c); /* mid-query or broken: closed */
            return rc;
        }
        if (r > 0) {
            if (waited) {
                pthread_mutex_lock(&p->mu);
                p->replay_waits++;
                pthread_mutex_unlock(&p->mu);
            }
            *out = c;
            return 0;
        }
        waited = true;
        {
            int64_t left = deadline - now_ns();
            struct timespec ts;
            if (left <= 0)
                break;
            ts = to_timespec(pause < left ? pause : left);
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
            if (pause < REPLAY_POLL_MAX_NS)
                pause *= 2;
        }
    }
    snprintf(where, sizeof where, "%s:%s", PQhost(c->pg), PQport(c->pg));
    cerd_pool_release(p, c);
    pthread_mutex_lock(&p->mu);
    p->replay_waits++;
    if (p->opts.fallback)
        p->replay_fallbacks++;
    else
        p->replay_timeouts++;
    pthread_mutex_unlock(&p->mu);
    if (p->opts.fallback)
        return cerd_pool_acquire(out, p->opts.fallback);
    return cerd__error(CERD_ETIMEOUT, "pool: acquire_read: the server %s had replayed the "
                       "write-ahead log up to %s, not %s, within %u ms", where, replayed, lsn,
                       timeout_ms);
}

int cerd_pool_acquire_read(cerd_conn **out, cerd_pool *p, const cerd_lsn *after,
                           unsigned timeout_ms)
{
    return acquire_read(out, p, after, timeout_ms);
}

int cerd_pool_acquire_read_as(cerd_conn **out, cerd_pool *p, const cerd_lsn *after,
                              unsigned timeout_ms, int64_t user_id)
{
    cerd_conn *c;
    int rc;

    if (out)
        *out = NULL;
    if ((rc = acquire_read(&c, p, after, timeout_ms)))
        return rc;
    c->has_user = true;
    c->user_id = user_id;
    if ((rc = cerd__conn_begin(c, "BEGIN", "pool: acquire_read_as: begin"))) {
        cerd_pool_release(p, c);
        return rc;
    }
    *out = c;
    return 0;
}

static int transact(cerd_pool *p, bool as_user, int64_t user_id, const cerd_txn_options *opts,
                    cerd_txn_fn fn, void *arg)
{
    cerd_conn *c;
    int rc;

    if (!p || !fn)
        return cerd__error(CERD_EMISUSE, "pool: transact: pool or fn is NULL");
    if ((rc = cerd_pool_acquire(&c, p)))
        return rc;
    c->has_user = as_user;
    c->user_id = user_id;
    rc = cerd_conn_transact(c, opts, fn, arg);
    cerd_pool_release(p, c);
    return rc;
}

int cerd_pool_transact(cerd_pool *p, const cerd_txn_options *opts, cerd_txn_fn fn, void *arg)
{
    return transact(p, false, 0, opts, fn, arg);
}

int cerd_pool_transact_as(cerd_pool *p, int64_t user_id, const cerd_txn_options *opts,
                          cerd_txn_fn fn, void *arg)
{
    return transact(p, true, user_id, opts, fn, arg);
}

int cerd_pool_stats(cerd_pool_statistics *out, cerd_pool *p)
{
    unsigned parked = 0;
    uint64_t fast = 0;

    if (!p || !out || out->version < 1)
        return cerd__error(CERD_EMISUSE, "pool: stats: NULL argument or unknown version");
    pthread_mutex_lock(&p->mu);
    /* a parked connection is idle (counted in use until unparked: never below 0) */
    for (unsigned i = 0; i < p->n_cells; i++) {
        parked += atomic_load(&p->cells[i].parked) != NULL;
        fast += atomic_load_explicit(&p->cells[i].acquires, memory_order_relaxed);
    }
    out->total = p->n_total;
    out->idle = p->n_idle + parked;
    out->in_use = p->n_in_use - parked;
    out->waiting = p->n_waiting;
    out->connecting = p->n_connecting;
    out->acquires = p->acquires + fast;
    out->waits = p->waits;
    out->wait_us = p->wait_ns / 1000;
    out->timeouts = p->timeouts;
    out->connect_failures = p->connect_failures;
    out->created = p->created;
    out->destroyed_lifetime = p->destroyed[R_LIFETIME];
    out->destroyed_idle = p->destroyed[R_IDLE];
    out->destroyed_broken = p->destroyed[R_BROKEN];
    out->destroyed_failover = p->destroyed[R_FAILOVER];
    out->destroyed_dirty = p->destroyed[R_DIRTY];
    out->destroyed_closed = p->destroyed[R_CLOSED];
    if (out->version >= 2) {
        out->replay_waits = p->replay_waits;
        out->replay_fallbacks = p->replay_fallbacks;
        out->replay_timeouts = p->replay_timeouts;
    }
    pthread_mutex_unlock(&p->mu);
    return 0;
}
