#!/usr/bin/env bash
# The database subcommands of cryptoerd against a fresh database (created here, dropped at
# the end; the server from libpq's PG* variables, as pg_virtualenv sets them): migrate and
# --status, import (CSV and JSON Lines, a refused row in the middle: exit 1, nothing
# written, line/column/constraint named), export (jsonl, csv round trip, binary, ranges),
# partitions create/list/archive (under concurrent reads: totals never change), distribute
# without citus, seed and dump (fixtures library), exit codes, --help, --quiet, the
# progress bar only on a terminal.
#
# Usage: test_cryptoerd_commands.sh CRYPTOERD_BINARY WORK_DIR
set -u
BIN=$1
WORK=$2
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK" || exit 2
DB=cerd_cli_$$_$RANDOM
createdb "$DB" || { echo "cannot create a database" >&2; exit 2; }
export PGDATABASE=$DB
unset CRYPTOERD_DSN
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
run() { "$BIN" "$@" >out.txt 2>err.txt; status=$?; }
expect_status() { if [ "$status" -eq "$2" ]; then ok; else ko "$1: exit $status, expected $2: $(cat err.txt)"; fi; }
expect_out() { if grep -Eq -- "$2" out.txt; then ok; else ko "$1: stdout: $(head -c 600 out.txt); expected: $2"; fi; }
expect_err() { if grep -Eq -- "$2" err.txt; then ok; else ko "$1: stderr: $(head -c 600 err.txt); expected: $2"; fi; }
expect_empty_err() { if [ ! -s err.txt ]; then ok; else ko "$1: stderr not empty: $(cat err.txt)"; fi; }
q() { psql -XqAtc "$1"; }

# --- help and usage
run --help; expect_status help 0; cp out.txt help.txt
for c in migrate seed import dump export partitions distribute validate; do
    grep -q "^  $c" help.txt && ok || ko "cryptoerd --help does not list $c"
    run "$c" --help; expect_status "$c --help" 0; expect_out "$c --help" "Usage: cryptoerd $c"
done
run partitions archive --help; expect_status "partitions archive --help" 0
run nosuch; expect_status "unknown command" 2
run import --table nosuch x.csv; expect_status "import unknown table" 2; expect_err "import unknown table" 'no table named "nosuch"'
run import --table price_data --format xml x.csv; expect_status "import bad format" 2
run import --table price_data missing.csv; expect_status "import missing file" 2
run partitions create --from 2025-13 --to 2025-01; expect_status "bad month" 2; expect_err "bad month" 'YYYY-MM'
run partitions; expect_status "partitions without action" 2
run seed --scale 0; expect_status "seed bad scale" 2
run seed --preset nosuch; expect_status "seed unknown preset" 2
run migrate --dsn "host=/nonexistent-dir dbname=x"; expect_status "connection error" 2; expect_err "connection error" 'cryptoerd migrate: '

