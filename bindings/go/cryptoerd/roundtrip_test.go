package cryptoerd_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

// jsonEqual compares JSON documents by value with numbers as their exact text.
func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	da := json.NewDecoder(strings.NewReader(string(a)))
	da.UseNumber()
	db := json.NewDecoder(strings.NewReader(string(b)))
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// sameValue compares one field of the row written with the row stored. Decimals must be
// digit-exact (same text) unless the column rounds them (then equal by value after
// rounding is the server's business: we require the same text at the stored scale).
func sameValue(t *testing.T, where string, in, out reflect.Value) {
	t.Helper()
	switch v := in.Interface().(type) {
	case cerd.Decimal:
		o := out.Interface().(cerd.Decimal)
		if v.Cmp(o) != 0 {
			t.Errorf("%s: wrote %s, stored %s", where, v, o)
		} else if v.Scale() == o.Scale() && v.String() != o.String() {
			t.Errorf("%s: wrote %s, stored %s (not digit-exact)", where, v, o)
		}
	case time.Time:
		if !v.Equal(out.Interface().(time.Time)) {
			t.Errorf("%s: wrote %v, stored %v", where, v, out.Interface())
		}
	case json.RawMessage:
		if !jsonEqual(v, out.Interface().(json.RawMessage)) {
			t.Errorf("%s: wrote %s, stored %s", where, v, out.Interface())
		}
	default:
		if !reflect.DeepEqual(in.Interface(), out.Interface()) {
			t.Errorf("%s: wrote %#v, stored %#v", where, in.Interface(), out.Interface())
		}
	}
}

// Every table: factory rows inserted, read back by primary key, and compared field for
// field with what was written and with what the insert returned.
func TestRoundTripEveryTable(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	tables := cerd.TableNames()
	if len(tables) < 30 {
		t.Fatalf("only %d tables", len(tables))
	}
	for _, table := range tables {
		for seed := uint64(1); seed <= 3; seed++ {
			in, err := cerd.MakeRow(ctx, c, table, seed, &cerd.FactoryOptions{CreateParents: true})
			if err != nil {
				t.Fatalf("%s seed %d: make: %v", table, seed, err)
			}
			stored, err := cerd.InsertRow(ctx, c, in)
			if err != nil {
				t.Fatalf("%s seed %d: insert: %v", table, seed, err)
			}
			got, err := cerd.GetRow(ctx, c, stored)
			if err != nil {
				t.Fatalf("%s seed %d: get: %v", table, seed, err)
			}
			if !reflect.DeepEqual(stored, got) {
				t.Errorf("%s seed %d: read back differs from the insert's row:\n%+v\n%+v", table, seed, stored, got)
			}
			iv, sv := reflect.ValueOf(in).Elem(), reflect.ValueOf(stored).Elem()
			cols := cerd.ColumnNames(table)
			for f := 0; f < iv.NumField(); f++ {
				where := table + "." + cols[f]
				fi, fs := iv.Field(f), sv.Field(f)
				if fi.Kind() == reflect.Struct && strings.HasPrefix(fi.Type().Name(), "Null[") {
					if !fi.FieldByName("Valid").Bool() {
						continue // absent or NULL: the server decides (default)
					}
					if !fs.FieldByName("Valid").Bool() {
						t.Errorf("%s: wrote a value, stored NULL", where)
						continue
					}
					fi, fs = fi.FieldByName("Value"), fs.FieldByName("Value")
				}
				if cols[f] == "id" && fi.Kind() == reflect.Int64 && fi.Int() == 0 {
					continue // identity
				}
				if cols[f] == "updated_at" {
					continue // set by a trigger on write
				}
				sameValue(t, where, fi, fs)
			}
		}
	}
}

