//go:build pgxbench

package bench

import (
	"context"
	"fmt"
	"math/big"
	"math/rand"
	"sort"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
	"github.com/jackc/pgtype"
	"github.com/jackc/pgx/v4"
)

func TestMain(m *testing.M) { cryptoerdtest.Main(m) }

// pgxCandle is what a careful pgx user scans price_data into: exact numerics
// (pgtype.Numeric), nullable columns as pgtype values.
type pgxCandle struct {
	ID, AssetID                      int64
	Timeframe                        string
	Open, High, Low, Close           pgtype.Numeric
	Volume, MarketCap                pgtype.Numeric
	TradeCount                       pgtype.Int4
	VWAP                             pgtype.Numeric
	Indicators                       pgtype.JSONB
	CandleTime                       time.Time
	IsValidated                      bool
	CreatedAt, UpdatedAt             time.Time
}

const cols = `id, asset_id, timeframe, open_price, high_price, low_price, close_price, volume,
	market_cap, trade_count, vwap, technical_indicators, candle_time, is_validated, created_at, updated_at`

func (c *pgxCandle) dest() []any {
	return []any{&c.ID, &c.AssetID, &c.Timeframe, &c.Open, &c.High, &c.Low, &c.Close, &c.Volume,
		&c.MarketCap, &c.TradeCount, &c.VWAP, &c.Indicators, &c.CandleTime, &c.IsValidated,
		&c.CreatedAt, &c.UpdatedAt}
}

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// The same 1,000 distinct exact prices for both sides, prepared once.
type prices struct {
	dec []cerd.Decimal
	num []pgtype.Numeric
}

func makePrices() prices {
	var p prices
	for i := 0; i < 1000; i++ {
		s := fmt.Sprintf("%d.%08d", 100+i, i*12345%100000000)
		p.dec = append(p.dec, cerd.MustDecimal(s))
		n := pgtype.Numeric{}
		if err := n.Set(s); err != nil {
			panic(err)
		}
		p.num = append(p.num, n)
	}
	return p
}

type env struct {
	ctx   context.Context
	dsn   string
	c     *cerd.Conn
	px    *pgx.Conn
	asset int64
	p     prices
}

func setup(b *testing.B) *env {
	b.Helper()
	ctx := context.Background()
	c, dsn := cryptoerdtest.Conn(b)
	px, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { px.Close(ctx) })
	a := cryptoerdtest.Create[cerd.Assets](b, c, 1, nil)
	return &env{ctx: ctx, dsn: dsn, c: c, px: px, asset: a.ID, p: makePrices()}
}

func (e *env) candle(i int, r *cerd.PriceData) {
	k := i % 1000
	*r = cerd.PriceData{AssetID: e.asset, Timeframe: "1m", OpenPrice: e.p.dec[k], HighPrice: e.p.dec[(k+7)%1000],
		LowPrice: e.p.dec[0], ClosePrice: e.p.dec[k], Volume: cerd.Value(e.p.dec[(k+3)%1000]),
		CandleTime: base.Add(time.Duration(i) * time.Minute)}
	if r.HighPrice.Cmp(r.OpenPrice) < 0 {
		r.HighPrice = r.OpenPrice
	}
}

func (e *env) pgxRow(i int) []any {
	k := i % 1000
	hi := (k + 7) % 1000
	if hi < k {
		hi = k
	}
	return []any{e.asset, "1m", &e.p.num[k], &e.p.num[hi], &e.p.num[0], &e.p.num[k],
		&e.p.num[(k+3)%1000], base.Add(time.Duration(i) * time.Minute)}
}

var copyCols = []string{"asset_id", "timeframe", "open_price", "high_price", "low_price", "close_price", "volume", "candle_time"}

func (e *env) truncate(b *testing.B) {
	if err := e.c.Exec(e.ctx, "TRUNCATE price_data"); err != nil {
		b.Fatal(err)
	}
}

func (e *env) copyCerd(b *testing.B, n int) {
	i := 0
	w, err := e.c.PriceData().CopyFromFunc(e.ctx, nil, func(r *cerd.PriceData) (bool, error) {
		if i == n {
			return false, nil
		}
		e.candle(i, r)
		i++
		return true, nil
	})
	if err != nil || w != int64(n) {
		b.Fatalf("copy: %d %v", w, err)
	}
}

