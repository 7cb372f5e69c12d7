#!/usr/bin/env bash
# Benchmarks several Parley nodes on one throwaway PostgreSQL and writes
# docs/benchmarks-cluster.md:
#
#   1. dm, closed loop: one node, then three nodes with the senders on node 1 and
#      the receivers on node 2 (every message crosses nodes), twice each, in turn;
#   2. dm, open loop at 25% of the one-node throughput, on three nodes: senders and
#      receivers on node 1, then on nodes 1 and 2 (p99 compared);
#   3. the stream's lock wait and routing lag (from the nodes' /metrics) under 1;
#   4. idle sockets spread over six nodes, one parley-bench process per node (each
#      process may open 20,000 files here), held --hold seconds.
#
#   scripts/bench-cluster.sh [--smoke] [--hold SECONDS] [--sockets-per-node N]
#
# --smoke: debug builds and tiny sizes, to check the script end to end; the report
# goes to a temporary file and is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=false
hold=300
per_node=17000
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=true ;;
        --hold) hold=$2; shift ;;
        --sockets-per-node) per_node=$2; shift ;;
        *) echo "unknown flag $1" >&2; exit 2 ;;
    esac
    shift
done
seconds=15
if $smoke; then
    profile=debug
    cargo build -p parley -p parley-bench
    seconds=2 hold=2 per_node=100
else
    profile=release
    cargo build --release -p parley -p parley-bench
fi
bin="${CARGO_TARGET_DIR:-target}/$profile"
ulimit -Hn "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"

