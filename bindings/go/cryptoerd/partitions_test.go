package cryptoerd_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

func monthUTC(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// partitionCandle is a valid 1h candle of an asset at t.
func partitionCandle(assetID int64, t time.Time) *cerd.PriceData {
	return &cerd.PriceData{AssetID: assetID, Timeframe: "1h",
		OpenPrice: cerd.MustDecimal("10.5"), HighPrice: cerd.MustDecimal("11"),
		LowPrice: cerd.MustDecimal("10"), ClosePrice: cerd.MustDecimal("10.75"), CandleTime: t}
}

// byName indexes partitions by name.
func byName(ps []cerd.Partition) map[string]cerd.Partition {
	m := map[string]cerd.Partition{}
	for _, p := range ps {
		m[p.Name] = p
	}
	return m
}

func listParts(t *testing.T, c *cerd.Conn, table string) []cerd.Partition {
	t.Helper()
	ps, err := c.ListPartitions(context.Background(), table)
	if err != nil {
		t.Fatalf("list %s: %v", table, err)
	}
	return ps
}

// The migrated schema's partitions of price_data (2025-01 .. 2027-12 and the default,
// migration 003), with exact row counts, months in UTC, the default last.
func TestListPartitionsOfPriceData(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	plus1 := time.FixedZone("UTC+1", 3600)
	for _, ts := range []time.Time{
		time.Date(2025, 1, 31, 23, 59, 0, 0, time.UTC),
		time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 1, 0, 30, 0, 0, plus1),   // 2025-02-28 23:30 UTC: February
		time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC), // no partition: the default one
	} {
		if _, err := c.PriceData().Insert(ctx, partitionCandle(a.ID, ts)); err != nil {
			t.Fatalf("insert %v: %v", ts, err)
		}
	}
	ps := listParts(t, c, "price_data")
	if len(ps) != 37 {
		t.Fatalf("%d partitions, want 36 months and the default: %+v", len(ps), ps)
	}
	for i, p := range ps[:36] {
		want := monthUTC(2025, 1).AddDate(0, i, 0)
		wantName := fmt.Sprintf("price_data_y%04dm%02d", want.Year(), int(want.Month()))
		if p.Name != wantName || p.Default || !p.Month.Equal(want) || p.Month.Location() != time.UTC {
			t.Errorf("partition %d: %+v, want %s %v", i, p, wantName, want)
		}
		wantRows := map[int]int64{0: 1, 1: 2}[i]
		if p.Rows != wantRows {
			t.Errorf("%s: %d rows, want %d", p.Name, p.Rows, wantRows)
		}
	}
	d := ps[36]
	if !d.Default || d.Name != "price_data_default" || !d.Month.IsZero() || d.Rows != 1 {
		t.Errorf("default partition: %+v", d)
	}
	if _, err := c.ListPartitions(ctx, "no_such_table"); !errors.Is(err, cerd.ErrServer) {
		t.Errorf("a table that does not exist: %v, want ErrServer", err)
	}
}

func TestCreatePartitions(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	before := len(listParts(t, c, "price_data_archive"))
	// from: 2028-03-01 00:30 at UTC+1, which is 2028-02-29 in UTC: February is created
	from := time.Date(2028, 3, 1, 0, 30, 0, 0, time.FixedZone("UTC+1", 3600))
	to := time.Date(2028, 4, 17, 12, 0, 0, 0, time.UTC)
	n, err := c.CreatePartitions(ctx, "price_data_archive", from, to)
	if err != nil || n != 3 {
		t.Fatalf("create 2028-02..2028-04: %d %v, want 3", n, err)
	}
	ps := listParts(t, c, "price_data_archive")
	if len(ps) != before+3 {
		t.Fatalf("%d partitions after create, want %d", len(ps), before+3)
	}
	for i, m := range []time.Month{2, 3, 4} {
		p := ps[len(ps)-4+i] // the new months come last, before the default
		want := fmt.Sprintf("price_data_archive_y2028m%02d", int(m))
		if p.Name != want || !p.Month.Equal(monthUTC(2028, m)) || p.Rows != 0 {
			t.Errorf("new partition %d: %+v, want %s", i, p, want)
		}
	}
	if !ps[len(ps)-1].Default {
		t.Errorf("the default partition is not last: %+v", ps[len(ps)-1])
	}
	// again: nothing to create; overlapping: only the missing month
	if n, err := c.CreatePartitions(ctx, "price_data_archive", from, to); err != nil || n != 0 {
		t.Errorf("create again: %d %v, want 0", n, err)
	}
	if n, err := c.CreatePartitions(ctx, "price_data_archive", monthUTC(2027, 12), monthUTC(2028, 5)); err != nil || n != 2 {
		t.Errorf("create 2027-12..2028-05: %d %v, want 2 (2028-01 and 2028-05)", n, err)
	}
	got := byName(listParts(t, c, "price_data_archive"))
	for _, name := range []string{"price_data_archive_y2028m01", "price_data_archive_y2028m05"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s was not created", name)
		}
	}
	// in a transaction that rolls back, the partitions go with it
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tx.CreatePartitions(ctx, "price_data_archive", monthUTC(2029, 1), monthUTC(2029, 1)); err != nil || n != 1 {
		t.Fatalf("create in a transaction: %d %v", n, err)
	}
	tx.Rollback(ctx)
	if _, ok := byName(listParts(t, c, "price_data_archive"))["price_data_archive_y2029m01"]; ok {
		t.Errorf("2029-01 survived the rollback")
	}
	// misuse: the last month before the first; a year C cannot hold
	if _, err := c.CreatePartitions(ctx, "price_data", monthUTC(2028, 5), monthUTC(2028, 4)); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("to before from: %v, want ErrMisuse", err)
	}
	if _, err := c.CreatePartitions(ctx, "price_data", monthUTC(2028, 4), monthUTC(10000, 1)); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("year 10000: %v, want ErrMisuse", err)
	}
	// a table that is not range-partitioned: the server refuses
	var e *cerd.Error
	if _, err := c.CreatePartitions(ctx, "assets", monthUTC(2028, 1), monthUTC(2028, 1)); !errors.As(err, &e) ||
		!errors.Is(err, cerd.ErrServer) {
		t.Errorf("assets: %v, want *Error ErrServer", err)
	}
}

