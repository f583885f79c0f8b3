package cryptoerd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

func transferFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func priceRows(t *testing.T, c *cerd.Conn) int64 {
	t.Helper()
	n, err := c.PriceData().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A CSV file whose fourth line has a close price that is not a number: the import
// writes nothing and the error is a *ValidationError naming the table, the column, the
// constraint and the line (the second record spans lines 2 and 3: the line is the
// file's, not the record's ordinal).
func TestImportCSVBadLineNamesLineAndColumn(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	path := transferFile(t, "prices.csv", fmt.Sprintf(
		"asset_id,timeframe,open_price,high_price,low_price,close_price,technical_indicators,candle_time\n"+
			"%[1]d,1h,100.5,110,90,105.25,\"{\"\"rsi\"\":\n 55.5}\",2025-01-01T00:00:00Z\n"+
			"%[1]d,1h,101,111,91,abc,,2025-01-01T01:00:00Z\n"+
			"%[1]d,1h,101,111,91,100,,2025-01-01T02:00:00Z\n", a.ID))
	res, err := c.Import(ctx, "price_data", path, cerd.ImportOptions{})
	var ve *cerd.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("import: %v (%T), want a *ValidationError", err, err)
	}
	if !errors.Is(err, cerd.ErrInvalid) || ve.Line != 4 || ve.Table != "price_data" || ve.Column != "close_price" ||
		ve.Constraint != "type" || !strings.HasPrefix(ve.Message, path+":4:") {
		t.Errorf("error: line %d table %q column %q constraint %q message %q", ve.Line, ve.Table, ve.Column, ve.Constraint, ve.Message)
	}
	if len(ve.Violations) != 1 || ve.Violations[0].Kind != cerd.ViolationType ||
		!reflect.DeepEqual(ve.Violations[0].Columns, []string{"close_price"}) {
		t.Errorf("violations: %+v", ve.Violations)
	}
	if res.Rows != 0 || priceRows(t, c) != 0 {
		t.Errorf("rows written: %d, in the table: %d; want none (all or nothing)", res.Rows, priceRows(t, c))
	}
	// the same file without the bad line: every row is written, the multi-line JSON read
	good := strings.Replace(string(must(os.ReadFile(path))), ",abc,", ",106,", 1)
	res, err = c.Import(ctx, "price_data", transferFile(t, "good.csv", good), cerd.ImportOptions{Format: cerd.FormatCSV})
	if err != nil || res.Rows != 3 || priceRows(t, c) != 3 {
		t.Fatalf("good CSV: %+v %v, %d rows in the table", res, err, priceRows(t, c))
	}
	first, err := c.PriceData().GetByCandle(ctx, a.ID, "1h", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || !jsonEqual(first.TechnicalIndicators.Value, json.RawMessage(`{"rsi": 55.5}`)) ||
		first.ClosePrice.String() != "105.25000000" {
		t.Errorf("first row: %v %s %s", err, first.TechnicalIndicators.Value, first.ClosePrice)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// JSON Lines: a row that fails client-side validation (a CHECK) on line 3 (line 2 is
// blank) names that line, its column and the CHECK; a row the server refuses (a
// duplicate key) names no line.
func TestImportJSONLBadLine(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	line := func(tf, at string) string {
		return fmt.Sprintf(`{"asset_id": %d, "timeframe": %q, "open_price": "1.5", "high_price": 2, "low_price": 1, "close_price": 1.75, "candle_time": %q}`+"\n", a.ID, tf, at)
	}
	data := line("1h", "2025-01-01T00:00:00Z") + "\n" + line("7x", "2025-01-01T01:00:00Z")
	_, err := c.ImportFrom(ctx, "price_data", strings.NewReader(data), cerd.ImportOptions{Format: cerd.FormatJSONL, Name: "feed.jsonl"})
	var ve *cerd.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, cerd.ErrInvalid) {
		t.Fatalf("import: %v (%T), want a *ValidationError", err, err)
	}
	if ve.Line != 3 || ve.Table != "price_data" || ve.Column != "timeframe" || ve.Constraint != "chk_price_data_timeframe" ||
		!strings.HasPrefix(ve.Message, "feed.jsonl:3:") {
		t.Errorf("error: line %d table %q column %q constraint %q message %q", ve.Line, ve.Table, ve.Column, ve.Constraint, ve.Message)
	}
	if priceRows(t, c) != 0 {
		t.Errorf("rows were written")
	}
	// a value its type cannot read, on line 2: the column comes from the message
	_, err = c.ImportFrom(ctx, "price_data", strings.NewReader(line("1h", "2025-01-01T00:00:00Z")+
		strings.Replace(line("1h", "2025-01-01T01:00:00Z"), `"close_price": 1.75`, `"close_price": "abc"`, 1)),
		cerd.ImportOptions{Format: cerd.FormatJSONL, Name: "feed.jsonl"})
	if !errors.As(err, &ve) || ve.Line != 2 || ve.Column != "close_price" || ve.Constraint != "type" ||
		len(ve.Violations) != 1 || ve.Violations[0].Kind != cerd.ViolationType {
		t.Errorf("a JSON value of the wrong type: %v; line %d column %q constraint %q %+v", err, lineOf(err), ve.Column, ve.Constraint, ve.Violations)
	}
	// malformed JSON on line 2
	_, err = c.ImportFrom(ctx, "price_data", strings.NewReader(line("1h", "2025-01-01T00:00:00Z")+"{\"asset_id\": 1,\n"),
		cerd.ImportOptions{Format: cerd.FormatJSONL, Name: "broken.jsonl"})
	var info *cerd.ValidationError
	if !errors.As(err, &info) || info.Line != 2 || info.Table != "price_data" {
		t.Errorf("malformed JSON: %v, line %d", err, lineOf(err))
	}
	// the unique key twice: the server refuses the COPY and names no line of the input
	dup := line("1h", "2025-01-01T00:00:00Z") + line("1h", "2025-01-01T00:00:00Z")
	_, err = c.ImportFrom(ctx, "price_data", strings.NewReader(dup), cerd.ImportOptions{Format: cerd.FormatJSONL})
	var ce *cerd.ConstraintError
	if !errors.As(err, &ce) || !errors.Is(err, cerd.ErrUniqueViolation) || ce.Line != 0 ||
		!strings.Contains(ce.Message, "names no line") {
		t.Errorf("duplicate: %v (%T), line %d", err, err, lineOf(err))
	}
	// the good rows, with progress
	var calls [][2]int64
	res, err := c.ImportFrom(ctx, "price_data", strings.NewReader(line("1h", "2025-01-01T00:00:00Z")+line("1h", "2025-01-01T01:00:00Z")),
		cerd.ImportOptions{Format: cerd.FormatJSONL, Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }})
	if err != nil || res.Rows != 2 || priceRows(t, c) != 2 {
		t.Fatalf("good JSONL: %+v %v", res, err)
	}
	if len(calls) == 0 || calls[len(calls)-1] != [2]int64{2, 0} {
		t.Errorf("progress calls %v, want the last to be (2, 0)", calls)
	}
}

func lineOf(err error) int64 {
	var e *cerd.Error
	var ve *cerd.ValidationError
	var ce *cerd.ConstraintError
	switch {
	case errors.As(err, &e):
		return e.Line
	case errors.As(err, &ve):
		return ve.Line
	case errors.As(err, &ce):
		return ce.Line
	}
	return -1
}

type failingReader struct {
	data []byte
	err  error
	then func()
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		if r.then != nil {
			r.then()
		}
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

var errDisk = errors.New("disk on fire")

// A reader that fails, or a context that ends during the import, stops it: nothing is
// written and the error matches the cause.
func TestImportStopsOnReaderErrorAndCancel(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	csv := fmt.Sprintf("asset_id,timeframe,open_price,high_price,low_price,close_price,candle_time\n"+
		"%d,1h,1,2,1,1,2025-01-01T00:00:00Z\n", a.ID)
	_, err := c.ImportFrom(ctx, "price_data", &failingReader{data: []byte(csv), err: errDisk}, cerd.ImportOptions{})
	if !errors.Is(err, errDisk) || priceRows(t, c) != 0 {
		t.Errorf("failing reader: %v, %d rows", err, priceRows(t, c))
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err = c.ImportFrom(cctx, "price_data", &failingReader{data: []byte(csv), err: io.EOF, then: cancel}, cerd.ImportOptions{})
	if !errors.Is(err, context.Canceled) || priceRows(t, c) != 0 {
		t.Errorf("canceled: %v, %d rows", err, priceRows(t, c))
	}
	// the connection is usable afterwards
	if _, err := c.ImportFrom(ctx, "price_data", strings.NewReader(csv), cerd.ImportOptions{}); err != nil || priceRows(t, c) != 1 {
		t.Errorf("import after the failures: %v", err)
	}
	// misuse: a table of no schema, the binary format
	if _, err := c.ImportFrom(ctx, "nope", strings.NewReader(csv), cerd.ImportOptions{}); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("unknown table: %v", err)
	}
	if _, err := c.ImportFrom(ctx, "price_data", strings.NewReader(csv), cerd.ImportOptions{Format: cerd.FormatBinary}); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("binary import: %v", err)
	}
	if _, err := c.Import(ctx, "price_data", filepath.Join(t.TempDir(), "missing.csv"), cerd.ImportOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// roundTripData inserts candles and sessions with exact and awkward values: the largest
// numerics, JSON with long numbers and quotes, text with commas, quotes and line breaks,
// the empty string next to NULL, an IPv6 address.
func roundTripData(t *testing.T, c *cerd.Conn) {
	ctx := context.Background()
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	base := time.Date(2025, 5, 1, 12, 34, 56, 789012000, time.UTC)
	for i := 0; i < 5; i++ {
		r := partitionCandle(a.ID, base.Add(time.Duration(i)*time.Hour))
		if i == 0 {
			r.OpenPrice, r.LowPrice = cerd.MustDecimal("0.00000001"), cerd.MustDecimal("0.00000001")
			r.HighPrice = cerd.MustDecimal("999999999999.99999999")
			r.Volume = cerd.Value(cerd.MustDecimal("1234567890123456789012345678.99"))
			r.TradeCount = cerd.Value(int32(2147483647))
			r.VWAP = cerd.Value(cerd.MustDecimal("1.10000000"))
			r.TechnicalIndicators = cerd.Value(json.RawMessage(`{"rsi": 55.123456789012345678901234567890, "note": "a,b \"q\"\nline", "n": null}`))
			r.IsValidated = cerd.Value(true)
		}
		if i == 1 {
			r.MarketCap = cerd.Value(cerd.MustDecimal("-0.01"))
		}
		if _, err := c.PriceData().Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for i, tok := range []string{"tok,\"with\" quotes\nand a newline", "plain"} {
		i := i
		tok := tok
		cryptoerdtest.Create[cerd.UserSessions](t, c, uint64(10+i), func(s *cerd.UserSessions) {
			s.SessionToken = cerd.Value(tok)
			if i == 0 {
				s.RefreshToken = cerd.Value("") // the empty string, not NULL
				s.IPAddress = cerd.Value(netip.MustParsePrefix("2001:db8::1/128"))
			} else {
				s.RefreshToken = cerd.Null[string]{}
			}
		})
	}
}

// Export, then import into the emptied tables: the rows come back equal, field by field,
// in CSV and in JSON Lines.
func TestExportImportRoundTrip(t *testing.T) {
	for _, f := range []cerd.Format{cerd.FormatCSV, cerd.FormatJSONL} {
		f := f
		t.Run(f.String(), func(t *testing.T) {
			ctx := context.Background()
			c, _ := cryptoerdtest.Conn(t)
			roundTripData(t, c)
			wantPrices, err := c.PriceData().ListAll(ctx)
			if err != nil || len(wantPrices) != 5 {
				t.Fatalf("list: %d %v", len(wantPrices), err)
			}
			wantSessions, err := c.UserSessions().ListAll(ctx)
			if err != nil || len(wantSessions) != 2 {
				t.Fatalf("list sessions: %d %v", len(wantSessions), err)
			}
			dir := t.TempDir()
			prices, sessions := filepath.Join(dir, "prices."+f.String()), filepath.Join(dir, "sessions."+f.String())
			// the format from the file's suffix
			if res, err := c.Export(ctx, "price_data", prices, cerd.ExportOptions{}); err != nil || res.Rows != 5 || res.Format != f {
				t.Fatalf("export price_data: %+v %v", res, err)
			}
			if res, err := c.Export(ctx, "user_sessions", sessions, cerd.ExportOptions{Format: f}); err != nil || res.Rows != 2 {
				t.Fatalf("export user_sessions: %+v %v", res, err)
			}
			text := string(must(os.ReadFile(prices)))
			if f == cerd.FormatCSV {
				header := strings.Join(cerd.ColumnNames("price_data"), ",") + "\n"
				if !strings.HasPrefix(text, header) {
					t.Errorf("CSV header: %q, want %q", strings.SplitN(text, "\n", 2)[0], header)
				}
			} else if n := strings.Count(text, "\n"); n != 5 {
				t.Errorf("JSON Lines: %d lines, want 5", n)
			}
			if err := c.Exec(ctx, "DELETE FROM price_data; DELETE FROM user_sessions"); err != nil {
				t.Fatal(err)
			}
			if priceRows(t, c) != 0 {
				t.Fatal("not emptied")
			}
			if res, err := c.Import(ctx, "price_data", prices, cerd.ImportOptions{}); err != nil || res.Rows != 5 || res.Format != f {
				t.Fatalf("import price_data: %+v %v", res, err)
			}
			if res, err := c.Import(ctx, "user_sessions", sessions, cerd.ImportOptions{Format: f}); err != nil || res.Rows != 2 {
				t.Fatalf("import user_sessions: %+v %v", res, err)
			}
			gotPrices, err := c.PriceData().ListAll(ctx)
			if err != nil || !reflect.DeepEqual(gotPrices, wantPrices) {
				t.Errorf("price_data after the round trip (%v):\n got %+v\nwant %+v", err, gotPrices, wantPrices)
			}
			gotSessions, err := c.UserSessions().ListAll(ctx)
			if err != nil || !reflect.DeepEqual(gotSessions, wantSessions) {
				t.Errorf("user_sessions after the round trip (%v):\n got %+v\nwant %+v", err, gotSessions, wantSessions)
			}
			if gotSessions[0].RefreshToken.Valid != true || gotSessions[0].RefreshToken.Value != "" || gotSessions[1].RefreshToken.Valid {
				t.Errorf("empty string and NULL: %+v %+v", gotSessions[0].RefreshToken, gotSessions[1].RefreshToken)
			}
		})
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errDisk
}

func TestExportOptions(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	roundTripData(t, c)
	all, err := c.PriceData().ListAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// binary: PostgreSQL's COPY signature, then the rows
	var buf bytes.Buffer
	var calls [][2]int64
	res, err := c.ExportTo(ctx, "price_data", &buf, cerd.ExportOptions{Format: cerd.FormatBinary,
		Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }})
	if err != nil || res.Rows != 5 || !bytes.HasPrefix(buf.Bytes(), []byte("PGCOPY\n\xff\r\n\x00")) {
		t.Errorf("binary: %+v %v %q", res, err, buf.Bytes()[:minLen(len(buf.Bytes()), 16)])
	}
	if len(calls) == 0 || calls[len(calls)-1] != [2]int64{5, 5} {
		t.Errorf("progress %v, want the last (5, 5)", calls)
	}
	// a range: the candles from the second to the fourth hour (half-open)
	eq := cerd.PriceData{AssetID: all[0].AssetID, Timeframe: "1h"}
	from, to := cerd.PriceData{CandleTime: all[1].CandleTime}, cerd.PriceData{CandleTime: all[4].CandleTime}
	buf.Reset()
	res, err = c.ExportTo(ctx, "price_data", &buf, cerd.ExportOptions{Range: cerd.Range[cerd.PriceData, cerd.PriceDataColumn]{
		Columns: []cerd.PriceDataColumn{cerd.PriceDataColAssetID, cerd.PriceDataColTimeframe, cerd.PriceDataColCandleTime},
		NEqual:  2, Equal: &eq, From: &from, To: &to}})
	if err != nil || res.Rows != 3 {
		t.Fatalf("range export: %+v %v", res, err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	for i, l := range lines {
		var row struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal([]byte(l), &row); err != nil || row.ID != all[1+i].ID {
			t.Errorf("range line %d: id %d (%v), want %d", i, row.ID, err, all[1+i].ID)
		}
	}
	// a failing writer stops the export with its error
	w := &failingWriter{}
	if _, err := c.ExportTo(ctx, "price_data", w, cerd.ExportOptions{}); !errors.Is(err, errDisk) || w.n != 1 {
		t.Errorf("failing writer: %v after %d writes", err, w.n)
	}
	// a range of another table's rows: misuse, and the file is not left behind
	path := filepath.Join(t.TempDir(), "out.jsonl")
	_, err = c.Export(ctx, "user_sessions", path, cerd.ExportOptions{Range: cerd.Range[cerd.PriceData, cerd.PriceDataColumn]{
		Columns: []cerd.PriceDataColumn{cerd.PriceDataColAssetID}, NEqual: 1, Equal: &eq}})
	if !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("range of another table: %v", err)
	}
	if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("the failed export left %s: %v", path, serr)
	}
	// the connection still works
	if n, err := c.PriceData().Count(ctx); err != nil || n != 5 {
		t.Errorf("count after: %d %v", n, err)
	}
}

func minLen(a, b int) int {
	if a < b {
		return a
	}
	return b
}

type panickingReader struct{}

func (panickingReader) Read([]byte) (int, error) { panic("reader exploded") }

// A panic of the reader does not cross the C frames: the import is stopped and rolled
// back, then the panic goes on in Go; the connection stays usable.
func TestImportReaderPanicIsRaisedAfterTheCall(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	func() {
		defer func() {
			if v := recover(); v != "reader exploded" {
				t.Errorf("recovered %v, want the reader's panic", v)
			}
		}()
		c.ImportFrom(ctx, "price_data", panickingReader{}, cerd.ImportOptions{})
		t.Errorf("ImportFrom returned")
	}()
	if n, err := c.PriceData().Count(ctx); err != nil || n != 0 {
		t.Errorf("after the panic: %d %v", n, err)
	}
}

func TestFormatOfPath(t *testing.T) {
	for path, want := range map[string]cerd.Format{"a.csv": cerd.FormatCSV, "b.JSONL": cerd.FormatJSONL,
		"c.ndjson": cerd.FormatJSONL, "d.bin": cerd.FormatBinary, "e.copy": cerd.FormatBinary, "f.txt": 0, "csv": 0} {
		if got := cerd.FormatOfPath(path); got != want {
			t.Errorf("FormatOfPath(%q) = %v, want %v", path, got, want)
		}
	}
}

// A progress function that panics at the end of the input: the panic goes on after the
// call, and nothing is written (the import ran in a transaction of the binding's own).
func TestImportProgressPanicWritesNothing(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	csv := fmt.Sprintf("asset_id,timeframe,open_price,high_price,low_price,close_price,candle_time\n"+
		"%d,1h,1,2,1,1,2025-01-01T00:00:00Z\n", a.ID)
	func() {
		defer func() {
			if v := recover(); v != "progress exploded" {
				t.Errorf("recovered %v, want the progress function's panic", v)
			}
		}()
		c.ImportFrom(ctx, "price_data", strings.NewReader(csv), cerd.ImportOptions{
			Progress: func(done, total int64) { panic("progress exploded") }})
		t.Errorf("ImportFrom returned")
	}()
	if n := priceRows(t, c); n != 0 {
		t.Errorf("%d rows written", n)
	}
	// with a progress function that returns, the import commits
	res, err := c.ImportFrom(ctx, "price_data", strings.NewReader(csv), cerd.ImportOptions{Progress: func(int64, int64) {}})
	if err != nil || res.Rows != 1 || priceRows(t, c) != 1 {
		t.Errorf("import with progress: %+v %v", res, err)
	}
}

// ReadRows reads a file's rows without a database: typed rows with their lines, in order;
// a bad line after the rows before it; the row function's error or panic stops it.
func TestReadRows(t *testing.T) {
	ctx := context.Background()
	text := "asset_id,timeframe,open_price,high_price,low_price,close_price,technical_indicators,candle_time\n" +
		"7,1h,100.123456789012345678,110,90,105.25,\"{\"\"rsi\"\":\n 55.5}\",2025-01-01T00:00:00.000001Z\n" +
		"7,1h,101,111,91,106,,2025-01-01T01:00:00Z\n" +
		"7,1h,101,111,91,abc,,2025-01-01T02:00:00Z\n"
	var lines []int64
	var got []*cerd.PriceData
	n, err := cerd.ReadRows(ctx, strings.NewReader(text), cerd.ImportOptions{Name: "p.csv"},
		func(line int64, r *cerd.PriceData) error {
			lines = append(lines, line)
			got = append(got, r)
			return nil
		})
	var ve *cerd.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, cerd.ErrInvalid) || ve.Line != 5 || ve.Column != "close_price" ||
		ve.Constraint != "type" || ve.Table != "price_data" || !strings.HasPrefix(ve.Message, "p.csv:5:") {
		t.Fatalf("bad line: %T %v", err, err)
	}
	if n != 2 || !reflect.DeepEqual(lines, []int64{2, 4}) {
		t.Fatalf("rows %d at lines %v, want 2 at [2 4]", n, lines)
	}
	// exact: the numeric as written (not validated against the column's scale here), the
	// timestamp to the microsecond, the JSON as given
	if got[0].OpenPrice.String() != "100.123456789012345678" || got[0].AssetID != 7 ||
		!got[0].CandleTime.Equal(time.Date(2025, 1, 1, 0, 0, 0, 1000, time.UTC)) ||
		!jsonEqual(got[0].TechnicalIndicators.Value, json.RawMessage(`{"rsi": 55.5}`)) || got[1].ClosePrice.String() != "106" {
		t.Errorf("rows: %+v %+v", got[0], got[1])
	}

	// JSON Lines; the row function's error stops the reading and is returned
	stop := errors.New("enough")
	calls := 0
	jsonl := strings.Repeat(`{"asset_id": 1, "timeframe": "1h", "open_price": 0.1000000000000000055511, "high_price": 1, "low_price": 0, "close_price": 1, "candle_time": "2025-04-01T00:00:00Z"}`+"\n", 5)
	n, err = cerd.ReadRows(ctx, strings.NewReader(jsonl), cerd.ImportOptions{Format: cerd.FormatJSONL},
		func(line int64, r *cerd.PriceData) error {
			calls++
			if r.OpenPrice.String() != "0.1000000000000000055511" {
				t.Errorf("line %d: open %s", line, r.OpenPrice)
			}
			if line == 2 {
				return stop
			}
			return nil
		})
	if err != stop || calls != 2 {
		t.Errorf("stopped: %v after %d calls (rows %d), want %v after 2", err, calls, n, stop)
	}

	// a panic of the row function comes back after the C call
	defer func() {
		if v := recover(); v != "row panic" {
			t.Errorf("recovered %v", v)
		}
	}()
	_, _ = cerd.ReadRows(ctx, strings.NewReader(jsonl), cerd.ImportOptions{Format: cerd.FormatJSONL},
		func(int64, *cerd.PriceData) error { panic("row panic") })
	t.Error("the panic was not raised")
}
