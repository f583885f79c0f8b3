# Sourced by scripts/test.sh and scripts/demo.sh: installs what the project needs on a
# Debian 12 machine (only what is missing), and builds it.

# Debian packages. The library and its examples build with CERD_PACKAGES_BUILD and run
# against CERD_PACKAGES_SERVER (scripts/demo.sh needs no more); the tests, the generator
# (tools/cerdgen, libpg_query), the docs, the Go binding (golang-go) and the benchmarks
# need CERD_PACKAGES_DEV too.
# CERD_PACKAGES_BENCH: the peers of the bulk benchmarks (scripts/bench.sh only): Go with
# Debian's pgx v4 (used offline from /usr/share/gocode in GOPATH mode), asyncpg, psycopg 3.
CERD_PACKAGES_BUILD=(build-essential cmake pkg-config libpq-dev libcjson-dev)
CERD_PACKAGES_SERVER=(postgresql-15 postgresql-client-15 postgresql-common)
CERD_PACKAGES_DEV=(python3 libcmocka-dev libpg-query-dev doxygen libzdb-dev valgrind
                   clang libclang-rt-14-dev pgbouncer golang-go python3-pytest python3-cffi
                   python3-mypy python3-setuptools python3-venv)
CERD_PACKAGES_BENCH=(golang-go golang-github-jackc-pgx-v4-dev python3-asyncpg python3-psycopg)
CERD_PACKAGES=("${CERD_PACKAGES_BUILD[@]}" "${CERD_PACKAGES_SERVER[@]}" "${CERD_PACKAGES_DEV[@]}")

cerd_log() { printf '\n==> %s\n' "$*"; }

# cerd_install_packages [PACKAGE...]: installs those of the packages (default: every one
# in CERD_PACKAGES) that are missing.
cerd_install_packages() {
    local missing=() pkg
    [ $# -gt 0 ] || set -- "${CERD_PACKAGES[@]}"
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    cerd_log "installing ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; return 1; }
        sudo=(sudo)
    fi
    # Waits (up to 10 minutes) for another apt or dpkg (unattended-upgrades...) to finish.
    local apt=(apt-get -o DPkg::Lock::Timeout=600)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
}

# cerd_build DIR [cmake options...]
cerd_build() {
    local dir=$1
    shift
    cerd_log "building in $dir"
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
    cmake --build "$dir" -j"$(nproc)"
}

# cerd_with_postgres COMMAND...: runs COMMAND with a PostgreSQL 15 server to talk to:
# the one named by $1_DSN_VAR when set (see callers), else a throw-away cluster from
# Debian's pg_virtualenv (which sets the PG* variables libpq reads).
cerd_with_postgres() {
    local dsn_var=$1
    shift
    if [ -n "${!dsn_var:-}" ]; then
        cerd_log "using the server in \$$dsn_var"
        "$@"
    else
        cerd_log "starting a throw-away PostgreSQL 15 (pg_virtualenv)"
        pg_virtualenv -t -v 15 "$@"
    fi
}
