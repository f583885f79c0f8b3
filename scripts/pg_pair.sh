#!/usr/bin/env bash
# PostgreSQL 15 servers of the tests' own: a primary and a streaming standby (the read
# replica tests of C, Python and Go; the C pool tests reach it through
# tests/pool/pool_support.c), or a primary alone (the C restart test): initdb (trust,
# fsync off) with replication settings, pg_basebackup -R -X stream for the standby
# (asynchronous replication), on free loopback ports, started, and waited for until the
# standby streams. Data directories DIR/primary and DIR/standby, logs DIR/<name>.log, the
# sockets in DIR. As root the PostgreSQL tools run as postgres.
#
# usage: scripts/pg_pair.sh start DIR   DIR must not exist (its parent must); prints
#                                       PRIMARY_PORT=N and STANDBY_PORT=N, one a line.
#                                       Connect with "host=127.0.0.1 port=N user=postgres
#                                       dbname=postgres". Exit 1 (log on stderr) on failure.
#        scripts/pg_pair.sh start-primary DIR
#                                       the same without a standby (PRIMARY_PORT=N only).
#        scripts/pg_pair.sh stop DIR    stops both (immediate) and removes DIR.
#
# PGBIN overrides /usr/lib/postgresql/15/bin.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|start-primary|stop DIR" >&2; exit 2; }
case $dir in /*) ;; *) dir="$PWD/$dir" ;; esac

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd /tmp && runuser -u postgres -- "$@")
    else
        (cd /tmp && "$@")
    fi
}

free_port() {
    /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

configure() { # data directory, port
    cat >>"$1/postgresql.conf" <<EOF

# scripts/pg_pair.sh
port = $2
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
max_connections = 60
shared_buffers = 16MB
wal_level = replica
max_wal_senders = 4
hot_standby = on
wal_receiver_status_interval = 1s
EOF
}

fail() {
    echo "pg_pair: $*" >&2
    for log in "$dir"/*.log; do
        [ -f "$log" ] || continue
        echo "--- $log" >&2
        tail -n 20 "$log" >&2
    done
    exit 1
}

case $cmd in
start|start-primary)
    [ -x "$PGBIN/initdb" ] || { echo "pg_pair: no $PGBIN/initdb" >&2; exit 1; }
    mkdir "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
    pport=$(free_port)
    as_pg "$PGBIN/initdb" -D "$dir/primary" -U postgres -A trust --no-sync \
        >"$dir/primary.initdb.log" 2>&1 || fail "initdb failed"
    configure "$dir/primary" "$pport"
    as_pg "$PGBIN/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -t 60 start >/dev/null \
        || fail "the primary did not start"
    if [ "$cmd" = start-primary ]; then
        echo "PRIMARY_PORT=$pport"
        exit 0
    fi
    as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$pport" -U postgres -D "$dir/standby" -R \
        -X stream -c fast --no-sync >"$dir/standby.basebackup.log" 2>&1 \
        || fail "pg_basebackup failed"
    sport=$(free_port)
    configure "$dir/standby" "$sport"
    as_pg "$PGBIN/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -t 60 start >/dev/null \
        || fail "the standby did not start"
    for _ in $(seq 1 1000); do
        n=$(psql -X -At -h 127.0.0.1 -p "$pport" -U postgres -d postgres -c \
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || true)
        [ "$n" = 1 ] && break
        sleep 0.02
    done
    [ "$n" = 1 ] || fail "the standby does not stream within 20 s"
    echo "PRIMARY_PORT=$pport"
    echo "STANDBY_PORT=$sport"
    ;;
stop)
    for s in standby primary; do
        [ -d "$dir/$s" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/$s" -m immediate -w -t 60 stop \
            >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|start-primary|stop DIR" >&2
    exit 2
    ;;
esac
