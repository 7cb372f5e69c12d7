//! One receiver: records every message of its pair that reaches its socket, and how
//! long after its (intended) send it arrived. A socket the server drops is logged
//! with its close code and reconnected with `since` = the last cursor it saw, so
//! that what the server kept for it is counted apart from what is truly lost.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Result;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::clock::Clock;
use crate::latency::Recorder;
use crate::socket::{read_until_stopped, Closed, Connected, Endpoint, ServerFrame};
use crate::stamp::Stamp;

/// A receiver dropped more often than this in one run stops reconnecting.
const MAX_RECONNECTS: usize = 8;

/// Where and as whom a receiver (re)connects.
pub struct Identity {
    pub endpoint: Endpoint,
    pub token: String,
    pub source: IpAddr,
    pub pair: u32,
}

pub struct Received {
    /// How many times each sequence number arrived.
    pub deliveries: Vec<u32>,
    /// From the (intended) send to the first arrival, µs.
    pub latency: Recorder,
    /// Clock reading of the last first arrival.
    pub last_delivery: u64,
    /// Messages that were not from this receiver's sender.
    pub strays: u64,
    /// How each socket the server dropped before the run ended was closed.
    pub drops: Vec<Closed>,
    /// Messages whose first arrival came on a reconnected socket.
    pub recovered: u64,
    /// The highest stream position seen: the next `since`.
    cursor: i64,
}

impl Received {
    fn on_frame(&mut self, message: &Message, pair: u32, clock: &Clock, progress: &AtomicU64) {
        let Some(ServerFrame::Message {
            content, cursor, ..
        }) = ServerFrame::parse(message)
        else {
            return;
        };
        self.cursor = self.cursor.max(cursor.unwrap_or(0));
        let Some(stamp) = Stamp::parse(&content).filter(|stamp| stamp.pair == pair) else {
            self.strays += 1;
            return;
        };
        let Ok(seq) = usize::try_from(stamp.seq) else {
            self.strays += 1;
            return;
        };
        if self.deliveries.len() <= seq {
            self.deliveries.resize(seq + 1, 0);
        }
        self.deliveries[seq] += 1;
        if self.deliveries[seq] == 1 {
            progress.fetch_add(1, Ordering::Relaxed);
            self.latency.record(clock.micros_since(stamp.sent_nanos));
            self.last_delivery = clock.nanos();
            self.recovered += u64::from(!self.drops.is_empty());
        }
    }
}

/// Reads until told to stop, reconnecting when the server drops the socket.
/// `progress` counts first arrivals across receivers.
pub async fn run(
    connected: Connected,
    identity: Identity,
    clock: Clock,
    progress: Arc<AtomicU64>,
    stop: watch::Receiver<bool>,
) -> Result<Received> {
    let pair = identity.pair;
    let mut received = Received {
        deliveries: Vec::new(),
        latency: Recorder::new()?,
        last_delivery: 0,
        strays: 0,
        drops: Vec::new(),
        recovered: 0,
        cursor: connected.cursor.unwrap_or(0),
    };
    let mut socket = connected.socket;
    loop {
        // A clone sees a stop sent at any time since the run began.
        let closed = read_until_stopped(socket, stop.clone(), |message| {
            received.on_frame(message, pair, &clock, &progress);
        })
        .await;
        let Some(closed) = closed else { break };
        let since = received.cursor;
        eprintln!("dm: receiver {pair}: the server dropped its socket ({closed}); reconnecting with since={since}");
        received.drops.push(closed);
        if received.drops.len() > MAX_RECONNECTS || *stop.borrow() {
            break;
        }
        let connected = identity
            .endpoint
            .connect_since(&identity.token, identity.source, Some(since))
            .await;
        let connected = match connected {
            Ok(connected) => connected,
            Err(e) => {
                eprintln!("dm: receiver {pair}: reconnecting failed: {e:#}");
                break;
            }
        };
        for message in &connected.replayed {
            received.on_frame(message, pair, &clock, &progress);
        }
        received.cursor = received.cursor.max(connected.cursor.unwrap_or(0));
        socket = connected.socket;
    }
    Ok(received)
}
