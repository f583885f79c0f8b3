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
	"unsafe"
)

// ---------------------------------------------------------------- pipelined batches

type batchKind int

const (
	batchInsert batchKind = iota
	batchUpdate
	batchUpsert
	batchDelete
	batchGet
)

var batchOpNames = [...]string{"insert", "update", "upsert", "delete", "get"}

type batchOp struct {
	kind    batchKind
	t       *tableInfo
	row     unsafe.Pointer // *T: a copy of the queued row (Go memory)
	key     C.int          // -1: primary key, else an index into the unique keys
	cols    C.cerd_colset  // update: the columns to set, when hasCols
	hasCols bool
	flags   C.int
}

// Batch is a pipelined batch (cerd_batch_*): operations on rows of any tables, queued
// with Insert, Update, UpdateColumns, Upsert, UpsertBy, Delete, DeleteHard, Get and GetBy
// (the row's type tells the table; each returns the operation's index), then sent by Run
// in libpq pipeline mode without waiting for each answer, one result per operation.
//
// Semantics are the C library's. Not Atomic (the default): each operation stands alone
// (its own implicit transaction when none is open), so one failure does not stop the
// others; inside a transaction of the caller a failure aborts that transaction and the
// later operations fail too. Atomic: all or nothing, in one transaction (the batch's own
// or a savepoint of the caller's): after a failure the later operations are not run and
// the earlier ones are rolled back (BatchResult.RolledBack). A row refused by client-side
// validation takes its place in the results with a *ValidationError and is not sent (in
// atomic mode the batch then sends nothing).
//
// Memory: a queued row is copied (a shallow copy of the struct: do not change the slices
// or JSON it holds before Run); it is converted into C memory only during Run, which
// builds the C batch, runs it, copies every result into Go values and frees it: nothing
// of C outlives the call. A Batch is used by one goroutine, on its connection, and runs
// once.
type Batch struct {
	// Atomic makes the batch all or nothing (cerd_batch_options.atomic); set it before Run.
	Atomic bool

	c   *Conn
	ops []batchOp
	err error // the first queueing error, returned by Run
	ran bool
}

// NewBatch starts an empty batch on the connection (or on a Tx: tx.NewBatch()).
func (c *Conn) NewBatch() *Batch { return &Batch{c: c} }

// Len is the number of queued operations.
func (b *Batch) Len() int { return len(b.ops) }

// rowCopy finds the table of a row (T or *T of a generated row struct) and copies it.
func rowCopy(row Row) (*tableInfo, unsafe.Pointer, error) {
	v := reflect.ValueOf(row)
	if !v.IsValid() {
		return nil, nil, fmt.Errorf("%w: batch: a nil row", ErrMisuse)
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, nil, fmt.Errorf("%w: batch: a nil %T", ErrMisuse, row)
		}
		v = v.Elem()
	}
	t := tablesByType[v.Type()]
	if t == nil {
		return nil, nil, fmt.Errorf("%w: batch: %T is not a row of the schema", ErrMisuse, row)
	}
	cp := reflect.New(t.goType)
	cp.Elem().Set(v)
	return t, cp.UnsafePointer(), nil
}

func (b *Batch) queue(kind batchKind, row Row, key string, flags C.int) (*batchOp, int) {
	if b.err != nil {
		return nil, -1
	}
	if b.ran {
		b.err = fmt.Errorf("%w: batch: already run (a batch runs once)", ErrMisuse)
		return nil, -1
	}
	t, p, err := rowCopy(row)
	if err == nil && key != "" && (kind == batchUpsert || kind == batchGet) {
		var k C.int
		if k, err = keyIndex(t, key); err == nil {
			b.ops = append(b.ops, batchOp{kind: kind, t: t, row: p, key: k, flags: flags})
			return &b.ops[len(b.ops)-1], len(b.ops) - 1
		}
	}
	if err != nil {
		b.err = fmt.Errorf("batch operation %d (%s): %w", len(b.ops), batchOpNames[kind], err)
		return nil, -1
	}
	b.ops = append(b.ops, batchOp{kind: kind, t: t, row: p, key: -1, flags: flags})
	return &b.ops[len(b.ops)-1], len(b.ops) - 1
}

// Insert queues an insert of row (*T or T of any table; the write rule of the typed
// Insert); its result's Row is the stored row. Returns the operation's index (-1 after a
// queueing error, which Run returns).
func (b *Batch) Insert(row Row) int {
	_, i := b.queue(batchInsert, row, "", 0)
	return i
}

// Update queues an update of every non-key column of the row with row's primary key.
func (b *Batch) Update(row Row) int {
	_, i := b.queue(batchUpdate, row, "", 0)
	return i
}

