//! One receiver: records every message of its pair that reaches its socket, and how
//! long after its (intended) send it arrived.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Result;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::clock::Clock;
use crate::latency::Recorder;
use crate::socket::{read_until_stopped, ServerFrame, Socket};
use crate::stamp::Stamp;

pub struct Received {
    /// How many times each sequence number arrived.
    pub deliveries: Vec<u32>,
    /// From the (intended) send to the first arrival, µs.
    pub latency: Recorder,
    /// Clock reading of the last first arrival.
    pub last_delivery: u64,
    /// Messages that were not from this receiver's sender.
    pub strays: u64,
    /// The socket closed or failed before the run ended.
    pub dropped: bool,
}

impl Received {
    fn on_frame(&mut self, message: &Message, pair: u32, clock: &Clock, progress: &AtomicU64) {
        let Some(ServerFrame::Message { content, .. }) = ServerFrame::parse(message) else {
            return;
        };
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
        }
    }
}

/// Reads until told to stop. `progress` counts first arrivals across receivers.
pub async fn run(
    socket: Socket,
    pair: u32,
    clock: Clock,
    progress: Arc<AtomicU64>,
    stop: watch::Receiver<bool>,
) -> Result<Received> {
    let mut received = Received {
        deliveries: Vec::new(),
        latency: Recorder::new()?,
        last_delivery: 0,
        strays: 0,
        dropped: false,
    };
    received.dropped = read_until_stopped(socket, stop, |message| {
        received.on_frame(message, pair, &clock, &progress);
    })
    .await;
    Ok(received)
}
