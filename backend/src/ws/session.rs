//! One task per socket. It owns the socket's mailbox: first it flushes what the user
//! missed while offline, then it serves client frames, mailbox deliveries and the
//! heartbeat until the socket ends, and unregisters once, after the loop.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use bytestring::ByteString;
use tokio::sync::mpsc;
use tokio::time::{interval, timeout, Instant, MissedTickBehavior};

use super::hub::{ConnectionId, Delivery, Hub};
use super::protocol::{ClientFrame, FrameError, ServerFrame};
use crate::db::{self, Db, MessageId, UserId};
use crate::messaging::{self, utc};

/// Text frames above this size get an error frame (and the socket stays open).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Frames above this are not even buffered: the socket is closed with 1009.
pub const HARD_FRAME_LIMIT: usize = 4 * MAX_FRAME_BYTES;

const PING_INTERVAL: Duration = Duration::from_secs(20);
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A client that does not take a frame within this time is considered gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Undelivered messages are flushed in pages of this many.
const FLUSH_PAGE: i64 = 500;
/// Deliveries written before the batch is marked delivered in one statement.
const DELIVERY_BATCH: usize = 64;

pub struct Session {
    pub db: Db,
    pub hub: actix_web::web::Data<Hub>,
    pub user: UserId,
    pub connection: ConnectionId,
    pub socket: actix_ws::Session,
}

/// Why the socket ends: `None` when the client is gone and no close frame is due.
type Stop = Option<CloseReason>;

impl Session {
    pub async fn run(mut self, frames: AggregatedMessageStream, inbox: mpsc::Receiver<Delivery>) {
        log::info!("user {} connected ({:?})", self.user, self.connection);
        let Err(stop) = self.serve(frames, inbox).await;
        self.hub.unregister(self.user, self.connection);
        log::info!(
            "user {} disconnected ({:?}): {:?}",
            self.user,
            self.connection,
            stop
        );
        if let Some(reason) = stop {
            // A client that stopped reading cannot take a close frame either.
            let _ = timeout(WRITE_TIMEOUT, self.socket.close(Some(reason))).await;
        }
    }

