//! What the server writes to the socket: frames and pings, each within a
//! timeout (a client that stops reading cannot hold its task), the heartbeat's
//! timing, and every reason the server closes a socket with.

use std::future::Future;
use std::time::Duration;

use actix_ws::{CloseCode, CloseReason, Closed};
use bytestring::ByteString;
use tokio::time::timeout;

use super::inbound::Answer;
use super::Session;

/// Close code for a revoked or expired token: log in again.
pub const TOKEN_ENDED: u16 = 4401;
/// Pings whose pong still counts: a slow client may answer one after the next
/// went out.
pub(super) const PINGS_REMEMBERED: usize = 3;
/// A client that does not take a frame within this time is considered gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// When the server pings, and when a socket whose client answers none of its pings
/// is closed (`SOCKET_IDLE_TIMEOUT`).
#[derive(Debug, Clone, Copy)]
pub struct Heartbeat {
    pub ping_every: Duration,
    pub idle_after: Duration,
}

impl Heartbeat {
    pub fn new(idle_after: Duration) -> Self {
        Self {
            ping_every: (idle_after / 3).max(Duration::from_millis(100)),
            idle_after,
        }
    }
}

/// Why the socket ends: `None` when the client is gone and no close frame is due.
pub(super) type Stop = Option<CloseReason>;

/// Why the server closes a socket (the table in docs/protocol.md).
#[derive(Debug, Clone, Copy)]
pub(super) enum Closing {
    /// The client did not take a frame in time, or its mailbox overflowed.
    TooSlow,
    FrameTooLarge,
    ProtocolError,
    IdleTimeout,
    TokenRevoked,
    TokenExpired,
    Restart,
    /// Catch-up could not reach the database.
    DatabaseUnavailable,
    /// Catch-up failed for another reason.
    StreamFailed,
}

impl From<Closing> for Stop {
    fn from(closing: Closing) -> Self {
        let (code, description) = match closing {
            Closing::TooSlow => (CloseCode::Again, "too slow: reconnect to catch up"),
            Closing::FrameTooLarge => (CloseCode::Size, "frame too large"),
            Closing::ProtocolError => (CloseCode::Protocol, "protocol error"),
            Closing::IdleTimeout => (CloseCode::Away, "idle timeout"),
            Closing::TokenRevoked => (CloseCode::Other(TOKEN_ENDED), "token revoked"),
            Closing::TokenExpired => (CloseCode::Other(TOKEN_ENDED), "token expired"),
            Closing::Restart => (CloseCode::Restart, "server restarting: reconnect"),
            Closing::DatabaseUnavailable => (
                CloseCode::Again,
                "the database is unavailable: reconnect in a moment",
            ),
            Closing::StreamFailed => (CloseCode::Error, "could not load the message stream"),
        };
        Some(CloseReason {
            code,
            description: Some(description.to_owned()),
        })
    }
}

impl Session {
    pub(super) async fn write(&mut self, frame: ByteString) -> Result<(), Stop> {
        bounded(self.socket.text(frame)).await
    }

    /// Writes a reply; an ack's latency is measured here, once it is on its way
    /// to the client.
    pub(super) async fn write_answer(&mut self, answer: Answer) -> Result<(), Stop> {
        if let Some(frame) = answer.frame {
            self.write(frame.into()).await?;
        }
        if let Some(taken) = answer.send_taken {
            self.ctx.metrics.send_acked(taken.elapsed());
        }
        Ok(())
    }

    /// Pings with a fresh random payload, remembered for its pong.
    pub(super) async fn ping(&mut self) -> Result<(), Stop> {
        let payload: [u8; 8] = rand::random();
        self.pings.rotate_right(1);
        self.pings[0] = Some(payload);
        bounded(self.socket.ping(&payload)).await
    }

    /// Answers the client's ping.
    pub(super) async fn pong(&mut self, payload: &[u8]) -> Result<(), Stop> {
        bounded(self.socket.pong(payload)).await
    }

    pub(super) fn answers_a_ping(&self, pong: &[u8]) -> bool {
        self.pings.iter().flatten().any(|ping| ping[..] == *pong)
    }

    /// Sends the close frame, if one is due.
    pub(super) async fn close(self, stop: Stop) {
        if let Some(reason) = stop {
            // A client that stopped reading cannot take a close frame either.
            let _ = timeout(WRITE_TIMEOUT, self.socket.close(Some(reason))).await;
        }
    }
}

/// One write to the socket, given [`WRITE_TIMEOUT`] to complete.
async fn bounded(write: impl Future<Output = Result<(), Closed>>) -> Result<(), Stop> {
    match timeout(WRITE_TIMEOUT, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_closed)) => Err(None),
        Err(_elapsed) => Err(Closing::TooSlow.into()),
    }
}
