package cryptoerd

/*
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ---------------------------------------------------------------- read replicas

// LSN is a position in the write-ahead log (cerd_lsn, PostgreSQL's pg_lsn): the token of
// read-your-writes. CommitLSN gives the position that covers a commit; AcquireRead with it
// lends a connection on which that write is visible. A plain value: positions of one
// cluster compare as integers (after several writes keep the largest), store it as the
// number or as its String ("16/B374D848", as pg_lsn prints it; ParseLSN reads it back;
// it is also a TextMarshaler). 0 is "none".
type LSN uint64

// String is the pg_lsn text of the position, "16/B374D848".
func (l LSN) String() string {
	return strings.ToUpper(strconv.FormatUint(uint64(l)>>32, 16) + "/" + strconv.FormatUint(uint64(l)&0xFFFFFFFF, 16))
}

// ParseLSN reads pg_lsn text ("16/B374D848").
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if ok && len(hi) >= 1 && len(hi) <= 8 && len(lo) >= 1 && len(lo) <= 8 {
		h, err1 := strconv.ParseUint(hi, 16, 32)
		l, err2 := strconv.ParseUint(lo, 16, 32)
		if err1 == nil && err2 == nil {
			return LSN(h<<32 | l), nil
		}
	}
	return 0, fmt.Errorf("cryptoerd: not a pg_lsn: %q", s)
}

// MarshalText writes String.
func (l LSN) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (l *LSN) UnmarshalText(b []byte) error {
	v, err := ParseLSN(string(b))
	if err == nil {
		*l = v
	}
	return err
}

// CommitLSN commits the open transaction, as Commit, and gives the write-ahead-log
// position that covers the commit, in the same round trip (cerd_conn_commit_lsn): the
// token for Pool.AcquireRead. When the commit succeeded but the position could not be
// read, the error matches ErrServer and the transaction is committed.
func (c *Conn) CommitLSN(ctx context.Context) (LSN, error) {
	var out C.cerd_lsn
	err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int { return C.cerd_conn_commit_lsn(&out, conn) })
	return LSN(out.value), err
}

// PoolTarget says which servers a pool's connections may be on (cerd_pool_target).
type PoolTarget int

// Pool targets.
const (
	// TargetReadWrite (default): only a server that accepts writes (a primary).
	TargetReadWrite PoolTarget = C.CERD_POOL_READ_WRITE
	// TargetPreferStandby: a read pool, on a standby among the hosts while there is one.
	TargetPreferStandby PoolTarget = C.CERD_POOL_PREFER_STANDBY
	// TargetAny: any server the connection string leads to.
	TargetAny PoolTarget = C.CERD_POOL_ANY
)

const defaultReplayTimeout = time.Second

// openStandby makes the read pool of PoolOptions.Standby: on the standbys, falling back
// on p.
func (p *Pool) openStandby(ctx context.Context, o PoolOptions) error {
	ro := o
	ro.ConnInfo, ro.Standby = o.Standby, ""
	ro.Target, ro.Fallback = TargetPreferStandby, p
	r, err := NewPool(ctx, ro)
	if err != nil {
		return err
	}
	p.read = r
	return nil
}

// ReadPool is the read pool PoolOptions.Standby made (for its Stats), or nil.
func (p *Pool) ReadPool() *Pool { return p.read }

// replayWait is how long AcquireRead waits for the standby's replay: the pool's
// ReplayTimeout, shortened to the context's deadline.
func (p *Pool) replayWait(ctx context.Context) (C.unsigned, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	wait := p.replayTimeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < wait {
			wait = left
		}
		if wait <= 0 {
			return 0, context.DeadlineExceeded
		}
	}
	if wait > time.Duration(^uint32(0))*time.Millisecond {
		wait = time.Duration(^uint32(0)) * time.Millisecond
	}
	return ms(wait), nil
}

// AcquireRead borrows a connection for reading on which the write of token after is
// visible (cerd_pool_acquire_read): from the read pool (PoolOptions.Standby) or this
// pool, once its server is a primary or a standby that has replayed after. It waits for
// the replay at most PoolOptions.ReplayTimeout (default 1 s), or until the context's
// deadline if sooner; then it lends a connection of the fallback pool (the primary), or
// fails with ErrTimeout when there is none. after nil or 0: no condition, as Acquire.
// Release the connection as any other.
func (p *Pool) AcquireRead(ctx context.Context, after *LSN) (*Conn, error) {
	return p.acquireRead(ctx, after, nil)
}

// AcquireReadAs is AcquireRead, then as AcquireAs: a transaction acting as user userID
// for row-level security is open on the connection (end it with Commit or Rollback).
func (p *Pool) AcquireReadAs(ctx context.Context, userID int64, after *LSN) (*Conn, error) {
	return p.acquireRead(ctx, after, &userID)
}

func (p *Pool) acquireRead(ctx context.Context, after *LSN, user *int64) (*Conn, error) {
	rp := p
	if p.read != nil {
		rp = p.read
	}
	wait, err := rp.replayWait(ctx)
	if err != nil {
		return nil, err
	}
	var token *C.cerd_lsn
	if after != nil {
		token = &C.cerd_lsn{value: C.uint64_t(*after)}
	}
	var c *C.cerd_conn
	mark := rp.hook.mark()
	err = withError(func() C.int {
		if user != nil {
			return C.cerd_pool_acquire_read_as(&c, rp.p, token, wait, C.int64_t(*user))
		}
		return C.cerd_pool_acquire_read(&c, rp.p, token, wait)
	})
	if err != nil {
		return nil, rp.hook.explain(err, mark)
	}
	// released to the read pool, also when it lent a connection of its fallback
	return &Conn{c: c, pool: rp}, nil
}
