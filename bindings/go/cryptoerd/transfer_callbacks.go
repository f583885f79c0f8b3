package cryptoerd

// The C callbacks of Import and Export (transfer.go). A file with //export may only
// declare in its C preamble.

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"io"
	"unsafe"
)

// cerdgoTransferRead is the cerd_read_fn of an import: it fills C's buffer from the
// io.Reader; 0 at the end, -1 when the reader failed or the context ended.
//
//export cerdgoTransferRead
func cerdgoTransferRead(arg unsafe.Pointer, buf *C.char, size C.size_t) (n C.long) {
	t := transferOf(arg)
	stopped := false
	defer func() {
		if stopped {
			n = -1
		}
	}()
	defer t.guard(&stopped)
	// the context is checked before every read, and at the end of the input (the last
	// chance before the import commits)
	if err := t.ctx.Err(); err != nil {
		t.err = err
		return -1
	}
	if t.rerr != nil {
		if t.rerr == io.EOF {
			return 0
		}
		t.err = t.rerr
		return -1
	}
	if size == 0 {
		return 0
	}
	p := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(size))
	for tries := 0; tries < 100; tries++ {
		m, err := t.r.Read(p)
		if m > 0 {
			t.rerr = err
			return C.long(m)
		}
		if err == io.EOF {
			t.rerr = err
			if cerr := t.ctx.Err(); cerr != nil {
				t.err = cerr
				return -1
			}
			return 0
		}
		if err != nil {
			t.err = err
			return -1
		}
	}
	t.err = io.ErrNoProgress
	return -1
}

// cerdgoTransferWrite is the cerd_write_fn of an export: 0, or -1 when the io.Writer
// failed or the context ended.
//
//export cerdgoTransferWrite
func cerdgoTransferWrite(arg unsafe.Pointer, data *C.char, size C.size_t) (rc C.int) {
	t := transferOf(arg)
	stopped := false
	defer func() {
		if stopped {
			rc = -1
		}
	}()
	defer t.guard(&stopped)
	if err := t.ctx.Err(); err != nil {
		t.err = err
		return -1
	}
	if size == 0 {
		return 0
	}
	if _, err := t.w.Write(unsafe.Slice((*byte)(unsafe.Pointer(data)), int(size))); err != nil {
		t.err = err
		return -1
	}
	return 0
}

// cerdgoTransferProgress is the cerd_progress_fn of an import or export. A panic of the
// progress function is kept and re-raised after the C call (which goes on until then).
//
//export cerdgoTransferProgress
func cerdgoTransferProgress(arg unsafe.Pointer, done, total C.int64_t) {
	t := transferOf(arg)
	if t.panicked {
		return
	}
	stopped := false
	defer t.guard(&stopped)
	t.progress(int64(done), int64(total))
}

// cerdgoTransferRow is the cerd_import_row_fn of ReadRows: 0, or a negative code (which
// cerd_import_parse returns) when the row function failed or panicked.
//
//export cerdgoTransferRow
func cerdgoTransferRow(arg unsafe.Pointer, line C.int64_t, row unsafe.Pointer) (rc C.int) {
	t := transferOf(arg)
	stopped := false
	defer func() {
		if stopped {
			rc = rowStopped
		}
	}()
	defer t.guard(&stopped)
	if t.row(int64(line), row) != nil { // kept by ReadRows, which returns it
		return rowStopped
	}
	return 0
}

// rowStopped stops cerd_import_parse from its row function (CERD_ERROR; ReadRows
// returns the Go side's reason instead).
const rowStopped = -1
