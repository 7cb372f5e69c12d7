# syntax=docker/dockerfile:1

# ---- build ------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src

# Dependencies first: this layer is rebuilt only when the manifests or the lock
# file change, not on every source edit.
# The benchmark tool is a workspace member too: its manifest and a stub are
# enough for cargo to load the workspace.
COPY Cargo.toml Cargo.lock ./
COPY backend/Cargo.toml backend/
COPY bench/Cargo.toml bench/
RUN mkdir -p backend/src bench/src \
    && echo 'fn main() {}' > backend/src/main.rs \
    && echo 'fn main() {}' > bench/src/main.rs \
    && touch backend/src/lib.rs \
    && cargo build --release --locked -p parley \
    && rm -rf backend/src

# Migrations are embedded into the binary at compile time.
COPY migrations migrations
COPY backend/src backend/src
# COPY keeps the files' old mtimes; touch them so cargo rebuilds over the stub.
RUN touch backend/src/main.rs backend/src/lib.rs \
    && cargo build --release --locked -p parley

# ---- run --------------------------------------------------------------------
FROM debian:bookworm-slim

# curl is for the health check.
# DL3008 (pin apt versions) is ignored on purpose: the base image is not pinned,
# and bookworm's security updates replace old versions, so pins break the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 parley \
    && useradd --system --uid 10001 --gid parley --home-dir /app --shell /usr/sbin/nologin parley \
    && mkdir -p /data \
    && chown parley:parley /data

WORKDIR /app
COPY --from=builder /src/target/release/parley /usr/local/bin/parley
COPY frontend /app/frontend

ENV BIND=0.0.0.0:8080 \
    FRONTEND_DIR=/app/frontend \
    DATABASE_URL=sqlite:///data/parley.db \
    RUST_LOG=info

# The SQLite database (when DATABASE_URL is not PostgreSQL).
VOLUME ["/data"]
# Numeric, so that runtimes can check it is not root without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080

# Liveness: the process answers. (GET /readyz also checks the database.)
# This checks port 8080; change it here if you change BIND.
# DL3025 (JSON form) is about CMD/ENTRYPOINT receiving signals; a probe needs
# none, and the shell keeps any curl failure to exit 1 (Docker reserves 2).
# hadolint ignore=DL3025
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1

CMD ["parley"]
