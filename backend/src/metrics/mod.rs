//! `GET /metrics`: counters, gauges and histograms in the Prometheus text format
//! (0.0.4), kept and written by `prometheus-client`.
//!
//! Each server owns its [`Metrics`] and with it its own registry, so the servers
//! that tests start side by side in one process never mix their numbers (the
//! `metrics` crate's global recorder would). Every labelled series but the HTTP
//! ones has a fixed label set: those are created up front and kept as fields, so
//! the hot paths (the writer, once per batch; a socket, once per ack) touch an
//! atomic or a histogram's short mutex, never a family's lookup. Gauges that
//! state already knows (users online, the pool) are set at scrape time instead
//! of being kept up to date.

pub mod http;
mod scrape_token;

use std::time::Duration;

use actix_web::web;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The `Content-Type` of a scrape.
pub use prometheus_text::CONTENT_TYPE;
pub use scrape_token::ScrapeToken;

/// Group-commit batch bounds: powers of two up to the writer's batch of 256.
const BATCH_BOUNDS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
/// Latency bounds in seconds: 0.5 ms to 10 s.
const LATENCY_BOUNDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Lock-wait and routing-lag bounds in seconds: 50 µs to 1 s.
const LOCK_BOUNDS: [f64; 12] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BOUNDS)
}

/// One label with a value from a fixed set.
type FixedLabel = [(&'static str, &'static str); 1];

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

/// Every series one server exposes: the registry that writes them, and a handle
/// on each (handles share their value with the registered metric).
pub struct Metrics {
    registry: Registry,
    http: http::HttpRequests,
    open_sockets: Gauge,
    users_online: Gauge,
    messages_stored: Counter,
    messages_delivered: Counter,
    sends_refused: Counter,
    sends_failed: Counter,
    socket_catch_ups: Counter,
    bus_dropped: Counter,
    sends_drained: Counter,
    send_ack: Histogram,
    batch_sizes: Histogram,
    stream_lock_wait: Histogram,
    stream_lag: Histogram,
    /// In the order of [`Limiter::ALL`].
    rate_limited: [Counter; Limiter::ALL.len()],
    pool_in_use: Gauge,
    pool_idle: Gauge,
    pool_waiting: Gauge,
    pool_max_size: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        // The registry appends a full stop to each help text. Counters are
        // registered without `_total`: the encoder adds it.
        let mut registry = Registry::default();
        let http = http::HttpRequests::register(&mut registry);
        let open_sockets = Gauge::default();
        registry.register(
            "parley_websocket_connections",
            "WebSocket connections open now",
            open_sockets.clone(),
        );
        let users_online = Gauge::default();
        registry.register(
            "parley_users_online",
            "Users with at least one WebSocket connection",
            users_online.clone(),
        );
        let messages_stored = Counter::default();
        registry.register(
            "parley_messages_stored",
            "New messages committed to the database (direct and room; resends of a stored client_id excluded)",
            messages_stored.clone(),
        );
        let messages_delivered = Counter::default();
        registry.register(
            "parley_messages_delivered",
            "Direct messages newly marked delivered (written to a recipient's socket, or read). Room messages have no per-member delivery",
            messages_delivered.clone(),
        );
        let errored = Family::<FixedLabel, Counter>::default();
        registry.register(
            "parley_messages_errored",
            "Sends that reached the writer but were not stored: refused by the rules, or failed with their batch",
            errored.clone(),
        );
        let socket_catch_ups = Counter::default();
        registry.register(
            "parley_socket_catch_ups",
            "Times a socket's mailbox filled up with stream rows and the socket read the rest from the database instead of being disconnected",
            socket_catch_ups.clone(),
        );
        let send_ack = latency_histogram();
        registry.register(
            "parley_send_ack_duration_seconds",
            "WebSocket sends: from the socket taking the message frame to writing its ack",
            send_ack.clone(),
        );
        let stream_lock_wait = Histogram::new(LOCK_BOUNDS);
        registry.register(
            "parley_stream_lock_wait_seconds",
            "Time a batch waited for the stream's write lock (PostgreSQL), which orders commits across nodes",
            stream_lock_wait.clone(),
        );
        let stream_lag = Histogram::new(LOCK_BOUNDS);
        registry.register(
            "parley_stream_lag_seconds",
            "From a change being queued, on any node, to its row being routed to this node's sockets",
            stream_lag.clone(),
        );
        let batch_sizes = Histogram::new(BATCH_BOUNDS);
        registry.register(
            "parley_write_batch_size",
            "Changes stored per writer transaction (group commit)",
            batch_sizes.clone(),
        );
        let rate_limited = Family::<FixedLabel, Counter>::default();
        registry.register(
            "parley_rate_limited",
            "Requests and frames refused by a rate limit, by limiter",
            rate_limited.clone(),
        );
        let pool = Family::<FixedLabel, Gauge>::default();
        registry.register(
            "parley_db_pool_connections",
            "Database connections, by state: in_use (lent out) or idle",
            pool.clone(),
        );
        let bus_dropped = Counter::default();
        registry.register(
            "parley_bus_events_dropped",
            "Ephemeral events (typing, receipts, presence, revocations) not sent to other nodes: the queue was full or the database refused them",
            bus_dropped.clone(),
        );
        let sends_drained = Counter::default();
        registry.register(
            "parley_sends_drained",
            "Send tokens taken from users' buckets here for what they sent through other nodes",
            sends_drained.clone(),
        );
        let pool_waiting = Gauge::default();
        registry.register(
            "parley_db_pool_waiting",
            "Tasks waiting for a database connection",
            pool_waiting.clone(),
        );
        let pool_max_size = Gauge::default();
        registry.register(
            "parley_db_pool_max_size",
            "The most connections the pool opens",
            pool_max_size.clone(),
        );

