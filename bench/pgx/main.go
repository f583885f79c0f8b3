// pgx_bench: the pgx v4 side of bench/bulk_bench.py (Debian's golang-github-jackc-pgx-v4-dev,
// built offline in GOPATH mode by scripts/bench.sh: GO111MODULE=off GOPATH=/usr/share/gocode).
//
//	pgx_bench load FILE            CopyFrom of every candle of FILE into price_data
//	pgx_bench upsert FILE N CHUNK  the first N candles re-sent (volume + 0.01) as
//	                               INSERT ... ON CONFLICT (asset_id, timeframe, candle_time)
//	                               DO UPDATE ... RETURNING every column, SendBatch of CHUNK
//	                               at a time, in one transaction, every returned row scanned
//
// FILE: see bench/bench_bulk.c (COPY text format, 16 columns). Parsing it into pgtype values
// happens before the clock starts. The server: $CRYPTOERD_BENCH_DSN, else the PG* environment.
// Prints one JSON object: rows, wall, cpu (process user+system time, getrusage), maxrss_kib.
package main

import (
	"bufio"
	"context"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgtype"
	"github.com/jackc/pgx/v4"
)

var columns = []string{"id", "asset_id", "timeframe", "open_price", "high_price", "low_price",
	"close_price", "volume", "market_cap", "trade_count", "vwap", "technical_indicators",
	"candle_time", "is_validated", "created_at", "updated_at"}

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "pgx_bench: %s: %v\n", what, err)
	os.Exit(1)
}

func cpu() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func maxrss() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

func numeric(s string) interface{} {
	if s == `\N` {
		return nil
	}
	n := &pgtype.Numeric{}
	if err := n.DecodeText(nil, []byte(s)); err != nil {
		die("numeric "+s, err)
	}
	return n
}

func timestamptz(s string) *pgtype.Timestamptz {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		die("timestamp", err)
	}
	return &pgtype.Timestamptz{Time: t, Status: pgtype.Present}
}

// readRows: every candle of FILE as pgtype values in column order.
func readRows(path string) [][]interface{} {
	f, err := os.Open(path)
	if err != nil {
		die("open", err)
	}
	defer f.Close()
	rows := make([][]interface{}, 0, 1<<20)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 16 {
			die("line", fmt.Errorf("%d fields", len(f)))
		}
		id, _ := strconv.ParseInt(f[0], 10, 64)
		asset, _ := strconv.ParseInt(f[1], 10, 64)
		trades, _ := strconv.ParseInt(f[9], 10, 32)
		rows = append(rows, []interface{}{
			&pgtype.Int8{Int: id, Status: pgtype.Present},
			&pgtype.Int8{Int: asset, Status: pgtype.Present},
			&pgtype.Varchar{String: f[2], Status: pgtype.Present},
			numeric(f[3]), numeric(f[4]), numeric(f[5]), numeric(f[6]), numeric(f[7]),
			numeric(f[8]),
			&pgtype.Int4{Int: int32(trades), Status: pgtype.Present},
			numeric(f[10]),
			&pgtype.JSONB{Bytes: []byte(f[11]), Status: pgtype.Present},
			timestamptz(f[12]),
			&pgtype.Bool{Bool: f[13] == "t", Status: pgtype.Present},
			timestamptz(f[14]), timestamptz(f[15]),
		})
	}
	if err := sc.Err(); err != nil {
		die("read", err)
	}
	return rows
}

func report(what string, rows int64, wall, cpuS float64) {
	fmt.Printf("{\"what\": \"%s\", \"rows\": %d, \"wall\": %.6f, \"cpu\": %.6f, \"maxrss_kib\": %d}\n",
		what, rows, wall, cpuS, maxrss())
}

