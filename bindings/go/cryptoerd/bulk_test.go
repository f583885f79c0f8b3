package cryptoerd_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

// candle i of an asset: exact prices with 8 decimals.
func candle(assetID int64, i int) cerd.PriceData {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return cerd.PriceData{
		AssetID:    assetID,
		Timeframe:  "1m",
		OpenPrice:  cerd.MustDecimal(fmt.Sprintf("100.%08d", i%100000000)),
		HighPrice:  cerd.MustDecimal(fmt.Sprintf("200.%08d", i%100000000)),
		LowPrice:   cerd.MustDecimal(fmt.Sprintf("50.%08d", i%100000000)),
		ClosePrice: cerd.MustDecimal(fmt.Sprintf("150.%08d", i%100000000)),
		Volume:     cerd.Value(cerd.MustDecimal(strconv.Itoa(i) + ".25")),
		CandleTime: base.Add(time.Duration(i) * time.Minute),
	}
}

func TestCopy100000Candles(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	const n = 100000
	i := 0
	written, err := c.PriceData().CopyFromFunc(ctx, &cerd.CopyOptions{CreatePartitions: true}, func(r *cerd.PriceData) (bool, error) {
		if i == n {
			return false, nil
		}
		*r = candle(a.ID, i)
		i++
		return true, nil
	})
	if err != nil || written != n {
		t.Fatalf("copy: %d %v", written, err)
	}
	if cnt, err := c.PriceData().Count(ctx); err != nil || cnt != n {
		t.Fatalf("count %d %v", cnt, err)
	}
	for _, k := range []int{0, 1, 4242, n - 1} {
		want := candle(a.ID, k)
		got, err := c.PriceData().GetByCandle(ctx, a.ID, "1m", want.CandleTime)
		if err != nil {
			t.Fatal(err)
		}
		if got.ClosePrice.String() != want.ClosePrice.String() || got.Volume.Value.String() != want.Volume.Value.String() {
			t.Errorf("candle %d: close %s volume %s, want %s %s", k, got.ClosePrice, got.Volume.Value, want.ClosePrice, want.Volume.Value)
		}
	}
	// an invalid row aborts the COPY: nothing of it is written
	bad := []cerd.PriceData{candle(a.ID, n+1), candle(a.ID, n+2)}
	bad[1].Timeframe = "7x"
	if _, err := c.PriceData().CopyFrom(ctx, bad, nil); !errorsIs(err, cerd.ErrInvalid) {
		t.Fatalf("invalid row: %v", err)
	}
	var rejects []cerd.Reject
	w, err := c.PriceData().CopyFrom(ctx, bad, &cerd.CopyOptions{CollectInvalid: true, Rejects: &rejects})
	if err != nil || w != 1 || len(rejects) != 1 || rejects[0].Ordinal != 1 {
		t.Fatalf("collect: %d %v %+v", w, err, rejects)
	}
}

// 1,000,000 rows through a stream, with bounded Go memory.
func TestStreamMillionRowsBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	const n = 1000000
	// the rows are made by the server (fixed SQL; the asset id is ours)
	if err := c.Exec(ctx, fmt.Sprintf(`INSERT INTO price_data (asset_id, timeframe, open_price,
		high_price, low_price, close_price, candle_time)
		SELECT %d, '1m', 1.5, 3, 1, 2 + (g %% 1000) / 100000000.0,
		       '2024-01-01'::timestamptz + g * interval '1 minute'
		FROM generate_series(0, %d) g`, a.ID, n-1)); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	var peak uint64
	rows, err := c.PriceData().Stream(ctx, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	count := 0
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var r cerd.PriceData
	for rows.Next() {
		rows.Scan(&r)
		g := int(r.CandleTime.Sub(base) / time.Minute)
		if count%997 == 0 {
			if want := fmt.Sprintf("2.%08d", g%1000); r.ClosePrice.String() != want {
				t.Fatalf("row %d: close %s want %s", g, r.ClosePrice, want)
			}
		}
		count++
		if count%100000 == 0 {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak {
				peak = ms.HeapAlloc
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("streamed %d rows", count)
	}
	growth := int64(peak) - int64(before)
	t.Logf("Go heap: %d MiB before, peak %d MiB while streaming %d rows", before>>20, peak>>20, n)
	// 1,000,000 decoded rows would take hundreds of MiB; a bounded stream stays far below.
	if growth > 64<<20 {
		t.Errorf("Go heap grew by %d MiB while streaming: not bounded", growth>>20)
	}
}

// A server that sends nothing for longer than the I/O timeout (pg_sleep: the client
// cannot tell it from a silent proxy) ends the call with ErrTimeout and closes the
// connection; a pool's StatementTimeout gives its connections the bound plus 5 s.
func TestIOTimeoutBoundsASilentServer(t *testing.T) {
	ctx := context.Background()
	_, dsn := cryptoerdtest.Conn(t)
	c, err := cerd.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.IOTimeout(); got != 0 {
		t.Fatalf("default I/O timeout without a statement_timeout: %v", got)
	}
	c.SetIOTimeout(300 * time.Millisecond)
	if got := c.IOTimeout(); got != 300*time.Millisecond {
		t.Fatalf("I/O timeout: %v", got)
	}
	if _, err := c.QueryJSON(ctx, "SELECT pg_sleep(3)"); !errors.Is(err, cerd.ErrTimeout) {
		t.Fatalf("silent server: %v, want ErrTimeout", err)
	}
	if _, err := c.QueryJSON(ctx, "SELECT 1"); !errors.Is(err, cerd.ErrConnLost) {
		t.Fatalf("after the timeout: %v, want ErrConnLost", err)
	}

	pool, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: dsn, MaxSize: 1, StatementTimeout: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pc, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	if got := pc.IOTimeout(); got != 6500*time.Millisecond {
		t.Fatalf("pooled connection's I/O timeout: %v, want 6.5s", got)
	}
}
