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

// cerdGoProgress is the C library's cerd_progress_fn for a Go function: arg is C memory
// holding a cgo.Handle of the func(done, total int64).
//
//export cerdGoProgress
func cerdGoProgress(arg unsafe.Pointer, done, total C.int64_t) {
	h := cgo.Handle(*(*C.uintptr_t)(arg))
	h.Value().(func(int64, int64))(int64(done), int64(total))
}

// progressC gives the C callback and argument of fn (nil: none) and a function that
// releases them once the C call has returned.
func progressC(fn func(done, total int64)) (C.cerd_progress_fn, unsafe.Pointer, func()) {
	if fn == nil {
		return nil, nil, func() {}
	}
	h := cgo.NewHandle(fn)
	p := C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0))))
	if p == nil {
		h.Delete()
		panic("cryptoerd: out of memory")
	}
	*(*C.uintptr_t)(p) = C.uintptr_t(h)
	return C.cerd_progress_fn(C.cerdGoProgress), p, func() {
		C.free(p)
		h.Delete()
	}
}
