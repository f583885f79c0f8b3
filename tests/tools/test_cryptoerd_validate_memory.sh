#!/usr/bin/env bash
# `cryptoerd validate` reads JSON Lines in bounded memory: a generated input of at least
# 10 MB (65 536 rows, half of them invalid) from a file and from a pipe, each run
# under /usr/bin/time -f %M; the peak resident set size must stay below LIMIT_KB. The
# output is checked too (one verdict per row). Nothing is timed.
#
# Usage: test_cryptoerd_validate_memory.sh CRYPTOERD_BINARY WORK_DIR
set -u
BIN=$1
WORK=$2
LIMIT_KB=32768
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 2

TS='"candle_time": "2025-01-02T03:04:05+00:00"'
ok='{"asset_id": 1, "timeframe": "1h", "open_price": 2, "high_price": 3, "low_price": 1, "close_price": 2, "vwap": "1.123456789012345678901234567890123456789", '$TS', "volume": 12345678901.12345678}'
bad='{"asset_id": 1, "timeframe": "1h", "open_price": 5, "high_price": 10, "low_price": 6, "close_price": 7, "trade_count": "1", '$TS', "volume": 12345678901.12345678}'
# double a block of lines until the file is ~10 MB
printf '%s\n%s\n' "$ok" "$bad" >input.jsonl
while [ "$(stat -c %s input.jsonl)" -lt 10000000 ]; do
    cat input.jsonl input.jsonl >tmp.jsonl && mv tmp.jsonl input.jsonl
done
rows=$(wc -l <input.jsonl)
size=$(stat -c %s input.jsonl)

failed=0
for how in file pipe; do
    if [ $how = file ]; then
        /usr/bin/time -f %M -o rss.txt "$BIN" validate --table price_data input.jsonl >out.txt 2>err.txt
    else
        cat input.jsonl | /usr/bin/time -f %M -o rss.txt "$BIN" validate --table price_data >out.txt 2>err.txt
    fi
    status=$?
    rss=$(tail -n 1 rss.txt)
    lines=$(wc -l <out.txt)
    invalid=$(grep -c '"valid": false' out.txt)
    echo "$how: $size bytes, $rows rows: peak RSS $rss KB (limit $LIMIT_KB KB), exit $status"
    if [ "$status" -ne 1 ]; then echo "FAIL: $how: exit status $status, expected 1: $(cat err.txt)"; failed=1; fi
    if [ "$lines" -ne "$rows" ]; then echo "FAIL: $how: $lines verdicts for $rows rows"; failed=1; fi
    if [ "$invalid" -ne $((rows / 2)) ]; then echo "FAIL: $how: $invalid invalid rows, expected $((rows / 2))"; failed=1; fi
    if ! [ "$rss" -lt "$LIMIT_KB" ] 2>/dev/null; then echo "FAIL: $how: peak RSS $rss KB is not below $LIMIT_KB KB"; failed=1; fi
done
exit $failed
