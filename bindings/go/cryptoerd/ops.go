package cryptoerd

/*
#include <stdlib.h>
#include <string.h>
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"unsafe"
)

// tableInfo is what the generic Go code knows of a table: its C descriptor and the
// generated conversions of its row (tables_gen.go).
type tableInfo struct {
	name   string
	desc   *C.cerd_table
	size   int
	goType reflect.Type
	load   func(dst /* *T */, src /* *C.cerd_t */ unsafe.Pointer) error
	store  func(dst /* *C.cerd_t */, src /* *T */ unsafe.Pointer, a *arena) error
}

var (
	tablesByName = map[string]*tableInfo{}
	tablesByType = map[reflect.Type]*tableInfo{}
)

func registerTable(t *tableInfo) {
	tablesByName[t.name] = t
	tablesByType[t.goType] = t
}

// Row is implemented by every generated row struct.
type Row interface{ cerdTable() string }

// TableOf is the table of a generated row struct (T or *T).
func TableOf(row any) string {
	switch r := row.(type) {
	case Row:
		return r.cerdTable()
	}
	return ""
}

// TableNames lists the tables of the schema, in schema order.
func TableNames() []string {
	n := int(C.cerd_table_count())
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, C.GoString(C.cerd_table_at(C.size_t(i)).name))
	}
	return out
}

// NewRow is a new zero row (*T) of the named table, or nil.
func NewRow(table string) any {
	t := tablesByName[table]
	if t == nil {
		return nil
	}
	return reflect.New(t.goType).Interface()
}

func infoOf(row any) (*tableInfo, unsafe.Pointer, error) {
	v := reflect.ValueOf(row)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, nil, fmt.Errorf("cryptoerd: want a non-nil pointer to a row struct, got %T", row)
	}
	t := tablesByType[v.Type().Elem()]
	if t == nil {
		return nil, nil, fmt.Errorf("cryptoerd: %T is not a row of the schema", row)
	}
	return t, v.UnsafePointer(), nil
}

// cbuf is Go memory for one C row (8-byte aligned, no Go pointers inside).
func cbuf(size int) unsafe.Pointer {
	b := make([]uint64, (size+7)/8)
	return unsafe.Pointer(&b[0])
}

func (t *tableInfo) loadNew(crow unsafe.Pointer) (unsafe.Pointer, error) {
	v := reflect.New(t.goType)
	p := v.UnsafePointer()
	return p, t.load(p, crow)
}

// ---------------------------------------------------------------- generic row operations

// InsertRow inserts a row given as *T of any table and returns the stored row (as *T).
func InsertRow(ctx context.Context, c *Conn, row any) (any, error) {
	t, p, err := infoOf(row)
	if err != nil {
		return nil, err
	}
	a := c.arena()
	defer a.reset()
	cin, cout := cbuf(t.size), cbuf(t.size)
	if err := t.store(cin, p, a); err != nil {
		return nil, err
	}
	if err := c.call(ctx, t, cin, func(conn *C.cerd_conn) C.int { return C.cerd_row_insert(cout, conn, t.desc, cin) }); err != nil {
		return nil, err
	}
	defer C.cerd_row_clear(t.desc, cout)
	np, err := t.loadNew(cout)
	return reflect.NewAt(t.goType, np).Interface(), err
}

// GetRow reads the row with the primary key of keyRow (*T), soft-deleted or not.
func GetRow(ctx context.Context, c *Conn, keyRow any) (any, error) {
	t, p, err := infoOf(keyRow)
	if err != nil {
		return nil, err
	}
	a := c.arena()
	defer a.reset()
	cin, cout := cbuf(t.size), cbuf(t.size)
	if err := t.store(cin, p, a); err != nil {
		return nil, err
	}
	if err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		return C.cerd_row_get(cout, conn, t.desc, -1, cin, C.CERD_ROW_INCLUDE_DELETED)
	}); err != nil {
		return nil, err
	}
	defer C.cerd_row_clear(t.desc, cout)
	np, err := t.loadNew(cout)
	return reflect.NewAt(t.goType, np).Interface(), err
}

// Insert inserts a row of any table (typed: conn.<T>().Insert).
func Insert[T Row](ctx context.Context, c *Conn, row *T) (*T, error) {
	out, err := InsertRow(ctx, c, row)
	if err != nil {
		return nil, err
	}
	return out.(*T), nil
}

