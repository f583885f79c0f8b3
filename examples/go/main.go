// A tour of the Go binding: migrate, insert with NULL/DEFAULT, exact decimals, COPY,
// stream, a transaction with retry, and errors.
//
//	go run . "dbname=cryptoerd_demo"     (or no argument: libpq's PG* environment)
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn := ""
	if len(os.Args) > 1 {
		dsn = os.Args[1]
	}

	pool, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: dsn, MaxSize: 4, StatementTimeout: 30 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Release()
	if n, err := conn.Migrate(ctx); err != nil {
		log.Fatal(err)
	} else {
		fmt.Println("migrations applied:", n)
	}

	// Insert: plain fields for NOT NULL columns, Null[T] for the others; left zero, a
	// NOT NULL column with a default gets its default.
	btc, err := conn.Assets().Upsert(ctx, &cerd.Assets{
		Symbol: "BTC-GO", Name: "Bitcoin", AssetType: "crypto",
		CurrentPrice: cerd.Value(cerd.MustDecimal("67012.12345678")),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("asset %d %s price %s (exact), created %s\n", btc.ID, btc.Symbol,
		btc.CurrentPrice.Value, btc.CreatedAt.Value.Format(time.RFC3339Nano))

	// COPY a day of hourly candles.
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var candles []cerd.PriceData
	for h := 0; h < 24; h++ {
		p := cerd.MustDecimal(fmt.Sprintf("67%03d.50000000", h))
		candles = append(candles, cerd.PriceData{AssetID: btc.ID, Timeframe: "1h",
			OpenPrice: p, HighPrice: p, LowPrice: p, ClosePrice: p,
			CandleTime: day.Add(time.Duration(h) * time.Hour)})
	}
	if _, err := conn.PriceData().UpsertByCandle(ctx, &candles[0]); err != nil {
		log.Fatal(err)
	}
	if n, err := conn.PriceData().BulkUpsert(ctx, "unique_asset_timeframe_candle", candles, true); err != nil {
		log.Fatal(err)
	} else {
		fmt.Printf("candles: %d inserted, %d updated\n", n.Inserted, n.Updated)
	}

	// Stream them back, in (asset, timeframe, candle_time) order.
	eq := cerd.PriceData{AssetID: btc.ID, Timeframe: "1h"}
	rows, err := conn.PriceData().Stream(ctx, &cerd.Range[cerd.PriceData, cerd.PriceDataColumn]{
		Columns: []cerd.PriceDataColumn{cerd.PriceDataColAssetID, cerd.PriceDataColTimeframe, cerd.PriceDataColCandleTime},
		NEqual:  2, Equal: &eq}, 0)
	if err != nil {
		log.Fatal(err)
	}
	sum := cerd.DecimalFromInt64(0).Rat()
	for rows.Next() {
		sum.Add(sum, rows.Row().ClosePrice.Rat())
	}
	if err := rows.Close(); err != nil || rows.Err() != nil {
		log.Fatal(err, rows.Err())
	}
	fmt.Println("sum of closes (exact):", sum.FloatString(8))

	// A transaction, retried on serialization failures.
	err = pool.TransactWith(ctx, cerd.TxOptions{Isolation: cerd.Serializable}, func(tx *cerd.Tx) error {
		a, err := tx.Assets().Get(ctx, btc.ID)
		if err != nil {
			return err
		}
		a.Name = "Bitcoin (renamed in a transaction)"
		_, err = tx.Assets().Update(ctx, a)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	// Errors are values.
	_, err = conn.Assets().Insert(ctx, &cerd.Assets{Symbol: "BTC-GO", Name: "dup", AssetType: "crypto"})
	var ce *cerd.ConstraintError
	if errors.Is(err, cerd.ErrUniqueViolation) && errors.As(err, &ce) {
		fmt.Println("duplicate refused by", ce.Constraint)
	}
	_, err = conn.Assets().Insert(ctx, &cerd.Assets{Symbol: "X", Name: "x", AssetType: "spaceship"})
	var ve *cerd.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("refused before any round trip:", ve.Violations[0].Constraint)
	}
}