        Self {
            registry,
            http,
            open_sockets,
            users_online,
            messages_stored,
            messages_delivered,
            sends_refused: errored.get_or_create_owned(&[("reason", "refused")]),
            sends_failed: errored.get_or_create_owned(&[("reason", "failed")]),
            socket_catch_ups,
            bus_dropped,
            sends_drained,
            send_ack,
            batch_sizes,
            stream_lock_wait,
            stream_lag,
            rate_limited: Limiter::ALL
                .map(|limiter| rate_limited.get_or_create_owned(&[("limiter", limiter.label())])),
            pool_in_use: pool.get_or_create_owned(&[("state", "in_use")]),
            pool_idle: pool.get_or_create_owned(&[("state", "idle")]),
            pool_waiting,
            pool_max_size,
        }
    }
}

/// What is read from elsewhere when a scrape is written.
pub struct Gauges {
    pub users_online: usize,
    pub pool: deadpool::Status,
}

/// Counts a socket as open until dropped (when its task ends, however it ends).
pub struct OpenSocket(Gauge);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    pub fn socket_opened(metrics: &web::Data<Metrics>) -> OpenSocket {
        metrics.open_sockets.inc();
        OpenSocket(metrics.open_sockets.clone())
    }

    /// New messages committed by the writer (a resend of a stored one is not new).
    pub fn messages_stored(&self, count: usize) {
        self.messages_stored.inc_by(as_u64(count));
    }

    /// Events for other nodes that were dropped.
    pub fn bus_dropped(&self, count: usize) {
        self.bus_dropped.inc_by(as_u64(count));
    }

    /// Send tokens drained for what users sent through other nodes.
    pub fn sends_drained(&self, count: u64) {
        self.sends_drained.inc_by(count);
    }

    /// Direct messages newly marked delivered.
    pub fn messages_delivered(&self, count: usize) {
        self.messages_delivered.inc_by(as_u64(count));
    }

    pub fn sends_errored(&self, why: SendError, count: usize) {
        let counter = match why {
            SendError::Refused => &self.sends_refused,
            SendError::Failed => &self.sends_failed,
        };
        counter.inc_by(as_u64(count));
    }

    /// From a socket taking a message frame to its ack being written.
    pub fn send_acked(&self, elapsed: Duration) {
        self.send_ack.observe(elapsed.as_secs_f64());
    }

    /// A socket fell behind the stream and read the rows it missed from the
    /// database.
    pub fn socket_caught_up(&self) {
        self.socket_catch_ups.inc();
    }

    /// Changes the writer stored in one transaction.
    pub fn batch_written(&self, changes: usize) {
        // Exact: a batch holds at most a few hundred changes.
        self.batch_sizes.observe(changes as f64);
    }

    /// A batch waited this long for the stream's write lock.
    pub fn stream_lock_waited(&self, waited: Duration) {
        self.stream_lock_wait.observe(waited.as_secs_f64());
    }

    /// A row created this long ago was routed to this node's sockets.
    pub fn stream_routed(&self, lag: Duration) {
        self.stream_lag.observe(lag.as_secs_f64());
    }

    pub fn rate_limited(&self, limiter: Limiter) {
        if let Some(counter) = self.rate_limited.get(limiter as usize) {
            counter.inc();
        }
    }

    /// The whole scrape.
    pub fn render(&self, gauges: &Gauges) -> String {
        self.users_online.set(as_i64(gauges.users_online));
        let pool = &gauges.pool;
        self.pool_in_use
            .set(as_i64(pool.size.saturating_sub(pool.available)));
        self.pool_idle.set(as_i64(pool.available));
        self.pool_waiting.set(as_i64(pool.waiting));
        self.pool_max_size.set(as_i64(pool.max_size));

        let mut text = String::new();
        // Only the writer can fail, and writing to a String does not.
        if let Err(error) = prometheus_text::encode(&mut text, &self.registry) {
            log::error!("writing the metrics failed: {error}");
        }
        text
    }
}

