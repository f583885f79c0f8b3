package cryptoerd

/*
#include <stdlib.h>
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"context"
	"fmt"
	"time"
	"unsafe"
)

// Monthly partitions of the time-partitioned tables (price_data, price_data_archive) and
// the archive flow of migration 011: partitions.h (cerd_partitions_*), the `cryptoerd
// partitions` command. Months are UTC calendar months; a month is given as a time.Time
// whose UTC year and month are used (the day and the time of day are ignored), and
// returned as the first instant of the month in UTC.

// Partition is one partition of a partitioned table (cerd_partition).
type Partition struct {
	Name    string    // the partition's table name, "price_data_y2025m01"
	Default bool      // the DEFAULT partition (then Month is the zero time)
	Month   time.Time // the month it holds: its first instant, UTC
	Rows    int64     // its exact row count (count(*))
}

// ArchiveResult is what ArchivePartitions moved.
type ArchiveResult struct {
	Moved []Partition // the months moved, with their row counts as price_data held them
	Rows  int64       // the total of rows moved
}

// monthOf is the C month of t's UTC month; years outside 1..9999 are ErrMisuse (the C
// range).
func monthOf(t time.Time) (C.cerd_month, error) {
	u := t.UTC()
	if u.Year() < 1 || u.Year() > 9999 {
		return C.cerd_month{}, fmt.Errorf("%w: month %s: the year must be 1..9999", ErrMisuse, u.Format("2006-01"))
	}
	return C.cerd_month{year: C.int(u.Year()), month: C.int(u.Month())}, nil
}

func partitionsToGo(l *C.cerd_partition_list) []Partition {
	out := make([]Partition, 0, int(l.count))
	if l.count == 0 {
		return out
	}
	for _, p := range unsafe.Slice(l.items, int(l.count)) {
		g := Partition{Name: C.GoString(&p.name[0]), Default: bool(p.is_default), Rows: int64(p.rows)}
		if !g.Default {
			g.Month = time.Date(int(p.month.year), time.Month(p.month.month), 1, 0, 0, 0, 0, time.UTC)
		}
		out = append(out, g)
	}
	return out
}

// CreatePartitions creates the missing monthly partitions <table>_yYYYYmMM of table for
// every month from from up to and including to (cerd_partitions_create, the schema's
// create_monthly_partitions()); it returns how many it created (0 when every one
// existed). It uses the connection's transaction when one is open. Errors: ErrMisuse
// (to before from, a year outside 1..9999); the server's (a table that is not
// range-partitioned; rows of a new month already in the default partition).
func (c *Conn) CreatePartitions(ctx context.Context, table string, from, to time.Time) (int, error) {
	cf, err := monthOf(from)
	if err != nil {
		return 0, err
	}
	ct, err := monthOf(to)
	if err != nil {
		return 0, err
	}
	ctable := C.CString(table)
	defer C.free(unsafe.Pointer(ctable))
	var n C.int
	err = c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		return C.cerd_partitions_create(&n, conn, ctable, cf, ct)
	})
	return int(n), err
}

// ListPartitions lists the partitions of table with their exact row counts, read in one
// statement (one snapshot): the months in order, the default partition last
// (cerd_partitions_list). A table that does not exist is ErrServer.
func (c *Conn) ListPartitions(ctx context.Context, table string) ([]Partition, error) {
	ctable := C.CString(table)
	defer C.free(unsafe.Pointer(ctable))
	var l C.cerd_partition_list
	err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		return C.cerd_partitions_list(&l, conn, ctable)
	})
	defer C.cerd_partitions_free(&l)
	if err != nil {
		return nil, err
	}
	return partitionsToGo(&l), nil
}

// ArchivePartitions moves every whole month of price_data before the month of before
// (the first month that stays) into price_data_archive, atomically
// (cerd_partitions_archive, the schema's archive_price_data_months()): for each month it
// detaches the partition, copies its rows, checks in the same transaction that the rows
// copied and the archive month's count and sums of the prices and volume grew by exactly
// the partition's, and drops it. Writers of price_data wait during the call; readers see
// each month in one of the two tables. Rows in price_data_default are not moved.
//
// The connection must have no transaction open (the move is its own transaction:
// ErrMisuse otherwise). Nothing old enough is not an error (an empty result). On a
// failed check nothing is moved.
func (c *Conn) ArchivePartitions(ctx context.Context, before time.Time) (ArchiveResult, error) {
	cb, err := monthOf(before)
	if err != nil {
		return ArchiveResult{}, err
	}
	var moved C.cerd_partition_list
	var rows C.int64_t
	err = c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		return C.cerd_partitions_archive(&moved, &rows, conn, cb)
	})
	defer C.cerd_partitions_free(&moved)
	if err != nil {
		return ArchiveResult{}, err
	}
	return ArchiveResult{Moved: partitionsToGo(&moved), Rows: int64(rows)}, nil
}
