package cryptoerd

/*
#include <stdlib.h>
#include <stdint.h>
#include <cryptoerd/cryptoerd.h>

// The Go callbacks of transfer_callbacks.go (exported there; declared here, since a file
// with //export may only declare in its preamble).
extern long cerdgoTransferRead(void *arg, char *buf, size_t size);
extern int cerdgoTransferWrite(void *arg, char *data, size_t len);
extern void cerdgoTransferProgress(void *arg, int64_t done, int64_t total);
extern int cerdgoTransferRow(void *arg, int64_t line, void *row);
*/
import "C"

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime/cgo"
	"strconv"
	"strings"
	"unsafe"
)

// Rows from and to files: CSV (RFC 4180 with a header row), JSON Lines and PostgreSQL's
// binary COPY format (export only): transfer.h (cerd_import, cerd_export), the `cryptoerd
// import` and `cryptoerd export` commands.

// Format is a file format of rows (cerd_format). The zero value is the operation's
// default: CSV for Import, JSON Lines for Export (as the C options' INIT macros).
type Format int

// The formats.
const (
	FormatCSV    Format = C.CERD_FORMAT_CSV    // RFC 4180 CSV whose first record names the columns
	FormatJSONL  Format = C.CERD_FORMAT_JSONL  // one JSON object per line
	FormatBinary Format = C.CERD_FORMAT_BINARY // PostgreSQL's binary COPY format (export only)
)

// String is "csv", "jsonl", "binary" (the CLI's --format), or "default" for 0.
func (f Format) String() string {
	switch f {
	case 0:
		return "default"
	case FormatCSV:
		return "csv"
	case FormatJSONL:
		return "jsonl"
	case FormatBinary:
		return "binary"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ImportOptions configure Import and ImportFrom (cerd_import_options).
type ImportOptions struct {
	// Format: FormatCSV or FormatJSONL; 0: Import reads the path's suffix
	// (FormatOfPath), else CSV.
	Format Format
	// Name is the input's name in error messages ("prices.csv:3: column close_price ...");
	// "": the path (Import) or "input" (ImportFrom).
	Name string
	// CreatePartitions creates the monthly partitions of the rows' months as needed
	// (as CopyOptions.CreatePartitions).
	CreatePartitions bool
	// Progress, when set, is called every 10000 rows and at the end with the rows read
	// (total 0: unknown). It runs on the calling goroutine during the C call: it must not
	// use the connection.
	Progress func(done, total int64)
}

// toC is o as C options (progress not set); free releases the name's C copy.
func (o ImportOptions) toC() (C.cerd_import_options, func()) {
	name := o.Name
	if name == "" {
		name = "input"
	}
	opts := C.cerd_import_options{version: 1, format: C.CERD_FORMAT_CSV,
		create_partitions: C.bool(o.CreatePartitions)}
	if o.Format != 0 {
		opts.format = C.cerd_format(o.Format)
	}
	cname := C.CString(name)
	opts.name = cname
	return opts, func() { C.free(unsafe.Pointer(cname)) }
}

// ImportResult is what an import wrote.
type ImportResult struct {
	Rows   int64  // rows written
	Format Format // the format read
}

// ExportRange is a Range[T, Col] of the exported table's rows (ExportOptions.Range).
type ExportRange interface {
	exportRange() (rangeSpec, reflect.Type)
}

func (r Range[T, Col]) exportRange() (rangeSpec, reflect.Type) {
	return r.generic(), reflect.TypeOf((*T)(nil)).Elem()
}

// ExportOptions configure Export and ExportTo (cerd_export_options).
type ExportOptions struct {
	// Format: FormatJSONL, FormatCSV or FormatBinary; 0: Export reads the path's suffix
	// (FormatOfPath), else JSON Lines.
	Format Format
	// Range, when set, exports only the rows of this range, through a cursor (for
	// example cryptoerd.Range[cryptoerd.PriceData, cryptoerd.PriceDataColumn]{...}); its
	// row type must be the table's. nil: the whole table, in primary-key order, through
	// COPY.
	Range ExportRange
	// Progress, when set, is called every 10000 rows and at the end with the rows
	// written; as ImportOptions.Progress.
	Progress func(done, total int64)
}

// ExportResult is what an export wrote.
type ExportResult struct {
	Rows   int64  // rows written
	Format Format // the format written
}

// transfer is the Go side of one import or export, reached from the C callbacks through a
// cgo.Handle.
type transfer struct {
	ctx      context.Context
	r        io.Reader
	w        io.Writer
	progress func(done, total int64)
	row      func(line int64, src unsafe.Pointer) error // ReadRows: each row read
	rerr     error                                      // the reader's error, returned after the bytes read with it
	err      error                                      // what stopped the transfer on the Go side (reader, writer, context)
	panicked bool
	panicVal any
}

// handle registers t for the callbacks: the C argument is C memory holding the handle
// (never a Go pointer), and the C progress function is nil unless t has a progress
// function. release must be called after the C call.
func (t *transfer) handle() (unsafe.Pointer, C.cerd_progress_fn, func()) {
	h := cgo.NewHandle(t)
	p := C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0))))
	if p == nil {
		panic("cryptoerd: out of memory")
	}
	*(*C.uintptr_t)(p) = C.uintptr_t(h)
	var progress C.cerd_progress_fn
	if t.progress != nil {
		progress = C.cerd_progress_fn(C.cerdgoTransferProgress)
	}
	return p, progress, func() {
		C.free(p)
		h.Delete()
	}
}