func TestDecimalExact(t *testing.T) {
	for _, s := range []string{"0", "-12.3400", "12345678901234567890.12345678", "0.00000001",
		"99999999999999999999999999999999999999", "NaN", "Infinity", "-Infinity", "1e-5"} {
		d, err := cerd.ParseDecimal(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		want := s
		if s == "1e-5" {
			want = "0.00001"
		}
		if d.String() != want {
			t.Errorf("%s: String() = %s", s, d.String())
		}
		if r := d.Rat(); r != nil && !d.IsNaN() {
			back, err := cerd.DecimalFromRat(r, d.Scale())
			if err != nil || back.String() != d.String() {
				t.Errorf("%s: via big.Rat: %v %v", s, back, err)
			}
		}
	}
	if cerd.MustDecimal("1.5").Cmp(cerd.MustDecimal("1.50")) != 0 {
		t.Error("1.5 != 1.50")
	}
	if _, err := cerd.ParseDecimal("123456789012345678901234567890123456789"); !errorsIs(err, cerd.ErrRange) {
		t.Errorf("39 digits: %v", err)
	}
}

// NULL vs DEFAULT vs absent, with model_jobs.max_retries (nullable, DEFAULT 3) and
// assets.is_active-like NOT NULL columns with defaults.
func TestNullVersusDefault(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	base := cryptoerdtest.Make[cerd.ModelJobs](t, c, 7, nil)

	r := *base
	r.MaxRetries = cerd.Null[int32]{} // NULL: a nullable column with a default gets NULL
	r.RetryCount = cerd.Null[int32]{}
	a, err := c.ModelJobs().Insert(ctx, &r)
	if err != nil {
		t.Fatal(err)
	}
	if a.MaxRetries.Valid {
		t.Errorf("NULL max_retries stored as %v", a.MaxRetries.Value)
	}
	r = *base
	r.MaxRetries = cerd.DefaultOf[int32]() // DEFAULT: the server default, 3
	r.RetryCount = cerd.Null[int32]{}
	b, err := c.ModelJobs().Insert(ctx, &r)
	if err != nil {
		t.Fatal(err)
	}
	if !b.MaxRetries.Valid || b.MaxRetries.Value != 3 {
		t.Errorf("DEFAULT max_retries stored as %+v", b.MaxRetries)
	}
	// created_at (NOT NULL DEFAULT now()) left NULL: absent — insert gives the default,
	// update leaves it as stored.
	if !b.CreatedAt.Valid {
		t.Fatal("created_at not filled by its default")
	}
	upd := *b
	upd.CreatedAt = cerd.Null[time.Time]{}
	upd.MaxRetries = cerd.Value[int32](5)
	u, err := c.ModelJobs().Update(ctx, &upd)
	if err != nil {
		t.Fatal(err)
	}
	if !u.CreatedAt.Value.Equal(b.CreatedAt.Value) || u.MaxRetries.Value != 5 {
		t.Errorf("update: created_at %v (was %v), max_retries %+v", u.CreatedAt, b.CreatedAt, u.MaxRetries)
	}
	// update can set a nullable column to NULL
	upd = *u
	upd.MaxRetries = cerd.Null[int32]{}
	u2, err := c.ModelJobs().UpdateColumns(ctx, &upd, cerd.ModelJobsColMaxRetries)
	if err != nil {
		t.Fatal(err)
	}
	if u2.MaxRetries.Valid {
		t.Errorf("update to NULL kept %v", u2.MaxRetries.Value)
	}
}

func TestTypedOperations(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	got, err := c.Assets().GetBySymbol(ctx, a.Symbol)
	if err != nil || got.ID != a.ID {
		t.Fatalf("get by symbol: %v %+v", err, got)
	}
	ok, err := c.Assets().Exists(ctx, a.ID)
	if err != nil || !ok {
		t.Fatalf("exists: %v %v", ok, err)
	}
	n, err := c.Assets().Count(ctx)
	if err != nil || n < 1 {
		t.Fatalf("count: %v %v", n, err)
	}
	// candles of the asset: list by foreign key, range, get by the composite key
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows []cerd.PriceData
	for i := 0; i < 50; i++ {
		p := cryptoerdtest.Make[cerd.PriceData](t, c, uint64(i+1), func(p *cerd.PriceData) {
			p.AssetID = a.ID
			p.Timeframe = "1h"
			p.CandleTime = base.Add(time.Duration(i) * time.Hour)
		})
		rows = append(rows, *p)
	}
	if n, err := c.PriceData().CopyFrom(ctx, rows, nil); err != nil || n != 50 {
		t.Fatalf("copy: %v %v", n, err)
	}
	list, next, err := c.PriceData().ListByAssetID(ctx, a.ID, cerd.Page{Limit: 20})
	if err != nil || len(list) != 20 || !next.Valid() {
		t.Fatalf("list by asset: %d %v %v", len(list), next.Valid(), err)
	}
	all, err := c.PriceData().ListAll(ctx)
	if err != nil || len(all) != 50 {
		t.Fatalf("list all: %d %v", len(all), err)
	}
	one, err := c.PriceData().Get(ctx, all[3].ID, all[3].CandleTime, all[3].AssetID)
	if err != nil || one.ID != all[3].ID {
		t.Fatalf("get (id, candle_time, asset_id): %v", err)
	}
	byCandle, err := c.PriceData().GetByCandle(ctx, a.ID, "1h", base.Add(10*time.Hour))
	if err != nil || !byCandle.CandleTime.Equal(base.Add(10*time.Hour)) {
		t.Fatalf("get by candle: %v", err)
	}
	from := cerd.PriceData{CandleTime: base.Add(5 * time.Hour)}
	to := cerd.PriceData{CandleTime: base.Add(15 * time.Hour)}
	eq := cerd.PriceData{AssetID: a.ID, Timeframe: "1h"}
	rg, more, err := c.PriceData().Range(ctx, cerd.Range[cerd.PriceData, cerd.PriceDataColumn]{
		Columns: []cerd.PriceDataColumn{cerd.PriceDataColAssetID, cerd.PriceDataColTimeframe, cerd.PriceDataColCandleTime},
		NEqual:  2, Equal: &eq, From: &from, To: &to})
	if err != nil || len(rg) != 10 || more {
		t.Fatalf("range: %d %v %v", len(rg), more, err)
	}
	for i, r := range rg {
		if !r.CandleTime.Equal(base.Add(time.Duration(5+i) * time.Hour)) {
			t.Errorf("range row %d at %v", i, r.CandleTime)
		}
	}
	// upsert by the unique key changes the close price, digit-exact
	u := rg[0]
	u.HighPrice = cerd.MustDecimal("99999.12345678")
	u.ClosePrice = cerd.MustDecimal("12345.67890123")
	u.ID = 0
	up, err := c.PriceData().UpsertByCandle(ctx, &u)
	if err != nil || up.ClosePrice.String() != "12345.67890123" || up.ID != rg[0].ID {
		t.Fatalf("upsert by candle: %v %+v", err, up)
	}
	if err := c.PriceData().Delete(ctx, up.ID, up.CandleTime, up.AssetID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PriceData().Get(ctx, up.ID, up.CandleTime, up.AssetID); !errorsIs(err, cerd.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	// bulk upsert
	res, err := c.PriceData().BulkUpsert(ctx, "unique_asset_timeframe_candle", rg[1:4], false)
	if err != nil || res.Updated != 3 {
		t.Fatalf("bulk upsert: %+v %v", res, err)
	}
	// copy out
	co, err := c.PriceData().CopyOut(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cnt := 0
	for co.Next() {
		cnt++
	}
	if err := co.Err(); err != nil || cnt != 49 {
		t.Fatalf("copy out: %d %v", cnt, err)
	}
	co.Close()
	// soft delete on users
	usr := cryptoerdtest.Create[cerd.Users](t, c, 3, func(u *cerd.Users) { u.DeletedAt = cerd.Null[time.Time]{} })
	if err := c.Users().Delete(ctx, usr.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users().Get(ctx, usr.ID); !errorsIs(err, cerd.ErrNotFound) {
		t.Errorf("soft-deleted user found: %v", err)
	}
	if g, err := c.Users().GetAny(ctx, usr.ID); err != nil || !g.DeletedAt.Valid {
		t.Errorf("get_any: %v", err)
	}
}
