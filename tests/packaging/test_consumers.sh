#!/usr/bin/env bash
# Installs the built library into a scratch prefix, then builds a small consumer with
# pkg-config and with find_package(cryptoerd CONFIG), shared and static, and runs them.
#   test_consumers.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
prefix=$work/prefix
rm -rf "$work" && mkdir -p "$work"

cmake --install "$build" --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name cryptoerd.pc | head -n1)")
libdir=$(dirname "$pcdir")
export LD_LIBRARY_PATH=$libdir

echo "== pkg-config, shared"
export PKG_CONFIG_PATH=$pcdir
# shellcheck disable=SC2046
${CC:-cc} -Wall -Werror "$here/consumer/main.c" -o "$work/pc_shared" $(pkg-config --cflags --libs cryptoerd)
"$work/pc_shared"

echo "== pkg-config, shared: a program calling cJSON and libpq itself"
# (the API hands out cJSON trees and libpq objects: cryptoerd's Requires bring both)
# shellcheck disable=SC2046
${CC:-cc} -Wall -Werror "$here/consumer/deps.c" -o "$work/pc_deps" $(pkg-config --cflags --libs cryptoerd)
"$work/pc_deps"

echo "== pkg-config, static"
# shellcheck disable=SC2046
${CC:-cc} -Wall -Werror -DCERD_STATIC "$here/consumer/main.c" -o "$work/pc_static" \
    $(pkg-config --cflags cryptoerd) "$libdir/libcryptoerd.a" $(pkg-config --libs-only-l libpq libcjson)
env -u LD_LIBRARY_PATH "$work/pc_static"

echo "== find_package(cryptoerd CONFIG)"
cmake -S "$here/consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer_shared"
env -u LD_LIBRARY_PATH "$work/cmake/consumer_static"
"$work/cmake/consumer_deps"
echo "consumers: 6 passed, 0 failed"
