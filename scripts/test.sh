#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests (real servers on SQLite and
# on a throwaway PostgreSQL), then the browser test in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    echo "The browser test needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium)." >&2
    exit 1
fi
cargo build -p parley
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
node --test e2e/
