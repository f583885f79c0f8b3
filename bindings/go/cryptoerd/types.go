package cryptoerd

/*
#include <stdlib.h>
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"errors"
	"math"
	"math/big"
	"time"
	"unsafe"
)

// Null is a column that may be NULL or has a server default. The zero value is NULL
// (for a NOT NULL column with a default: "absent" — an insert gives it its default, an
// update or upsert leaves it unchanged). Valid with Value is a value. Default writes the
// SQL keyword DEFAULT (the server default, or NULL when the column has none) and wins
// over Value. Rows read from the database never have Default set.
type Null[T any] struct {
	Value   T
	Valid   bool
	Default bool
}

// Value makes a present value: row.Volume = cryptoerd.Value(d).
func Value[T any](v T) Null[T] { return Null[T]{Value: v, Valid: true} }

// DefaultOf makes a Null that writes DEFAULT: row.MaxRetries = cryptoerd.DefaultOf[int32]().
func DefaultOf[T any]() Null[T] { return Null[T]{Default: true} }

// Ptr is the value as a pointer, nil when not Valid.
func (n Null[T]) Ptr() *T {
	if !n.Valid {
		return nil
	}
	v := n.Value
	return &v
}

// ---------------------------------------------------------------- Decimal

// Decimal is an exact decimal number with PostgreSQL numeric's semantics (up to 38
// significant digits; NaN, Infinity, -Infinity). It holds the C library's cerd_numeric
// by value: converting a row costs a copy, and nothing goes through float64. The zero
// value is 0. Compare with Cmp (1.5 and 1.50 are equal but print differently).
type Decimal struct{ n C.cerd_numeric }

// ParseDecimal reads decimal text exactly ("-12.3400", "1e-5", "NaN", "Infinity"); the
// scale is the number of fractional digits written. More than 38 significant digits is
// an error (ErrRange), never rounded.
func ParseDecimal(s string) (Decimal, error) {
	var d Decimal
	buf := make([]byte, len(s)+1)
	copy(buf, s)
	if err := withError(func() C.int {
		return C.cerd_numeric_parse(&d.n, (*C.char)(unsafe.Pointer(&buf[0])))
	}); err != nil {
		return Decimal{}, err
	}
	return d, nil
}

// MustDecimal is ParseDecimal that panics: for constants in code and tests.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromInt64 is the integer v with scale 0.
func DecimalFromInt64(v int64) Decimal {
	var d Decimal
	C.cerd_numeric_from_int64(&d.n, C.int64_t(v))
	return d
}

// DecimalFromRat is r rounded half away from zero to scale fractional digits.
func DecimalFromRat(r *big.Rat, scale int) (Decimal, error) {
	return ParseDecimal(r.FloatString(scale))
}

// String is PostgreSQL's text form ("-12.3400", "NaN").
func (d Decimal) String() string {
	var buf [160]C.char
	n := C.cerd_numeric_format(&d.n, &buf[0], C.size_t(len(buf)))
	if int(n) >= len(buf) {
		big := make([]byte, int(n)+1)
		C.cerd_numeric_format(&d.n, (*C.char)(unsafe.Pointer(&big[0])), C.size_t(len(big)))
		return string(big[:n])
	}
	return C.GoStringN(&buf[0], n)
}

// Cmp compares by value as PostgreSQL orders numerics (NaN above everything): -1, 0, +1.
func (d Decimal) Cmp(e Decimal) int {
	r := int(C.cerd_numeric_cmp(&d.n, &e.n))
	switch {
	case r < 0:
		return -1
	case r > 0:
		return 1
	}
	return 0
}

// Scale is the number of fractional digits shown (numeric's dscale).
func (d Decimal) Scale() int { return int(d.n.dscale) }

// IsNaN reports NaN; IsInf reports +Infinity (sign > 0), -Infinity (sign < 0) or either (0).
func (d Decimal) IsNaN() bool { return d.n.sign == C.CERD_NUMERIC_NAN }

// IsInf reports whether d is an infinity of the given sign (0: either).
func (d Decimal) IsInf(sign int) bool {
	return (sign >= 0 && d.n.sign == C.CERD_NUMERIC_PINF) || (sign <= 0 && d.n.sign == C.CERD_NUMERIC_NINF)
}

// Rat is the exact value as a *big.Rat; nil for NaN and the infinities.
func (d Decimal) Rat() *big.Rat {
	switch d.n.sign {
	case C.CERD_NUMERIC_NAN, C.CERD_NUMERIC_PINF, C.CERD_NUMERIC_NINF:
		return nil
	}
	num := new(big.Int)
	tenK := big.NewInt(10000)
	for i := 0; i < int(d.n.ngroups); i++ {
		num.Mul(num, tenK)
		num.Add(num, big.NewInt(int64(d.n.digits[i])))
	}
	if d.n.sign == C.CERD_NUMERIC_NEG {
		num.Neg(num)
	}
	exp := int(d.n.weight) - int(d.n.ngroups) + 1 // value = num * 10000^exp
	r := new(big.Rat).SetInt(num)
	if d.n.ngroups == 0 {
		return r
	}
	p := new(big.Int).Exp(tenK, big.NewInt(int64(absInt(exp))), nil)
	if exp >= 0 {
		r.Mul(r, new(big.Rat).SetInt(p))
	} else {
		r.Quo(r, new(big.Rat).SetInt(p))
	}
	return r
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// MarshalText writes String(); UnmarshalText reads ParseDecimal (so Decimal is exact in
// encoding/json as a JSON string).
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads decimal text exactly.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ---------------------------------------------------------------- time

// Infinity and NegInfinity are PostgreSQL's 'infinity' and '-infinity' timestamps.
var (
	Infinity    = time.UnixMicro(math.MaxInt64).UTC()
	NegInfinity = time.UnixMicro(math.MinInt64).UTC()
)

// ErrNULElement is returned when an array read from the database holds a NULL element:
// Go slices of this binding have no NULL elements.
var ErrNULElement = errors.New("cryptoerd: array with a NULL element (not representable as a Go slice)")
