#!/usr/bin/env bash
# Runs README.md's quick start as a new user would, so that it cannot break
# unnoticed: the commands of the first `sh` block under "## Quick start", exactly
# as written, in a fresh copy of the repository (the files git knows: no data/, no
# .env) with none of Parley's variables set. The server must print its address,
# answer GET /healthz with 200 and serve the web app, then exit 0 on SIGTERM
# without logging an error. The README's `cargo run --release -- --help` must
# work too.
#
# The copy builds into this repository's target/ (CARGO_TARGET_DIR), so only the
# first run builds the release dependencies. If 127.0.0.1:8080 is taken, the
# server gets BIND=127.0.0.1:0 instead and is found at the address it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
# What is checked is that the commands work as written, not how fast the result
# runs: an unoptimised release build takes about half the time on CI's 2 cores.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false

# The quick start's first sh block, continuation lines joined.
commands=()
while IFS= read -r line; do
    commands+=("$line")
done < <(awk '
    /^## / { section = ($0 == "## Quick start"); next }
    section && !done && /^```sh$/ { block = 1; next }
    block && /^```$/ { block = 0; done = 1; next }
    block {
        if (sub(/\\$/, "")) { pending = pending $0; next }
        line = pending $0; pending = ""
        if (line !~ /^[[:space:]]*(#|$)/) print line
    }
' README.md)
if [ ${#commands[@]} -eq 0 ]; then
    echo "README.md: no sh code block with a command under '## Quick start'" >&2
    exit 1
fi
# The last command is the server; the shell becomes it, so that SIGTERM and the
# exit status are the server's own (cargo run replaces itself with the binary).
last=$((${#commands[@]} - 1))
script=$(printf '%s\n' "${commands[@]:0:$last}")
script+=$'\n'"exec ${commands[$last]}"
help_command=$(grep -o '`cargo run [^`]*-- --help`' README.md | head -n 1 | tr -d '`')
if [ -z "$help_command" ]; then
    echo "README.md: no \`cargo run … -- --help\` to check" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-quick-start.XXXXXX")
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

copy="$work/parley"
mkdir "$copy"
git ls-files -z --cached --others --exclude-standard \
    | tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null \
    | tar -xf - -C "$copy"

# A new user's environment has none of Parley's settings.
unset_vars=(-u RUST_LOG)
for name in $(grep -oE '^#?[A-Z][A-Z0-9_]*=' .env.example | tr -d '#='); do
    unset_vars+=(-u "$name")
done
server_env=()
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    echo "127.0.0.1:8080 is taken: this check runs the server with BIND=127.0.0.1:0"
    server_env+=(BIND=127.0.0.1:0)
fi

fail() {
    echo "quick start: $*" >&2
    echo "--- output of: ${commands[*]}" >&2
    tail -n 60 "$work/out.log" "$work/err.log" >&2 || true
    exit 1
}

echo "quick start: running in a fresh copy:"
printf '    %s\n' "${commands[@]}"
started=$(date +%s)
(cd "$copy" && exec env "${unset_vars[@]}" "${server_env[@]}" bash -ec "$script") \
    >"$work/out.log" 2>"$work/err.log" &
server_pid=$!

# The first release build takes minutes; then the server prints its address.
url=
while [ -z "$url" ]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        wait "$server_pid" && status=0 || status=$?
        server_pid=
        fail "exited ($status) before it listened"
    fi
    if [ $(($(date +%s) - started)) -gt 1800 ]; then
        fail "no 'Parley listening on' line after 30 minutes"
    fi
    url=$(sed -n 's/^Parley listening on \(http:\/\/[^ ]*\)$/\1/p' "$work/out.log" | head -n 1)
    [ -n "$url" ] || sleep 1
done
echo "quick start: listening at $url after $(($(date +%s) - started)) s"

health=
for _ in $(seq 1 100); do
    health=$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz" || true)
    [ "$health" = 200 ] && break
    sleep 0.1
done
[ "$health" = 200 ] || fail "GET /healthz answered '$health', not 200"
page=$(curl -s -w '\n%{http_code}' "$url/")
[ "${page##*$'\n'}" = 200 ] && grep -qi '<html' <<<"$page" \
    || fail "GET / did not serve the web app"

stopping=$(date +%s.%N)
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
took=$(awk -v a="$stopping" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ "$status" = 0 ] || fail "exited $status on SIGTERM"
if grep -E '^\[[^]]* ERROR ' "$work/err.log" >&2; then
    fail "logged an error"
fi
echo "quick start: /healthz 200, web app served, SIGTERM -> exit 0 in ${took} s"

echo "quick start: $help_command"
(cd "$copy" && env "${unset_vars[@]}" bash -ec "$help_command") >"$work/help.log" 2>&1 \
    || { cat "$work/help.log" >&2; exit 1; }
grep -q -- '--database-url' "$work/help.log" \
    || { cat "$work/help.log" >&2; echo "quick start: --help lists no settings" >&2; exit 1; }
echo "quick start: ok"
