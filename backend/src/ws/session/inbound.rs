//! Frames from the client: sends, read markers and typing signals, each answered
//! by a [`Reply`] the session writes once it is ready (acks in the order the
//! frames came), and the frames that are refused.

use actix_ws::{AggregatedMessage, ProtocolError};
use futures_util::future::{ready, LocalBoxFuture};
use tokio::time::Instant;

use super::outgoing::Stop;
use super::Session;
use crate::db::{self, Chat, MessageId, RoomId, UserId};
use crate::domain::time::{now, utc};
use crate::error::Error;
use crate::limits::Rate;
use crate::live::frames::{ClientFrame, FrameError, ServerFrame};
use crate::live::receipts;
use crate::live::typing;
use crate::messaging::Draft;
use crate::metrics::Limiter;
use crate::ws::frame_guard;

/// Text frames above this size get an error frame (and the socket stays open).
pub(super) const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Read and typing frames a socket may send (messages have their own limit).
pub(super) const SIGNAL_RATE: Rate = Rate {
    per_second: 20.0,
    burst: 40.0,
};

/// What a client frame gets back: an ack, once its message is stored, or an error.
pub(super) type Reply = LocalBoxFuture<'static, Answer>;

/// A reply's frame, if it has one; for an ack, also when the socket took the
/// message frame.
pub(super) struct Answer {
    pub(super) frame: Option<String>,
    pub(super) send_taken: Option<Instant>,
}

impl From<String> for Answer {
    fn from(frame: String) -> Self {
        Self {
            frame: Some(frame),
            send_taken: None,
        }
    }
}

impl Answer {
    /// Nothing to write: the change's own frame is the answer.
    fn silent() -> Self {
        Self {
            frame: None,
            send_taken: None,
        }
    }
}

impl Session {
    /// Handles one frame from the client; the reply, if any, is written once ready.
    pub(super) async fn on_frame(
        &mut self,
        frame: AggregatedMessage,
    ) -> Result<Option<Reply>, Stop> {
        Ok(match frame {
            AggregatedMessage::Text(text) if text.len() > MAX_FRAME_BYTES => {
                Some(refusal(FrameError {
                    code: "frame_too_large",
                    message: format!("frames are limited to {MAX_FRAME_BYTES} bytes"),
                    client_id: None,
                }))
            }
            AggregatedMessage::Text(text) => match ClientFrame::parse(&text) {
                Ok(frame) => self.on_client_frame(frame).await,
                Err(error) => Some(refusal(error)),
            },
            AggregatedMessage::Binary(_) => Some(refusal(FrameError {
                code: "unsupported_frame",
                message: "binary frames are not supported: send JSON text frames".into(),
                client_id: None,
            })),
            AggregatedMessage::Ping(bytes) => {
                // Bounded like every write: a client that pings but does not
                // read cannot hold the socket here.
                self.pong(&bytes).await?;
                None
            }
            AggregatedMessage::Pong(_) => None,
            AggregatedMessage::Close(reason) => return Err(reason),
        })
    }

    async fn on_client_frame(&mut self, frame: ClientFrame) -> Option<Reply> {
        // Sends and reactions have the send allowance instead.
        if !matches!(
            frame,
            ClientFrame::Message { .. } | ClientFrame::React { .. }
        ) {
            if let Err(wait) = self.signals.take() {
                self.ctx.metrics.rate_limited(Limiter::SocketSignals);
                return Some(error_reply(&Error::RateLimited(wait), None));
            }
        }
        match frame {
            ClientFrame::Message {
                recipient_id,
                room_id,
                content,
                client_id,
                attachments,
                reply_to,
            } => Some(
                match chat(recipient_id, room_id, "recipient_id", client_id.as_deref()) {
                    Ok(to) => {
                        let draft = Draft {
                            content,
                            client_id,
                            attachments,
                            reply_to,
                        };
                        self.on_send(to, draft).await
                    }
                    Err(error) => refusal(error),
                },
            ),
            ClientFrame::React {
                message_id,
                emoji,
                on,
            } => Some(self.on_react(message_id, emoji, on)),
            ClientFrame::Read {
                peer_id,
                room_id,
                up_to,
            } => {
                let chat = match chat(peer_id, room_id, "peer_id", None) {
                    Ok(chat) => chat,
                    Err(error) => return Some(refusal(error)),
                };
                let read = if up_to.0 < 1 {
                    Err(Error::validation(
                        "up_to",
                        "up_to must be a positive message id",
                    ))
                } else {
                    match chat {
                        Chat::Direct(peer) => Box::pin(self.on_read(peer, up_to)).await,
                        Chat::Room(room) => Box::pin(self.on_room_read(room, up_to)).await,
                    }
                };
                read.err().map(|error| error_reply(&error, None))
            }
            ClientFrame::Typing {
                recipient_id,
                room_id,
            } => {
                let to = match chat(recipient_id, room_id, "recipient_id", None) {
                    Ok(to) => to,
                    Err(error) => return Some(refusal(error)),
                };
                Box::pin(self.on_typing(to))
                    .await
                    .err()
                    .map(|error| error_reply(&error, None))
            }
        }
    }