func (e *env) copyPgx(b *testing.B, n int) {
	w, err := e.px.CopyFrom(e.ctx, pgx.Identifier{"price_data"}, copyCols,
		pgx.CopyFromSlice(n, func(i int) ([]any, error) { return e.pgxRow(i), nil }))
	if err != nil || w != int64(n) {
		b.Fatalf("pgx copy: %d %v", w, err)
	}
}

const million = 1000000

// COPY 1,000,000 candles (the cryptoerd side validates every row client-side first).
func BenchmarkCopyMillionCandles(b *testing.B) {
	e := setup(b)
	b.Run("cryptoerd", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			e.truncate(b)
			b.StartTimer()
			e.copyCerd(b, million)
		}
	})
	b.Run("pgx", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			e.truncate(b)
			b.StartTimer()
			e.copyPgx(b, million)
		}
	})
}

// Read 1,000,000 candles into structs.
func BenchmarkReadMillionCandles(b *testing.B) {
	e := setup(b)
	e.truncate(b)
	e.copyCerd(b, million)
	b.Run("cryptoerd-stream", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := e.c.PriceData().Stream(e.ctx, nil, 10000)
			if err != nil {
				b.Fatal(err)
			}
			var r cerd.PriceData
			n := 0
			for rows.Next() {
				rows.Scan(&r)
				n++
			}
			if rows.Err() != nil || n != million {
				b.Fatal(n, rows.Err())
			}
			rows.Close()
		}
	})
	b.Run("cryptoerd-copyout", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := e.c.PriceData().CopyOut(e.ctx)
			if err != nil {
				b.Fatal(err)
			}
			var r cerd.PriceData
			n := 0
			for rows.Next() {
				rows.Scan(&r)
				n++
			}
			if rows.Err() != nil || n != million {
				b.Fatal(n, rows.Err())
			}
			rows.Close()
		}
	})
	b.Run("pgx", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := e.px.Query(e.ctx, "SELECT "+cols+" FROM price_data ORDER BY id, candle_time")
			if err != nil {
				b.Fatal(err)
			}
			var r pgxCandle
			d := r.dest()
			n := 0
			for rows.Next() {
				if err := rows.Scan(d...); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if rows.Err() != nil || n != million {
				b.Fatal(n, rows.Err())
			}
			rows.Close()
		}
	})
}

