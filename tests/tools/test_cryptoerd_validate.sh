#!/usr/bin/env bash
# `cryptoerd validate`: input as a JSON array and as JSON Lines, from a file and from
# standard input; the exact output of valid and invalid rows; every special constraint
# kind (not_null, length, numeric_precision, type, encoding) and CHECKs; numbers judged
# exactly (0.1, 12345678901234567890.123456789, 1e400, ties at the scale); exit statuses
# 0, 1 and 2; unparsable input reported with its line; --help.
#
# Usage: test_cryptoerd_validate.sh CRYPTOERD_BINARY WORK_DIR
set -u

BIN=$1
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 2

passed=0
failed=0

ok() { passed=$((passed + 1)); }
ko() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}

# run NAME STDIN_FILE ARGS...: runs the tool, leaving out.txt, err.txt and $status.
run() {
    local name=$1 in=$2
    shift 2
    "$BIN" "$@" <"$in" >out.txt 2>err.txt
    status=$?
    cp out.txt "out-$name.txt"
}

# expect_status NAME CODE
expect_status() {
    if [ "$status" -eq "$2" ]; then ok; else ko "$1: exit status $status, expected $2 ($(cat err.txt))"; fi
}

# expect_out NAME EXPECTED_FILE: stdout exactly as expected
expect_out() {
    if diff -u "$2" out.txt >diff.txt; then ok; else
        ko "$1: output differs:"
        cat diff.txt >&2
    fi
}

# expect_line NAME N PATTERN: line N (1-based) of stdout matches the extended regex
expect_line() {
    local line
    line=$(sed -n "${2}p" out.txt)
    if printf '%s\n' "$line" | grep -Eq -- "$3"; then ok; else
        ko "$1: line $2 is: $line
       expected to match: $3"
    fi
}

expect_err() {
    if grep -Eq -- "$2" err.txt; then ok; else ko "$1: stderr is: $(cat err.txt); expected: $2"; fi
}

expect_empty_out() {
    if [ ! -s out.txt ]; then ok; else ko "$1: stdout should be empty: $(cat out.txt)"; fi
}

: >empty.txt

# --- rows of price_data ---------------------------------------------------------
TS='"candle_time": "2025-01-02T03:04:05+00:00"'
ROW_OK='{"asset_id": 1, "timeframe": "1h", "open_price": 0.1, "high_price": 12345678901.123456789, "low_price": "0.1", "close_price": 1, '$TS'}'
ROW_OHLC='{"asset_id": 1, "timeframe": "1h", "open_price": 5, "high_price": 10, "low_price": 6, "close_price": 7, '$TS'}'

printf '[\n  %s,\n  %s\n]\n' "$ROW_OK" "$ROW_OHLC" >array.json
printf '%s\n%s\n' "$ROW_OK" "$ROW_OHLC" >lines.jsonl
printf '%s\r\n\r\n%s\r\n' "$ROW_OK" "$ROW_OHLC" >crlf.jsonl

cat >expected-two.txt <<'EOF'
{"row": 0, "valid": true}
{"row": 1, "valid": false, "violations": [{"constraint": "chk_ohlc_logic", "columns": ["open_price","high_price","low_price","close_price"], "message": "price_data: CHECK chk_ohlc_logic (low_price <= open_price AND low_price <= close_price AND high_price >= open_price AND high_price >= close_price) is violated by open_price = 5.00000000, high_price = 10.00000000, low_price = 6.00000000, close_price = 7.00000000"}]}
EOF

run array-file empty.txt validate --table price_data array.json
expect_status "array from FILE" 1
expect_out "array from FILE" expected-two.txt

run lines-stdin lines.jsonl validate --table price_data
expect_status "JSON lines from stdin" 1
expect_out "JSON lines from stdin" expected-two.txt

run array-stdin-dash array.json validate -t price_data -
expect_status "array from stdin (-)" 1
expect_out "array from stdin (-)" expected-two.txt

run lines-file-crlf empty.txt validate --table=price_data crlf.jsonl
expect_status "JSON lines with CRLF and a blank line, from FILE" 1
expect_out "JSON lines with CRLF and a blank line, from FILE" expected-two.txt

# all valid: exit 0
printf '%s\n%s\n' "$ROW_OK" "$ROW_OK" >valid.jsonl
run all-valid valid.jsonl validate --table price_data
expect_status "all rows valid" 0
printf '{"row": 0, "valid": true}\n{"row": 1, "valid": true}\n' >expected-valid.txt
expect_out "all rows valid" expected-valid.txt