func transferOf(arg unsafe.Pointer) *transfer {
	return cgo.Handle(*(*C.uintptr_t)(arg)).Value().(*transfer)
}

// guard turns a panic of the user's reader, writer or progress function into a stop of
// the C call; finish re-raises it once C has cleaned up.
func (t *transfer) guard(stopped *bool) {
	if v := recover(); v != nil {
		t.panicked, t.panicVal = true, v
		*stopped = true
	}
}

// finish completes the error of the C call: the panic is re-raised; the reader's or
// writer's error is attached (errors.Is matches it, as it matches a context's error). The
// table, column, constraint and input line come from the C error record (lastError).
func (t *transfer) finish(err error) error {
	if t.panicked {
		panic(t.panicVal)
	}
	if err == nil {
		return nil
	}
	if info := errorInfoOf(err); info != nil && t.err != nil && info.ctxErr == nil {
		info.ctxErr = t.err
	}
	if ve, ok := err.(*ValidationError); ok && len(ve.Violations) == 0 && ve.Column != "" && ve.Constraint != "csv" {
		ve.Violations = []Violation{{Kind: violationKindOf(ve.Constraint), Constraint: ve.Constraint,
			Columns: []string{ve.Column}, Message: ve.Message}}
	}
	return err
}

// violationKindOf is the kind of a constraint name of validate.h ("type", "not_null"...;
// any other is a CHECK's name).
func violationKindOf(constraint string) ViolationKind {
	switch constraint {
	case "not_null":
		return ViolationNotNull
	case "length":
		return ViolationLength
	case "numeric_precision":
		return ViolationNumericPrecision
	case "type":
		return ViolationType
	case "encoding":
		return ViolationEncoding
	}
	return ViolationCheck
}

func errorInfoOf(err error) *ErrorInfo {
	switch e := err.(type) {
	case *Error:
		return &e.ErrorInfo
	case *ConstraintError:
		return &e.ErrorInfo
	case *ValidationError:
		return &e.ErrorInfo
	}
	return nil
}

// FormatOfPath is the format a file name's suffix says (any case): .csv CSV, .jsonl and
// .ndjson JSON Lines, .bin and .copy binary; 0 for any other (as the Python binding's
// import_file and export read a path's suffix).
func FormatOfPath(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return FormatCSV
	case ".jsonl", ".ndjson":
		return FormatJSONL
	case ".bin", ".copy":
		return FormatBinary
	}
	return 0
}