fn as_u64(count: usize) -> u64 {
    u64::try_from(count).unwrap_or(u64::MAX)
}

fn as_i64(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(metrics: &Metrics) -> String {
        metrics.render(&Gauges {
            users_online: 2,
            pool: deadpool::Status {
                max_size: 8,
                size: 3,
                available: 1,
                waiting: 0,
            },
        })
    }

    #[test]
    fn the_scrape_is_the_documented_text_format() {
        let metrics = Metrics::default();
        metrics.messages_stored(3);
        metrics.batch_written(3);
        metrics.send_acked(Duration::from_micros(700));
        metrics.rate_limited(Limiter::Sockets);
        let text = scrape(&metrics);
        for expected in [
            // Version 0.0.4 types a counter under its full `_total` name.
            "# HELP parley_messages_stored_total New messages committed to the database \
             (direct and room; resends of a stored client_id excluded).\n\
             # TYPE parley_messages_stored_total counter\n\
             parley_messages_stored_total 3\n",
            "parley_rate_limited_total{limiter=\"sockets_per_user\"} 1\n",
            "parley_rate_limited_total{limiter=\"send\"} 0\n",
            "parley_messages_errored_total{reason=\"failed\"} 0\n",
            "parley_write_batch_size_bucket{le=\"2\"} 0\nparley_write_batch_size_bucket{le=\"4\"} 1\n",
            "parley_send_ack_duration_seconds_bucket{le=\"0.0005\"} 0\n\
             parley_send_ack_duration_seconds_bucket{le=\"0.001\"} 1\n",
            "parley_send_ack_duration_seconds_count 1\n",
            "parley_users_online 2\n",
            "parley_db_pool_connections{state=\"in_use\"} 2\n",
            "parley_db_pool_connections{state=\"idle\"} 1\n",
            "parley_db_pool_max_size 8\n",
        ] {
            assert!(text.contains(expected), "{expected:?} in:\n{text}");
        }
        // OpenMetrics lines, which a 0.0.4 parser does not expect.
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
    }

    #[test]
    fn a_socket_counts_as_open_until_its_guard_drops() {
        let metrics = web::Data::new(Metrics::default());
        let first = Metrics::socket_opened(&metrics);
        let second = Metrics::socket_opened(&metrics);
        assert!(scrape(&metrics).contains("parley_websocket_connections 2\n"));
        drop(first);
        drop(second);
        assert!(scrape(&metrics).contains("parley_websocket_connections 0\n"));
    }
}