# empty input: no rows, exit 0
run empty empty.txt validate --table price_data
expect_status "empty input" 0
expect_empty_out "empty input"
printf '[]' >empty-array.json
run empty-array empty-array.json validate --table price_data
expect_status "empty array" 0
expect_empty_out "empty array"

# --- the special constraint kinds --------------------------------------------------
base() { # base KEY-VALUE...: a valid price_data row with the given members replacing
    local extra=$1
    printf '{"asset_id": 1, "timeframe": "1h", "open_price": 2, "high_price": 3, "low_price": 1, "close_price": 2, %s, %s}\n' "$TS" "$extra"
}
{
    base '"volume": null'                                   # 1 not_null (JSON null, has a default)
    printf '{"timeframe": "1h", "open_price": 2, "high_price": 3, "low_price": 1, "close_price": 2, %s}\n' "$TS" # 2 not_null: asset_id absent, no default
    base '"vwap": 1234567890123'                            # 3 numeric_precision
    base '"vwap": "abc"'                                    # 4 type: unreadable numeric
    base '"trade_count": 2147483648'                        # 5 type: int4 out of range
    base '"trade_count": 2147483647'                        # 6 valid: int4 maximum
    base '"is_validated": "yes"'                            # 7 type: wrong JSON type
    base '"bogus": 1'                                       # 8 type: no such column
    printf '[1, 2]\n'                                       # 9 type: not an object
    printf '{"asset_id": 1, "timeframe": "1\xffh", "open_price": 2, "high_price": 3, "low_price": 1, "close_price": 2, %s}\n' "$TS" # 10 encoding
    printf '{"asset_id": 1, "timeframe": "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa91", "open_price": 2, "high_price": 3, "low_price": 1, "close_price": 2, %s}\n' "$TS" # 11 length (11 characters)
    printf '{"asset_id": 1, "timeframe": "1h        ", "open_price": 2, "high_price": 3, "low_price": 1, "close_price": 2, %s}\n' "$TS" # 12 10 characters: length ok, but not in the CHECK's list
    printf '{"asset_id": 1, "timeframe": "1h", "open_price": 2, "high_price": 3, "low_price": 1, "close_price": 2, "timeframe": "2h", %s}\n' "$TS" # 13 repeated key: the last wins
} >kinds.jsonl
run kinds kinds.jsonl validate --table price_data
expect_status "special kinds" 1
expect_line "not_null: JSON null where a default exists" 1 '^\{"row": 0, "valid": false, "violations": \[\{"constraint": "not_null", "columns": \["volume"\], "message": "price_data.volume: null value violates NOT NULL"\}\]\}$'
expect_line "not_null: absent key, no default" 2 '^\{"row": 1, "valid": false, "violations": \[\{"constraint": "not_null", "columns": \["asset_id"\], "message": "price_data.asset_id: null value violates NOT NULL \(no value given, and no default\)"\}\]\}$'
expect_line "numeric_precision" 3 '^\{"row": 2, "valid": false, "violations": \[\{"constraint": "numeric_precision", "columns": \["vwap"\], "message": "price_data.vwap: numeric field overflow: 1234567890123 does not fit numeric\(20,8\): a field with precision 20, scale 8 must round to an absolute value less than 10\^12"\}\]\}$'
expect_line "type: unreadable numeric" 4 '^\{"row": 3, "valid": false, "violations": \[\{"constraint": "type", "columns": \["vwap"\], "message": "price_data.vwap: invalid input syntax for type numeric: \\"abc\\""\}\]\}$'
expect_line "type: integer out of range" 5 '^\{"row": 4, "valid": false, "violations": \[\{"constraint": "type", "columns": \["trade_count"\], "message": "[^"]*2147483648[^"]*"\}\]\}$'
expect_line "int4 maximum" 6 '^\{"row": 5, "valid": true\}$'
expect_line "type: wrong JSON type" 7 '^\{"row": 6, "valid": false, "violations": \[\{"constraint": "type", "columns": \["is_validated"\], "message": "[^"]*boolean[^"]*"\}\]\}$'
expect_line "type: unknown column" 8 '^\{"row": 7, "valid": false, "violations": \[\{"constraint": "type", "columns": \[\], "message": "price_data: no column named \\"bogus\\""\}\]\}$'
expect_line "type: row not an object" 9 '^\{"row": 8, "valid": false, "violations": \[\{"constraint": "type", "columns": \[\], "message": "price_data: a row must be a JSON object, not an array"\}\]\}$'
expect_line "encoding" 10 '^\{"row": 9, "valid": false, "violations": \[\{"constraint": "encoding", "columns": \["timeframe"\], "message": "[^"]*UTF-8[^"]*"\}, \{"constraint": "chk_price_data_timeframe", "columns": \["timeframe"\], "message": "[^"]*'$'\xef\xbf\xbd''[^"]*"\}\]\}$'
expect_line "length (multi-byte)" 11 '^\{"row": 10, "valid": false, "violations": \[\{"constraint": "length", "columns": \["timeframe"\], "message": "[^"]*character varying\(10\)[^"]*"\}, \{"constraint": "chk_price_data_timeframe"'
expect_line "trailing spaces within the limit are kept" 12 '^\{"row": 11, "valid": false, "violations": \[\{"constraint": "chk_price_data_timeframe", "columns": \["timeframe"\], "message": "[^"]*"\}\]\}$'
expect_line "repeated key: the last wins" 13 '^\{"row": 12, "valid": false, "violations": \[\{"constraint": "chk_price_data_timeframe", "columns": \["timeframe"\], "message": "[^"]*= '"'"'2h'"'"'"\}\]\}$'
n=$(wc -l <out.txt)
if [ "$n" -eq 13 ]; then ok; else ko "special kinds: $n output lines, expected 13"; fi

