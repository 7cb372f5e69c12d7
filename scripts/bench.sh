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

. scripts/lib/postgres.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench.XXXXXX")
bench_pid=
cleanup() {
    if [ -n "$bench_pid" ]; then
        # parley-bench stops the server it started when it is told to stop.
        kill -TERM "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
    postgres_stop "$work"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

postgres_start "$work"
postgres_create parley_bench
database_url="postgres://postgres@127.0.0.1:$pg_port/parley_bench"

# In the background, so that a signal reaches the traps above at once. Its
# temporary directories (the SQLite database, the attachment store, which the
# uploads scenario fills with about 1.5 GiB) go in $work, so that they are removed
# however it ends.
bench() {
    TMPDIR="$work" "$bin/parley-bench" all --server "$bin/parley" --database-url "$database_url" "$@" &
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
