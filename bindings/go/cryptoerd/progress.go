package cryptoerd

/*
#include <stdint.h>
#include <stdlib.h>
#include <cryptoerd/cryptoerd.h>

extern void cerdGoProgress(void *arg, int64_t done, int64_t total);
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// progressState is what the C callback reaches through its cgo.Handle: the Go function,
// and a panic of it kept for after the C call (a panic must not unwind through C frames).
type progressState struct {
	fn       func(done, total int64)
	panicked bool
	value    any
}

// cerdGoProgress is the C library's cerd_progress_fn for a Go function: arg is C memory
// holding a cgo.Handle of a *progressState. After a panic the function is not called
// again; the C call cannot be stopped from here and runs to its end.
//
//export cerdGoProgress
func cerdGoProgress(arg unsafe.Pointer, done, total C.int64_t) {
	st := cgo.Handle(*(*C.uintptr_t)(arg)).Value().(*progressState)
	if st.panicked {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			st.panicked, st.value = true, v
		}
	}()
	st.fn(int64(done), int64(total))
}

// progressC gives the C callback and argument of fn (nil: none) and a function that
// releases them once the C call has returned, and then re-raises a panic of fn.
func progressC(fn func(done, total int64)) (C.cerd_progress_fn, unsafe.Pointer, func()) {
	if fn == nil {
		return nil, nil, func() {}
	}
	st := &progressState{fn: fn}
	h := cgo.NewHandle(st)
	p := C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0))))
	if p == nil {
		h.Delete()
		panic("cryptoerd: out of memory")
	}
	*(*C.uintptr_t)(p) = C.uintptr_t(h)
	return C.cerd_progress_fn(C.cerdGoProgress), p, func() {
		C.free(p)
		h.Delete()
		if st.panicked {
			panic(st.value)
		}
	}
}
