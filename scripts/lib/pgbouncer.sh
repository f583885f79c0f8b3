# Sourced inside a pg_virtualenv run (or with PGHOST/PGPORT/PGUSER/PGPASSWORD naming a
# PostgreSQL server): starts two PgBouncers on loopback in front of that server, one in
# transaction pooling mode and one in session mode, and exports where they listen:
#   CRYPTOERD_TEST_PGBOUNCER          "host=127.0.0.1 port=N"  (transaction mode)
#   CRYPTOERD_TEST_PGBOUNCER_SESSION  "host=127.0.0.1 port=M"  (session mode)
# Each keeps at most CERD_PGBOUNCER_POOL_SIZE (default 4) server connections per
# database and user, fewer than the tests' clients. Clients are trusted (loopback only);
# PgBouncer logs into the server with the password of the auth file, which holds the
# cluster's superuser and the fixed role of the PgBouncer RLS test.
# cerd_pgbouncer_stop stops both (cerd_pgbouncer_start installs it as an EXIT trap).

CERD_PGBOUNCER_RLS_ROLE=cerd_pgb_app
CERD_PGBOUNCER_RLS_PASSWORD=cerd-pgb-test

cerd_pgbouncer_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# cerd_pgbouncer_write DIR NAME MODE PORT: writes DIR/NAME.ini
cerd_pgbouncer_write() {
    local dir=$1 name=$2 mode=$3 port=$4
    cat > "$dir/$name.ini" <<INI
[databases]
* = host=${PGHOST:-localhost} port=${PGPORT:-5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = $mode
default_pool_size = ${CERD_PGBOUNCER_POOL_SIZE:-4}
max_client_conn = 500
server_reset_query = DISCARD ALL
ignore_startup_parameters = extra_float_digits
logfile = $dir/$name.log
pidfile = $dir/$name.pid
admin_users = ${PGUSER:-postgres}
INI
}

cerd_pgbouncer_start() {
    local dir port_t port_s name i
    command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed" >&2; return 1; }
    dir=$(mktemp -d -t cerd-pgbouncer.XXXXXX)
    CERD_PGBOUNCER_DIR=$dir
    printf '"%s" "%s"\n"%s" "%s"\n' "${PGUSER:-postgres}" "${PGPASSWORD:-}" \
        "$CERD_PGBOUNCER_RLS_ROLE" "$CERD_PGBOUNCER_RLS_PASSWORD" > "$dir/userlist.txt"
    port_t=$(cerd_pgbouncer_free_port)
    port_s=$(cerd_pgbouncer_free_port)
    cerd_pgbouncer_write "$dir" transaction transaction "$port_t"
    cerd_pgbouncer_write "$dir" session session "$port_s"
    local as_user=()
    if [ "$(id -u)" -eq 0 ]; then # PgBouncer refuses to run as root
        chown -R postgres "$dir"
        as_user=(-u postgres)
    fi
    trap cerd_pgbouncer_stop EXIT
    for name in transaction session; do
        pgbouncer -q -d "${as_user[@]}" "$dir/$name.ini" || {
            cat "$dir/$name.log" >&2 2>/dev/null; return 1; }
    done
    for i in $(seq 1 100); do
        pg_isready -q -h 127.0.0.1 -p "$port_t" && pg_isready -q -h 127.0.0.1 -p "$port_s" && break
        sleep 0.1
    done
    export CRYPTOERD_TEST_PGBOUNCER="host=127.0.0.1 port=$port_t"
    export CRYPTOERD_TEST_PGBOUNCER_SESSION="host=127.0.0.1 port=$port_s"
    export CERD_PGBOUNCER_RLS_ROLE CERD_PGBOUNCER_RLS_PASSWORD
    echo "PgBouncer $(pgbouncer --version | head -1 | cut -d' ' -f2): transaction mode on" \
         "port $port_t, session mode on port $port_s (logs in $dir)"
}

cerd_pgbouncer_stop() {
    local name pid
    [ -n "${CERD_PGBOUNCER_DIR:-}" ] || return 0
    for name in transaction session; do
        pid=$(cat "$CERD_PGBOUNCER_DIR/$name.pid" 2>/dev/null) && kill "$pid" 2>/dev/null
    done
    sleep 0.2
    rm -rf "$CERD_PGBOUNCER_DIR"
    CERD_PGBOUNCER_DIR=
}
