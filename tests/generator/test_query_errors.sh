#!/usr/bin/env bash
# cerdgen refuses a query it cannot type, with file:line and the reason, exits non-zero and
# writes nothing: every output file keeps its content and no file appears or disappears.
#
# usage: test_query_errors.sh CERDGEN_BINARY SOURCE_DIR WORK_DIR
set -u

if [ $# -ne 3 ]; then
    echo "usage: $0 CERDGEN_BINARY SOURCE_DIR WORK_DIR" >&2
    exit 2
fi
cerdgen=$1
src=$2
work=$3
failures=0

rm -rf "$work"
mkdir -p "$work"

# A good run first: the output trees a failing run must leave exactly as they are.
mkdir -p "$work/queries" "$work/out/include" "$work/out/lib" "$work/out/qlib"
cp "$src/queries/"*.sql "$work/queries/"
run() {
    "$cerdgen" --schema "$src/schema" --include-out "$work/out/include" \
        --lib-out "$work/out/lib" --queries "$work/queries" \
        --queries-lib-out "$work/out/qlib"
}
if ! run >"$work/good.log" 2>&1; then
    cat "$work/good.log"
    echo "query_errors: cerdgen failed on the committed queries"
    exit 1
fi
snapshot() { (cd "$work/out" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
snapshot >"$work/before.sum"

# expect NAME LINE PATTERN SQL: queries/zz_bad.sql holding SQL must fail at zz_bad.sql:LINE
# with a message matching PATTERN (grep -E), and change nothing.
expect() {
    local name=$1 line=$2 pattern=$3 sql=$4
    printf '%s\n' "$sql" >"$work/queries/zz_bad.sql"
    if run >"$work/$name.log" 2>&1; then
        echo "FAIL $name: cerdgen succeeded"
        failures=$((failures + 1))
    elif ! grep -Eq "zz_bad\.sql:$line: .*($pattern)" "$work/$name.log"; then
        echo "FAIL $name: expected zz_bad.sql:$line: ... $pattern, got:"
        cat "$work/$name.log"
        failures=$((failures + 1))
    else
        snapshot >"$work/after.sum"
        if ! cmp -s "$work/before.sum" "$work/after.sum"; then
            echo "FAIL $name: the output changed:"
            diff "$work/before.sum" "$work/after.sum"
            failures=$((failures + 1))
        else
            echo "ok   $name: $(grep -E 'zz_bad' "$work/$name.log" | head -1)"
        fi
    fi
    rm -f "$work/queries/zz_bad.sql"
}

expect malformed 5 'syntax error' '-- A malformed query.

-- name: broken :many
SELECT a.id
FROM assets a WHERE AND a.id = @id;'

expect unknown_column 5 'column "no_such_column" does not exist' '-- An unknown column.
-- name: unknown_column :many
SELECT a.id,
       a.symbol,
       no_such_column
FROM assets a;'

expect unknown_qualified 4 'column a.nope does not exist' '
-- name: unknown_qualified :one
SELECT a.id FROM assets a
WHERE a.nope = @x;'

expect unknown_table 3 'relation "no_table" is not a table' '-- name: unknown_table :many
SELECT t.id
FROM no_table t;'

expect ambiguous_param 2 'ambiguous parameter type' '-- name: ambiguous_param :many
SELECT a.id FROM assets a WHERE @x IS NULL OR a.id > 0;'

expect ambiguous_two_params 3 'ambiguous parameter type' '-- name: ambiguous_two_params :many
SELECT a.id FROM assets a
WHERE @x = @y;'

expect param_in_select_list 2 'ambiguous parameter type: \$1 \(v\) in the select list' '-- name: param_in_select_list :many
SELECT a.id, @v AS v FROM assets a;'

expect float_result 2 'p50 is double precision, which the row codec has no C type for.*cast it' '-- name: float_result :many
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY l.response_time_ms) AS p50
FROM api_request_logs l;'

expect undecided_function 2 'static inference cannot decide its type.*explicit cast' '-- name: undecided_function :one
SELECT md5(a.symbol) AS digest FROM assets a LIMIT 1;'

expect no_alias 2 'without a name: give it an alias' '-- name: no_alias :one
SELECT 1 + 1 FROM assets a LIMIT 1;'

expect exec_with_rows 2 ':exec query returns columns' '-- name: exec_with_rows :exec
SELECT a.id FROM assets a;'

expect bad_shape 1 'unknown shape' '-- name: bad_shape :all
SELECT a.id FROM assets a;'

expect two_statements 2 'more than one statement' '-- name: two_statements :exec
UPDATE assets SET access_count = 0; UPDATE assets SET access_count = 1;'

expect duplicate 1 'query latest_close is also defined' '-- name: latest_close :one
SELECT a.id FROM assets a LIMIT 1;'

expect param_zero 3 'parameter \$0: parameters are numbered \$1 to \$65535' '-- name: param_zero :one
SELECT a.id FROM assets a
WHERE a.id = $0;'

# Found by fuzz_query_annotations: a huge $n asked for gigabytes of parameter names.
expect param_too_big 2 'parameter \$1000000000000000000000: parameters are numbered \$1 to \$65535' '-- name: param_too_big :one
SELECT a.id FROM assets a WHERE a.id = $1000000000000000000000;'

# Found by fuzz_query_annotations: numeric(782111466) overflowed the typmod.
expect cast_precision 2 'cast to numeric: NUMERIC precision 782111466 must be between 1 and 1000' '-- name: cast_precision :one
SELECT a.id::numeric(782111466) AS n FROM assets a LIMIT 1;'

expect cast_scale 2 'cast to numeric: NUMERIC scale 12 must be between 0 and precision 10' '-- name: cast_scale :one
SELECT a.id::numeric(10, 12) AS n FROM assets a LIMIT 1;'

expect cast_varchar 2 'cast to varchar: length for type varchar must be between 1 and 10485760, not 0' '-- name: cast_varchar :one
SELECT a.symbol::varchar(0) AS s FROM assets a LIMIT 1;'

echo "query_errors: $failures failure(s)"
[ "$failures" -eq 0 ]