    async fn serve(
        &mut self,
        mut frames: AggregatedMessageStream,
        mut inbox: mpsc::Receiver<Delivery>,
    ) -> Result<Infallible, Stop> {
        // Messages already written by the flush: the same message may still come
        // through the mailbox if its sender routed it after this socket registered.
        let mut flushed = self.flush_undelivered().await?;

        let mut heartbeat = interval(PING_INTERVAL);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        loop {
            tokio::select! {
                frame = frames.recv() => {
                    last_heard = Instant::now();
                    match frame {
                        Some(Ok(frame)) => self.on_frame(frame).await?,
                        Some(Err(ProtocolError::Overflow)) => {
                            return Err(Some(close(CloseCode::Size, "frame too large")));
                        }
                        Some(Err(e)) => {
                            log::debug!("user {}: protocol error: {e}", self.user);
                            return Err(Some(close(CloseCode::Protocol, "protocol error")));
                        }
                        None => return Err(None),
                    }
                }
                delivery = inbox.recv() => match delivery {
                    Some(first) => self.forward(first, &mut inbox, &mut flushed).await?,
                    None => return Err(Some(close(CloseCode::Again, "too slow: reconnect to catch up"))),
                },
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > IDLE_TIMEOUT {
                        return Err(Some(close(CloseCode::Away, "idle timeout")));
                    }
                    self.socket.ping(b"").await.map_err(|_| None)?;
                }
            }
        }
    }

    /// Writes every message stored while the user had no socket, oldest first, and
    /// marks each page delivered once written.
    async fn flush_undelivered(&mut self) -> Result<HashSet<MessageId>, Stop> {
        let mut flushed = HashSet::new();
        let mut after = MessageId(0);
        loop {
            let page = db::messages::undelivered_for(&self.db, self.user, after, FLUSH_PAGE)
                .await
                .map_err(|e| {
                    log::error!("user {}: flushing undelivered messages: {e}", self.user);
                    Some(close(
                        CloseCode::Error,
                        "could not load undelivered messages",
                    ))
                })?;
            let Some(last) = page.last() else {
                return Ok(flushed);
            };
            after = last.id;
            let mut ids = Vec::with_capacity(page.len());
            for message in &page {
                let frame = ServerFrame::Message {
                    id: message.id,
                    sender_id: message.sender_id,
                    recipient_id: message.recipient_id,
                    content: &message.content,
                    created_at: utc(message.created_at),
                };
                self.write(frame.to_json().into()).await?;
                ids.push(message.id);
            }
            self.record_delivered(&ids).await;
            flushed.extend(ids);
            if page.len() < FLUSH_PAGE as usize {
                return Ok(flushed);
            }
        }
    }

    /// Writes `first` and whatever else is already waiting (up to a batch), then
    /// records the batch as delivered in one statement.
    async fn forward(
        &mut self,
        first: Delivery,
        inbox: &mut mpsc::Receiver<Delivery>,
        flushed: &mut HashSet<MessageId>,
    ) -> Result<(), Stop> {
        let mut delivered = Vec::new();
        let mut next = Some(first);
        let mut written = 0;
        while let Some(delivery) = next {
            let is_for_me = delivery.recipient_id == self.user;
            // Each message is routed to a socket at most once, so a match can go.
            if !(is_for_me && flushed.remove(&delivery.message_id)) {
                if let Err(stop) = self.write(delivery.frame).await {
                    self.record_delivered(&delivered).await;
                    return Err(stop);
                }
                if is_for_me {
                    delivered.push(delivery.message_id);
                }
            }
            written += 1;
            next = if written < DELIVERY_BATCH {
                inbox.try_recv().ok()
            } else {
                None
            };
        }
        self.record_delivered(&delivered).await;
        Ok(())
    }

    async fn record_delivered(&self, ids: &[MessageId]) {
        if let Err(e) = db::messages::mark_delivered(&self.db, ids, messaging::now()).await {
            // The messages did reach the socket; at worst they are flushed again on
            // the next connection, and clients drop repeated ids.
            log::error!("user {}: marking messages delivered: {e}", self.user);
        }
    }

    async fn on_frame(&mut self, frame: AggregatedMessage) -> Result<(), Stop> {
        match frame {
            AggregatedMessage::Text(text) if text.len() > MAX_FRAME_BYTES => {
                self.refuse(FrameError {
                    code: "frame_too_large",
                    message: format!("frames are limited to {MAX_FRAME_BYTES} bytes"),
                    client_id: None,
                })
                .await
            }
            AggregatedMessage::Text(text) => match ClientFrame::parse(&text) {
                Ok(frame) => self.on_client_frame(frame).await,
                Err(error) => self.refuse(error).await,
            },
            AggregatedMessage::Binary(_) => {
                self.refuse(FrameError {
                    code: "unsupported_frame",
                    message: "binary frames are not supported: send JSON text frames".into(),
                    client_id: None,
                })
                .await
            }
            AggregatedMessage::Ping(bytes) => self.socket.pong(&bytes).await.map_err(|_| None),
            AggregatedMessage::Pong(_) => Ok(()),
            AggregatedMessage::Close(reason) => Err(reason),
        }
    }

    async fn on_client_frame(&mut self, frame: ClientFrame) -> Result<(), Stop> {
        match frame {
            ClientFrame::Message {
                recipient_id,
                content,
                client_id,
            } => {
                if client_id
                    .as_ref()
                    .is_some_and(|id| id.chars().count() > super::protocol::MAX_CLIENT_ID_CHARS)
                {
                    return self
                        .refuse(FrameError {
                            code: "validation_failed",
                            message: format!(
                                "client_id must be at most {} characters",
                                super::protocol::MAX_CLIENT_ID_CHARS
                            ),
                            client_id: None,
                        })
                        .await;
                }
                let sent = messaging::send_direct(
                    &self.db,
                    &self.hub,
                    self.user,
                    Some(self.connection),
                    recipient_id,
                    &content,
                )
                .await;
                let reply = match &sent {
                    Ok(sent) => ServerFrame::Ack {
                        message_id: sent.message.id,
                        client_id: client_id.as_deref(),
                        created_at: utc(sent.message.created_at),
                        delivered: sent.delivered,
                    }
                    .to_json(),
                    Err(error) => ServerFrame::Error {
                        code: error.code(),
                        message: &error.to_string(),
                        client_id: client_id.as_deref(),
                    }
                    .to_json(),
                };
                self.write(reply.into()).await
            }
        }
    }

    async fn refuse(&mut self, error: FrameError) -> Result<(), Stop> {
        let frame = ServerFrame::Error {
            code: error.code,
            message: &error.message,
            client_id: error.client_id.as_deref(),
        };
        self.write(frame.to_json().into()).await
    }

    async fn write(&mut self, frame: ByteString) -> Result<(), Stop> {
        match timeout(WRITE_TIMEOUT, self.socket.text(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_closed)) => Err(None),
            Err(_elapsed) => Err(Some(close(
                CloseCode::Again,
                "too slow: reconnect to catch up",
            ))),
        }
    }
}

fn close(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_owned()),
    }
}
