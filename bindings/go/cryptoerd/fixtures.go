package cryptoerd

/*
#include <stdlib.h>
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"context"
	"unsafe"
)

// LoadFixtures loads fixture files or folders (docs/fixtures.md) through the connection
// with the C library's loader: rows in foreign-key order, "@table.name" references
// resolved, the columns a row leaves out filled by the factories (deterministic per
// seed), all or nothing. createParents lets the factories make a NOT NULL parent a row
// leaves out. It returns the number of rows written; a refused set returns the library's
// error, whose message names the file, line, table, row and constraint.
func (c *Conn) LoadFixtures(ctx context.Context, seed uint64, createParents bool, paths ...string) (int64, error) {
	var set *C.cerd_fixture_set
	if err := withError(func() C.int { return C.cerd_fixture_set_new(&set) }); err != nil {
		return 0, err
	}
	defer C.cerd_fixture_set_free(set)
	for _, p := range paths {
		cp := C.CString(p)
		err := withError(func() C.int { return C.cerd_fixture_set_add_path(set, cp) })
		C.free(unsafe.Pointer(cp))
		if err != nil {
			return 0, err
		}
	}
	opts := C.cerd_fixture_load_options{version: 1, seed: C.uint64_t(seed),
		create_parents: C.bool(createParents)}
	var res C.cerd_fixture_result
	err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		return C.cerd_fixture_load(&res, conn, set, &opts)
	})
	return int64(res.rows), err
}
