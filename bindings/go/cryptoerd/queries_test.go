package cryptoerd_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

// The typed queries (queries_gen.go, generated from queries/*.sql) on the seeded scenario
// of the C suite (tests/queries/seed.sql): every row equals, field by field and digit for
// digit, what the query's own statement gives through cerd_conn_query_json, and a
// parameter a CHECK refuses is a *ValidationError naming the column.

func seededConn(t *testing.T) *cerd.Conn {
	t.Helper()
	c, _ := cryptoerdtest.Conn(t)
	seed, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "queries", "seed.sql"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Exec(ctx, string(seed)); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := c.Exec(ctx, "SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	return c
}

func utc(s string) time.Time {
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return v
}

type jsonField struct {
	name  string
	value any // nil, json.Number, string, bool
}

// sameSQL runs the query's own statement with text parameters through QueryJSON and
// returns its rows with their columns in order.
func sameSQL(t *testing.T, c *cerd.Conn, query string, params ...string) [][]jsonField {
	t.Helper()
	info, ok := cerd.LookupQuery(query)
	if !ok {
		t.Fatalf("no query %s", query)
	}
	raw, err := c.QueryJSON(context.Background(), info.SQL, params...)
	if err != nil {
		t.Fatalf("%s through QueryJSON: %v", query, err)
	}
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	var rows [][]jsonField
	tok := func() json.Token {
		tk, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	tok() // [
	for d.More() {
		tok() // {
		var row []jsonField
		for d.More() {
			name := tok().(string)
			var v any
			if err := d.Decode(&v); err != nil {
				t.Fatal(err)
			}
			row = append(row, jsonField{name, v})
		}
		tok() // }
		rows = append(rows, row)
	}
	return rows
}

func snake(goName string) string {
	var b strings.Builder
	r := []rune(goName)
	for i, ch := range r {
		up := ch >= 'A' && ch <= 'Z'
		if up && i > 0 && (r[i-1] < 'A' || r[i-1] > 'Z' || (i+1 < len(r) && r[i+1] >= 'a' && r[i+1] <= 'z')) {
			b.WriteByte('_')
		}
		b.WriteRune(ch)
	}
	return strings.ToLower(b.String())
}

// sameQueryValue compares one field of a typed row with the JSON value of the same column.
func sameQueryValue(where string, got reflect.Value, want any) error {
	if got.Kind() == reflect.Struct && got.FieldByName("Valid").IsValid() && got.Type().Name() != "Time" {
		if !got.FieldByName("Valid").Bool() {
			if want != nil {
				return fmt.Errorf("%s: NULL, want %v", where, want)
			}
			return nil
		}
		got = got.FieldByName("Value")
	}
	if want == nil {
		return fmt.Errorf("%s: %v, want NULL", where, got.Interface())
	}
	switch g := got.Interface().(type) {
	case cerd.Decimal:
		if g.String() != string(want.(json.Number)) {
			return fmt.Errorf("%s: %s, want %s (digit for digit)", where, g.String(), want)
		}
	case int64:
		if strconv.FormatInt(g, 10) != string(want.(json.Number)) {
			return fmt.Errorf("%s: %d, want %s", where, g, want)
		}
	case int32:
		if strconv.FormatInt(int64(g), 10) != string(want.(json.Number)) {
			return fmt.Errorf("%s: %d, want %s", where, g, want)
		}
	case string:
		if g != want.(string) {
			return fmt.Errorf("%s: %q, want %q", where, g, want)
		}
	case bool:
		if g != want.(bool) {
			return fmt.Errorf("%s: %v, want %v", where, g, want)
		}
	case time.Time:
		s := want.(string)
		var w time.Time
		var err error
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999Z07", "2006-01-02 15:04:05.999999Z07:00", "2006-01-02T15:04:05.999999Z07"} {
			if w, err = time.Parse(layout, s); err == nil {
				break
			}
		}
		if err != nil {
			return fmt.Errorf("%s: cannot read %q: %v", where, s, err)
		}
		if !g.Equal(w) || g.Location() != time.UTC {
			return fmt.Errorf("%s: %v, want %v in UTC", where, g, w)
		}
	default:
		return fmt.Errorf("%s: no comparison for %T", where, g)
	}
	return nil
}

func assertRowsEqual[T any](t *testing.T, got []T, want [][]jsonField) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, the same SQL gives %d", len(got), len(want))
	}
	for i := range got {
		v := reflect.ValueOf(got[i])
		if v.NumField() != len(want[i]) {
			t.Fatalf("row %d: %d fields, %d columns", i, v.NumField(), len(want[i]))
		}
		for k := 0; k < v.NumField(); k++ {
			f := v.Type().Field(k)
			if snake(f.Name) != want[i][k].name {
				t.Fatalf("row %d: field %s for column %s", i, f.Name, want[i][k].name)
			}
			if err := sameQueryValue(fmt.Sprintf("row %d %s", i, f.Name), v.Field(k), want[i][k].value); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestQueriesManyWithLeftJoinNulls(t *testing.T) {
	c := seededConn(t)
	ctx := context.Background()
	rows, err := c.Queries().LatestCandlesInSector(ctx, cerd.LatestCandlesInSectorParams{Timeframe: "1h", SectorID: 1})
	if err != nil {
		t.Fatal(err)
	}
	assertRowsEqual(t, rows, sameSQL(t, c, "latest_candles_in_sector", "1h", "1"))
	seen := 0
	for _, r := range rows {
		switch r.Symbol {
		case "AAVE": // no candle: the LEFT JOIN LATERAL side is NULL
			seen++
			if r.ClosePrice.Valid || r.CandleTime.Valid {
				t.Errorf("AAVE: %+v", r)
			}
		case "UNI":
			seen++
			if !r.ClosePrice.Valid || r.CandleTime.Value.Location() != time.UTC {
				t.Errorf("UNI: %+v", r)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("rows: %+v", rows)
	}
}

func TestQueriesStreamGivesTheSameRows(t *testing.T) {
	c := seededConn(t)
	ctx := context.Background()
	p := cerd.LatestCandlesInSectorParams{Timeframe: "1h", SectorID: 1}
	rows, err := c.Queries().LatestCandlesInSector(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Queries().LatestCandlesInSectorStream(ctx, p, 2)
	if err != nil {
		t.Fatal(err)
	}
	var streamed []cerd.LatestCandlesInSectorRow
	for s.Next() {
		var r cerd.LatestCandlesInSectorRow
		if err := s.Scan(&r); err != nil {
			t.Fatal(err)
		}
		streamed = append(streamed, r)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || len(streamed) != len(rows) {
		t.Fatalf("streamed %d rows, listed %d", len(streamed), len(rows))
	}
	for i := range rows {
		if rows[i].AssetID != streamed[i].AssetID || rows[i].ClosePrice.Value.String() != streamed[i].ClosePrice.Value.String() {
			t.Errorf("row %d: %+v vs %+v", i, rows[i], streamed[i])
		}
	}
	// the connection works again after the stream
	if _, err := c.Queries().LatestClose(ctx, cerd.LatestCloseParams{AssetID: 1, Timeframe: "1d"}); err != nil {
		t.Fatal(err)
	}
}

func TestQueriesNumericAggregatesAreExact(t *testing.T) {
	c := seededConn(t)
	ctx := context.Background()
	p := cerd.ResampleCandlesParams{BucketHours: 4, AssetID: 1, FromTime: utc("2026-01-01T00:00:00Z"), ToTime: utc("2026-01-03T00:00:00Z")}
	rows, err := c.Queries().ResampleCandles(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 || rows[0].OpenPrice.String() != "100.00000000" {
		t.Fatalf("%d rows, first open %v", len(rows), rows)
	}
	assertRowsEqual(t, rows, sameSQL(t, c, "resample_candles", "4", "1", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z"))
	p.BucketHours, p.AssetID = 24, 3
	if rows, err = c.Queries().ResampleCandles(ctx, p); err != nil || len(rows) != 2 {
		t.Fatalf("%v %v", rows, err)
	}
	assertRowsEqual(t, rows, sameSQL(t, c, "resample_candles", "24", "3", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z"))
}

func TestQueriesMoreEqualTheSameSQL(t *testing.T) {
	c := seededConn(t)
	ctx := context.Background()
	q := c.Queries()
	pv, err := q.PortfolioPositionsValued(ctx, cerd.PortfolioPositionsValuedParams{Timeframe: "1h", PortfolioID: 1})
	if err != nil {
		t.Fatal(err)
	}
	assertRowsEqual(t, pv, sameSQL(t, c, "portfolio_positions_valued", "1h", "1"))
	sg, err := q.ActiveSignalsWithRegime(ctx, cerd.ActiveSignalsWithRegimeParams{RegimeTimeframe: "4h", Now: utc("2026-01-02T00:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	assertRowsEqual(t, sg, sameSQL(t, c, "active_signals_with_regime", "4h", "2026-01-02T00:00:00Z"))
	mh, err := q.ModelPerformanceHistory(ctx, cerd.ModelPerformanceHistoryParams{Since: utc("2026-01-01T00:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	assertRowsEqual(t, mh, sameSQL(t, c, "model_performance_history", "2026-01-01T00:00:00Z"))
	if len(pv) == 0 || len(sg) == 0 || len(mh) == 0 {
		t.Fatalf("empty: %d %d %d", len(pv), len(sg), len(mh))
	}
}

func TestQueriesOneAndNotFound(t *testing.T) {
	c := seededConn(t)
	ctx := context.Background()
	r, err := c.Queries().LatestClose(ctx, cerd.LatestCloseParams{AssetID: 1, Timeframe: "1d"})
	if err != nil {
		t.Fatal(err)
	}
	assertRowsEqual(t, []cerd.LatestCloseRow{r}, sameSQL(t, c, "latest_close", "1", "1d"))
	if r.ClosePrice.String() != "125.50000000" || !r.CandleTime.Equal(utc("2026-01-02T00:00:00Z")) {
		t.Errorf("%+v", r)
	}
	n, err := c.Queries().UserActivityCount(ctx, cerd.UserActivityCountParams{UserID: 1, ActivityType: "login"})
	if err != nil {
		t.Fatal(err)
	}
	assertRowsEqual(t, []cerd.UserActivityCountRow{n}, sameSQL(t, c, "user_activity_count", "1", "login"))
	_, err = c.Queries().LatestClose(ctx, cerd.LatestCloseParams{AssetID: 4, Timeframe: "1d"})
	if !errors.Is(err, cerd.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}

func TestQueriesExecCountsRows(t *testing.T) {
	c := seededConn(t)
	ctx := context.Background()
	now := utc("2026-01-02T12:00:00Z")
	raw, err := c.QueryJSON(ctx, "SELECT count(*) AS n FROM ai_trading_signals WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= $1::timestamptz", "2026-01-02T12:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	var want []struct{ N int64 }
	if err := json.Unmarshal(raw, &want); err != nil || len(want) != 1 || want[0].N == 0 {
		t.Fatalf("%s %v", raw, err)
	}
	n, err := c.Queries().ExpireStaleSignals(ctx, cerd.ExpireStaleSignalsParams{Now: now})
	if err != nil || n != want[0].N {
		t.Fatalf("expired %d (%v), want %d", n, err, want[0].N)
	}
	if n, err = c.Queries().ExpireStaleSignals(ctx, cerd.ExpireStaleSignalsParams{Now: now}); err != nil || n != 0 {
		t.Fatalf("again: %d %v", n, err)
	}
}

func TestQueriesCheckViolatingParameterIsValidationError(t *testing.T) {
	c := seededConn(t)
	ctx := context.Background()
	_, err := c.Queries().LatestCandlesInSector(ctx, cerd.LatestCandlesInSectorParams{Timeframe: "2h", SectorID: 1})
	var ve *cerd.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, cerd.ErrInvalid) {
		t.Fatalf("want *ValidationError, got %T %v", err, err)
	}
	if ve.Column != "timeframe" || ve.Constraint != "chk_price_data_timeframe" || !strings.Contains(ve.Message, "latest_candles_in_sector") {
		t.Errorf("%+v", ve.ErrorInfo)
	}
	_, err = c.Queries().UserActivityCount(ctx, cerd.UserActivityCountParams{UserID: 1, ActivityType: "logout"})
	if !errors.As(err, &ve) || ve.Column != "activity_type" || ve.Constraint != "chk_user_activities_activity_type" {
		t.Errorf("%T %v", err, err)
	}
	if _, err := c.Queries().LatestCandlesInSectorStream(ctx, cerd.LatestCandlesInSectorParams{Timeframe: "2h", SectorID: 1}, 0); !errors.As(err, &ve) {
		t.Errorf("stream: %T %v", err, err)
	}
	// with validation off the server answers: no candle has that timeframe
	c.SetValidation(false)
	rows, err := c.Queries().LatestCandlesInSector(ctx, cerd.LatestCandlesInSectorParams{Timeframe: "2h", SectorID: 1})
	c.SetValidation(true)
	if err != nil || len(rows) == 0 || rows[0].ClosePrice.Valid {
		t.Fatalf("%v %v", rows, err)
	}
}

func TestQueriesCanceledContext(t *testing.T) {
	c := seededConn(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Queries().LatestClose(ctx, cerd.LatestCloseParams{AssetID: 1, Timeframe: "1d"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if _, err := c.Queries().LatestClose(context.Background(), cerd.LatestCloseParams{AssetID: 1, Timeframe: "1d"}); err != nil {
		t.Fatalf("after a cancel: %v", err)
	}
}

func TestQueryNames(t *testing.T) {
	names := cerd.QueryNames()
	if len(names) < 13 {
		t.Fatalf("%v", names)
	}
	q, ok := cerd.LookupQuery("expire_stale_signals")
	if !ok || q.Shape != "exec" || !strings.HasPrefix(q.Origin, "queries/signals.sql:") || !strings.Contains(q.SQL, "$1") {
		t.Fatalf("%+v", q)
	}
}

func statuses(t *testing.T, c *cerd.Conn) string {
	t.Helper()
	raw, err := c.QueryJSON(context.Background(), "SELECT string_agg(id || ':' || status, ',' ORDER BY id) AS s FROM ai_trading_signals")
	if err != nil {
		t.Fatal(err)
	}
	var v []struct{ S string }
	if err := json.Unmarshal(raw, &v); err != nil || len(v) != 1 {
		t.Fatalf("%s %v", raw, err)
	}
	return v[0].S
}

func TestQueriesExecManyIsOneAtomicBatch(t *testing.T) {
	c := seededConn(t)
	ctx := context.Background()
	q := c.Queries()
	at := utc("2026-01-03T00:00:00Z")
	before := statuses(t, c)
	if before != "1:active,2:active,3:active,4:executed,5:active" {
		t.Fatal(before)
	}
	_, err := q.SetSignalStatusMany(ctx, []cerd.SetSignalStatusParams{
		{Status: "executed", Now: at, SignalID: 1}, {Status: "bogus", Now: at, SignalID: 2}})
	var ve *cerd.ValidationError
	if !errors.As(err, &ve) || ve.Column != "status" || ve.Constraint != "chk_ai_trading_signals_status" ||
		!strings.Contains(ve.Message, "batch operation 1 (query set_signal_status)") {
		t.Fatalf("%T %v", err, err)
	}
	if s := statuses(t, c); s != before {
		t.Fatalf("written after a refusal: %s", s)
	}
	n, err := q.SetSignalStatusMany(ctx, []cerd.SetSignalStatusParams{
		{Status: "executed", Now: at, SignalID: 1}, {Status: "cancelled", Now: at, SignalID: 2},
		{Status: "active", Now: at, SignalID: 99}})
	if err != nil || n != 2 {
		t.Fatalf("%d %v", n, err)
	}
	now := cerd.ExpireStaleSignalsParams{Now: utc("2026-01-02T12:00:00Z")}
	if n, err = q.ExpireStaleSignalsMany(ctx, []cerd.ExpireStaleSignalsParams{now, now}); err != nil || n != 2 {
		t.Fatalf("%d %v", n, err)
	}
	if s := statuses(t, c); s != "1:executed,2:cancelled,3:expired,4:executed,5:expired" {
		t.Fatal(s)
	}
	if n, err = q.SetSignalStatusMany(ctx, nil); err != nil || n != 0 {
		t.Fatalf("%d %v", n, err)
	}
}