func tableNamed(table string) (*tableInfo, error) {
	t := tablesByName[table]
	if t == nil {
		return nil, fmt.Errorf("%w: no table %q", ErrMisuse, table)
	}
	return t, nil
}

// ImportFrom imports the rows of r into table (cerd_import): each row is read (CSV: the
// header row names the columns, the others get their defaults; JSON Lines: one object per
// line, numbers exact), validated, and sent through one binary COPY, in one transaction
// (its own, or the connection's when one is open). All or nothing: on any failure
// nothing is written.
//
// A row that cannot be read or fails validation is ErrInvalid (ErrRange for a number
// out of range) whose ErrorInfo names the table, the column, the constraint ("type",
// "numeric_precision", "csv", a CHECK's name...) and the input's Line; the message starts
// with "name:line:". Refusals of the server (ErrUniqueViolation, ...) name no line. When
// r fails, or ctx ends, the import stops and the error matches r's error (or ctx.Err())
// under errors.Is.
func (c *Conn) ImportFrom(ctx context.Context, table string, r io.Reader, o ImportOptions) (ImportResult, error) {
	t, err := tableNamed(table)
	if err != nil {
		return ImportResult{}, err
	}
	opts, free := o.toC()
	defer free()
	tr := &transfer{ctx: ctx, r: r, progress: o.Progress}
	arg, progress, release := tr.handle()
	defer release()
	opts.progress, opts.progress_arg = progress, arg
	var rows C.int64_t
	var ierr error
	err = c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		// With a progress function, in a transaction of the binding's own unless the
		// caller has one open: the last progress call comes before cerd_import commits,
		// and a panic there must still leave nothing written.
		own := false
		if o.Progress != nil {
			switch rc := C.cerd_conn_begin(conn); rc {
			case 0:
				own = true
			case C.CERD_EMISUSE: // the caller's transaction: the import runs in it
			default:
				return rc
			}
		}
		rc := C.cerd_import(&rows, conn, t.desc, C.cerd_read_fn(C.cerdgoTransferRead), arg, &opts)
		if !own {
			return rc
		}
		if rc == 0 && !tr.panicked {
			return C.cerd_conn_commit(conn)
		}
		if rc < 0 {
			ierr = wrapError(rc, nil, nil) // before the rollback touches the error record
		}
		C.cerd_conn_rollback(conn)
		return rc
	})
	if ierr != nil {
		err = ierr
		if ctx.Err() != nil {
			err = withCtx(err, ctx.Err())
		}
	}
	if err = tr.finish(err); err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Rows: int64(rows), Format: Format(opts.format)}, nil
}

// ReadRows reads the rows of r for table T (CSV or JSON Lines, o.Format; 0: CSV) by the
// rules of ImportFrom, without a database (cerd_import_parse): fn gets each row, a new
// *T it may keep, with the line of the input where its record starts, in the input's
// order. The rows are not validated (ImportFrom validates them; Row.Validate does it
// alone). o.CreatePartitions does not apply. Returns the rows handed to fn.
//
// Text that cannot be read is ErrInvalid (ErrRange for a number out of range) naming the
// table, column, constraint and Line, after fn had the rows before it. When fn returns
// an error, reading stops and ReadRows returns that error; when r fails, or ctx ends,
// the error matches r's error (or ctx.Err()) under errors.Is.
func ReadRows[T Row](ctx context.Context, r io.Reader, o ImportOptions, fn func(line int64, row *T) error) (int64, error) {
	var zero T
	t := tablesByType[reflect.TypeOf(zero)]
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	opts, free := o.toC()
	defer free()
	var rowErr error
	tr := &transfer{ctx: ctx, r: r, progress: o.Progress, row: func(line int64, src unsafe.Pointer) error {
		row := new(T)
		if err := t.load(unsafe.Pointer(row), src); err != nil {
			return err
		}
		rowErr = fn(line, row)
		return rowErr
	}}
	arg, progress, release := tr.handle()
	defer release()
	opts.progress, opts.progress_arg = progress, arg
	var rows C.int64_t
	err := withError(func() C.int {
		return C.cerd_import_parse(&rows, t.desc, C.cerd_read_fn(C.cerdgoTransferRead), arg, &opts,
			C.cerd_import_row_fn(C.cerdgoTransferRow), arg)
	})
	if rowErr != nil {
		err = rowErr
	} else if err != nil && ctx.Err() != nil {
		err = withCtx(err, ctx.Err())
	}
	if err = tr.finish(err); err != nil {
		return int64(rows), err
	}
	return int64(rows), nil
}

