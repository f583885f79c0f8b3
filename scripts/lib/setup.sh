# Sourced by scripts/test.sh and scripts/demo.sh: installs what the project needs on a
# Debian 12 machine (only what is missing), and builds it.

# Debian packages the build, the tests and the docs need.
CERD_PACKAGES=(
    build-essential cmake pkg-config python3
    libpq-dev libcjson-dev libcmocka-dev libpg-query-dev doxygen
    postgresql-15 postgresql-client-15 postgresql-common
    libzdb-dev valgrind
)

cerd_log() { printf '\n==> %s\n' "$*"; }

cerd_install_packages() {
    local missing=() pkg
    for pkg in "${CERD_PACKAGES[@]}"; do
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
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
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
