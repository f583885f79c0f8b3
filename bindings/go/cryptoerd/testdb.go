package cryptoerd

/*
#include <stdlib.h>
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"context"
	"errors"
	"sync"
	"unsafe"
)

// Isolated databases for tests, over the C library's cerd_template_* and cerd_testdb_*
// (fixtures.h): a template database created and migrated once, optionally loaded with a
// fixture set and a seeded scenario, then cloned per test (a copy of the template made by
// the server, far faster than migrating each time). The SQL is the C library's; this file only calls it.

// TemplateOptions configure CreateTemplate (cerd_template_options). The zero value (or
// nil) gives a database that is migrated only.
type TemplateOptions struct {
	// FixturePath is a fixture file or a folder of them (docs/fixtures.md) loaded after
	// migrating; "" for none.
	FixturePath string
	// FixtureSeed seeds the factories that fill the columns the fixture rows leave out.
	FixtureSeed uint64
	// CreateParents lets the factories make a NOT NULL parent a fixture row leaves out
	// (cerd_fixture_load_options.create_parents).
	CreateParents bool
	// Seed, when not nil, is a scenario seeded after migrating and after the fixture
	// (cerd_seed; see Conn.Seed).
	Seed *SeedOptions
}

// Template is a template database (cerd_template): clone it with Clone, release it with
// Close (the database stays) or Drop (the database goes). Its methods may be called from
// several goroutines; they are serialized (the C object is used by one thread at a time).
type Template struct {
	mu   sync.Mutex
	t    *C.cerd_template
	name string
}

// TestDB is a database cloned from a Template (cerd_testdb): connect with DSN, drop it
// with Drop. Safe for use from several goroutines.
type TestDB struct {
	mu   sync.Mutex
	db   *C.cerd_testdb
	name string
	dsn  string
}

var errTemplateReleased = errors.New("cryptoerd: template closed or dropped")

// CreateTemplate creates database name on the server of dsn (a libpq connection string
// whose dbname is the maintenance database the C library creates and drops databases
// from, e.g. "dbname=postgres"; "" uses libpq's PG* environment), dropping one of that
// name first, migrates it, loads opts' fixture and scenario, and disconnects so that it can be cloned
// (cerd_template_create). name is lowercase letters, digits and underscores, at most 40
// bytes; "" gives a unique name (cerd_tpl_<pid>_<n>). The role needs CREATEDB.
//
// A bad name is an *Error matching ErrMisuse; a failure while migrating or loading drops
// the half-made database and returns the library's error (its message names the fixture
// file, row and constraint). ctx is checked before starting: the C call opens connections
// of its own and cannot be interrupted once under way.
func CreateTemplate(ctx context.Context, dsn, name string, opts *TemplateOptions) (*Template, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &TemplateOptions{}
	}
	// Everything handed to C lives in C memory for the call (no Go pointer is passed).
	cdsn := C.CString(dsn)
	defer C.free(unsafe.Pointer(cdsn))
	var cname *C.char
	if name != "" {
		cname = C.CString(name)
		defer C.free(unsafe.Pointer(cname))
	}
	o := (*C.cerd_template_options)(C.calloc(1, C.size_t(unsafe.Sizeof(C.cerd_template_options{}))))
	defer C.free(unsafe.Pointer(o))
	o.version = 1
	if opts.FixturePath != "" {
		var set *C.cerd_fixture_set
		if err := withError(func() C.int { return C.cerd_fixture_set_new(&set) }); err != nil {
			return nil, err
		}
		defer C.cerd_fixture_set_free(set)
		cp := C.CString(opts.FixturePath)
		err := withError(func() C.int { return C.cerd_fixture_set_add_path(set, cp) })
		C.free(unsafe.Pointer(cp))
		if err != nil {
			return nil, err
		}
		load := (*C.cerd_fixture_load_options)(C.calloc(1, C.size_t(unsafe.Sizeof(C.cerd_fixture_load_options{}))))
		defer C.free(unsafe.Pointer(load))
		load.version = 1
		load.seed = C.uint64_t(opts.FixtureSeed)
		load.create_parents = C.bool(opts.CreateParents)
		o.fixture = set
		o.load = load
	}
	if opts.Seed != nil {
		so, free := opts.Seed.toC()
		defer free()
		o.seed = so
	}
	var t *C.cerd_template
	if err := withError(func() C.int { return C.cerd_template_create(&t, cdsn, cname, o) }); err != nil {
		return nil, err
	}
	return &Template{t: t, name: C.GoString(C.cerd_template_name(t))}, nil
}

// Name is the template database's name.
func (t *Template) Name() string { return t.name }

// Close releases the template object; the database stays (cerd_template_free). Clone
// fails afterwards. Calling it again, or after Drop, does nothing.
func (t *Template) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	C.cerd_template_free(t.t)
	t.t = nil
}

// Drop drops the template database, forcing its sessions off, and releases the object
// (cerd_template_drop). Calling it again, or after Close, does nothing and returns nil.
func (t *Template) Drop() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.t == nil {
		return nil
	}
	tpl := t.t
	t.t = nil
	return withError(func() C.int { return C.cerd_template_drop(tpl) })
}

// Clone creates a new database as a copy of the template, named <template>_<pid>_<n>
// (cerd_testdb_clone; a clone refused because the template is briefly in use is
// retried). No session may stay connected to the template. ctx is checked before
// starting; the C call cannot be interrupted once under way.
func (t *Template) Clone(ctx context.Context) (*TestDB, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.t == nil {
		return nil, errTemplateReleased
	}
	var db *C.cerd_testdb
	if err := withError(func() C.int { return C.cerd_testdb_clone(&db, t.t) }); err != nil {
		return nil, err
	}
	return &TestDB{db: db, name: C.GoString(C.cerd_testdb_name(db)),
		dsn: C.GoString(C.cerd_testdb_conninfo(db))}, nil
}

// DSN is a libpq connection string of the clone, for Open or NewPool (append
// " key=value" pairs to change others: a later key wins).
func (d *TestDB) DSN() string { return d.dsn }

// Name is the clone's database name.
func (d *TestDB) Name() string { return d.name }

// Drop drops the clone, forcing its sessions off (cerd_testdb_drop). Calling it again
// does nothing and returns nil.
func (d *TestDB) Drop() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.db == nil {
		return nil
	}
	db := d.db
	d.db = nil
	return withError(func() C.int { return C.cerd_testdb_drop(db) })
}