// ---------------------------------------------------------------- pages

// Cursor is a keyset position: the Next of a page, given as Page.After for the next one.
type Cursor struct{ c C.cerd_cursor }

// Valid is false after the last page.
func (c Cursor) Valid() bool { return bool(c.c.valid) }

// Page says which page of a list to read; the zero Page is the first 100 rows ascending.
type Page struct {
	Limit          int
	After          Cursor
	Descending     bool
	IncludeDeleted bool // tables with deleted_at: list soft-deleted rows too
}

func (p Page) toC() C.cerd_page {
	return C.cerd_page{limit: C.uint32_t(p.Limit), after: p.After.c, descending: C.bool(p.Descending),
		include_deleted: C.bool(p.IncludeDeleted)}
}

// ---------------------------------------------------------------- ranges and streams

// Range is a range over an index given as its columns (cerd_range): equality on the
// leading NEqual columns (values from Equal), an optional half-open [From, To) on the
// next one (values from those rows' fields), ordered by the remaining columns then the
// primary key. Limit 0: no limit. After: continue after this row (keyset page).
type Range[T any, Col ~int] struct {
	Columns    []Col
	NEqual     int
	Equal      *T
	From, To   *T
	Descending bool
	Limit      int
	After      *T
}

type rangeSpec struct {
	cols                   []int
	nequal                 int
	equal, from, to, after unsafe.Pointer
	descending             bool
	limit                  int
}

func (r Range[T, Col]) generic() rangeSpec {
	g := rangeSpec{nequal: r.NEqual, descending: r.Descending, limit: r.Limit}
	for _, c := range r.Columns {
		g.cols = append(g.cols, int(c))
	}
	g.equal, g.from, g.to, g.after = unsafe.Pointer(r.Equal), unsafe.Pointer(r.From), unsafe.Pointer(r.To), unsafe.Pointer(r.After)
	return g
}

// toC builds the C range; its rows live in the arena (C memory: the C struct holds pointers).
func (g *rangeSpec) toC(t *tableInfo, a *arena) (C.cerd_range, error) {
	var r C.cerd_range
	if len(g.cols) < 1 || len(g.cols) > 4 {
		return r, fmt.Errorf("%w: a range has 1 to 4 columns", ErrMisuse)
	}
	r.ncolumns = C.uint8_t(len(g.cols))
	for i, c := range g.cols {
		r.columns[i] = C.uint16_t(c)
	}
	r.nequal = C.uint8_t(g.nequal)
	r.descending = C.bool(g.descending)
	r.limit = C.uint32_t(g.limit)
	conv := func(p unsafe.Pointer) (unsafe.Pointer, error) {
		if p == nil {
			return nil, nil
		}
		cp := a.alloc(t.size)
		C.memset(cp, 0, C.size_t(t.size))
		return cp, t.store(cp, p, a)
	}
	var err error
	var e, f, to, af unsafe.Pointer
	if e, err = conv(g.equal); err != nil {
		return r, err
	}
	if f, err = conv(g.from); err != nil {
		return r, err
	}
	if to, err = conv(g.to); err != nil {
		return r, err
	}
	if af, err = conv(g.after); err != nil {
		return r, err
	}
	r.equal, r.from, r.to, r.after = e, f, to, af
	return r, nil
}

func rangeRows[T any](ctx context.Context, c *Conn, t *tableInfo, g rangeSpec) ([]T, bool, error) {
	a := c.arena()
	defer a.reset()
	cr, err := g.toC(t, a)
	if err != nil {
		return nil, false, err
	}
	var rows C.cerd_rows
	if err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int { return C.cerd_row_range(&rows, conn, t.desc, &cr) }); err != nil {
		return nil, false, err
	}
	defer C.cerd_rows_free(t.desc, &rows)
	out := make([]T, int(rows.count))
	for i := range out {
		if err := t.load(unsafe.Pointer(&out[i]), unsafe.Add(rows.rows, i*t.size)); err != nil {
			return nil, false, err
		}
	}
	return out, bool(rows.next.valid), nil
}

