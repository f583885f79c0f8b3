package cryptoerd

/*
#include <stdlib.h>
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"context"
	"os"
	"unsafe"
)

// FixtureRoot is a row to dump from: the row of Table whose primary key's first column
// is ID (cerd_fixture_root).
type FixtureRoot struct {
	Table string
	ID    int64
}

// DumpOptions configure DumpFixtures (cerd_fixture_dump_options); nil or the zero value
// dumps every table except those written by triggers (audit_log).
type DumpOptions struct {
	// Tables to dump whole; empty for every table (audit_log, written by triggers,
	// excepted).
	Tables []string
	// Roots, when not empty, dump instead the rows reached from these: the roots, every
	// row referring to an included row (transitively), then every row an included row
	// refers to (transitively).
	Roots []FixtureRoot
	// Progress, when not nil, is called after each table read (done and total tables),
	// on the goroutine of the call: it must not use the connection. A panic of it is
	// raised again when the dump returns.
	Progress func(done, total int64)
}

// DumpFixturesText gives the database's rows (or those opts chooses) in the fixture
// format (docs/fixtures.md), as the C library's cerd_fixture_dump writes them: tables in
// foreign-key order, rows in primary-key order one per line, identity columns left out,
// references between dumped rows as "@table.<table>_<n>". The text depends only on the
// rows, not on their keys: dump, LoadFixtures into a fresh database and dump again give
// the same bytes. A transaction open on the connection is used (REPEATABLE READ gives a
// consistent snapshot of a live database). Rows are read into memory whole. An unknown
// table or a root whose row does not exist is an *Error matching ErrMisuse.
func (c *Conn) DumpFixturesText(ctx context.Context, opts *DumpOptions) ([]byte, error) {
	if opts == nil {
		opts = &DumpOptions{}
	}
	if c == nil || c.c == nil {
		return nil, errClosed
	}
	a := c.arena()
	defer a.reset()
	o := (*C.cerd_fixture_dump_options)(a.alloc(int(unsafe.Sizeof(C.cerd_fixture_dump_options{}))))
	*o = C.cerd_fixture_dump_options{version: 1}
	if len(opts.Tables) > 0 {
		mem := a.alloc(int(unsafe.Sizeof(uintptr(0))) * len(opts.Tables))
		ts := unsafe.Slice((**C.char)(mem), len(opts.Tables))
		for i, t := range opts.Tables {
			ts[i] = a.cstr(t)
		}
		o.tables = (**C.char)(mem)
		o.ntables = C.size_t(len(opts.Tables))
	}
	if len(opts.Roots) > 0 {
		mem := a.alloc(int(unsafe.Sizeof(C.cerd_fixture_root{})) * len(opts.Roots))
		rs := unsafe.Slice((*C.cerd_fixture_root)(mem), len(opts.Roots))
		for i, r := range opts.Roots {
			rs[i] = C.cerd_fixture_root{table: a.cstr(r.Table), id: C.int64_t(r.ID)}
		}
		o.roots = (*C.cerd_fixture_root)(mem)
		o.nroots = C.size_t(len(opts.Roots))
	}
	fn, arg, freeProgress := progressC(opts.Progress)
	defer freeProgress()
	o.progress = fn
	o.progress_arg = arg
	var out *C.char
	err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int { return C.cerd_fixture_dump(&out, conn, o) })
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(out))
	return []byte(C.GoString(out)), nil
}

// DumpFixtures writes DumpFixturesText's text to the file path (created or truncated,
// mode 0644), ready for LoadFixtures.
func (c *Conn) DumpFixtures(ctx context.Context, path string, opts *DumpOptions) error {
	text, err := c.DumpFixturesText(ctx, opts)
	if err != nil {
		return err
	}
	return os.WriteFile(path, text, 0o644)
}
