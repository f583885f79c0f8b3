package cryptoerd

// PoolOptions.AfterConnect: the C pool's after-connect function (cerd_pool_connect_fn)
// calling a Go function. A file with //export may only declare in its C preamble.

/*
#include <stdint.h>
#include <stdlib.h>
typedef struct cerd_conn cerd_conn;
*/
import "C"

import (
	"context"
	"fmt"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// afterConnect is a pool's hook: the user's function, and the errors it returned, kept
// (the last few, numbered) so that the call that failed because of one can name it.
type afterConnect struct {
	fn   func(context.Context, *Conn) error
	mu   sync.Mutex
	seq  uint64
	errs []hookError
	arg  unsafe.Pointer // C memory holding the handle: after_connect_arg
	h    cgo.Handle
}

type hookError struct {
	seq uint64
	err error
}

func newAfterConnect(fn func(context.Context, *Conn) error) *afterConnect {
	a := &afterConnect{fn: fn}
	a.h = cgo.NewHandle(a)
	a.arg = C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0))))
	if a.arg == nil {
		panic("cryptoerd: out of memory")
	}
	*(*C.uintptr_t)(a.arg) = C.uintptr_t(a.h)
	return a
}

// free releases the handle once the C pool, which calls the hook, is gone.
func (a *afterConnect) free() {
	C.free(a.arg)
	a.h.Delete()
}

// mark numbers the hook's errors so far (0 for a pool without a hook).
func (a *afterConnect) mark() uint64 {
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seq
}

// explain attaches to err, the failure of a pool call begun at mark, the last error the
// hook returned since then: the message names it and errors.Is matches it.
func (a *afterConnect) explain(err error, mark uint64) error {
	if a == nil || err == nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.errs) - 1; i >= 0; i-- {
		if a.errs[i].seq > mark {
			return withCtx(err, a.errs[i].err) // the C message says "after_connect hook failed"
		}
	}
	return err
}

func (a *afterConnect) failed(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	a.errs = append(a.errs, hookError{a.seq, err})
	if len(a.errs) > 8 {
		a.errs = a.errs[1:]
	}
}

// cerdgoPoolAfterConnect runs the hook on a connection the pool opened or reset (on the
// thread of the pool call, or on one of the pool's own): 0 keeps the connection; an
// error or a panic of the hook fails it (-1, CERD_ERROR), and is kept for explain.
//
//export cerdgoPoolAfterConnect
func cerdgoPoolAfterConnect(conn *C.cerd_conn, arg unsafe.Pointer) (rc C.int) {
	a := cgo.Handle(*(*C.uintptr_t)(arg)).Value().(*afterConnect)
	c := &Conn{c: conn}
	defer func() {
		c.c = nil // valid during the call only: later use fails with "connection closed"
		c.ar.free()
		if v := recover(); v != nil {
			a.failed(fmt.Errorf("panic: %v", v))
			rc = -1
		}
	}()
	if err := a.fn(context.Background(), c); err != nil {
		a.failed(err)
		return -1
	}
	return 0
}
