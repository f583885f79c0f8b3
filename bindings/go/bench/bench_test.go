//go:build pgxbench

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
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
	ID, AssetID            int64
	Timeframe              string
	Open, High, Low, Close pgtype.Numeric
	Volume, MarketCap      pgtype.Numeric
	TradeCount             pgtype.Int4
	VWAP                   pgtype.Numeric
	Indicators             pgtype.JSONB
	CandleTime             time.Time
	IsValidated            bool
	CreatedAt, UpdatedAt   time.Time
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
	a := cryptoerdtest.Create[cerd.Assets](b, c, 1, nil)
	e := &env{ctx: ctx, dsn: dsn, c: c, px: px, asset: a.ID, p: makePrices()}
	// (the connections in e, which a benchmark may have replaced, before the test database
	// is dropped: cleanups run last registered first)
	b.Cleanup(func() { e.px.Close(ctx); e.c.Close() })
	return e
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

// ---------------------------------------------------------------- COPY, interleaved

// BenchmarkInterleavedCopy is the recorded COPY comparison. Methodology (issue 13):
//   - before every timed COPY, untimed: TRUNCATE price_data, then CHECKPOINT, so every
//     side starts from the same state (no dirty pages or WAL of the previous side); the
//     cluster should also run with a max_wal_size larger than one COPY's WAL
//     (scripts/go_bench.sh starts it with max_wal_size=8GB, and shared_buffers=1GB to hold
//     the table and its indexes), so no checkpoint can start
//     inside a timed COPY; the value in force is logged;
//   - the order of the sides rotates every round and is reversed every other round;
//   - CERD_BENCH_COPY_ROUNDS rounds (default 5), CERD_BENCH_COPY_ROWS rows (default
//     1,000,000); each side's median, min and max, the client process's CPU and the load
//     average are logged.
//
// Sides (CERD_BENCH_COPY_SIDES, comma-separated; default binding,pgx,floor8,floor12):
//   - binding: CopyFromFunc (every row validated, sends the 12 columns without a default:
//     the 8 set ones and 4 NULLs);
//   - binding64k: the same with FlushBytes 64 KiB (pgx's chunk size);
//   - pgx: CopyFrom of the 8 set columns;
//   - floor8 / floor12: the server's floor, the same rows as a ready binary COPY payload
//     (exported from the table once, before the rounds) streamed by pgconn: no per-row
//     client work; 8 columns as pgx sends, 12 as the binding sends.
//
// Logged per side: wall median and min–max, the client process's CPU, the server
// backend's CPU and the whole server's CPU (every PostgreSQL process: WAL writer,
// checkpointer, background writer, autovacuum included), from /proc: the server must run
// on this host.
func BenchmarkInterleavedCopy(b *testing.B) {
	e := setup(b)
	n := envInt("CERD_BENCH_COPY_ROWS", million)
	rounds := envInt("CERD_BENCH_COPY_ROUNDS", 5)
	sides := strings.Split(envStr("CERD_BENCH_COPY_SIDES", "binding,pgx,floor8,floor12"), ",")
	// CERD_BENCH_COPY_FRESH=1: each timed COPY on a connection opened just before it (a new
	// server backend), so that no side keeps a backend whose cost differs from the others'
	// (docs/benchmarks.md: the same payload cost up to 3x the server CPU on some backends).
	fresh := envInt("CERD_BENCH_COPY_FRESH", 0) == 1
	var walSize string
	if err := e.px.QueryRow(e.ctx, "SHOW max_wal_size").Scan(&walSize); err != nil {
		b.Fatal(err)
	}
	b.Logf("rows %d, rounds %d, sides %v, fresh connections %v, max_wal_size %s, load %s", n, rounds, sides, fresh, walSize, loadavg())
	// The server backend's CPU time per run (/proc/<pid>/stat: the server runs on this
	// host, readable as root or its user): steadier than wall time on shared cores, and the
	// server's own work whatever the client. The binding's backend is the other client
	// backend of this database.
	pgxPid := int(e.px.PgConn().PID())
	var cerdPid int
	if err := e.px.QueryRow(e.ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "+
		"AND pid <> $1 AND backend_type = 'client backend'", pgxPid).Scan(&cerdPid); err != nil {
		b.Fatal(err)
	}
	postmaster := ppid(cerdPid)
	pidOf := func(side string) int {
		if strings.HasPrefix(side, "binding") {
			return cerdPid
		}
		return pgxPid
	}
	prep := func() {
		e.truncate(b)
		if err := e.c.Exec(e.ctx, "CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
	}
	reconnect := func(side string) {
		if strings.HasPrefix(side, "binding") {
			c, err := cerd.Open(e.ctx, e.dsn)
			if err != nil {
				b.Fatal(err)
			}
			e.c.Close()
			e.c = c
			var pid []struct {
				Pid int `json:"pid"`
			}
			raw, err := c.QueryJSON(e.ctx, "SELECT pg_backend_pid() AS pid")
			if err == nil {
				err = json.Unmarshal(raw, &pid)
			}
			if err != nil || len(pid) != 1 {
				b.Fatalf("backend pid: %v", err)
			}
			cerdPid = pid[0].Pid
			return
		}
		px, err := pgx.Connect(e.ctx, e.dsn)
		if err != nil {
			b.Fatal(err)
		}
		e.px.Close(e.ctx)
		e.px = px
		pgxPid = int(px.PgConn().PID())
	}
	payload := map[string][]byte{}
	for _, s := range sides {
		if strings.HasPrefix(s, "floor") && payload["floor8"] == nil {
			prep()
			e.copyCerd(b, n)
			for name, cols := range map[string]string{"floor8": strings.Join(copyCols, ", "), "floor12": strings.Join(bindingCols, ", ")} {
				var buf bytes.Buffer
				if _, err := e.px.PgConn().CopyTo(e.ctx, &buf, "COPY (SELECT "+cols+" FROM price_data ORDER BY id) TO STDOUT (FORMAT binary)"); err != nil {
					b.Fatal(err)
				}
				payload[name] = buf.Bytes()
			}
			b.Logf("floor payloads: 8 columns %d bytes, 12 columns %d bytes", len(payload["floor8"]), len(payload["floor12"]))
		}
	}
	floor := func(name string) {
		cols := copyCols
		if name == "floor12" {
			cols = bindingCols
		}
		tag, err := e.px.PgConn().CopyFrom(e.ctx, bytes.NewReader(payload[name]),
			"COPY price_data ("+strings.Join(cols, ", ")+") FROM STDIN (FORMAT binary)")
		if err != nil || tag.RowsAffected() != int64(n) {
			b.Fatalf("%s: %v %v", name, tag, err)
		}
	}
	run := map[string]func(){
		"binding":    func() { e.copyCerdOpts(b, n, nil) },
		"binding64k": func() { e.copyCerdOpts(b, n, &cerd.CopyOptions{FlushBytes: 64 * 1024}) },
		"pgx":        func() { e.copyPgx(b, n) },
		"floor8":     func() { floor("floor8") },
		"floor12":    func() { floor("floor12") },
	}
	for i := 0; i < b.N; i++ {
		wall := map[string][]float64{}
		cpu := map[string][]float64{}
		scpu := map[string][]float64{}
		acpu := map[string][]float64{}
		for r := 0; r < rounds; r++ {
			order := append(append([]string(nil), sides[r%len(sides):]...), sides[:r%len(sides)]...)
			if r%2 == 1 {
				for x, y := 0, len(order)-1; x < y; x, y = x+1, y-1 {
					order[x], order[y] = order[y], order[x]
				}
			}
			line := fmt.Sprintf("round %d (load %s):", r+1, loadavg())
			for _, s := range order {
				f, ok := run[s]
				if !ok {
					b.Fatalf("unknown side %q", s)
				}
				prep()
				if fresh {
					reconnect(s)
				}
				c0, s0, a0 := cpuSeconds(), procCPU(pidOf(s)), serverCPU(postmaster)
				wall[s] = append(wall[s], timeIt(f))
				cpu[s] = append(cpu[s], cpuSeconds()-c0)
				scpu[s] = append(scpu[s], procCPU(pidOf(s))-s0)
				acpu[s] = append(acpu[s], serverCPU(postmaster)-a0)
				line += fmt.Sprintf(" %s %.2f s (cpu %.2f s, server backend cpu %.2f s, whole server cpu %.2f s);",
					s, wall[s][r], cpu[s][r], scpu[s][r], acpu[s][r])
			}
			b.Log(line)
		}
		for _, s := range sides {
			lo, hi := minMax(wall[s])
			b.Logf("| %s | %.2f s | %.2f–%.2f s | %.2f s | %.2f s | %.2f s |", s, median(wall[s]), lo, hi,
				median(cpu[s]), median(scpu[s]), median(acpu[s]))
		}
		if w, ok := wall["binding"]; ok {
			for _, s := range sides {
				if s != "binding" {
					b.Logf("ratio %s / binding (medians): %.2f", s, median(wall[s])/median(w))
					b.ReportMetric(median(wall[s])/median(w), s+"/binding")
				}
			}
			b.ReportMetric(median(w), "binding-s")
		}
		b.Logf("load at the end %s", loadavg())
	}
}

// The 12 columns the binding's writer sends for these rows (those without a default).
var bindingCols = []string{"asset_id", "timeframe", "open_price", "high_price", "low_price", "close_price",
	"volume", "market_cap", "trade_count", "vwap", "technical_indicators", "candle_time"}

func (e *env) copyCerdOpts(b *testing.B, n int, o *cerd.CopyOptions) {
	i := 0
	w, err := e.c.PriceData().CopyFromFunc(e.ctx, o, func(r *cerd.PriceData) (bool, error) {
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

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func loadavg() string {
	d, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(d))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// procCPU is the user+system CPU time of process pid in seconds (Linux, 100 ticks/s).
func procCPU(pid int) float64 {
	d, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(d, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(d[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

// ppid is the parent of process pid (the postmaster, for a backend).
func ppid(pid int) int {
	d, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(d[bytes.LastIndexByte(d, ')')+1:]))
	p, _ := strconv.Atoi(f[1])
	return p
}

// serverCPU is the CPU time of the whole server: the postmaster, every live child
// (backends, WAL writer, checkpointer, background writer, autovacuum) and the children
// that exited (the postmaster's cutime+cstime).
func serverCPU(postmaster int) float64 {
	d, err := os.ReadFile("/proc/" + strconv.Itoa(postmaster) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(d[bytes.LastIndexByte(d, ')')+1:]))
	cu, _ := strconv.ParseFloat(f[13], 64)
	cs, _ := strconv.ParseFloat(f[14], 64)
	total := procCPU(postmaster) + (cu+cs)/100
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && ppid(pid) == postmaster {
			total += procCPU(pid)
		}
	}
	return total
}

func minMax(xs []float64) (float64, float64) {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
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
