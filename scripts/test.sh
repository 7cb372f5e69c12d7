#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests (real servers on SQLite and
# on a throwaway PostgreSQL), then the end-to-end tests in e2e/ (headless Chromium,
# the OpenAPI fuzzer and more).
set -euo pipefail
cd "$(dirname "$0")/.."

# The attachment tests run an S3-compatible server (moto) on loopback; it lives in a
# venv of its own, kept between runs (backend/tests/api/s3.rs finds it there).
test_venv="${XDG_CACHE_HOME:-$HOME/.cache}/parley/test-venv"
python3 -m venv "$test_venv"
"$test_venv/bin/pip" install --quiet --disable-pip-version-check -r backend/tests/requirements.txt

cargo test --workspace

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    echo "The browser test needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium)." >&2
    exit 1
fi
cargo build -p parley
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
# Python tools the e2e tests run (the OpenAPI fuzzer and validator, linters).
python3 -m venv e2e/.venv
e2e/.venv/bin/pip install --quiet --disable-pip-version-check -r e2e/requirements.txt
node --test e2e/