// A month whose rows already sit in the default partition cannot get its partition:
// the server's error comes back, and nothing is created.
func TestCreatePartitionsRefusedByDefaultPartitionRows(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	if _, err := c.PriceData().Insert(ctx, partitionCandle(a.ID, time.Date(2030, 1, 5, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	before := len(listParts(t, c, "price_data"))
	_, err := c.CreatePartitions(ctx, "price_data", monthUTC(2030, 1), monthUTC(2030, 1))
	if err == nil {
		t.Fatalf("created a partition for rows in the default partition")
	}
	var ce *cerd.ConstraintError
	if !errors.As(err, &ce) || ce.SQLState != "23514" {
		t.Errorf("error %v (%T), want a *ConstraintError with SQLSTATE 23514", err, err)
	}
	if after := len(listParts(t, c, "price_data")); after != before {
		t.Errorf("%d partitions after the refusal, were %d", after, before)
	}
}

func TestArchivePartitions(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	times := []time.Time{
		time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 2, 11, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), // stays: the first month that stays
		time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), // default partition: never moved
	}
	for _, ts := range times {
		if _, err := c.PriceData().Insert(ctx, partitionCandle(a.ID, ts)); err != nil {
			t.Fatal(err)
		}
	}
	// inside a transaction: refused (the move is its own transaction)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ArchivePartitions(ctx, monthUTC(2025, 3)); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("archive in a transaction: %v, want ErrMisuse", err)
	}
	tx.Rollback(ctx)

	// "before" mid-March: March stays
	res, err := c.ArchivePartitions(ctx, time.Date(2025, 3, 20, 15, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	if res.Rows != 3 || len(res.Moved) != 2 ||
		res.Moved[0].Name != "price_data_y2025m01" || res.Moved[0].Rows != 1 || !res.Moved[0].Month.Equal(monthUTC(2025, 1)) ||
		res.Moved[1].Name != "price_data_y2025m02" || res.Moved[1].Rows != 2 || !res.Moved[1].Month.Equal(monthUTC(2025, 2)) {
		t.Fatalf("archive result: %+v", res)
	}
	live := listParts(t, c, "price_data")
	if len(live) != 35 || live[0].Name != "price_data_y2025m03" || live[0].Rows != 1 {
		t.Errorf("price_data after the archive: %d partitions, first %+v", len(live), live[0])
	}
	if d := live[len(live)-1]; !d.Default || d.Rows != 1 {
		t.Errorf("price_data_default after the archive: %+v", d)
	}
	arch := byName(listParts(t, c, "price_data_archive"))
	if arch["price_data_archive_y2025m01"].Rows != 1 || arch["price_data_archive_y2025m02"].Rows != 2 {
		t.Errorf("archive months: %+v %+v", arch["price_data_archive_y2025m01"], arch["price_data_archive_y2025m02"])
	}
	if n, err := c.PriceDataArchive().Count(ctx); err != nil || n != 3 {
		t.Errorf("price_data_archive holds %d rows (%v), want 3", n, err)
	}
	if n, err := c.PriceData().Count(ctx); err != nil || n != 2 {
		t.Errorf("price_data holds %d rows (%v), want 2", n, err)
	}
	// again: nothing old enough
	res, err = c.ArchivePartitions(ctx, monthUTC(2025, 3))
	if err != nil || res.Rows != 0 || len(res.Moved) != 0 {
		t.Errorf("archive again: %+v %v, want nothing moved", res, err)
	}
}
