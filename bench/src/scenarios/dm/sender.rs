//! One sender: sends to its receiver at the planned pace and tallies the answers
//! (an `ack` or an `error` for each message).

use std::time::Duration;

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use tokio::time::{sleep, sleep_until, Instant};
use tokio_tungstenite::tungstenite::Message;

use super::Pace;
use crate::clock::Clock;
use crate::scenarios::answers::Answers;
use crate::socket::{message_frame, Closed, Recipient, ServerFrame, Socket};
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

pub struct Sent {
    pub answers: Answers,
    /// The socket closed or failed under the sender.
    pub dropped: bool,
}

impl Sent {
    fn on_frame(&mut self, message: &Message, clock: &Clock) {
        match ServerFrame::parse(message) {
            Some(ServerFrame::Ack {
                client_id,
                duplicate,
            }) => self.answers.on_ack(client_id.as_deref(), duplicate, clock),
            Some(ServerFrame::Error { code, client_id }) => {
                self.answers.on_error(code, client_id.as_deref());
            }
            _ => {}
        }
    }
}

pub async fn run(socket: Socket, plan: Plan, clock: Clock) -> Result<Sent> {
    let (mut sink, mut frames) = socket.split();
    let mut sent = Sent {
        answers: Answers::new()?,
        dropped: false,
    };
    sleep_until(plan.start).await;
    loop {
        // Every message not yet answered is in flight.
        let in_flight = sent.answers.unanswered();
        let due = plan.due(sent.answers.sent, in_flight);
        if due.is_none() && in_flight == 0 {
            break;
        }
        let send_at = due.unwrap_or(plan.deadline);
        tokio::select! {
            biased;
            frame = frames.next() => match frame {
                Some(Ok(message)) if !message.is_close() => sent.on_frame(&message, &clock),
                end => {
                    eprintln!(
                        "dm: sender {}: the server dropped its socket ({})",
                        plan.pair,
                        Closed::of(end)
                    );
                    sent.dropped = true;
                    break;
                }
            },
            () = sleep_until(send_at), if due.is_some() => {
                let stamp = Stamp {
                    pair: plan.pair,
                    seq: sent.answers.sent,
                    sent_nanos: clock.nanos_at(send_at.into_std()),
                };
                let frame = message_frame(Recipient::User(plan.recipient), &stamp)?;
                if sink.send(frame).await.is_err() {
                    sent.dropped = true;
                    break;
                }
                sent.answers.sent += 1;
            }
            () = sleep(ANSWER_TIMEOUT), if due.is_none() => break,
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    Ok(sent)
}
