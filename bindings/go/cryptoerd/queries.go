package cryptoerd

/*
#include <cryptoerd/cryptoerd.h>
#include <cryptoerd/query.h>
*/
import "C"

import (
	"context"
	"runtime"
)

// Queries runs the typed queries of queries/*.sql (generated into queries_gen.go by
// cerdgen from the same query model as the C functions cerd_q_<name>): per query a
// <Name>Params and a <Name>Row struct and a method of Queries. A :many query gives
// []<Name>Row (and <Name>Stream a *Rows over a server-side cursor), a :one query a
// <Name>Row (ErrNotFound when no row matches), an :exec query the number of rows it
// affected. A parameter that its column's rules refuse is a *ValidationError before any
// round trip. Reached as conn.Queries() (or tx.Queries()); like the Conn, used by one
// goroutine at a time, and every method takes a context that cancels it.
type Queries struct{ c *Conn }

// Queries gives the typed queries through this connection.
func (c *Conn) Queries() Queries { return Queries{c} }

// openQueryStream opens the stream of a :many query with open (the generated
// cerd_q_<name>_stream call); its rows are read with the result description t.
func openQueryStream[T any](ctx context.Context, c *Conn, t *tableInfo, open func(**C.cerd_stream, *C.cerd_conn) C.int) (*Rows[T], error) {
	if c == nil || c.c == nil {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := newRows[T](ctx, c, t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// a variable of its own: cgo checks the whole of what a pointer argument points into,
	// and *Rows holds Go pointers
	var s *C.cerd_stream
	if rc := open(&s, c.c); rc < 0 {
		err := wrapError(rc, nil, nil)
		r.release()
		return nil, r.ctxErr(err)
	}
	r.stream = s
	return r, nil
}

// QueryInfo describes one generated query.
type QueryInfo struct {
	Name   string // from the annotation
	Origin string // "queries/<file>.sql:<line>"
	SQL    string // the statement the query sends, with $n parameters
	Shape  string // "one", "many" or "exec"
}

var queryInfos []QueryInfo

func registerQuery(q *C.cerd_query) {
	shape := map[C.cerd_query_shape]string{C.CERD_QUERY_ONE: "one", C.CERD_QUERY_MANY: "many", C.CERD_QUERY_EXEC: "exec"}[q.shape]
	queryInfos = append(queryInfos, QueryInfo{Name: C.GoString(q.name), Origin: C.GoString(q.origin),
		SQL: C.GoString(q.sql), Shape: shape})
}

// QueryNames lists the generated queries (queries/*.sql in file order).
func QueryNames() []string {
	out := make([]string, len(queryInfos))
	for i, q := range queryInfos {
		out[i] = q.Name
	}
	return out
}

// LookupQuery describes the generated query name (ok false when there is none).
func LookupQuery(name string) (QueryInfo, bool) {
	for _, q := range queryInfos {
		if q.Name == name {
			return q, true
		}
	}
	return QueryInfo{}, false
}
