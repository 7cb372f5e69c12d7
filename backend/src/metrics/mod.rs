//! `GET /metrics`: counters, gauges and histograms in the Prometheus text format.
//!
//! The registry is hand-written rather than taken from a crate. Parley exposes a
//! dozen fixed series whose only open-ended label is the HTTP route *pattern*, so
//! a registry is a few atomics and a small map; writing the text format is a
//! page. The crates weigh more than that: `metrics` records into one global
//! recorder, which would mix up the servers that tests start side by side in one
//! process, and `prometheus` brings its own registry, label-vector lookups on
//! every observation and a protobuf dependency by default. Here each server owns
//! its [`Metrics`], and the hot paths (the writer, once per batch; a socket, once
//! per ack) touch only relaxed atomics, never a lock. Gauges that state already
//! knows (users online, the pool) are read at scrape time instead of being kept.

mod histogram;
pub mod http;
pub mod text;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use actix_web::web;

use histogram::Histogram;
use text::{Exposition, Labels};

/// Group-commit batch bounds: powers of two up to the writer's batch of 256.
const BATCH_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256];

/// The rate limits, as the `limiter` label names them.
#[derive(Debug, Clone, Copy)]
pub enum Limiter {
    /// Messages per user, over REST and WebSocket together (`SEND_RATE`).
    Send,
    /// Failed logins per username.
    LoginUsername,
    /// Failed logins per client address.
    LoginAddress,
    /// Read and typing frames per socket.
    SocketSignals,
    /// Registrations per client address (`REGISTER_RATE`).
    Registration,
    /// Rooms created per user (`ROOM_RATE`).
    RoomCreate,
    /// Joins, leaves and member changes per user (`MEMBERSHIP_RATE`).
    Membership,
    /// WebSocket upgrades refused past `MAX_SOCKETS_PER_USER`.
    Sockets,
}

impl Limiter {
    const ALL: [Self; 8] = [
        Self::Send,
        Self::LoginUsername,
        Self::LoginAddress,
        Self::SocketSignals,
        Self::Registration,
        Self::RoomCreate,
        Self::Membership,
        Self::Sockets,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::LoginUsername => "login_username",
            Self::LoginAddress => "login_address",
            Self::SocketSignals => "socket_signals",
            Self::Registration => "registration",
            Self::RoomCreate => "room_create",
            Self::Membership => "membership",
            Self::Sockets => "sockets_per_user",
        }
    }
}

/// Why a send that reached the writer was not stored.
#[derive(Debug, Clone, Copy)]
pub enum SendError {
    /// The rules said no: unknown recipient, not a member of the room.
    Refused,
    /// Its batch could not be stored (a database error).
    Failed,
}

/// Every series one server exposes.
pub struct Metrics {
    pub http: http::HttpRequests,
    open_sockets: AtomicI64,
    messages_stored: AtomicU64,
    messages_delivered: AtomicU64,
    sends_refused: AtomicU64,
    sends_failed: AtomicU64,
    socket_catch_ups: AtomicU64,
    send_ack: Histogram,
    batch_sizes: Histogram,
    rate_limited: [AtomicU64; Limiter::ALL.len()],
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            http: http::HttpRequests::default(),
            open_sockets: AtomicI64::new(0),
            messages_stored: AtomicU64::new(0),
            messages_delivered: AtomicU64::new(0),
            sends_refused: AtomicU64::new(0),
            sends_failed: AtomicU64::new(0),
            socket_catch_ups: AtomicU64::new(0),
            send_ack: Histogram::latency(),
            batch_sizes: Histogram::new(BATCH_BOUNDS, 1.0),
            rate_limited: Default::default(),
        }
    }
}

/// What is read from elsewhere when a scrape is written.
pub struct Gauges {
    pub users_online: usize,
    pub pool: deadpool::Status,
}

