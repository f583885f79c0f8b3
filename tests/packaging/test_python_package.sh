#!/usr/bin/env bash
# The Python package as a user installs it (issue 13): the library installed into a
# scratch prefix (cmake --install), a venv made from Debian's python3 with its system
# site-packages, `pip install --no-index --no-build-isolation ./bindings/python` (offline,
# setuptools from Debian), then the installed package — not the source tree — finds the
# library through pkg-config (no CRYPTOERD_LIBRARY), ships its py.typed marker and its
# testing subpackage, and, when a server is reachable (libpq's PG* environment), runs a
# query.
#   test_python_package.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
python=${CERD_PYTHON:-/usr/bin/python3}
rm -rf "$work" && mkdir -p "$work"

cmake --install "$build" --prefix "$work/prefix" >/dev/null
PKG_CONFIG_PATH=$(dirname "$(find "$work/prefix" -name cryptoerd.pc | head -n1)")
export PKG_CONFIG_PATH
unset CRYPTOERD_LIBRARY PYTHONPATH

"$python" -m venv --system-site-packages "$work/venv"
# pip writes its build tree next to the sources: build from a copy
cp -r "$src/bindings/python" "$work/src"
rm -rf "$work/src/build" "$work/src"/*.egg-info
"$work/venv/bin/pip" install --quiet --no-index --no-build-isolation "$work/src"

export CERD_PREFIX=$work/prefix
cd "$work"   # away from the source tree: the import must come from the venv
"$work/venv/bin/python" - <<'PY'
import importlib.resources, os, sys
import cryptoerd, cryptoerd.testing, cryptoerd.testing.pytest_plugin  # noqa: F401
where = os.path.dirname(cryptoerd.__file__)
assert where.startswith(sys.prefix), f"imported from {where}, not the venv {sys.prefix}"
assert importlib.resources.files("cryptoerd").joinpath("py.typed").is_file(), "no py.typed"
from cryptoerd import _ffi
_ffi.load()
with open("/proc/self/maps") as maps:
    mapped = {line.split()[-1] for line in maps if "libcryptoerd.so" in line}
prefix = os.path.realpath(os.environ["CERD_PREFIX"])
assert mapped and all(os.path.realpath(m).startswith(prefix) for m in mapped), mapped
print("library:", *mapped)
if os.environ.get("PGHOST") or os.environ.get("PGPORT") or os.environ.get("CRYPTOERD_TEST_DSN"):
    with cryptoerd.connect(os.environ.get("CRYPTOERD_TEST_DSN", "")) as db:
        got = db.query("SELECT 41 + 1 AS answer")[0]["answer"]
        assert got == 42, got
        print("query through the installed package:", got)
else:
    cryptoerd.PriceData  # the generated classes are there even without a server
    print("no server in the environment: query skipped")
print("python package: installed offline, found the library through pkg-config")
PY
