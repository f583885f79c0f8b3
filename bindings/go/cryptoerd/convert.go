package cryptoerd

/*
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unsafe"
)

// The conversions between the fields of the generated C row structs and Go values, used
// by tables_gen.go: plain<Kind> for NOT NULL columns without default, opt<Kind> for the
// C library's cerd_opt_* fields, null<Kind> for pointer-like columns that may be NULL.
// FromC copies into Go memory; ToC writes C values, strings and arrays into the arena.

func columnError(table, column string, err error) error {
	return fmt.Errorf("cryptoerd: %s.%s: %w", table, column, err)
}

func colsetAdd(s *C.cerd_colset, i int) { s.bits[i/64] |= C.uint64_t(1) << (uint(i) % 64) }

// ---- integers and booleans

func plainInt64FromC(p *C.int64_t) int64 { return int64(*p) }
func optInt64FromC(p *C.cerd_opt_int64) Null[int64] {
	if !p.valid {
		return Null[int64]{}
	}
	return Null[int64]{Value: int64(p.value), Valid: true}
}
func plainInt64ToC(p *C.int64_t, v int64, _ *arena) { *p = C.int64_t(v) }
func optInt64ToC(p *C.cerd_opt_int64, v Null[int64], _ *arena) {
	if v.Valid {
		p.value, p.valid = C.int64_t(v.Value), true
	}
}

func plainInt32FromC(p *C.int32_t) int32 { return int32(*p) }
func optInt32FromC(p *C.cerd_opt_int32) Null[int32] {
	if !p.valid {
		return Null[int32]{}
	}
	return Null[int32]{Value: int32(p.value), Valid: true}
}
func plainInt32ToC(p *C.int32_t, v int32, _ *arena) { *p = C.int32_t(v) }
func optInt32ToC(p *C.cerd_opt_int32, v Null[int32], _ *arena) {
	if v.Valid {
		p.value, p.valid = C.int32_t(v.Value), true
	}
}

func plainBoolFromC(p *C.bool) bool { return bool(*p) }
func optBoolFromC(p *C.cerd_opt_bool) Null[bool] {
	if !p.valid {
		return Null[bool]{}
	}
	return Null[bool]{Value: bool(p.value), Valid: true}
}
func plainBoolToC(p *C.bool, v bool, _ *arena) { *p = C.bool(v) }
func optBoolToC(p *C.cerd_opt_bool, v Null[bool], _ *arena) {
	if v.Valid {
		p.value, p.valid = C.bool(v.Value), true
	}
}

// ---- numeric

func plainDecimalFromC(p *C.cerd_numeric) Decimal { return Decimal{*p} }
func optDecimalFromC(p *C.cerd_opt_numeric) Null[Decimal] {
	if !p.valid {
		return Null[Decimal]{}
	}
	return Null[Decimal]{Value: Decimal{p.value}, Valid: true}
}
func plainDecimalToC(p *C.cerd_numeric, v Decimal, _ *arena) { *p = v.n }
func optDecimalToC(p *C.cerd_opt_numeric, v Null[Decimal], _ *arena) {
	if v.Valid {
		p.value, p.valid = v.Value.n, true
	}
}

// ---- timestamptz: microseconds since 1970 UTC; sub-microsecond parts are truncated.

func timeFromMicros(us int64) time.Time    { return time.UnixMicro(us).UTC() }
func timeToC(t time.Time) C.cerd_timestamp { return C.cerd_timestamp(t.UnixMicro()) }

func plainTimeFromC(p *C.cerd_timestamp) time.Time { return timeFromMicros(int64(*p)) }
func optTimeFromC(p *C.cerd_opt_timestamp) Null[time.Time] {
	if !p.valid {
		return Null[time.Time]{}
	}
	return Null[time.Time]{Value: timeFromMicros(int64(p.value)), Valid: true}
}
func plainTimeToC(p *C.cerd_timestamp, v time.Time, _ *arena) { *p = timeToC(v) }
func optTimeToC(p *C.cerd_opt_timestamp, v Null[time.Time], _ *arena) {
	if v.Valid {
		p.value, p.valid = timeToC(v.Value), true
	}
}

// ---- inet: netip.Prefix (a host address has the full prefix length)

func inetToGo(p *C.cerd_inet) netip.Prefix {
	var addr netip.Addr
	if p.family == 4 {
		addr = netip.AddrFrom4([4]byte{byte(p.addr[0]), byte(p.addr[1]), byte(p.addr[2]), byte(p.addr[3])})
	} else {
		var b [16]byte
		for i := range b {
			b[i] = byte(p.addr[i])
		}
		addr = netip.AddrFrom16(b)
	}
	return netip.PrefixFrom(addr, int(p.bits))
}

func inetSet(p *C.cerd_inet, v netip.Prefix) {
	*p = C.cerd_inet{}
	a := v.Addr()
	if a.Is4() {
		p.family = 4
		b := a.As4()
		for i := range b {
			p.addr[i] = C.uint8_t(b[i])
		}
	} else {
		p.family = 6
		b := a.As16()
		for i := range b {
			p.addr[i] = C.uint8_t(b[i])
		}
	}
	p.bits = C.uint8_t(v.Bits())
}

func inetPtr(v netip.Prefix) *C.cerd_inet {
	var c C.cerd_inet
	inetSet(&c, v)
	return &c
}

func plainInetFromC(p *C.cerd_inet) netip.Prefix { return inetToGo(p) }
func optInetFromC(p *C.cerd_opt_inet) Null[netip.Prefix] {
	if !p.valid {
		return Null[netip.Prefix]{}
	}
	return Null[netip.Prefix]{Value: inetToGo(&p.value), Valid: true}
}
func plainInetToC(p *C.cerd_inet, v netip.Prefix, _ *arena) { inetSet(p, v) }
func optInetToC(p *C.cerd_opt_inet, v Null[netip.Prefix], _ *arena) {
	if v.Valid {
		inetSet(&p.value, v.Value)
		p.valid = true
	}
}

// ---- text

var errNUL = errors.New("text contains a NUL byte")

func plainTextFromC(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}
func nullTextFromC(p *C.char) Null[string] {
	if p == nil {
		return Null[string]{}
	}
	return Null[string]{Value: C.GoString(p), Valid: true}
}
func plainTextToC(p **C.char, v string, a *arena) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%w: %v", ErrEncoding, errNUL)
	}
	*p = a.cstr(v)
	return nil
}
func nullTextToC(p **C.char, v Null[string], a *arena) error {
	if !v.Valid {
		return nil
	}
	return plainTextToC(p, v.Value, a)
}

// ---- jsonb: json.RawMessage, printed and parsed by the library's exact JSON code

func plainJSONFromC(p *C.struct_cJSON) (json.RawMessage, error) {
	if p == nil {
		return nil, nil
	}
	var s *C.char
	var err error
	withErrorInto(&err, func() C.int { return C.cerd_json_print(&s, (*C.cJSON)(unsafe.Pointer(p)), 0) })
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(s))
	n := C.strlen(s)
	return json.RawMessage(C.GoBytes(unsafe.Pointer(s), C.int(n))), nil
}
func nullJSONFromC(p *C.struct_cJSON) (Null[json.RawMessage], error) {
	if p == nil {
		return Null[json.RawMessage]{}, nil
	}
	v, err := plainJSONFromC(p)
	return Null[json.RawMessage]{Value: v, Valid: err == nil}, err
}
func plainJSONToC(p **C.struct_cJSON, v json.RawMessage, a *arena) error {
	if v == nil {
		return nil
	}
	text := a.cstrBytes(v)
	var j *C.cJSON
	var err error
	withErrorInto(&err, func() C.int { return C.cerd_json_parse(&j, text, C.size_t(len(v))) })
	if err != nil {
		return err
	}
	a.jsons = append(a.jsons, j)
	*p = (*C.struct_cJSON)(unsafe.Pointer(j))
	return nil
}
func nullJSONToC(p **C.struct_cJSON, v Null[json.RawMessage], a *arena) error {
	if !v.Valid {
		return nil
	}
	if v.Value == nil {
		return plainJSONToC(p, json.RawMessage("null"), a)
	}
	return plainJSONToC(p, v.Value, a)
}

// ---- arrays: slices (NULL elements are not representable: ErrNULElement)

func plainInt32sFromC(p *C.cerd_int32_array) ([]int32, error) {
	if !p.valid {
		return nil, nil
	}
	out := make([]int32, int(p.count))
	if p.count == 0 {
		return out, nil
	}
	vals := unsafe.Slice(p.values, int(p.count))
	if p.nulls != nil {
		for _, n := range unsafe.Slice(p.nulls, int(p.count)) {
			if n {
				return nil, ErrNULElement
			}
		}
	}
	for i, v := range vals {
		out[i] = int32(v)
	}
	return out, nil
}
func nullInt32sFromC(p *C.cerd_int32_array) (Null[[]int32], error) {
	if !p.valid {
		return Null[[]int32]{}, nil
	}
	v, err := plainInt32sFromC(p)
	return Null[[]int32]{Value: v, Valid: err == nil}, err
}
func plainInt32sToC(p *C.cerd_int32_array, v []int32, a *arena) {
	p.valid = true
	p.count = C.size_t(len(v))
	if len(v) == 0 {
		return
	}
	mem := a.alloc(4 * len(v))
	dst := unsafe.Slice((*C.int32_t)(mem), len(v))
	for i, x := range v {
		dst[i] = C.int32_t(x)
	}
	p.values = (*C.int32_t)(mem)
}
func nullInt32sToC(p *C.cerd_int32_array, v Null[[]int32], a *arena) {
	if v.Valid {
		plainInt32sToC(p, v.Value, a)
	}
}

func plainTextsFromC(p *C.cerd_text_array) ([]string, error) {
	if !p.valid {
		return nil, nil
	}
	out := make([]string, int(p.count))
	if p.count == 0 {
		return out, nil
	}
	for i, s := range unsafe.Slice(p.values, int(p.count)) {
		if s == nil {
			return nil, ErrNULElement
		}
		out[i] = C.GoString(s)
	}
	return out, nil
}
func nullTextsFromC(p *C.cerd_text_array) (Null[[]string], error) {
	if !p.valid {
		return Null[[]string]{}, nil
	}
	v, err := plainTextsFromC(p)
	return Null[[]string]{Value: v, Valid: err == nil}, err
}
func plainTextsToC(p *C.cerd_text_array, v []string, a *arena) error {
	p.valid = true
	p.count = C.size_t(len(v))
	if len(v) == 0 {
		return nil
	}
	mem := a.alloc(int(unsafe.Sizeof(uintptr(0))) * len(v))
	dst := unsafe.Slice((**C.char)(mem), len(v))
	for i, s := range v {
		if err := plainTextToC(&dst[i], s, a); err != nil {
			return err
		}
	}
	p.values = (**C.char)(mem)
	return nil
}
func nullTextsToC(p *C.cerd_text_array, v Null[[]string], a *arena) error {
	if !v.Valid {
		return nil
	}
	return plainTextsToC(p, v.Value, a)
}