func main() {
	ctx := context.Background()
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: pgx_bench load FILE | upsert FILE N CHUNK")
		os.Exit(2)
	}
	rows := readRows(os.Args[2])
	conn, err := pgx.Connect(ctx, os.Getenv("CRYPTOERD_BENCH_DSN"))
	if err != nil {
		die("connect", err)
	}
	defer conn.Close(ctx)

	switch os.Args[1] {
	case "load":
		t0, c0 := time.Now(), cpu()
		n, err := conn.CopyFrom(ctx, pgx.Identifier{"price_data"}, columns, pgx.CopyFromRows(rows))
		if err != nil {
			die("copy", err)
		}
		report("pgx-load", n, time.Since(t0).Seconds(), cpu()-c0)
	case "upsert":
		n, _ := strconv.Atoi(os.Args[3])
		chunk, _ := strconv.Atoi(os.Args[4])
		if n > len(rows) {
			n = len(rows)
		}
		// the corrections: id and the timestamps absent, volume + 0.01 (exact, untimed)
		args := make([][]interface{}, n)
		for i := 0; i < n; i++ {
			v := rows[i][7].(*pgtype.Numeric)
			nv := &pgtype.Numeric{Int: new(big.Int).Set(v.Int), Exp: v.Exp, Status: pgtype.Present}
			for nv.Exp > -2 { // to units of 0.01, then + 0.01
				nv.Int.Mul(nv.Int, big.NewInt(10))
				nv.Exp--
			}
			nv.Int.Add(nv.Int, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-2-nv.Exp)), nil))
			args[i] = []interface{}{rows[i][1], rows[i][2], rows[i][3], rows[i][4], rows[i][5],
				rows[i][6], nv, rows[i][8], rows[i][9], rows[i][10], rows[i][11], rows[i][12],
				rows[i][13]}
		}
		const sql = `INSERT INTO "price_data" ("asset_id", "timeframe", "open_price", "high_price",` +
			` "low_price", "close_price", "volume", "market_cap", "trade_count", "vwap",` +
			` "technical_indicators", "candle_time", "is_validated") VALUES ($1, $2, $3, $4, $5,` +
			` $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT ("asset_id", "timeframe",` +
			` "candle_time") DO UPDATE SET "open_price" = EXCLUDED."open_price", "high_price" =` +
			` EXCLUDED."high_price", "low_price" = EXCLUDED."low_price", "close_price" =` +
			` EXCLUDED."close_price", "volume" = EXCLUDED."volume", "market_cap" =` +
			` EXCLUDED."market_cap", "trade_count" = EXCLUDED."trade_count", "vwap" =` +
			` EXCLUDED."vwap", "technical_indicators" = EXCLUDED."technical_indicators",` +
			` "is_validated" = EXCLUDED."is_validated" RETURNING "id", "asset_id", "timeframe",` +
			` "open_price", "high_price", "low_price", "close_price", "volume", "market_cap",` +
			` "trade_count", "vwap", "technical_indicators", "candle_time", "is_validated",` +
			` "created_at", "updated_at"`
		var (
			id, asset                             pgtype.Int8
			tf                                    pgtype.Varchar
			open, high, low, cls, vol, mcap, vwap pgtype.Numeric
			trades                                pgtype.Int4
			ti                                    pgtype.JSONB
			ct, created, updated                  pgtype.Timestamptz
			valid                                 pgtype.Bool
		)
		dest := []interface{}{&id, &asset, &tf, &open, &high, &low, &cls, &vol, &mcap, &trades,
			&vwap, &ti, &ct, &valid, &created, &updated}
		t0, c0 := time.Now(), cpu()
		tx, err := conn.Begin(ctx)
		if err != nil {
			die("begin", err)
		}
		for at := 0; at < n; at += chunk {
			end := at + chunk
			if end > n {
				end = n
			}
			b := &pgx.Batch{}
			for i := at; i < end; i++ {
				b.Queue(sql, args[i]...)
			}
			br := tx.SendBatch(ctx, b)
			for i := at; i < end; i++ {
				if err := br.QueryRow().Scan(dest...); err != nil {
					die("upsert", err)
				}
			}
			if err := br.Close(); err != nil {
				die("batch", err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			die("commit", err)
		}
		report("pgx-upsert", int64(n), time.Since(t0).Seconds(), cpu()-c0)
	default:
		fmt.Fprintln(os.Stderr, "unknown command")
		os.Exit(2)
	}
}
