package cryptoerd

/*
#include <stdlib.h>
#include <cjson/cJSON.h>
*/
import "C"

import "unsafe"

// arena is C memory for the values of rows handed to C (strings, arrays, JSON trees):
// the Go side never passes Go memory holding pointers to C, as cgo's rules require.
// One per connection (used by one goroutine at a time), reset after every call.
type arena struct {
	chunks []unsafe.Pointer
	sizes  []int
	cur    int // chunk in use
	off    int
	jsons  []*C.cJSON
}

const arenaChunk = 64 << 10

func (a *arena) alloc(n int) unsafe.Pointer {
	n = (n + 7) &^ 7
	for {
		if a.cur < len(a.chunks) && a.off+n <= a.sizes[a.cur] {
			p := unsafe.Add(a.chunks[a.cur], a.off)
			a.off += n
			return p
		}
		if a.cur+1 < len(a.chunks) && n <= a.sizes[a.cur+1] {
			a.cur++
			a.off = 0
			continue
		}
		size := arenaChunk
		if n > size {
			size = n
		}
		p := C.malloc(C.size_t(size))
		if p == nil {
			panic("cryptoerd: out of memory")
		}
		if len(a.chunks) == 0 {
			a.cur = 0
		} else {
			a.cur = len(a.chunks)
		}
		a.chunks = append(a.chunks, p)
		a.sizes = append(a.sizes, size)
		a.off = 0
	}
}

// bytes is a C copy of b (NUL-terminated).
func (a *arena) cstrBytes(b []byte) *C.char {
	p := a.alloc(len(b) + 1)
	dst := unsafe.Slice((*byte)(p), len(b)+1)
	copy(dst, b)
	dst[len(b)] = 0
	return (*C.char)(p)
}

// cstr is a C copy of s (NUL-terminated).
func (a *arena) cstr(s string) *C.char {
	p := a.alloc(len(s) + 1)
	dst := unsafe.Slice((*byte)(p), len(s)+1)
	copy(dst, s)
	dst[len(s)] = 0
	return (*C.char)(p)
}

// reset releases the JSON trees and makes the memory reusable (the first chunks stay).
func (a *arena) reset() {
	for _, j := range a.jsons {
		C.cJSON_Delete(j)
	}
	a.jsons = a.jsons[:0]
	// keep at most 4 chunks for reuse
	for len(a.chunks) > 4 {
		last := len(a.chunks) - 1
		C.free(a.chunks[last])
		a.chunks = a.chunks[:last]
		a.sizes = a.sizes[:last]
	}
	a.cur = 0
	a.off = 0
}

func (a *arena) free() {
	a.reset()
	for _, c := range a.chunks {
		C.free(c)
	}
	a.chunks, a.sizes = nil, nil
}