// 100,000 primary-key lookups ((id, candle_time)) into structs, over 10,000 candles.
func BenchmarkPKLookups(b *testing.B) {
	e := setup(b)
	e.truncate(b)
	const rowsN = 10000
	e.copyCerd(b, rowsN)
	type key struct {
		id    int64
		t     time.Time
		asset int64
	}
	all, err := e.c.PriceData().ListAll(e.ctx)
	if err != nil || len(all) != rowsN {
		b.Fatal(err)
	}
	keys := make([]key, 100000)
	rng := rand.New(rand.NewSource(1))
	for i := range keys {
		r := all[rng.Intn(rowsN)]
		keys[i] = key{r.ID, r.CandleTime, r.AssetID}
	}
	b.Run("cryptoerd", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, k := range keys {
				r, err := e.c.PriceData().Get(e.ctx, k.id, k.t, k.asset)
				if err != nil || r.ID != k.id {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("pgx", func(b *testing.B) {
		q := "SELECT " + cols + " FROM price_data WHERE id = $1 AND candle_time = $2"
		for i := 0; i < b.N; i++ {
			for _, k := range keys {
				var r pgxCandle
				if err := e.px.QueryRow(e.ctx, q, k.id, k.t).Scan(r.dest()...); err != nil || r.ID != k.id {
					b.Fatal(err)
				}
			}
		}
	})
}

var _ = big.NewInt

// ---------------------------------------------------------------- interleaved

// The comparisons recorded in docs/benchmarks.md: the two sides alternate (reps times,
// lookups in 20 chunks each), so load that changes during the run hits both; reported as
// the medians of each side and their ratio (pgx time / binding time).

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func report(b *testing.B, cerdS, pgxS []float64) {
	mc, mp := median(cerdS), median(pgxS)
	b.ReportMetric(mc, "binding-s")
	b.ReportMetric(mp, "pgx-s")
	b.ReportMetric(mp/mc, "ratio")
	b.Logf("binding %v, pgx %v", cerdS, pgxS)
}

func timeIt(f func()) float64 {
	t := time.Now()
	f()
	return time.Since(t).Seconds()
}

const reps = 5

func BenchmarkInterleavedCopy(b *testing.B) {
	e := setup(b)
	for i := 0; i < b.N; i++ {
		var c, p []float64
		for r := 0; r < 3; r++ {
			e.truncate(b)
			c = append(c, timeIt(func() { e.copyCerd(b, million) }))
			e.truncate(b)
			p = append(p, timeIt(func() { e.copyPgx(b, million) }))
		}
		report(b, c, p)
	}
}

func BenchmarkInterleavedRead(b *testing.B) {
	e := setup(b)
	e.truncate(b)
	e.copyCerd(b, million)
	readCerd := func(copyOut bool) {
		var rows *cerd.Rows[cerd.PriceData]
		var err error
		if copyOut {
			rows, err = e.c.PriceData().CopyOut(e.ctx)
		} else {
			rows, err = e.c.PriceData().Stream(e.ctx, nil, 10000)
		}
		if err != nil {
			b.Fatal(err)
		}
		var r cerd.PriceData
		n := 0
		for rows.Next() {
			rows.Scan(&r)
			n++
		}
		if rows.Err() != nil || n != million {
			b.Fatal(n, rows.Err())
		}
		rows.Close()
	}
	readPgx := func() {
		rows, err := e.px.Query(e.ctx, "SELECT "+cols+" FROM price_data ORDER BY id, candle_time")
		if err != nil {
			b.Fatal(err)
		}
		var r pgxCandle
		d := r.dest()
		n := 0
		for rows.Next() {
			if err := rows.Scan(d...); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if rows.Err() != nil || n != million {
			b.Fatal(n, rows.Err())
		}
		rows.Close()
	}
	for i := 0; i < b.N; i++ {
		var s, co, p []float64
		for r := 0; r < reps; r++ {
			s = append(s, timeIt(func() { readCerd(false) }))
			co = append(co, timeIt(func() { readCerd(true) }))
			p = append(p, timeIt(readPgx))
		}
		b.Run("stream", func(b *testing.B) { report(b, s, p) })
		b.Run("copyout", func(b *testing.B) { report(b, co, p) })
	}
}

func BenchmarkInterleavedLookups(b *testing.B) {
	e := setup(b)
	e.truncate(b)
	const rowsN = 10000
	e.copyCerd(b, rowsN)
	all, err := e.c.PriceData().ListAll(e.ctx)
	if err != nil || len(all) != rowsN {
		b.Fatal(err)
	}
	type key struct {
		id    int64
		t     time.Time
		asset int64
	}
	keys := make([]key, 100000)
	rng := rand.New(rand.NewSource(1))
	for i := range keys {
		r := all[rng.Intn(rowsN)]
		keys[i] = key{r.ID, r.CandleTime, r.AssetID}
	}
	q := "SELECT " + cols + " FROM price_data WHERE id = $1 AND candle_time = $2"
	for i := 0; i < b.N; i++ {
		var c, p []float64
		for r := 0; r < 3; r++ {
			var tc, tp float64
			const chunks = 20
			per := len(keys) / chunks
			for ch := 0; ch < chunks; ch++ {
				part := keys[ch*per : (ch+1)*per]
				tc += timeIt(func() {
					for _, k := range part {
						r, err := e.c.PriceData().Get(e.ctx, k.id, k.t, k.asset)
						if err != nil || r.ID != k.id {
							b.Fatal(err)
						}
					}
				})
				tp += timeIt(func() {
					for _, k := range part {
						var r pgxCandle
						if err := e.px.QueryRow(e.ctx, q, k.id, k.t).Scan(r.dest()...); err != nil || r.ID != k.id {
							b.Fatal(err)
						}
					}
				})
			}
			c, p = append(c, tc), append(p, tp)
		}
		report(b, c, p)
	}
}