// Import imports the file at path into table: ImportFrom with the file, named path in
// messages unless o.Name is set, in the format of its suffix unless o.Format is set
// (FormatOfPath; neither: CSV).
func (c *Conn) Import(ctx context.Context, table, path string, o ImportOptions) (ImportResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return ImportResult{}, err
	}
	defer f.Close()
	if o.Name == "" {
		o.Name = path
	}
	if o.Format == 0 {
		o.Format = FormatOfPath(path)
	}
	return c.ImportFrom(ctx, table, f, o)
}

// ExportTo writes the rows of table to w, streamed (memory holds one fetch of rows)
// (cerd_export): JSON Lines, one object per row; CSV, a header row with every column
// then one record per row, what Import reads back; binary, what `COPY t FROM STDIN
// (FORMAT binary)` reads. When w fails, or ctx ends, the export stops and the error
// matches w's error (or ctx.Err()) under errors.Is.
func (c *Conn) ExportTo(ctx context.Context, table string, w io.Writer, o ExportOptions) (ExportResult, error) {
	t, err := tableNamed(table)
	if err != nil {
		return ExportResult{}, err
	}
	opts := C.cerd_export_options{version: 1, format: C.CERD_FORMAT_JSONL}
	if o.Format != 0 {
		opts.format = C.cerd_format(o.Format)
	}
	a := c.arena()
	defer a.reset()
	if o.Range != nil {
		spec, typ := o.Range.exportRange()
		if typ != t.goType {
			return ExportResult{}, fmt.Errorf("%w: a range of %s rows given to export %s", ErrMisuse, typ, table)
		}
		cr, err := spec.toC(t, a)
		if err != nil {
			return ExportResult{}, err
		}
		// in C memory: the options passed to C must hold no Go pointer
		p := (*C.cerd_range)(a.alloc(int(unsafe.Sizeof(cr))))
		*p = cr
		opts._range = p
	}
	tr := &transfer{ctx: ctx, w: w, progress: o.Progress}
	arg, progress, release := tr.handle()
	defer release()
	opts.progress, opts.progress_arg = progress, arg
	var rows C.int64_t
	err = c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		return C.cerd_export(&rows, conn, t.desc, &opts, C.cerd_write_fn(C.cerdgoTransferWrite), arg)
	})
	if err = tr.finish(err); err != nil {
		return ExportResult{}, err
	}
	return ExportResult{Rows: int64(rows), Format: Format(opts.format)}, nil
}

// Export writes the rows of table to the file at path (created or truncated): ExportTo
// with the file, in the format of its suffix unless o.Format is set (FormatOfPath;
// neither: JSON Lines). On failure the file is removed.
func (c *Conn) Export(ctx context.Context, table, path string, o ExportOptions) (res ExportResult, err error) {
	if _, err := tableNamed(table); err != nil {
		return ExportResult{}, err
	}
	if o.Format == 0 {
		o.Format = FormatOfPath(path)
	}
	f, err := os.Create(path)
	if err != nil {
		return ExportResult{}, err
	}
	res, err = c.ExportTo(ctx, table, f, o)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return ExportResult{}, err
	}
	return res, nil
}
