package cryptoerd

/*
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// codeError is the sentinel of one C error code: compare with errors.Is.
type codeError struct {
	code int
	name string // "CERD_ENOTFOUND", as cerd_error_name() gives it
	text string
}

func (e *codeError) Error() string { return "cryptoerd: " + e.text }

// Code is the C library's code (CERD_E*), Name its name.
func (e *codeError) Code() int    { return e.code }
func (e *codeError) Name() string { return e.name }

func sentinel(code int, name, text string) *codeError {
	e := &codeError{code: code, name: name, text: text}
	sentinels[code] = e
	return e
}

var sentinels = map[int]*codeError{}

// The sentinel errors, one per code of the C library's error.h (CERD_ERROR_CODES); every
// error this package returns for a failed C call matches exactly one of them with errors.Is.
var (
	ErrUnclassified        = sentinel(-1, "CERD_ERROR", "unclassified error")
	ErrNotFound            = sentinel(-2, "CERD_ENOTFOUND", "no such row")
	ErrUniqueViolation     = sentinel(-3, "CERD_EUNIQUE", "unique constraint violated")
	ErrForeignKeyViolation = sentinel(-4, "CERD_EFOREIGNKEY", "foreign-key constraint violated")
	ErrCheckViolation      = sentinel(-5, "CERD_ECHECK", "check constraint violated")
	ErrNotNullViolation    = sentinel(-6, "CERD_ENOTNULL", "not-null constraint violated")
	ErrInvalid             = sentinel(-7, "CERD_EINVALID", "the row failed client-side validation")
	ErrTimeout             = sentinel(-8, "CERD_ETIMEOUT", "timed out")
	ErrConnLost            = sentinel(-9, "CERD_ECONNLOST", "the connection to the server was lost")
	ErrConnect             = sentinel(-10, "CERD_ECONNECT", "could not connect to the server")
	ErrSerialization       = sentinel(-11, "CERD_ESERIALIZATION", "serialization failure or deadlock: retry the transaction")
	ErrMisuse              = sentinel(-12, "CERD_EMISUSE", "the API was used incorrectly")
	ErrNoMemory            = sentinel(-13, "CERD_ENOMEM", "out of memory")
	ErrServer              = sentinel(-14, "CERD_ESERVER", "the server reported an error")
	ErrMigration           = sentinel(-15, "CERD_EMIGRATION", "the database's schema history does not match this library")
	ErrRange               = sentinel(-16, "CERD_ERANGE", "value out of range for its type")
	ErrEncoding            = sentinel(-17, "CERD_EENCODING", "text is not valid UTF-8 or contains a NUL byte")
	ErrPrivilege           = sentinel(-18, "CERD_EPRIVILEGE", "insufficient privilege: refused by a grant or row-level security")
	ErrCommitUnknown       = sentinel(-19, "CERD_ECOMMITUNKNOWN", "the connection was lost while COMMIT was under way: its outcome is unknown")
	ErrCanceled            = sentinel(-20, "CERD_ECANCELED", "the statement was canceled")
)

// SentinelNames lists the codes this package knows with their C names (for tests that
// check the list against cerd_error_name()).
func SentinelNames() map[int]string {
	m := map[int]string{}
	for c, e := range sentinels {
		m[c] = e.name
	}
	return m
}

// CErrorName is the C library's cerd_error_name(code).
func CErrorName(code int) string { return C.GoString(C.cerd_error_name(C.int(code))) }

// ErrorInfo is the details of a failed call of the C library (its error record), shared
// by Error, ConstraintError and ValidationError. Each matches its code's sentinel
// (errors.Is(err, ErrNotFound)) and, when a context ended the call, the context's error
// too (errors.Is(err, context.Canceled)).
type ErrorInfo struct {
	Code       int    // the C code (CERD_E*)
	Name       string // its name, "CERD_EUNIQUE"
	Message    string // what failed and why
	SQLState   string // the server's SQLSTATE, or ""
	Detail     string // the server's DETAIL, or ""
	Table      string
	Column     string
	Constraint string
	Line       int64 // the 1-based line of the input an import refused (Conn.Import), or 0
	ctxErr     error
}

func (e *ErrorInfo) Error() string {
	s := "cryptoerd: " + e.Message
	if e.SQLState != "" {
		s += fmt.Sprintf(" (%s, SQLSTATE %s)", e.Name, e.SQLState)
	} else {
		s += " (" + e.Name + ")"
	}
	if e.ctxErr != nil {
		s += ": " + e.ctxErr.Error()
	}
	return s
}

// Unwrap gives the code's sentinel error.
func (e *ErrorInfo) Unwrap() error {
	if s, ok := sentinels[e.Code]; ok {
		return s
	}
	return ErrUnclassified
}

// Is matches the context error that ended the call (for Import and Export: or the
// reader's or writer's error that stopped it).
func (e *ErrorInfo) Is(target error) bool { return e.ctxErr != nil && target == e.ctxErr }

// Error is a failed call of the C library that is neither a constraint nor a validation
// failure (not found, timeout, privilege, ...). Use errors.As, or errors.Is with a sentinel.
type Error struct{ ErrorInfo }

// ConstraintError is a row the server refused for a constraint: unique, foreign key,
// check or not null (ErrUniqueViolation, ...). Use errors.As.
type ConstraintError struct{ ErrorInfo }

// ViolationKind is the kind of rule a Violation broke (validate.h's cerd_violation_kind).
type ViolationKind int

// The kinds of violations.
const (
	ViolationNotNull          ViolationKind = 1
	ViolationLength           ViolationKind = 2
	ViolationNumericPrecision ViolationKind = 3
	ViolationType             ViolationKind = 4
	ViolationEncoding         ViolationKind = 5
	ViolationCheck            ViolationKind = 6
)

// Violation is one broken rule of a row.
type Violation struct {
	Kind       ViolationKind
	Constraint string   // CHECK name, or "not_null", "length", "numeric_precision", "type", "encoding"
	Columns    []string // the columns involved
	Message    string
}

// ValidationError is a row refused by client-side validation (ErrInvalid), before any
// round trip, with every violation. Use errors.As.
type ValidationError struct {
	ErrorInfo
	Violations []Violation
}

// ValidateMode says what a row is validated for.
type ValidateMode int

// Validation modes (validate.h).
const (
	ValidateInsert ValidateMode = C.CERD_VALIDATE_INSERT
	ValidateStored ValidateMode = C.CERD_VALIDATE_STORED
)

// lastError builds the error of code rc from the calling thread's error record. The
// caller has locked the OS thread since the failing call (the record is per thread).
func lastError(rc C.int) *ErrorInfo {
	r := C.cerd_error_last()
	e := &ErrorInfo{Code: int(rc), Name: CErrorName(int(rc))}
	if r != nil && int(r.code) == int(rc) {
		e.Message = C.GoString(r.message)
		e.SQLState = C.GoString(&r.sqlstate[0])
		e.Detail = C.GoString(r.detail)
		e.Table = C.GoString(r.table)
		e.Column = C.GoString(r.column)
		e.Constraint = C.GoString(r.constraint)
		e.Line = int64(r.line)
	}
	if e.Message == "" {
		e.Message = C.GoString(C.cerd_strerror(rc))
	}
	return e
}

// wrapError gives the typed error of a failed call: *ConstraintError, *ValidationError
// (with the violations of crow when the table is known) or *Error. Thread locked.
func wrapError(rc C.int, info *tableInfo, crow unsafe.Pointer) error {
	e := lastError(rc)
	switch int(rc) {
	case -3, -4, -5, -6:
		return &ConstraintError{*e}
	case -7:
		ve := &ValidationError{ErrorInfo: *e}
		if info != nil && crow != nil {
			ve.Violations = collectViolations(info, crow, ValidateInsert)
		}
		return ve
	}
	return &Error{*e}
}

func withCtx(err error, ctxErr error) error {
	switch e := err.(type) {
	case *Error:
		e.ctxErr = ctxErr
	case *ConstraintError:
		e.ctxErr = ctxErr
	case *ValidationError:
		e.ctxErr = ctxErr
	}
	return err
}

// withError runs one C call with the thread locked and turns a negative result into an error.
func withError(f func() C.int) error {
	var err error
	withErrorInto(&err, f)
	return err
}

func withErrorInto(err *error, f func() C.int) {
	runtime.LockOSThread()
	if rc := f(); rc < 0 {
		*err = wrapError(rc, nil, nil)
	}
	runtime.UnlockOSThread()
}

// collectViolations validates a C row and lists its violations (thread locked or not:
// the verdict is returned, not read from the record).
func collectViolations(info *tableInfo, crow unsafe.Pointer, mode ValidateMode) []Violation {
	var v C.cerd_violations
	C.cerd_row_validate(&v, info.desc, crow, C.cerd_validate_mode(mode))
	defer C.cerd_violations_free(&v)
	return violationsToGo(info, &v)
}

func violationsToGo(info *tableInfo, v *C.cerd_violations) []Violation {
	if v.count == 0 {
		return nil
	}
	cols := unsafe.Slice(info.desc.columns, int(info.desc.ncolumns))
	out := make([]Violation, 0, int(v.count))
	for _, it := range unsafe.Slice(v.items, int(v.count)) {
		g := Violation{Kind: ViolationKind(it.kind), Constraint: C.GoString(it.constraint),
			Message: C.GoString(it.message)}
		if it.ncolumns > 0 {
			for _, ci := range unsafe.Slice(it.columns, int(it.ncolumns)) {
				g.Columns = append(g.Columns, C.GoString(cols[ci].name))
			}
		}
		out = append(out, g)
	}
	return out
}