/// Counts a socket as open until dropped (when its task ends, however it ends).
pub struct OpenSocket(web::Data<Metrics>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.open_sockets.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    pub fn socket_opened(metrics: &web::Data<Metrics>) -> OpenSocket {
        metrics.open_sockets.fetch_add(1, Ordering::Relaxed);
        OpenSocket(metrics.clone())
    }

    /// New messages committed by the writer (a resend of a stored one is not new).
    pub fn messages_stored(&self, count: usize) {
        add(&self.messages_stored, count);
    }

    /// Direct messages newly marked delivered.
    pub fn messages_delivered(&self, count: usize) {
        add(&self.messages_delivered, count);
    }

    pub fn sends_errored(&self, why: SendError, count: usize) {
        match why {
            SendError::Refused => add(&self.sends_refused, count),
            SendError::Failed => add(&self.sends_failed, count),
        }
    }

    /// From a socket taking a message frame to its ack being written.
    pub fn send_acked(&self, elapsed: Duration) {
        self.send_ack.observe_duration(elapsed);
    }

    /// A socket fell behind the stream and read the rows it missed from the
    /// database.
    pub fn socket_caught_up(&self) {
        self.socket_catch_ups.fetch_add(1, Ordering::Relaxed);
    }

    /// Changes the writer stored in one transaction.
    pub fn batch_written(&self, changes: usize) {
        self.batch_sizes
            .observe(u64::try_from(changes).unwrap_or(u64::MAX));
    }

    pub fn rate_limited(&self, limiter: Limiter) {
        if let Some(counter) = self.rate_limited.get(limiter as usize) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The whole scrape.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = Exposition::default();
        self.http.write(&mut out);
        out.single(
            "parley_websocket_connections",
            "gauge",
            "WebSocket connections open now.",
            self.open_sockets.load(Ordering::Relaxed).max(0),
        );
        out.single(
            "parley_users_online",
            "gauge",
            "Users with at least one WebSocket connection.",
            gauges.users_online,
        );
        out.single(
            "parley_messages_stored_total",
            "counter",
            "New messages committed to the database (direct and room; resends of a stored client_id excluded).",
            self.messages_stored.load(Ordering::Relaxed),
        );
        out.single(
            "parley_messages_delivered_total",
            "counter",
            "Direct messages newly marked delivered (written to a recipient's socket, or read). Room messages have no per-member delivery.",
            self.messages_delivered.load(Ordering::Relaxed),
        );
        out.header(
            "parley_messages_errored_total",
            "counter",
            "Sends that reached the writer but were not stored: refused by the rules, or failed with their batch.",
        );
        for (reason, counter) in [
            ("refused", &self.sends_refused),
            ("failed", &self.sends_failed),
        ] {
            let labels = [("reason", reason)];
            out.sample(
                "parley_messages_errored_total",
                &Labels::of(&labels),
                counter.load(Ordering::Relaxed),
            );
        }
        out.single(
            "parley_socket_catch_ups_total",
            "counter",
            "Times a socket's mailbox filled up with stream rows and the socket read the rest from the database instead of being disconnected.",
            self.socket_catch_ups.load(Ordering::Relaxed),
        );
        out.header(
            "parley_send_ack_duration_seconds",
            "histogram",
            "WebSocket sends: from the socket taking the message frame to writing its ack.",
        );
        self.send_ack.write(
            &mut out,
            "parley_send_ack_duration_seconds",
            &Labels::none(),
        );
        out.header(
            "parley_write_batch_size",
            "histogram",
            "Changes stored per writer transaction (group commit).",
        );
        self.batch_sizes
            .write(&mut out, "parley_write_batch_size", &Labels::none());
        out.header(
            "parley_rate_limited_total",
            "counter",
            "Requests and frames refused by a rate limit, by limiter.",
        );
        for limiter in Limiter::ALL {
            let labels = [("limiter", limiter.label())];
            let count = self
                .rate_limited
                .get(limiter as usize)
                .map_or(0, |counter| counter.load(Ordering::Relaxed));
            out.sample("parley_rate_limited_total", &Labels::of(&labels), count);
        }
        write_pool(&mut out, &gauges.pool);
        out.finish()
    }
}

fn write_pool(out: &mut Exposition, pool: &deadpool::Status) {
    out.header(
        "parley_db_pool_connections",
        "gauge",
        "Database connections, by state: in_use (lent out) or idle.",
    );
    let in_use = pool.size.saturating_sub(pool.available);
    for (state, count) in [("in_use", in_use), ("idle", pool.available)] {
        let labels = [("state", state)];
        out.sample("parley_db_pool_connections", &Labels::of(&labels), count);
    }
    out.single(
        "parley_db_pool_waiting",
        "gauge",
        "Tasks waiting for a database connection.",
        pool.waiting,
    );
    out.single(
        "parley_db_pool_max_size",
        "gauge",
        "The most connections the pool opens.",
        pool.max_size,
    );
}

fn add(counter: &AtomicU64, count: usize) {
    counter.fetch_add(u64::try_from(count).unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// `METRICS_TOKEN`: when set, a scrape must bring it as its bearer token.
pub struct ScrapeToken(Option<String>);

impl ScrapeToken {
    /// An empty token counts as none.
    pub fn new(token: Option<String>) -> Self {
        Self(token.filter(|token| !token.is_empty()))
    }

    pub fn is_required(&self) -> bool {
        self.0.is_some()
    }

    /// Whether `given` is the token, compared in time that does not depend on
    /// where they differ.
    pub fn accepts(&self, given: &str) -> bool {
        self.0.as_ref().is_none_or(|token| {
            token.len() == given.len()
                && token
                    .bytes()
                    .zip(given.bytes())
                    .fold(0, |diff, (a, b)| diff | (a ^ b))
                    == 0
        })
    }
}