# --- migrate
run migrate --status; expect_status "status before" 0; expect_out "status pending" $'^001_foundation\tpending'
# every migration of schema/ is applied on the empty database
nmig=$(ls "$(dirname "$0")"/../../schema/*.sql | wc -l)
run migrate; expect_status migrate 0; expect_out migrate "\"applied\":$nmig,"
run migrate --quiet; expect_status "migrate again" 0; expect_out "migrate again" '"applied":0'; expect_empty_err "migrate --quiet"
run migrate --status; expect_status "status after" 0
expect_out "status applied" $'^011_scale_out\tapplied\t[0-9a-f]{16}\t[0-9a-f]{16}\t[0-9]{4}-'
if grep -q pending out.txt; then ko "status: still pending"; else ok; fi
CRYPTOERD_DSN="dbname=$DB" PGDATABASE=nosuchdb "$BIN" migrate --status >out.txt 2>err.txt; status=$?
expect_status "CRYPTOERD_DSN" 0

# --- import
ASSET=$(q "INSERT INTO assets (symbol, name, asset_type) VALUES ('BTC', 'Bitcoin', 'crypto') RETURNING id")
{
    echo 'asset_id,timeframe,open_price,high_price,low_price,close_price,volume,candle_time,technical_indicators'
    for h in 00 01 02 03 04; do echo "$ASSET,1h,10.12345678,11,10,10.5,100.25,2025-01-01T$h:00:00Z,"; done
    echo "$ASSET,1h,10,11,12,10.5,1,2025-01-01T05:00:00Z,"   # line 7: low above open
    echo "$ASSET,1h,10,11,9,10.5,1,2025-01-01T06:00:00Z,"
} >bad.csv
run import --table price_data bad.csv; expect_status "import refused row" 1
expect_err "refused row line" 'bad\.csv:7:'; expect_err "refused row column" 'column [a-z_]+_price'
expect_err "refused row constraint" 'chk_ohlc_logic'
[ "$(q 'SELECT count(*) FROM price_data')" = 0 ] && ok || ko "refused import wrote rows"
printf 'asset_id,timeframe,open_price\n%s,1h,"1,5\n' "$ASSET" >malformed.csv
run import --table price_data malformed.csv; expect_status "malformed csv" 1; expect_err "malformed csv" 'constraint csv'
printf 'asset_id,nosuch\n1,2\n' >badheader.csv
run import --table price_data badheader.csv; expect_status "bad header" 1; expect_err "bad header" 'nosuch'
printf 'asset_id,timeframe,open_price,high_price,low_price,close_price,candle_time\n%s,1h,abc,1,1,1,2025-01-01\n' "$ASSET" >badnum.csv
run import --table price_data badnum.csv; expect_status "bad numeric" 1; expect_err "bad numeric" 'badnum\.csv:2: column open_price, constraint type'
{
    echo 'asset_id,timeframe,open_price,high_price,low_price,close_price,volume,candle_time,technical_indicators'
    for d in 01 02 03; do for h in 00 06 12 18; do
        echo "$ASSET,1h,10.12345678,11,10,10.5,100.25,2025-$d-15T$h:00:00Z,\"{\"\"rsi\"\": 12.345678901234567890}\""
    done; done
    echo "$ASSET,1h,10.12345678,11,10,10.5,100.25,2024-12-31T23:00:00+00:00,"
} >good.csv
run import --table price_data --create-partitions good.csv; expect_status "import good" 0; expect_out "import good" '"rows":13'
[ "$(q "SELECT DISTINCT technical_indicators->>'rsi' FROM price_data WHERE technical_indicators IS NOT NULL")" = 12.345678901234567890 ] && ok || ko "jsonb number not exact"
[ "$(q "SELECT sum(open_price) FROM price_data")" = 131.60493814 ] && ok || ko "numerics not exact"
printf '{"asset_id": %s, "timeframe": "1d", "open_price": "1.5", "high_price": 2, "low_price": 1, "close_price": 1.5, "candle_time": "2025-03-01T00:00:00Z"}\n\n{"asset_id": %s, "timeframe": "1d", "open_price": 1, "high_price": 2, "low_price": 3, "close_price": 1, "candle_time": "2025-03-02T00:00:00Z"}\n' "$ASSET" "$ASSET" >bad.jsonl
run import --table price_data --format jsonl - <bad.jsonl; expect_status "jsonl refused" 1; expect_err "jsonl line" '^cryptoerd import: -:3: column'
head -1 bad.jsonl | "$BIN" import --table price_data --format jsonl - >out.txt 2>err.txt; status=$?
expect_status "jsonl stdin" 0; expect_out "jsonl stdin" '"rows":1'

# --- export
run export --table price_data --format csv -o exp.csv; expect_status "export csv" 0
[ "$(wc -l <exp.csv)" = 15 ] && ok || ko "export csv lines: $(wc -l <exp.csv)"
q "CREATE TABLE pd_copy (LIKE price_data)" && q "TRUNCATE price_data_archive"
run export --table price_data --format binary -o exp.bin; expect_status "export binary" 0
psql -Xqc "\\copy pd_copy FROM 'exp.bin' (FORMAT binary)" && ok || ko "binary export not readable by COPY"
[ "$(q 'SELECT count(*), sum(close_price) FROM pd_copy')" = "$(q 'SELECT count(*), sum(close_price) FROM price_data')" ] && ok || ko "binary export differs"
run export --table price_data --format jsonl --where-range candle_time:2025-02-01:2025-03-01; expect_status "export range" 0
[ "$(wc -l <out.txt)" = 4 ] && ok || ko "range rows: $(wc -l <out.txt)"
expect_out "export jsonl exact" '"open_price":10\.12345678'
run export --table price_data --format jsonl --where-range nosuch:1:2; expect_status "bad range" 2
# the reserved system user's identity 0 is exported as 0, not as an empty/null id
run export --table users --format jsonl; expect_status "export users" 0
expect_out "system user id 0 (jsonl)" '^\{"id":0,"email":"system@'
run export --table users --format csv; expect_status "export users csv" 0
expect_out "system user id 0 (csv)" '^0,system@'
# CSV round trip: export, delete, import, export again gives the same bytes
q "DELETE FROM price_data"
run import --table price_data exp.csv; expect_status "reimport csv" 0
"$BIN" export --table price_data --format csv -o exp2.csv 2>/dev/null
cmp -s exp.csv exp2.csv && ok || ko "csv round trip differs: $(diff exp.csv exp2.csv | head -5)"

# --- progress bar: on a terminal only, never with --quiet
"$BIN" export --table price_data --format jsonl -o /dev/null 2>err.txt
if grep -q 'rows/s' err.txt; then ko "progress without a terminal"; else ok; fi
script -qec "$BIN export --table price_data --format jsonl -o /dev/null" /dev/null >tty.txt 2>&1
grep -q 'rows/s' tty.txt && ok || ko "no progress on a terminal: $(cat tty.txt)"
script -qec "$BIN export --quiet --table price_data --format jsonl -o /dev/null" /dev/null >tty.txt 2>&1
if grep -q 'rows/s' tty.txt; then ko "progress with --quiet"; else ok; fi

# --- partitions
run partitions create --from 2030-01 --to 2030-03; expect_status "create" 0; expect_out create '"created":3'
run partitions create --from 2030-01 --to 2030-03; expect_out "create again" '"created":0'
run partitions list; expect_status list 0
expect_out "list month" $'^2025-01\t4\tprice_data_y2025m01$'; expect_out "list default" $'^default\t0\tprice_data_default$'
run partitions list --table price_data_archive; expect_status "list archive" 0
before=$(q "SELECT (SELECT count(*) FROM price_data) + (SELECT count(*) FROM price_data_archive), (SELECT coalesce(sum(close_price),0) FROM price_data) + (SELECT coalesce(sum(close_price),0) FROM price_data_archive), (SELECT coalesce(sum(volume),0) FROM price_data) + (SELECT coalesce(sum(volume),0) FROM price_data_archive)")
# concurrent readers: every read sees the same totals
( end=$((SECONDS + 8)); while [ $SECONDS -lt $end ]; do
    psql -XqAtc "SELECT (SELECT count(*) FROM price_data) + (SELECT count(*) FROM price_data_archive), (SELECT coalesce(sum(close_price),0) FROM price_data) + (SELECT coalesce(sum(close_price),0) FROM price_data_archive), (SELECT coalesce(sum(volume),0) FROM price_data) + (SELECT coalesce(sum(volume),0) FROM price_data_archive)"
  done >reads.txt 2>reads_err.txt ) &
reader=$!
sleep 1
run partitions archive --before 2025-03; expect_status archive 0
expect_out "archive jan" $'^2025-01\t4\tprice_data_y2025m01 -> price_data_archive$'
expect_out "archive feb" $'^2025-02\t4\t'
expect_out "archive dec" $'^2024-12\t1\t'
wait "$reader"
[ -s reads.txt ] && ok || ko "no concurrent reads ($(cat reads_err.txt))"
if sort -u reads.txt | grep -vqx -- "$before"; then ko "a reader saw other totals: $(sort -u reads.txt | head -3) vs $before"; else ok; fi
after=$(q "SELECT (SELECT count(*) FROM price_data) + (SELECT count(*) FROM price_data_archive), (SELECT coalesce(sum(close_price),0) FROM price_data) + (SELECT coalesce(sum(close_price),0) FROM price_data_archive), (SELECT coalesce(sum(volume),0) FROM price_data) + (SELECT coalesce(sum(volume),0) FROM price_data_archive)")
[ "$before" = "$after" ] && ok || ko "archive changed totals: $before -> $after"
[ "$(q "SELECT count(*) FROM price_data_archive_y2025m01")" = 4 ] && ok || ko "archive month count"
[ "$(q "SELECT to_regclass('price_data_y2025m01') IS NULL")" = t ] && ok || ko "month not dropped"
run partitions archive --before 2025-03; expect_status "archive again" 0
if [ -s out.txt ]; then ko "second archive moved: $(cat out.txt)"; else ok; fi

# --- distribute without citus
run distribute; expect_status "distribute without citus" 1
expect_err "distribute message" 'citus extension is not installed'

# --- seed and dump (the fixtures library)
DB2=${DB}_seed
createdb "$DB2"; trap 'dropdb --if-exists "$DB" >/dev/null 2>&1; dropdb --if-exists "$DB2" >/dev/null 2>&1' EXIT
PGDATABASE=$DB2 "$BIN" migrate -q >/dev/null 2>&1
PGDATABASE=$DB2 run seed --quiet --scale 1 --seed 7; expect_status "seed demo" 0; expect_out "seed demo" '"rows":[1-9]'
PGDATABASE=$DB2 run dump -o dump1.json; expect_status dump 0
[ -s dump1.json ] && ok || ko "empty dump"
PGDATABASE=$DB2 run dump --table assets --table sectors; expect_status "dump tables" 0; expect_out "dump tables" '"assets"'
PGDATABASE=$DB2 run dump --table nosuch; expect_status "dump unknown table" 2
DB3=${DB}_load
createdb "$DB3"; trap 'for d in "$DB" "$DB2" "$DB3"; do dropdb --if-exists "$d" >/dev/null 2>&1; done' EXIT
PGDATABASE=$DB3 "$BIN" migrate -q >/dev/null 2>&1
PGDATABASE=$DB3 run seed dump1.json; expect_status "seed from dump" 0
PGDATABASE=$DB3 "$BIN" dump -o dump2.json 2>/dev/null
cmp -s dump1.json dump2.json && ok || ko "dump, load, dump differs"
printf '{"users": [{"email": 5}]}' >badfix.json
PGDATABASE=$DB3 run seed badfix.json; expect_status "seed refused fixture" 1; expect_err "seed refused fixture" 'badfix\.json'
PGDATABASE=$DB3 run seed nosuch.json; expect_status "seed missing file" 2

echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
