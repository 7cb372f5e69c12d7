#!/usr/bin/env bash
# Benchmarks Parley. Builds the server and parley-bench, starts a throwaway
# PostgreSQL (fsync and synchronous_commit on) in a temporary directory, and runs
# `parley-bench all`, which starts the server itself and writes docs/benchmarks.md.
#
#   scripts/bench.sh [--smoke] [more `parley-bench all` flags, e.g. --hold 60]
#
# --smoke: debug builds and tiny sizes, to check the tool end to end (CI); the
# report goes to a temporary file and is printed. PostgreSQL is stopped and the
# temporary directory removed however the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=false
args=()
for arg in "$@"; do
    case "$arg" in
        --smoke) smoke=true ;;
        *) args+=("$arg") ;;
    esac
done

# Every socket is a file descriptor: take all the limits allow (root may raise the
# hard limit up to the kernel's nr_open). The server and the echo reference
# inherit it.
ulimit -Hn "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"

if $smoke; then
    profile=debug
    cargo build -p parley -p parley-bench
else
    profile=release
    cargo build --release -p parley -p parley-bench
fi
bin="${CARGO_TARGET_DIR:-target}/$profile"

pg_bin=${PG_BIN:-}
if [ -z "$pg_bin" ]; then
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        pg_bin=$(dirname "$(command -v pg_ctl)")
    else
        pg_bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    fi
fi
if [ ! -x "$pg_bin/initdb" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
    echo "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL or set PG_BIN." >&2
    exit 1
fi
psql="$pg_bin/psql"
[ -x "$psql" ] || psql=psql

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench.XXXXXX")
as_postgres=()
if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres: "$work"
    as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
pg_started=false
bench_pid=
cleanup() {
    if [ -n "$bench_pid" ]; then
        # parley-bench stops the server it started when it is told to stop.
        kill -TERM "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
    if $pg_started; then
        "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nobody listens on.
port=
for candidate in $(seq 54320 54999); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
        port=$candidate
        break
    fi
done
[ -n "$port" ] || { echo "no free port for PostgreSQL" >&2; exit 1; }

"${as_postgres[@]}" "$pg_bin/initdb" --auth=trust --username=postgres --encoding=UTF8 \
    -D "$work/data" >"$work/initdb.log"
pg_started=true
"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w -t 60 \
    -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200" \
    start >/dev/null
"$psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc 'CREATE DATABASE parley_bench'
database_url="postgres://postgres@127.0.0.1:$port/parley_bench"

# In the background, so that a signal reaches the traps above at once.
bench() {
    "$bin/parley-bench" all --server "$bin/parley" --database-url "$database_url" "$@" &
    bench_pid=$!
    local status=0
    wait "$bench_pid" || status=$?
    bench_pid=
    return "$status"
}

if $smoke; then
    out="$work/benchmarks.md"
    status=0
    bench --smoke --out "$out" "${args[@]}" || status=$?
    if [ -f "$out" ]; then
        cat "$out"
    fi
    exit "$status"
fi
bench --out docs/benchmarks.md "${args[@]}"