# --- numbers read exactly -----------------------------------------------------------
{
    base '"vwap": 0.1'                                      # 1 valid
    base '"vwap": 12345678901234567890.123456789'           # 2 20 integer digits: overflow
    base '"vwap": 1e400'                                    # 3 overflow
    base '"vwap": 999999999999.999999994'                   # 4 rounds down: fits (a double says 1e12)
    base '"vwap": 999999999999.999999995'                   # 5 rounds up to 10^12: overflow
    base '"vwap": -999999999999.999999995'                  # 6 the same, negative
    base '"vwap": 0.1234567890123456789012345678901234567890123456789' # 7 49 digits: rounds to 0.12345679
    printf '{"asset_id": 1, "timeframe": "1h", "open_price": 0.000000005, "high_price": 1, "low_price": 0.000000005, "close_price": 1, %s}\n' "$TS" # 8 a tie: rounds up to 0.00000001 > 0
    printf '{"asset_id": 1, "timeframe": "1h", "open_price": 0.0000000049999999999999, "high_price": 1, "low_price": 0.0000000049999999999999, "close_price": 1, %s}\n' "$TS" # 9 rounds to 0: not positive
} >numbers.jsonl
run numbers numbers.jsonl validate --table price_data
expect_status "exact numbers" 1
expect_line "0.1" 1 '^\{"row": 0, "valid": true\}$'
expect_line "12345678901234567890.123456789" 2 '"constraint": "numeric_precision", "columns": \["vwap"\]'
expect_line "1e400" 3 '"constraint": "numeric_precision", "columns": \["vwap"\]'
expect_line "999999999999.999999994 fits" 4 '^\{"row": 3, "valid": true\}$'
expect_line "999999999999.999999995 overflows" 5 '"constraint": "numeric_precision", "columns": \["vwap"\]'
expect_line "-999999999999.999999995 overflows" 6 '"constraint": "numeric_precision", "columns": \["vwap"\]'
expect_line "49 digits rounded" 7 '^\{"row": 6, "valid": true\}$'
expect_line "tie rounds away from zero" 8 '^\{"row": 7, "valid": true\}$'
expect_line "just below the tie rounds to zero" 9 '^\{"row": 8, "valid": false, "violations": \[\{"constraint": "chk_prices_positive"'

