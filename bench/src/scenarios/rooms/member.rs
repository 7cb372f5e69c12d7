//! One member socket: records every message of the room that reaches it, whether it
//! came once and in order, and how long after its send it arrived.

use std::sync::Arc;

use anyhow::Result;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::progress::Progress;
use crate::clock::Clock;
use crate::latency::Recorder;
use crate::socket::{read_until_stopped, ServerFrame, Socket};
use crate::stamp::Stamp;

pub struct Received {
    /// How many times each sequence number arrived.
    pub deliveries: Vec<u32>,
    /// First arrivals of a message after a later one.
    pub out_of_order: u64,
    /// Message frames that were not one of the run's messages in its room.
    pub strays: u64,
    /// From the send to the first arrival here, µs.
    pub latency: Recorder,
    /// From the send to the arrival at the last member, for the messages this
    /// socket was the last to get, µs.
    pub fanned_out: Recorder,
    /// Clock reading of the last first arrival.
    pub last_delivery: u64,
    /// The socket closed or failed before the run ended.
    pub dropped: bool,
    /// One past the highest sequence number that arrived.
    next: u64,
}

impl Received {
    fn on_frame(&mut self, message: &Message, room: i64, clock: &Clock, progress: &Progress) {
        let Some(ServerFrame::Message {
            content, room_id, ..
        }) = ServerFrame::parse(message)
        else {
            return;
        };
        let stamp = Stamp::parse(&content).filter(|_| room_id == Some(room));
        let Some((stamp, seq)) = stamp.and_then(|stamp| {
            let seq = usize::try_from(stamp.seq).ok()?;
            (seq < self.deliveries.len()).then_some((stamp, seq))
        }) else {
            self.strays += 1;
            return;
        };
        self.deliveries[seq] += 1;
        if self.deliveries[seq] > 1 {
            return;
        }
        if stamp.seq < self.next {
            self.out_of_order += 1;
        }
        self.next = self.next.max(stamp.seq + 1);
        let latency = clock.micros_since(stamp.sent_nanos);
        self.latency.record(latency);
        self.last_delivery = clock.nanos();
        if progress.arrived(seq) {
            self.fanned_out.record(latency);
        }
    }
}

/// Reads until told to stop.
pub async fn run(
    socket: Socket,
    room: i64,
    messages: usize,
    clock: Clock,
    progress: Arc<Progress>,
    stop: watch::Receiver<bool>,
) -> Result<Received> {
    let mut received = Received {
        deliveries: vec![0; messages],
        out_of_order: 0,
        strays: 0,
        latency: Recorder::new()?,
        fanned_out: Recorder::new()?,
        last_delivery: 0,
        dropped: false,
        next: 0,
    };
    let closed = read_until_stopped(socket, stop, |message| {
        received.on_frame(message, room, &clock, &progress);
    })
    .await;
    if let Some(closed) = closed {
        eprintln!("rooms: a member socket was dropped: {closed}");
        received.dropped = true;
    }
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(room: i64, seq: u64) -> Message {
        let stamp = Stamp {
            pair: 0,
            seq,
            sent_nanos: 0,
        };
        let json =
            serde_json::json!({"type": "message", "room_id": room, "content": stamp.content()});
        Message::text(json.to_string())
    }

    #[test]
    fn counts_duplicates_disorder_strays_and_the_last_member() {
        let (clock, progress) = (Clock::start(), Progress::new(2, 4));
        let mut received = Received {
            deliveries: vec![0; 4],
            out_of_order: 0,
            strays: 0,
            latency: Recorder::new().unwrap(),
            fanned_out: Recorder::new().unwrap(),
            last_delivery: 0,
            dropped: false,
            next: 0,
        };
        for message in [
            frame(7, 0),
            frame(7, 2),
            frame(7, 1),
            frame(7, 1),
            frame(8, 3),
            frame(7, 9),
        ] {
            received.on_frame(&message, 7, &clock, &progress);
        }
        assert_eq!(received.deliveries, [1, 2, 1, 0]);
        assert_eq!((received.out_of_order, received.strays), (1, 2));
        assert_eq!(progress.fanned_out(), 0);
        // A second member getting message 0 completes its fan-out.
        assert!(progress.arrived(0));
        assert_eq!(progress.fanned_out(), 1);
    }
}
