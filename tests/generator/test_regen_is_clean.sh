#!/usr/bin/env bash
# The committed generated files are what cerdgen makes of schema/ today.
#
# usage: test_regen_is_clean.sh CERDGEN_BINARY SOURCE_DIR WORK_DIR
#
# Runs cerdgen on SOURCE_DIR/schema and SOURCE_DIR/queries into WORK_DIR (emptied first)
# and compares, file by file, with the committed include/cryptoerd/tables/,
# include/cryptoerd/tables.h, lib/tables/, include/cryptoerd/queries/, lib/queries/,
# bindings/go/cryptoerd/tables_gen.go and queries_gen.go, bindings/python/cryptoerd/_tables.py
# and _queries.py. Prints a unified diff for every file that differs, and names every file
# that is generated but not committed (missing) or committed but no longer generated
# (extra). Exits 0 only when all match; the last line says how many files were compared.
set -u

if [ $# -ne 3 ]; then
    echo "usage: $0 CERDGEN_BINARY SOURCE_DIR WORK_DIR" >&2
    exit 2
fi
cerdgen=$1
src=$2
work=$3

rm -rf "$work"
mkdir -p "$work/include" "$work/lib" "$work/qlib" "$work/go" "$work/python"
queries=()
if [ -d "$src/queries" ]; then
    queries=(--queries "$src/queries" --queries-lib-out "$work/qlib")
fi
if ! "$cerdgen" --schema "$src/schema" --include-out "$work/include" \
        --lib-out "$work/lib" --go-out "$work/go" --python-out "$work/python/_tables.py" "${queries[@]}" >"$work/cerdgen.log" 2>&1; then
    cat "$work/cerdgen.log"
    echo "regen: cerdgen failed"
    exit 1
fi

compared=0
differ=0
missing=0
extra=0

# compare GENERATED_FILE COMMITTED_FILE NAME
compare() {
    compared=$((compared + 1))
    if ! diff -u --label "committed: $3" --label "generated: $3" "$2" "$1"; then
        differ=$((differ + 1))
    fi
}

# compare_dir GENERATED_DIR COMMITTED_DIR NAME_PREFIX: every file of either side.
compare_dir() {
    local gen=$1 com=$2 prefix=$3 f name
    for f in "$gen"/*; do
        [ -f "$f" ] || continue
        name=${f##*/}
        if [ -f "$com/$name" ]; then
            compare "$f" "$com/$name" "$prefix$name"
        else
            echo "regen: missing (generated, not committed): $prefix$name"
            missing=$((missing + 1))
        fi
    done
    for f in "$com"/*; do
        [ -e "$f" ] || continue
        name=${f##*/}
        if [ ! -f "$gen/$name" ]; then
            echo "regen: extra (committed, not generated): $prefix$name"
            extra=$((extra + 1))
        fi
    done
}

compare_dir "$work/include/tables" "$src/include/cryptoerd/tables" "include/cryptoerd/tables/"
if [ -f "$src/include/cryptoerd/tables.h" ]; then
    compare "$work/include/tables.h" "$src/include/cryptoerd/tables.h" "include/cryptoerd/tables.h"
else
    echo "regen: missing (generated, not committed): include/cryptoerd/tables.h"
    missing=$((missing + 1))
fi
compare_dir "$work/lib" "$src/lib/tables" "lib/tables/"
if [ -d "$src/queries" ]; then
    compare_dir "$work/include/queries" "$src/include/cryptoerd/queries" \
        "include/cryptoerd/queries/"
    compare_dir "$work/qlib" "$src/lib/queries" "lib/queries/"
fi
if [ -f "$src/bindings/go/cryptoerd/tables_gen.go" ]; then
    compare "$work/go/tables_gen.go" "$src/bindings/go/cryptoerd/tables_gen.go" \
        "bindings/go/cryptoerd/tables_gen.go"
else
    echo "regen: missing (generated, not committed): bindings/go/cryptoerd/tables_gen.go"
    missing=$((missing + 1))
fi
py=bindings/python/cryptoerd/_tables.py
if [ -f "$src/$py" ]; then
    compare "$work/python/_tables.py" "$src/$py" "$py"
else
    echo "regen: missing (generated, not committed): $py"
    missing=$((missing + 1))
fi
# the typed queries of the bindings (with --queries: queries_gen.go next to tables_gen.go,
# _queries.py next to _tables.py)
if [ -d "$src/queries" ]; then
    for gen in go/queries_gen.go:bindings/go/cryptoerd/queries_gen.go \
               python/_queries.py:bindings/python/cryptoerd/_queries.py; do
        if [ -f "$src/${gen#*:}" ]; then
            compare "$work/${gen%%:*}" "$src/${gen#*:}" "${gen#*:}"
        else
            echo "regen: missing (generated, not committed): ${gen#*:}"
            missing=$((missing + 1))
        fi
    done
fi
# anything else cerdgen wrote into the bindings' directories
for f in "$work/go"/* "$work/python"/*; do
    case ${f##*/} in
        tables_gen.go | queries_gen.go | _tables.py | _queries.py) ;;
        *) echo "regen: cerdgen wrote an unexpected file: $f"; extra=$((extra + 1)) ;;
    esac
done

# Anything else cerdgen wrote would be a file this test does not know about.
for f in "$work/include"/*; do
    name=${f##*/}
    case $name in
        tables | tables.h | queries) ;;
        *) echo "regen: cerdgen wrote an unexpected file: $f"; extra=$((extra + 1)) ;;
    esac
done

if [ "$compared" -eq 0 ]; then
    echo "regen: nothing was generated"
    exit 1
fi
echo "regen: $compared files compared, $differ differ, $missing missing, $extra extra"
if [ "$differ" -ne 0 ] || [ "$missing" -ne 0 ] || [ "$extra" -ne 0 ]; then
    echo "regen: the committed generated files are stale: run 'cmake --build <build> --target regen'"
    exit 1
fi
exit 0
