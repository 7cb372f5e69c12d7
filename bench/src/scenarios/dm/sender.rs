//! One sender: sends to its receiver at the planned pace and tallies the answers
//! (an `ack` or an `error` for each message).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::time::{sleep, sleep_until, Instant};
use tokio_tungstenite::tungstenite::Message;

use super::Pace;
use crate::clock::Clock;
use crate::latency::Recorder;
use crate::socket::{ServerFrame, Socket};
use crate::stamp::Stamp;

/// A sender with nothing left to send gives up on the answers it still waits for
/// after this long without hearing anything.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Plan {
    pub pair: u32,
    pub recipient: i64,
    pub pace: Pace,
    /// How many pairs share an open-loop rate.
    pub pairs: usize,
    pub start: Instant,
    pub deadline: Instant,
}

impl Plan {
    /// When the next message is due: at once for a closed loop with room in its
    /// window, at its slot for an open loop; `None` when nothing is due any more
    /// (or, in a closed loop, until an answer frees a slot).
    fn due(&self, sent: u64, in_flight: u64) -> Option<Instant> {
        match self.pace {
            Pace::ClosedLoop { window } => {
                let now = Instant::now();
                (now < self.deadline && in_flight < window as u64).then_some(now)
            }
            Pace::OpenLoop { rate } => {
                // Pairs take turns: message k of pair p has slot p + k * pairs.
                let slot = f64::from(self.pair) + sent as f64 * self.pairs as f64;
                let at = self.start + Duration::from_secs_f64(slot / rate);
                (at < self.deadline).then_some(at)
            }
        }
    }
}

#[derive(Serialize)]
struct MessageFrame<'a> {
    r#type: &'static str,
    recipient_id: i64,
    content: &'a str,
    client_id: &'a str,
}

pub struct Sent {
    pub count: u64,
    /// Sequence numbers of the messages acked as new.
    pub acked: Vec<u64>,
    pub duplicate_acks: u64,
    /// `error` frames by code.
    pub errors: BTreeMap<String, u64>,
    /// Sent messages that got neither an ack nor an error.
    pub unanswered: u64,
    /// From the (intended) send to the ack, µs.
    pub latency: Recorder,
    /// Clock reading of the last ack.
    pub last_ack: u64,
    /// The socket closed or failed under the sender.
    pub dropped: bool,
    answered: u64,
}

impl Sent {
    fn in_flight(&self) -> u64 {
        self.count - self.answered
    }

    fn on_frame(&mut self, message: &Message, clock: &Clock) {
        match ServerFrame::parse(message) {
            Some(ServerFrame::Ack {
                client_id,
                duplicate,
            }) => {
                let Some(stamp) = client_id.as_deref().and_then(Stamp::parse) else {
                    return;
                };
                self.answered += 1;
                if duplicate {
                    self.duplicate_acks += 1;
                } else {
                    self.acked.push(stamp.seq);
                }
                self.latency.record(clock.micros_since(stamp.sent_nanos));
                self.last_ack = clock.nanos();
            }
            Some(ServerFrame::Error { code, client_id }) => {
                *self.errors.entry(code).or_default() += 1;
                if client_id.as_deref().and_then(Stamp::parse).is_some() {
                    self.answered += 1;
                }
            }
            _ => {}
        }
    }
}

pub async fn run(socket: Socket, plan: Plan, clock: Clock) -> Result<Sent> {
    let (mut sink, mut frames) = socket.split();
    let mut sent = Sent {
        count: 0,
        acked: Vec::new(),
        duplicate_acks: 0,
        errors: BTreeMap::new(),
        unanswered: 0,
        latency: Recorder::new()?,
        last_ack: 0,
        dropped: false,
        answered: 0,
    };
    sleep_until(plan.start).await;
    loop {
        let due = plan.due(sent.count, sent.in_flight());
        if due.is_none() && sent.in_flight() == 0 {
            break;
        }
        let send_at = due.unwrap_or(plan.deadline);
        tokio::select! {
            biased;
            frame = frames.next() => match frame {
                Some(Ok(message)) => sent.on_frame(&message, &clock),
                _ => {
                    sent.dropped = true;
                    break;
                }
            },
            () = sleep_until(send_at), if due.is_some() => {
                let stamp = Stamp {
                    pair: plan.pair,
                    seq: sent.count,
                    sent_nanos: clock.nanos_at(send_at.into_std()),
                };
                let content = stamp.content();
                let frame = serde_json::to_string(&MessageFrame {
                    r#type: "message",
                    recipient_id: plan.recipient,
                    content: &content,
                    client_id: &stamp.client_id(),
                })
                .context("encoding a message frame")?;
                if sink.send(Message::text(frame)).await.is_err() {
                    sent.dropped = true;
                    break;
                }
                sent.count += 1;
            }
            () = sleep(ANSWER_TIMEOUT), if due.is_none() => break,
        }
    }
    sent.unanswered = sent.in_flight();
    let _ = sink.send(Message::Close(None)).await;
    Ok(sent)
}