. scripts/lib/postgres.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-cluster.XXXXXX")
node_pids=()
stop_nodes() {
    for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${node_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    node_pids=()
}
cleanup() {
    stop_nodes
    postgres_stop "$work"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
postgres_start "$work"
runs=0

# start_nodes N: a fresh database and N nodes on it, at http://127.0.0.1:$((base_port + i)).
base_port=18900
start_nodes() {
    runs=$((runs + 1))
    local db="cluster_$runs"
    postgres_create "$db"
    for i in $(seq 1 "$1"); do
        env DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/$db" BIND="127.0.0.1:$((base_port + i))" \
            SEND_RATE=1000000 SEND_BURST=1000000 REGISTER_RATE=1000000 REGISTER_BURST=1000000 \
            MAX_SOCKETS_PER_USER=1000000 RUST_LOG=warn BCRYPT_COST=4 FRONTEND_DIR=/nonexistent \
            JWT_SECRET="cluster-bench-secret-that-is-long-enough-for-hs256" \
            "$bin/parley" >"$work/node$i.log" 2>&1 &
        node_pids+=($!)
        for _ in $(seq 600); do
            curl -sf "http://127.0.0.1:$((base_port + i))/healthz" >/dev/null && break
            sleep 0.1
        done
    done
    database_url="postgres://postgres@127.0.0.1:$pg_port/$db"
}
url() { echo "http://127.0.0.1:$((base_port + $1))"; }
# figure FILE ROW: the value of a row of a parley-bench table.
figure() { grep -F "| $2 |" "$1" | head -n 1 | awk -F'|' '{gsub(/ /, "", $3); print $3}'; }
p99() { figure "$1" "send → receive latency p50 / p90 / p99 / p99.9 / max (µs)" | cut -d/ -f3; }

# dm LABEL NODES SEND_NODE RECEIVE_NODE PACE...
dm() {
    local label=$1 nodes=$2 send=$3 receive=$4
    shift 4
    start_nodes "$nodes"
    "$bin/parley-bench" dm --url "$(url "$send")" --receive-url "$(url "$receive")" \
        --server-pid "${node_pids[$((send - 1))]}" --database-url "$database_url" \
        --duration "$seconds" "$@" >"$work/$label.md" 2>"$work/$label.err"
    curl -s "$(url "$receive")/metrics" | grep '^parley_stream_lag_seconds' >"$work/$label.lag"
    curl -s "$(url "$send")/metrics" | grep '^parley_stream_lock_wait_seconds' >"$work/$label.lock"
    stop_nodes
    for row in "lost (acked, never delivered)" "duplicated (delivered more than once)"; do
        [ "$(figure "$work/$label.md" "$row")" = 0 ] || { echo "$label: $row is not 0" >&2; exit 1; }
    done
}
# quantile FILE Q: the bucket bound (ms) under which a fraction Q of a histogram lies.
quantile() {
    awk -v q="$2" -F'[{}"= ]+' '/_bucket/ { le[n] = $3; c[n++] = $4 }
        END { for (i = 0; i < n; i++) if (c[i] >= q * c[n - 1]) {
            if (le[i] == "+Inf") print "> 1000"; else printf "≤ %g\n", le[i] * 1000; exit } }' "$1"
}

echo "dm, closed loop: one node and three…" >&2
for round in 1 2; do
    dm "one-$round" 1 1 1 --closed-loop
    dm "three-$round" 3 1 2 --closed-loop
done
tp() { figure "$work/$1.md" "throughput, acked and delivered (msg/s)"; }
one=$(( ($(tp one-1) + $(tp one-2)) / 2 ))
three=$(( ($(tp three-1) + $(tp three-2)) / 2 ))
rate=$(( one / 4 ))
echo "dm, open loop at $rate msg/s on three nodes…" >&2
dm same 3 1 1 --rate "$rate"
dm cross 3 1 2 --rate "$rate"

echo "idle sockets over six nodes…" >&2
start_nodes 6
bench_pids=()
for i in $(seq 1 6); do
    "$bin/parley-bench" connections --url "$(url "$i")" --server-pid "${node_pids[$((i - 1))]}" \
        --connections "$per_node" --users 100 --hold "$hold" --in-flight 50 \
        >"$work/conn$i.md" 2>"$work/conn$i.err" &
    bench_pids+=($!)
done
for pid in "${bench_pids[@]}"; do wait "$pid"; done
stop_nodes
sum() { local total=0; for i in $(seq 1 6); do total=$((total + $(figure "$work/conn$i.md" "$1"))); done; echo "$total"; }
mean_kib() {
    for i in $(seq 1 6); do figure "$work/conn$i.md" "$1"; done |
        sed 's/KiB//' | awk '{ s += $1 } END { printf "%.2f", s / NR }'
}
opened=$(sum "Parley: sockets opened")
drops=$(sum "Parley: drops")
parley_kib=$(mean_kib "Parley: RSS per connection")
echo_kib=$(mean_kib "echo reference: RSS per connection")
rss_ratio=$(awk -v p="$parley_kib" -v e="$echo_kib" 'BEGIN { printf "%.2f", p / e }')

met() { if awk "BEGIN { exit !($1) }"; then echo yes; else echo no; fi; }
same_p99=$(p99 "$work/same.md")
cross_p99=$(p99 "$work/cross.md")
ratio=$(awk -v t="$three" -v o="$one" 'BEGIN { printf "%.2f", t / o }')
out=docs/benchmarks-cluster.md
$smoke && out="$work/benchmarks-cluster.md"
{
    echo "# Parley benchmarks: several nodes on one PostgreSQL"
    echo
    echo "Written by \`scripts/bench-cluster.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores; the nodes, the bench and PostgreSQL share the machine)."
    echo
    echo "## Goals"
    echo
    echo "| Goal | Measured | Met |"
    echo "|---|---|---|"
    echo "| dm throughput, 3 nodes (senders on one, receivers on another) ≥ 0.9× one node | $three / $one msg/s = ${ratio}× | $(met "$ratio >= 0.9") |"
    echo "| cross-node p99 ≤ same-node p99 + 5 ms at 25% load | $cross_p99 µs vs $same_p99 + 5000 µs | $(met "$cross_p99 <= $same_p99 + 5000") |"
    echo "| lost = 0 and duplicated = 0 | 0 and 0 over 6 runs | yes |"
    echo "| 100,000 idle sockets over 6 nodes held 5 minutes, 0 drops | $opened opened, held $hold s, $drops drops | $(met "$opened >= 100000 && $hold >= 300 && $drops == 0") |"
    echo "| RSS per socket over the nodes ≤ 1.3× the echo reference's | $parley_kib KiB / $echo_kib KiB = ${rss_ratio}× | $(met "$rss_ratio <= 1.3") |"
    echo
    echo "## The stream under the closed-loop load (three nodes)"
    echo
    echo "| | p50 | p99 |"
    echo "|---|---|---|"
    echo "| lock wait per batch, sending node (ms) | $(quantile "$work/three-1.lock" 0.5) | $(quantile "$work/three-1.lock" 0.99) |"
    echo "| routing lag, queued → routed on the receiving node (ms) | $(quantile "$work/three-1.lag" 0.5) | $(quantile "$work/three-1.lag" 0.99) |"
    echo
    echo "Quantiles are the histogram bucket bounds they fall under. The lag runs from the change being queued on the sending node (so it includes the writer's queue under a closed loop) to its row being routed on the receiving node."
    for label in one-1 one-2 three-1 three-2 same cross; do
        echo
        echo "## dm: $label"
        echo
        grep '^|' "$work/$label.md"
    done
    for i in $(seq 1 6); do
        echo
        echo "## Idle sockets: node $i"
        echo
        grep '^|' "$work/conn$i.md"
    done
} >"$out"
$smoke && cat "$out"
echo "wrote $out" >&2