# unconstrained numeric (ai_models.min_confidence_threshold BETWEEN 0 AND 1)
AI='"name": "m", "version": "1", "architecture": "lstm", "model_type": "macro", "training_data_timeframe": "1h", "target_variable": "price_direction"'
{
    printf '{%s, "min_confidence_threshold": 0.1}\n' "$AI"
    printf '{%s, "min_confidence_threshold": 1.0000000000000000001}\n' "$AI"
    printf '{%s, "min_confidence_threshold": 1e400}\n' "$AI"
    printf '{%s, "min_confidence_threshold": 1e-400}\n' "$AI"
    printf '{%s, "min_confidence_threshold": "1.0000000000000000001"}\n' "$AI"
} >unconstrained.jsonl
run unconstrained unconstrained.jsonl validate --table ai_models
expect_status "unconstrained numerics" 1
expect_line "0.1 in [0,1]" 1 '^\{"row": 0, "valid": true\}$'
expect_line "1 + 1e-19 > 1 (a double says 1)" 2 '"constraint": "chk_confidence_threshold"'
expect_line "1e400 > 1" 3 '"constraint": "chk_confidence_threshold"'
expect_line "1e-400 in [0,1]" 4 '^\{"row": 3, "valid": true\}$'
expect_line "a numeric as a JSON string" 5 '"constraint": "chk_confidence_threshold"'

# --- strings as numbers: numeric columns may be JSON strings, integer columns may not --
{
    base '"trade_count": "1"'                               # 1 type: an integer as a string
    base '"vwap": "12.5"'                                   # 2 valid: a numeric as a string
    base '"trade_count": 1'                                 # 3 valid: an integer as a number
} >strings.jsonl
run strings strings.jsonl validate --table price_data
expect_status "strings as numbers" 1
expect_line "integer column given a JSON string" 1 '^\{"row": 0, "valid": false, "violations": \[\{"constraint": "type", "columns": \["trade_count"\], "message": "price_data.trade_count: expected an integer \(a JSON number\), got a string"\}\]\}$'
expect_line "numeric column given a JSON string" 2 '^\{"row": 1, "valid": true\}$'
expect_line "integer column given a JSON number" 3 '^\{"row": 2, "valid": true\}$'

# --- unparsable input: exit 2, the line named, nothing on stdout ------------------
printf '[\n  {"asset_id": 1},\n  {"asset_id": 2,}\n]\n' >bad-array.json
run bad-array empty.txt validate --table price_data bad-array.json
expect_status "unparsable array" 2
expect_err "unparsable array names the line" 'bad-array\.json: line 3, column [0-9]+: invalid JSON'
expect_empty_out "unparsable array"

printf '%s\n%s\n{"asset_id": \n' "$ROW_OK" "$ROW_OK" >bad-lines.jsonl
run bad-lines bad-lines.jsonl validate --table price_data
expect_status "unparsable JSON line" 2
expect_err "unparsable JSON line names the line" '<stdin>: line 3, column [0-9]+: invalid JSON'
expect_empty_out "unparsable JSON line"

printf '{"asset_id": 1} {"asset_id": 2}\n' >two-on-a-line.jsonl
run two-on-a-line two-on-a-line.jsonl validate --table price_data
expect_status "two values on one line" 2
expect_err "two values on one line names the line" 'line 1, column 17'

# --- usage errors: exit 2 -------------------------------------------------------
run no-table empty.txt validate
expect_status "no --table" 2
expect_err "no --table" 'table TABLE is required'
run unknown-table empty.txt validate --table nope
expect_status "unknown table" 2
expect_err "unknown table" 'no table named "nope"'
run unknown-option empty.txt validate --table price_data --frobnicate
expect_status "unknown option" 2
expect_err "unknown option" 'unknown option --frobnicate'
run missing-file empty.txt validate --table price_data does-not-exist.json
expect_status "missing file" 2
expect_err "missing file" 'does-not-exist\.json: No such file'
run two-files empty.txt validate --table price_data a.json b.json
expect_status "two files" 2
run no-command empty.txt
expect_status "no command" 2
run unknown-command empty.txt frobnicate
expect_status "unknown command" 2

# --- help ---------------------------------------------------------------------------
run help empty.txt validate --help
expect_status "validate --help" 0
for word in 'Usage: cryptoerd validate --table TABLE \[FILE\]' 'JSON Lines' 'to_jsonb' \
            'not_null' 'length' 'numeric_precision' 'type' 'encoding' 'Exit status: 0' \
            'not a JSON object' 'integer columns take JSON numbers only'; do
    if grep -Eq -- "$word" out.txt; then ok; else ko "validate --help lacks: $word"; fi
done
run help-top empty.txt --help
expect_status "--help" 0
if grep -q 'validate --table TABLE' out.txt; then ok; else ko "--help does not list validate"; fi
run tables empty.txt tables
expect_status "tables" 0
if grep -qx 'price_data' out.txt; then ok; else ko "tables does not list price_data"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