// UpdateColumns queues an update of the named columns only (database column names, as
// ColumnNames gives them); BatchUpdateColumns takes the typed column constants.
func (b *Batch) UpdateColumns(row Row, columns ...string) int {
	op, i := b.queue(batchUpdate, row, "", 0)
	if op == nil {
		return i
	}
	names := map[string]int{}
	for k, c := range unsafe.Slice(op.t.desc.columns, int(op.t.desc.ncolumns)) {
		names[C.GoString(c.name)] = k
	}
	op.hasCols = true
	for _, name := range columns {
		k, ok := names[name]
		if !ok {
			b.err = fmt.Errorf("batch operation %d (update): %w: %s has no column %q", i, ErrMisuse, op.t.name, name)
			b.ops = b.ops[:i]
			return -1
		}
		colsetAdd(&op.cols, k)
	}
	return i
}

// BatchUpdateColumns queues an update of the columns cols (the table's typed column
// constants, e.g. AssetsColName) of the row with row's primary key.
func BatchUpdateColumns[T Row, Col ~int](b *Batch, row *T, cols ...Col) int {
	op, i := b.queue(batchUpdate, any(row).(Row), "", 0)
	if op == nil {
		return i
	}
	op.hasCols = true
	for _, c := range cols {
		if int(c) < 0 || int(c) >= int(op.t.desc.ncolumns) {
			b.err = fmt.Errorf("batch operation %d (update): %w: %s has no column %d", i, ErrMisuse, op.t.name, int(c))
			b.ops = b.ops[:i]
			return -1
		}
		colsetAdd(&op.cols, int(c))
	}
	return i
}

// Upsert queues an insert-or-update of row on its primary key.
func (b *Batch) Upsert(row Row) int {
	_, i := b.queue(batchUpsert, row, "", 0)
	return i
}

// UpsertBy queues an insert-or-update of row on the unique key named key (its
// constraint name, e.g. "unique_asset_timeframe_candle").
func (b *Batch) UpsertBy(key string, row Row) int {
	if key == "" {
		return b.Upsert(row)
	}
	_, i := b.queue(batchUpsert, row, key, 0)
	return i
}

// Delete queues a delete of the row with keyRow's primary key (only the key fields are
// used): a soft delete on tables with deleted_at. Its result has no Row; Affected is 1.
func (b *Batch) Delete(keyRow Row) int {
	_, i := b.queue(batchDelete, keyRow, "", 0)
	return i
}

// DeleteHard queues a delete that removes the row even on tables with deleted_at.
func (b *Batch) DeleteHard(keyRow Row) int {
	_, i := b.queue(batchDelete, keyRow, "", C.CERD_DELETE_HARD)
	return i
}

// Get queues a read of the row with keyRow's primary key; its result's Row is the row
// read (ErrNotFound as its error when there is none).
func (b *Batch) Get(keyRow Row) int {
	_, i := b.queue(batchGet, keyRow, "", 0)
	return i
}

// GetBy queues a read by the unique key named key, with the key's fields of keyRow.
func (b *Batch) GetBy(key string, keyRow Row) int {
	if key == "" {
		return b.Get(keyRow)
	}
	_, i := b.queue(batchGet, keyRow, key, 0)
	return i
}

// BatchResult is the outcome of one operation (cerd_batch_result).
type BatchResult struct {
	Op    string // "insert", "update", "upsert", "delete" or "get"
	Table string
	// Row is the stored row (insert, update, upsert) or the row read (get) as *T of the
	// table's struct (BatchRow gives it typed); nil for a delete or a failure.
	Row any
	// Affected is the number of rows the statement affected (delete: 0 or 1).
	Affected int64
	// RolledBack: atomic batch, the operation succeeded but the batch failed, so its
	// effect was rolled back.
	RolledBack bool
	// Err is nil or the error the operation alone would have returned: *ConstraintError,
	// *ValidationError (with Violations) or *Error, matching its code's sentinel with
	// errors.Is (ErrNotFound for a get, update or delete that found no row; ErrServer for
	// an operation not run after an earlier failure).
	Err error
}

// OK is true when the operation succeeded and was not rolled back.
func (r BatchResult) OK() bool { return r.Err == nil && !r.RolledBack }

// BatchResults are the results of a run, one per operation in queue order.
type BatchResults []BatchResult