// Rows is a stream of rows of one table, read like database/sql's Rows:
//
//	rows, err := conn.PriceData().Stream(ctx, nil, 0)
//	defer rows.Close()
//	for rows.Next() { var r PriceData; rows.Scan(&r) }
//	err = rows.Err()
//
// Memory is bounded: the C side holds one FETCH (or one COPY row), the Go side one row.
// The connection is used only through the stream until Close.
type Rows[T any] struct {
	c      *Conn
	t      *tableInfo
	stream *C.cerd_stream
	cout   *C.cerd_copy_out
	crow   unsafe.Pointer // C memory: one C row
	cur    T
	err    error
	done   bool
	w      *watcher
	ctx    context.Context
}

func newRows[T any](ctx context.Context, c *Conn, t *tableInfo) *Rows[T] {
	r := &Rows[T]{c: c, t: t, ctx: ctx, crow: C.calloc(1, C.size_t(t.size))}
	if ctx.Done() != nil {
		r.w = c.watch(ctx)
	}
	return r
}

func openStream[T any](ctx context.Context, c *Conn, t *tableInfo, g *rangeSpec, fetchRows int) (*Rows[T], error) {
	if c == nil || c.c == nil {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := c.arena()
	defer a.reset()
	var cr *C.cerd_range
	if g != nil {
		r, err := g.toC(t, a)
		if err != nil {
			return nil, err
		}
		cr = &r
	}
	r := newRows[T](ctx, c, t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if rc := C.cerd_stream_open(&r.stream, c.c, t.desc, cr, C.size_t(fetchRows)); rc < 0 {
		err := wrapError(rc, nil, nil)
		r.release()
		return nil, r.ctxErr(err)
	}
	return r, nil
}

func openCopyOut[T any](ctx context.Context, c *Conn, t *tableInfo) (*Rows[T], error) {
	if c == nil || c.c == nil {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := newRows[T](ctx, c, t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if rc := C.cerd_copy_out_open(&r.cout, c.c, t.desc); rc < 0 {
		err := wrapError(rc, nil, nil)
		r.release()
		return nil, r.ctxErr(err)
	}
	return r, nil
}

func (r *Rows[T]) ctxErr(err error) error {
	if err != nil && r.ctx.Err() != nil {
		return withCtx(err, r.ctx.Err())
	}
	return err
}

// Next reads the next row; false at the end or on an error (see Err).
func (r *Rows[T]) Next() bool {
	if r.done {
		return false
	}
	runtime.LockOSThread()
	var rc C.int
	if r.stream != nil {
		rc = C.cerd_stream_next(r.stream, r.crow)
	} else {
		rc = C.cerd_copy_out_next(r.cout, r.crow)
	}
	if rc < 0 {
		r.err = r.ctxErr(wrapError(rc, nil, nil))
	}
	runtime.UnlockOSThread()
	if rc != 1 {
		r.done = true
		return false
	}
	if err := r.t.load(unsafe.Pointer(&r.cur), r.crow); err != nil {
		r.err, r.done = err, true
		return false
	}
	return true
}

// Scan copies the current row into dst.
func (r *Rows[T]) Scan(dst *T) error {
	*dst = r.cur
	return nil
}

// Row is the current row, valid until the next call of Next.
func (r *Rows[T]) Row() *T { return &r.cur }

// Err is the error that ended the stream, if any.
func (r *Rows[T]) Err() error { return r.err }

func (r *Rows[T]) release() {
	if r.w != nil {
		r.w.stop()
		r.w = nil
	}
	if r.crow != nil {
		C.cerd_row_clear(r.t.desc, r.crow)
		C.free(r.crow)
		r.crow = nil
	}
}

// Close ends the stream (closing its cursor or COPY); safe to call twice.
func (r *Rows[T]) Close() error {
	var err error
	runtime.LockOSThread()
	if r.stream != nil {
		if rc := C.cerd_stream_close(r.stream); rc < 0 {
			err = wrapError(rc, nil, nil)
		}
		r.stream = nil
	}
	if r.cout != nil {
		if rc := C.cerd_copy_out_close(r.cout); rc < 0 {
			err = wrapError(rc, nil, nil)
		}
		r.cout = nil
	}
	runtime.UnlockOSThread()
	r.done = true
	r.release()
	return err
}

// ---------------------------------------------------------------- COPY in

// CopyOptions configure CopyFrom (cerd_copy_options).
type CopyOptions struct {
	// CollectInvalid: invalid rows are skipped and reported in *Rejects (when set)
	// instead of aborting the COPY.
	CollectInvalid   bool
	Rejects          *[]Reject
	FlushBytes       int  // 0: 256 KiB
	CreatePartitions bool // create monthly partitions of partitioned tables as needed
	BatchRows        int  // rows converted per call into C; 0: 1024
}

// Reject is a row refused in collect mode.
type Reject struct {
	Ordinal    int // 0-based among every row put
	Violations []Violation
}

func copyFrom[T any](ctx context.Context, c *Conn, t *tableInfo, o *CopyOptions, next func(*T) (bool, error)) (int64, error) {
	if c == nil || c.c == nil {
		return 0, errClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if o == nil {
		o = &CopyOptions{}
	}
	batch := o.BatchRows
	if batch <= 0 {
		batch = 1024
	}
	copts := C.cerd_copy_options{version: 1, collect_invalid: C.bool(o.CollectInvalid),
		flush_bytes: C.size_t(o.FlushBytes), create_partitions: C.bool(o.CreatePartitions)}
	crows := C.calloc(C.size_t(batch), C.size_t(t.size))
	defer C.free(crows)
	a := c.arena()
	defer a.reset()
	var w *watcher
	if ctx.Done() != nil {
		w = c.watch(ctx)
		defer w.stop()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fail := func(rc C.int, crow unsafe.Pointer) error {
		err := wrapError(rc, t, crow)
		if ctx.Err() != nil {
			err = withCtx(err, ctx.Err())
		}
		return err
	}
	var cw *C.cerd_copy
	if rc := C.cerd_copy_begin(&cw, c.c, t.desc, nil, &copts); rc < 0 {
		return 0, fail(rc, nil)
	}
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		rc := C.cerd_copy_put_rows(cw, crows, C.size_t(n))
		var err error
		if rc < 0 {
			err = fail(rc, nil)
		}
		a.reset()
		C.memset(crows, 0, C.size_t(n*t.size))
		n = 0
		return err
	}
	var row, zero T
	for {
		row = zero
		ok, err := next(&row)
		if err == nil && ok {
			err = t.store(unsafe.Add(crows, n*t.size), unsafe.Pointer(&row), a)
		}
		if err != nil {
			C.cerd_copy_abort(cw)
			return 0, err
		}
		if !ok {
			break
		}
		n++
		if n == batch {
			if err := flush(); err != nil {
				C.cerd_copy_abort(cw)
				return 0, err
			}
			if ctx.Err() != nil {
				C.cerd_copy_abort(cw)
				return 0, ctx.Err()
			}
		}
	}
	if err := flush(); err != nil {
		C.cerd_copy_abort(cw)
		return 0, err
	}
	if o.CollectInvalid && o.Rejects != nil {
		var rj C.cerd_copy_rejects
		C.cerd_copy_take_rejects(&rj, cw)
		for _, it := range unsafe.Slice(rj.items, int(rj.count)) {
			*o.Rejects = append(*o.Rejects, Reject{Ordinal: int(it.ordinal), Violations: violationsToGo(t, &it.violations)})
		}
		C.cerd_copy_rejects_free(&rj)
	}
	var count C.int64_t
	if rc := C.cerd_copy_end(&count, cw); rc < 0 {
		return 0, fail(rc, nil)
	}
	return int64(count), nil
}

// ---------------------------------------------------------------- bulk upsert

// BulkResult is what BulkUpsert did.
type BulkResult struct{ Inserted, Updated, Skipped int64 }

func keyIndex(t *tableInfo, key string) (C.int, error) {
	if key == "" {
		return -1, nil
	}
	for i, k := range unsafe.Slice(t.desc.unique_keys, int(t.desc.nunique)) {
		if C.GoString(k.name) == key {
			return C.int(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %s has no unique key %q", ErrMisuse, t.name, key)
}

func bulkUpsert[T any](ctx context.Context, c *Conn, t *tableInfo, key string, rows []T, lastWins bool) (BulkResult, error) {
	ki, err := keyIndex(t, key)
	if err != nil || len(rows) == 0 {
		return BulkResult{}, err
	}
	crows := C.calloc(C.size_t(len(rows)), C.size_t(t.size))
	defer C.free(crows)
	a := c.arena()
	defer a.reset()
	for i := range rows {
		if err := t.store(unsafe.Add(crows, i*t.size), unsafe.Pointer(&rows[i]), a); err != nil {
			return BulkResult{}, err
		}
	}
	opts := C.cerd_bulk_options{version: 1, last_wins: C.bool(lastWins)}
	var res C.cerd_bulk_result
	err = c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		return C.cerd_bulk_upsert(&res, conn, t.desc, ki, crows, C.size_t(len(rows)), &opts)
	})
	return BulkResult{int64(res.inserted), int64(res.updated), int64(res.skipped)}, err
}

// ---------------------------------------------------------------- factories and validation

// FactoryOptions configure Make (cerd_factory_options).
type FactoryOptions struct {
	Violate       string   // "" for a valid row; else the constraint the row must break
	Parents       []Parent // rows to point foreign keys at
	CreateParents bool     // insert missing NOT NULL parents through the connection
}

// Parent is a row a foreign key may point at.
type Parent struct {
	Table string
	ID    int64
}

func factoryMake(ctx context.Context, c *Conn, t *tableInfo, dst unsafe.Pointer, seed uint64, o *FactoryOptions) error {
	if o == nil {
		o = &FactoryOptions{}
	}
	a := c.arena()
	defer a.reset()
	opts := C.cerd_factory_options{version: 1, seed: C.uint64_t(seed)}
	if o.Violate != "" {
		opts.violate = a.cstr(o.Violate)
	}
	if len(o.Parents) > 0 {
		mem := a.alloc(int(unsafe.Sizeof(C.cerd_factory_parent{})) * len(o.Parents))
		ps := unsafe.Slice((*C.cerd_factory_parent)(mem), len(o.Parents))
		for i, p := range o.Parents {
			ps[i] = C.cerd_factory_parent{table: a.cstr(p.Table), id: C.int64_t(p.ID)}
		}
		opts.parents = (*C.cerd_factory_parent)(mem)
		opts.nparents = C.size_t(len(o.Parents))
	}
	if o.CreateParents {
		opts.create_parents = c.c
	}
	crow := cbuf(t.size)
	if err := c.call(ctx, nil, nil, func(*C.cerd_conn) C.int { return C.cerd_factory_make(crow, t.desc, &opts) }); err != nil {
		return err
	}
	defer C.cerd_row_clear(t.desc, crow)
	return t.load(dst, crow)
}

// Make makes a realistic row of T's table from a seed (cerd_factory_make).
func Make[T Row](ctx context.Context, c *Conn, seed uint64, opts *FactoryOptions) (*T, error) {
	var zero T
	t := tablesByType[reflect.TypeOf(zero)]
	out := new(T)
	return out, factoryMake(ctx, c, t, unsafe.Pointer(out), seed, opts)
}

// MakeRow makes a row (*T) of the named table from a seed.
func MakeRow(ctx context.Context, c *Conn, table string, seed uint64, opts *FactoryOptions) (any, error) {
	t := tablesByName[table]
	if t == nil {
		return nil, fmt.Errorf("%w: no table %q", ErrMisuse, table)
	}
	v := reflect.New(t.goType)
	return v.Interface(), factoryMake(ctx, c, t, v.UnsafePointer(), seed, opts)
}

func validateRow(t *tableInfo, p unsafe.Pointer, mode ValidateMode) error {
	var a arena
	defer a.free()
	crow := cbuf(t.size)
	if err := t.store(crow, p, &a); err != nil {
		return err
	}
	var v C.cerd_violations
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rc := C.cerd_row_validate(&v, t.desc, crow, C.cerd_validate_mode(mode))
	defer C.cerd_violations_free(&v)
	if rc == 0 {
		return nil
	}
	e := lastError(rc)
	if rc != -7 {
		return &Error{*e}
	}
	return &ValidationError{ErrorInfo: *e, Violations: violationsToGo(t, &v)}
}

// Validate checks a row (*T of any table) as PostgreSQL would judge it.
func Validate(row any, mode ValidateMode) error {
	t, p, err := infoOf(row)
	if err != nil {
		return err
	}
	return validateRow(t, p, mode)
}

// ColumnNames lists the columns of a table in order.
func ColumnNames(table string) []string {
	t := tablesByName[table]
	if t == nil {
		return nil
	}
	var out []string
	for _, c := range unsafe.Slice(t.desc.columns, int(t.desc.ncolumns)) {
		out = append(out, C.GoString(c.name))
	}
	return out
}

var _ = sort.Strings