    /// Queues a message with the writer; the reply is its ack once stored.
    async fn on_send(&mut self, to: Chat, draft: Draft) -> Reply {
        let taken = Instant::now();
        let client_id = draft.client_id.clone();
        let queued = self
            .ctx
            .messaging
            .queue_send(self.user, Some(self.connection), to, draft)
            .await;
        match queued {
            Ok(queued) => Box::pin(async move {
                match queued.outcome().await {
                    Ok(sent) => Answer {
                        frame: Some(
                            ServerFrame::Ack {
                                message_id: sent.message.id,
                                client_id: client_id.as_deref(),
                                created_at: utc(sent.message.created_at),
                                delivered: sent.delivered,
                                duplicate: sent.duplicate,
                            }
                            .to_json(),
                        ),
                        send_taken: Some(taken),
                    },
                    Err(error) => error_frame(&error, client_id.as_deref()).into(),
                }
            }),
            Err(error) => error_reply(&error, client_id.as_deref()),
        }
    }

    /// Sets or takes back a reaction; only a refusal is answered (the
    /// `reaction` frame reaches this socket like every other).
    fn on_react(&self, message: MessageId, emoji: String, on: bool) -> Reply {
        let (ctx, user) = (self.ctx.clone(), self.user);
        Box::pin(async move {
            match ctx.messaging.react(user, message, &emoji, on).await {
                Ok(_) => Answer::silent(),
                Err(error) => error_frame(&error, None).into(),
            }
        })
    }

    /// Forwards a typing signal (throttled by its lease) to whoever is in `chat`.
    async fn on_typing(&mut self, chat: Chat) -> Result<(), Error> {
        let audience = match chat {
            Chat::Direct(user) if user == self.user => {
                return Err(Error::validation(
                    "recipient_id",
                    "you cannot type to yourself",
                ));
            }
            Chat::Direct(user) => vec![user],
            Chat::Room(room) => {
                let mut members = self.room_members(room).await?;
                members.retain(|&member| member != self.user);
                members
            }
        };
        if self.ctx.typing.start(self.user, chat) {
            self.ctx
                .hub
                .route_all(audience, None, &typing::started(self.user, chat));
            self.ctx.bus.publish(typing::event(self.user, chat, true));
        }
        Ok(())
    }

    /// The members of a room the user is in (an error frame's cause otherwise).
    pub(super) async fn room_members(&self, room: RoomId) -> Result<Vec<UserId>, Error> {
        let state = self
            .ctx
            .messaging
            .rooms()
            .current(&self.ctx.db, room)
            .await?
            .ok_or(Error::RoomNotFound(room.0))?;
        state.check_member(room, self.user)?;
        Ok(state.members.clone())
    }

    /// Moves the user's read marker in a room and tells every member's sockets.
    async fn on_room_read(&mut self, room: RoomId, up_to: MessageId) -> Result<(), Error> {
        let members = self.room_members(room).await?;
        let at = now();
        // `None`: not moved, or the user left in the meantime.
        if let Some(Some(up_to)) =
            db::rooms::mark_read(&self.ctx.db, room, self.user, up_to).await?
        {
            receipts::read_room(
                &self.ctx.hub,
                &self.ctx.bus,
                self.user,
                room,
                members,
                up_to,
                at,
            );
        }
        Ok(())
    }

    /// Moves the read marker forward and tells the peer and the reader's other
    /// sockets; a marker that does not move changes nothing.
    async fn on_read(&mut self, peer: UserId, up_to: MessageId) -> Result<(), Error> {
        let at = now();
        let newly =
            db::receipts::mark_delivered_up_to(&self.ctx.db, self.user, peer, up_to, at).await?;
        self.ctx.deliveries.announce(newly, at);
        if db::receipts::mark_read(&self.ctx.db, self.user, peer, up_to, at).await? > 0 {
            let reader = (self.user, self.connection);
            receipts::read_direct(&self.ctx.hub, &self.ctx.bus, reader, peer, up_to, at);
        }
        Ok(())
    }
}

/// The chat a frame names: a user (in `user_field`) or a room, not both.
fn chat(
    user: Option<UserId>,
    room: Option<RoomId>,
    user_field: &str,
    client_id: Option<&str>,
) -> Result<Chat, FrameError> {
    let message = match (user, room) {
        (Some(user), None) => return Ok(Chat::Direct(user)),
        (None, Some(room)) => return Ok(Chat::Room(room)),
        (Some(_), Some(_)) => format!("the frame names both {user_field} and room_id: pick one"),
        (None, None) => format!("the frame needs {user_field} or room_id"),
    };
    Err(FrameError {
        code: "invalid_frame",
        message,
        client_id: client_id.map(str::to_owned),
    })
}

fn refusal(error: FrameError) -> Reply {
    let frame = ServerFrame::error(error.code, &error.message, error.client_id.as_deref());
    Box::pin(ready(frame.to_json().into()))
}

fn error_reply(error: &Error, client_id: Option<&str>) -> Reply {
    Box::pin(ready(error_frame(error, client_id).into()))
}

fn error_frame(error: &Error, client_id: Option<&str>) -> String {
    ServerFrame::Error {
        code: error.code(),
        message: &error.to_string(),
        client_id,
        retry_after_ms: error.retry_after_ms(),
    }
    .to_json()
}

/// Whether a frame error is a frame or fragmented message over the size limit.
pub(super) fn too_large(error: &ProtocolError) -> bool {
    match error {
        ProtocolError::Overflow => true,
        // The guard's refusal, or actix-ws's limit on fragmented messages (which
        // the guard normally meets first, on the header).
        ProtocolError::Io(io) => {
            frame_guard::is_overflow(io) || io.to_string() == "Exceeded maximum continuation size"
        }
        _ => false,
    }
}
