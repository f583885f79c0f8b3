package cryptoerd

/*
#include <stdlib.h>
#include <cjson/cJSON.h>
#include <cryptoerd/cryptoerd.h>

extern int cerdgoPoolAfterConnect(cerd_conn *conn, void *arg); // pool_hook.go
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Conn is one connection: opened with Open (Close it) or borrowed from a Pool (Release
// it). A Conn is used by one goroutine at a time. The per-table operations are reached
// through it: conn.Assets().Get(ctx, id).
type Conn struct {
	c    *C.cerd_conn
	pool *Pool
	ar   arena
}

// Tx is a transaction on a connection: every operation of the Conn works on it. It ends
// with Commit or Rollback (Pool.Transact ends it for you).
type Tx struct{ *Conn }

func (c *Conn) arena() *arena { return &c.ar }

var errClosed = errors.New("cryptoerd: connection closed or released")

// watcher sends a cancel request when ctx ends during a call; stop() guarantees that no
// request is sent after it returned.
type watcher struct {
	mu      sync.Mutex
	stopped bool
	done    chan struct{}
}

func (c *Conn) watch(ctx context.Context) *watcher {
	w := &watcher{done: make(chan struct{})}
	conn := c.c
	go func() {
		select {
		case <-ctx.Done():
			w.mu.Lock()
			if !w.stopped {
				runtime.LockOSThread()
				C.cerd_conn_cancel(conn)
				runtime.UnlockOSThread()
			}
			w.mu.Unlock()
		case <-w.done:
		}
	}()
	return w
}

func (w *watcher) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	close(w.done)
}

// call runs one C call on the connection: the thread is locked from the call to the
// reading of its error record (which is per thread), and a context with a Done channel
// can cancel it. info and crow (the C row sent), when given, let an ErrInvalid carry the
// row's violations.
func (c *Conn) call(ctx context.Context, info *tableInfo, crow unsafe.Pointer, fn func(*C.cerd_conn) C.int) error {
	if c == nil || c.c == nil {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var w *watcher
	if ctx.Done() != nil {
		w = c.watch(ctx)
	}
	var err error
	runtime.LockOSThread()
	if rc := fn(c.c); rc < 0 {
		err = wrapError(rc, info, crow)
	}
	runtime.UnlockOSThread()
	if w != nil {
		w.stop()
		if err != nil && ctx.Err() != nil {
			err = withCtx(err, ctx.Err())
		}
	}
	return err
}

// Open opens a connection (a libpq connection string or URI; "" uses the PG* environment).
func Open(ctx context.Context, conninfo string) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ci := C.CString(conninfo)
	defer C.free(unsafe.Pointer(ci))
	var cc *C.cerd_conn
	if err := withError(func() C.int { return C.cerd_conn_open(&cc, ci) }); err != nil {
		return nil, err
	}
	return &Conn{c: cc}, nil
}

// Close closes a connection from Open (a pooled one is released).
func (c *Conn) Close() error {
	if c == nil || c.c == nil {
		return nil
	}
	if c.pool != nil {
		c.Release()
		return nil
	}
	C.cerd_conn_free(c.c)
	c.c = nil
	c.ar.free()
	return nil
}

// Release hands a pooled connection back (an open transaction is rolled back).
func (c *Conn) Release() {
	if c == nil || c.c == nil {
		return
	}
	if c.pool == nil {
		c.Close()
		return
	}
	C.cerd_pool_release(c.pool.p, c.c)
	c.c = nil
	c.ar.free()
}

// Exec runs fixed SQL (DDL, SET ...): values never go into SQL text.
func (c *Conn) Exec(ctx context.Context, sql string) error {
	s := C.CString(sql)
	defer C.free(unsafe.Pointer(s))
	return c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int { return C.cerd_conn_exec(conn, s) })
}

// QueryJSON runs a query (SELECT, VALUES, WITH ... SELECT) with text parameters $1, $2...
// and gives its rows as an exact JSON array (cerd_conn_query_json).
func (c *Conn) QueryJSON(ctx context.Context, sql string, params ...string) (json.RawMessage, error) {
	a := c.arena()
	defer a.reset()
	s := a.cstr(sql)
	var cp **C.char
	if len(params) > 0 {
		mem := a.alloc(int(unsafe.Sizeof(uintptr(0))) * len(params))
		ps := unsafe.Slice((**C.char)(mem), len(params))
		for i, p := range params {
			ps[i] = a.cstr(p)
		}
		cp = (**C.char)(mem)
	}
	var out *C.cJSON
	err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		return C.cerd_conn_query_json((**C.struct_cJSON)(unsafe.Pointer(&out)), conn, s, C.int(len(params)), cp)
	})
	if err != nil {
		return nil, err
	}
	defer C.cJSON_Delete(out)
	return plainJSONFromC((*C.struct_cJSON)(unsafe.Pointer(out)))
}

// Migrate applies the schema migrations the database lacks; returns how many.
func (c *Conn) Migrate(ctx context.Context) (int, error) {
	var n C.int
	err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int { return C.cerd_migrate(&n, conn) })
	return int(n), err
}

// SetValidation turns client-side validation before writes on (default) or off.
func (c *Conn) SetValidation(on bool) { C.cerd_conn_set_validation(c.c, C.bool(on)) }

// SetIOTimeout bounds every wait of a call for the server (cerd_conn_set_io_timeout):
// when nothing arrives, or nothing can be sent, for d, the call returns an error matching
// ErrTimeout and the connection is closed (a pool discards it). It is the bound against a
// server or proxy that goes silent while TCP looks healthy, where a context's cancel
// request cannot help either. Default: the session's statement_timeout (a pool's
// StatementTimeout) plus 5 s; 0 turns it off. Truncated to milliseconds.
func (c *Conn) SetIOTimeout(d time.Duration) {
	C.cerd_conn_set_io_timeout(c.c, ms(d))
}

// IOTimeout is the connection's I/O timeout (SetIOTimeout); 0: off.
func (c *Conn) IOTimeout() time.Duration {
	return time.Duration(C.cerd_conn_io_timeout(c.c)) * time.Millisecond
}

// Begin starts a transaction.
func (c *Conn) Begin(ctx context.Context) (*Tx, error) {
	if err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int { return C.cerd_conn_begin(conn) }); err != nil {
		return nil, err
	}
	return &Tx{c}, nil
}

// Commit commits the open transaction.
func (c *Conn) Commit(ctx context.Context) error {
	return c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int { return C.cerd_conn_commit(conn) })
}

// Rollback rolls the open transaction back (no-op without one). It is not interrupted by ctx.
func (c *Conn) Rollback(ctx context.Context) error {
	return c.call(context.Background(), nil, nil, func(conn *C.cerd_conn) C.int { return C.cerd_conn_rollback(conn) })
}

// Isolation is a transaction isolation level.
type Isolation int

// Isolation levels.
const (
	IsolationDefault Isolation = iota
	ReadCommitted
	RepeatableRead
	Serializable
)

// ---------------------------------------------------------------- Pool

// PoolOptions configure NewPool; zero fields take the C pool's defaults.
type PoolOptions struct {
	ConnInfo                 string        // libpq connection string or URI; "" uses PG*
	MinSize, MaxSize         int           // default 1 and 10
	AcquireTimeout           time.Duration // default 5 s
	ConnectTimeout           time.Duration // default 5 s
	StatementTimeout         time.Duration // server-side statement_timeout; 0: the server's
	IdleInTransactionTimeout time.Duration

	// Read replicas (replica.go). Target: which servers the pool uses (default
	// TargetReadWrite). Fallback: for a read pool, the pool (of the primary) whose
	// connections AcquireRead lends when the standby has not replayed the token in
	// time; it must outlive this pool. Standby: a connection string of the standbys;
	// when set, NewPool also opens a read pool on it (TargetPreferStandby) falling back
	// on this pool, which AcquireRead uses and Close closes. ReplayTimeout: how long
	// AcquireRead waits for a standby's replay (default 1 s).
	Target        PoolTarget
	Fallback      *Pool
	Standby       string
	ReplayTimeout time.Duration

	// AfterConnect, when set, runs on every session the pool opens, before it is lent,
	// and again when the pool resets a session (one on which raw SQL ran): e.g.
	// c.Exec(ctx, "SET search_path = app"). It runs on the pool's own threads too, with
	// a background context; c is valid during the call only, must be left without an
	// open transaction, and the function must not use the pool. An error (or a panic)
	// fails that connection attempt: NewPool, Acquire... fail with the pool's error,
	// whose message names it and which errors.Is matches against it. The read pool of
	// Standby runs it too.
	AfterConnect func(ctx context.Context, c *Conn) error
}

// Pool is a thread-safe pool of connections (cerd_pool): use it from any goroutine.
type Pool struct {
	p             *C.cerd_pool
	read          *Pool // the read pool of PoolOptions.Standby, or nil
	fallback      *Pool // PoolOptions.Fallback, kept reachable
	replayTimeout time.Duration
	hook          *afterConnect // PoolOptions.AfterConnect, or nil
}

func ms(d time.Duration) C.unsigned { return C.unsigned(d / time.Millisecond) }

// NewPool opens a pool and its first MinSize connections.
func NewPool(ctx context.Context, o PoolOptions) (*Pool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts := C.cerd_pool_options{}
	// CERD_POOL_OPTIONS_INIT
	opts.version, opts.min_size, opts.max_size = 2, 1, 10
	opts.acquire_timeout_ms, opts.connect_timeout_ms = 5000, 5000
	opts.idle_timeout_ms, opts.max_lifetime_ms, opts.lifetime_jitter_ms = 600000, 1800000, 60000
	opts.health_check_period_ms, opts.idle_check_ms = 5000, 500
	opts.target = C.CERD_POOL_READ_WRITE
	opts.named_statements = 1
	ci := C.CString(o.ConnInfo)
	defer C.free(unsafe.Pointer(ci))
	opts.conninfo = ci
	if o.MinSize > 0 {
		opts.min_size = C.unsigned(o.MinSize)
	}
	if o.MaxSize > 0 {
		opts.max_size = C.unsigned(o.MaxSize)
	}
	if o.AcquireTimeout > 0 {
		opts.acquire_timeout_ms = ms(o.AcquireTimeout)
	}
	if o.ConnectTimeout > 0 {
		opts.connect_timeout_ms = ms(o.ConnectTimeout)
	}
	opts.statement_timeout_ms = ms(o.StatementTimeout)
	opts.idle_in_transaction_timeout_ms = ms(o.IdleInTransactionTimeout)
	opts.target = C.cerd_pool_target(o.Target)
	if o.Fallback != nil {
		opts.fallback = o.Fallback.p
	}
	var hook *afterConnect
	if o.AfterConnect != nil {
		hook = newAfterConnect(o.AfterConnect)
		opts.after_connect = C.cerd_pool_connect_fn(C.cerdgoPoolAfterConnect)
		opts.after_connect_arg = hook.arg
	}
	var p *C.cerd_pool
	if err := withError(func() C.int { return C.cerd_pool_new(&p, &opts) }); err != nil {
		if hook != nil {
			err = hook.explain(err, 0)
			hook.free()
		}
		return nil, err
	}
	pool := &Pool{p: p, fallback: o.Fallback, replayTimeout: o.ReplayTimeout, hook: hook}
	if pool.replayTimeout <= 0 {
		pool.replayTimeout = defaultReplayTimeout
	}
	if o.Standby != "" {
		if err := pool.openStandby(ctx, o); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return pool, nil
}

// Close closes the pool (connections still borrowed are closed when released), and the
// read pool of PoolOptions.Standby first.
func (p *Pool) Close() {
	if p.read != nil {
		p.read.Close()
		p.read = nil
	}
	if p.p != nil {
		C.cerd_pool_free(p.p)
		p.p = nil
		if p.hook != nil {
			p.hook.free()
			p.hook = nil
		}
	}
}

// Acquire borrows a connection (waiting at most PoolOptions.AcquireTimeout); Release it.
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var c *C.cerd_conn
	mark := p.hook.mark()
	if err := withError(func() C.int { return C.cerd_pool_acquire(&c, p.p) }); err != nil {
		return nil, p.hook.explain(err, mark)
	}
	return &Conn{c: c, pool: p}, nil
}

// AcquireAs borrows a connection acting as user userID for row-level security: a
// transaction is open on it with app.current_user_id set (SET LOCAL); end it with Commit
// or Rollback. Later transactions on the connection act as the same user until Release.
func (p *Pool) AcquireAs(ctx context.Context, userID int64) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var c *C.cerd_conn
	mark := p.hook.mark()
	if err := withError(func() C.int { return C.cerd_pool_acquire_as(&c, p.p, C.int64_t(userID)) }); err != nil {
		return nil, p.hook.explain(err, mark)
	}
	return &Conn{c: c, pool: p}, nil
}

// PoolStats are the pool's counters (a subset of cerd_pool_statistics). The Replay
// counters are AcquireRead's on a read pool: waits for a standby's replay, connections of
// the fallback lent, and timeouts without fallback.
type PoolStats struct {
	Total, Idle, InUse, Waiting                  int
	Acquires, Waits, Timeouts                    uint64
	Created                                      uint64
	ReplayWaits, ReplayFallbacks, ReplayTimeouts uint64
}

// Stats reads the pool's counters.
func (p *Pool) Stats() PoolStats {
	var s C.cerd_pool_statistics
	s.version = 2
	C.cerd_pool_stats(&s, p.p)
	return PoolStats{Total: int(s.total), Idle: int(s.idle), InUse: int(s.in_use), Waiting: int(s.waiting),
		Acquires: uint64(s.acquires), Waits: uint64(s.waits), Timeouts: uint64(s.timeouts), Created: uint64(s.created),
		ReplayWaits: uint64(s.replay_waits), ReplayFallbacks: uint64(s.replay_fallbacks), ReplayTimeouts: uint64(s.replay_timeouts)}
}

// TxOptions configure TransactWith.
type TxOptions struct {
	Isolation   Isolation
	MaxAttempts int    // attempts on serialization failure or deadlock; 0: 10
	User        *int64 // act as this user for row-level security (AcquireAs)
}

// Transact runs fn in a transaction on a borrowed connection and commits; on a
// serialization failure or deadlock (ErrSerialization), from fn or from COMMIT, it rolls
// back, waits a short randomised, growing time and runs fn again (up to 10 attempts): fn
// must be safe to re-run. Any other error from fn rolls back and is returned.
func (p *Pool) Transact(ctx context.Context, fn func(*Tx) error) error {
	return p.TransactWith(ctx, TxOptions{}, fn)
}

// TransactAs is Transact acting as user userID for row-level security.
func (p *Pool) TransactAs(ctx context.Context, userID int64, fn func(*Tx) error) error {
	return p.TransactWith(ctx, TxOptions{User: &userID}, fn)
}

var isolationSQL = map[Isolation]string{
	ReadCommitted:  "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
	RepeatableRead: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	Serializable:   "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
}

// TransactWith is Transact with options.
func (p *Pool) TransactWith(ctx context.Context, o TxOptions, fn func(*Tx) error) error {
	max := o.MaxAttempts
	if max <= 0 {
		max = 10
	}
	var c *Conn
	var err error
	if o.User != nil {
		c, err = p.AcquireAs(ctx, *o.User) // a transaction is open
	} else {
		c, err = p.Acquire(ctx)
	}
	if err != nil {
		return err
	}
	defer c.Release()
	open := o.User != nil
	for attempt := 1; ; attempt++ {
		if !open {
			if _, err = c.Begin(ctx); err != nil {
				return err
			}
		}
		open = false
		if sql, ok := isolationSQL[o.Isolation]; ok {
			if err = c.Exec(ctx, sql); err != nil {
				c.Rollback(ctx)
				return err
			}
		}
		err = fn(&Tx{c})
		if err == nil {
			err = c.Commit(ctx)
			if err == nil {
				return nil
			}
		}
		c.Rollback(ctx)
		if !errors.Is(err, ErrSerialization) || attempt >= max || ctx.Err() != nil {
			return err
		}
		backoff := time.Duration(1<<uint(minInt(attempt, 8))) * time.Millisecond
		backoff += time.Duration(rand.Int63n(int64(backoff)))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}
