//! The one sender: keeps a window of messages in flight to the room and tallies
//! the answers (an `ack` or an `error` for each message; from the echo reference,
//! its own copy of the message).

use std::future::ready;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use tokio::time::{sleep, sleep_until, Instant};
use tokio_tungstenite::tungstenite::Message;

use super::progress::Progress;
use crate::clock::Clock;
use crate::scenarios::answers::Answers;
use crate::socket::{message_frame, Recipient, ServerFrame, Socket};
use crate::stamp::Stamp;

/// The sender gives up when neither an answer nor a fan-out arrives for this long
/// (a lost frame keeps its message in the window for good).
const STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What answers a send.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// Parley's `ack`; the sending socket gets no copy of the message.
    Ack,
    /// The echo reference sends the frame back to its sender too.
    Echo,
}

pub struct Plan {
    pub room: i64,
    pub messages: u64,
    pub window: u64,
    pub answer: Answer,
    pub start: Instant,
}

pub struct Sent {
    pub answers: Answers,
    /// Message frames on the sending socket, which Parley skips.
    pub strays: u64,
    /// The socket closed or failed under the sender.
    pub dropped: bool,
}

impl Sent {
    /// Sent, and not yet both answered and at every member. Counts stand in for
    /// the sets: with nothing lost, both come in send order.
    fn in_flight(&self, progress: &Progress) -> u64 {
        let answers = &self.answers;
        answers.sent - answers.answered().min(progress.fanned_out())
    }

    fn on_frame(&mut self, message: &Message, answer: Answer, clock: &Clock) {
        match (ServerFrame::parse(message), answer) {
            (
                Some(ServerFrame::Ack {
                    client_id,
                    duplicate,
                }),
                Answer::Ack,
            ) => self.answers.on_ack(client_id.as_deref(), duplicate, clock),
            (Some(ServerFrame::Message { content, .. }), Answer::Echo) => {
                match Stamp::parse(&content) {
                    Some(stamp) => self.answers.on_new(stamp, clock),
                    None => self.strays += 1,
                }
            }
            (Some(ServerFrame::Message { .. }), Answer::Ack) => self.strays += 1,
            (Some(ServerFrame::Error { code, client_id }), _) => {
                self.answers.on_error(code, client_id.as_deref());
            }
            _ => {}
        }
    }
}

pub async fn run(
    socket: Socket,
    plan: Plan,
    clock: Clock,
    progress: Arc<Progress>,
) -> Result<Sent> {
    let (mut sink, mut frames) = socket.split();
    let mut sent = Sent {
        answers: Answers::new()?,
        strays: 0,
        dropped: false,
    };
    sleep_until(plan.start).await;
    loop {
        let in_flight = sent.in_flight(&progress);
        let due = sent.answers.sent < plan.messages && in_flight < plan.window;
        if !due && in_flight == 0 {
            break;
        }
        tokio::select! {
            biased;
            frame = frames.next() => match frame {
                Some(Ok(message)) => sent.on_frame(&message, plan.answer, &clock),
                _ => {
                    sent.dropped = true;
                    break;
                }
            },
            () = progress.wake.notified() => {}
            () = ready(()), if due => {
                let stamp = Stamp {
                    pair: 0,
                    seq: sent.answers.sent,
                    sent_nanos: clock.nanos(),
                };
                let frame = message_frame(Recipient::Room(plan.room), &stamp)?;
                if sink.send(frame).await.is_err() {
                    sent.dropped = true;
                    break;
                }
                sent.answers.sent += 1;
            }
            () = sleep(STALL_TIMEOUT) => break,
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    Ok(sent)
}