// FirstErr is the error of the first failed operation (what Run returned), or nil.
func (rs BatchResults) FirstErr() error {
	for _, r := range rs {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// BatchRow is the row of operation i as *T: the stored row of an insert, update or
// upsert, the row read by a get (nil for a delete). It returns the operation's error when
// it failed, and an ErrMisuse error when i is out of range or the operation's table is
// not T's.
func BatchRow[T Row](res BatchResults, i int) (*T, error) {
	if i < 0 || i >= len(res) {
		return nil, fmt.Errorf("%w: batch result %d of %d", ErrMisuse, i, len(res))
	}
	r := res[i]
	if r.Err != nil {
		return nil, r.Err
	}
	if r.Row == nil {
		return nil, nil
	}
	p, ok := r.Row.(*T)
	if !ok {
		var zero T
		return nil, fmt.Errorf("%w: batch operation %d is on %s, not %s", ErrMisuse, i, r.Table, zero.cerdTable())
	}
	return p, nil
}

// Run sends every queued operation in one pipeline and reads one result per operation
// (cerd_batch_run). The error is nil when every operation succeeded, else that of the
// first failed operation (also in its result), or the reason the batch as a whole could
// not run (a queueing error, a row that cannot be converted, a closed or busy
// connection, a failed BEGIN: results nil). ErrConnLost from an atomic batch leaves its
// outcome unknown (docs/reliability.md). A context that ends during the run cancels the
// statement under way. A batch runs once.
func (b *Batch) Run(ctx context.Context) (BatchResults, error) {
	if b.ran {
		return nil, fmt.Errorf("%w: batch: already run (a batch runs once)", ErrMisuse)
	}
	b.ran = true
	if b.err != nil {
		return nil, b.err
	}
	c := b.c
	if c == nil || c.c == nil {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := c.arena()
	defer a.reset()
	opts := C.cerd_batch_options{version: 1, atomic: C.bool(b.Atomic)}
	var cb *C.cerd_batch
	if err := withError(func() C.int { return C.cerd_batch_new(&cb, &opts) }); err != nil {
		return nil, err
	}
	defer C.cerd_batch_free(cb)
	crows := make([]unsafe.Pointer, len(b.ops))
	for i := range b.ops {
		op := &b.ops[i]
		crow := a.alloc(op.t.size)
		C.memset(crow, 0, C.size_t(op.t.size))
		crows[i] = crow
		if err := op.t.store(crow, op.row, a); err != nil {
			return nil, fmt.Errorf("batch operation %d (%s %s): %w", i, batchOpNames[op.kind], op.t.name, err)
		}
		err := withError(func() C.int {
			switch op.kind {
			case batchInsert:
				return C.cerd_batch_insert(cb, op.t.desc, crow)
			case batchUpdate:
				if op.hasCols {
					cols := op.cols
					return C.cerd_batch_update(cb, op.t.desc, crow, &cols)
				}
				return C.cerd_batch_update(cb, op.t.desc, crow, nil)
			case batchUpsert:
				return C.cerd_batch_upsert(cb, op.t.desc, op.key, crow)
			case batchDelete:
				return C.cerd_batch_delete(cb, op.t.desc, crow, op.flags)
			default:
				return C.cerd_batch_get(cb, op.t.desc, op.key, crow)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	runErr := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int { return C.cerd_batch_run(cb, conn) })
	res := make(BatchResults, len(b.ops))
	for i := range b.ops {
		op := &b.ops[i]
		r := C.cerd_batch_result_at(cb, C.size_t(i))
		if r == nil {
			return nil, fmt.Errorf("%w: batch: no result %d", ErrMisuse, i)
		}
		out := BatchResult{Op: batchOpNames[op.kind], Table: op.t.name, Affected: int64(r.affected),
			RolledBack: bool(r.rolled_back)}
		if r.code < 0 {
			out.Err = batchError(r, op, crows[i])
		} else if r.row != nil {
			p, err := op.t.loadNew(r.row)
			if err != nil {
				out.Err = fmt.Errorf("batch operation %d (%s %s): %w", i, out.Op, out.Table, err)
			} else {
				out.Row = reflect.NewAt(op.t.goType, p).Interface()
			}
		}
		res[i] = out
	}
	if runErr == nil {
		return res, nil
	}
	first := res.FirstErr()
	if first == nil { // the batch as a whole did not run
		return nil, runErr
	}
	if ctx.Err() != nil {
		first = withCtx(first, ctx.Err())
	}
	return res, first
}

// batchError is the typed error of a failed operation, from its result.
func batchError(r *C.cerd_batch_result, op *batchOp, crow unsafe.Pointer) error {
	code := int(r.code)
	e := ErrorInfo{Code: code, Name: CErrorName(code), Message: C.GoString(r.message),
		SQLState: C.GoString(&r.sqlstate[0]), Detail: C.GoString(r.detail), Table: op.t.name,
		Column: C.GoString(r.column), Constraint: C.GoString(r.constraint)}
	if e.Message == "" {
		e.Message = C.GoString(C.cerd_strerror(r.code))
	}
	switch code {
	case -3, -4, -5, -6:
		return &ConstraintError{e}
	case -7:
		// the C result keeps the verdict's message only: validate the row again for the list
		mode := ValidateInsert
		if op.kind == batchUpdate {
			mode = ValidateStored
		}
		ve := &ValidationError{ErrorInfo: e}
		if op.kind <= batchUpsert {
			ve.Violations = collectViolations(op.t, crow, mode)
		}
		if op.hasCols {
			kept := ve.Violations[:0]
			cols := unsafe.Slice(op.t.desc.columns, int(op.t.desc.ncolumns))
			for _, v := range ve.Violations {
				keep := len(v.Columns) == 0
				for _, name := range v.Columns {
					for k := range cols {
						if C.GoString(cols[k].name) == name && op.cols.bits[k/64]&(C.uint64_t(1)<<(uint(k)%64)) != 0 {
							keep = true
						}
					}
				}
				if keep {
					kept = append(kept, v)
				}
			}
			ve.Violations = kept
		}
		return ve
	}
	return &Error{e}
}
