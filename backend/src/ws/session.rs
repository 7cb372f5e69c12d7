//! One task per socket. It owns the socket's mailbox: first it catches the client
//! up (a replay from its cursor, or the flush of what it missed while offline),
//! then it serves client frames, mailbox deliveries, the heartbeat and the token's
//! expiry until the socket ends, and cleans up once, after the loop.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use actix_web::web;
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use bytestring::ByteString;
use chrono::NaiveDateTime;
use futures_util::future::{ready, LocalBoxFuture};
use futures_util::stream::{FuturesOrdered, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{interval, sleep_until, timeout, Instant, MissedTickBehavior};

use super::frame_guard;
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::{self, Chat, Kind, MessageId, RoomId, UserId};
use crate::domain::time::{now, utc};
use crate::error::Error;
use crate::limits::{Rate, TokenBucket};
use crate::live::frames::{ClientFrame, FrameError, ServerFrame};
use crate::live::hub::{ConnectionId, Outbound, Registration};
use crate::live::typing::{self, LEASE};
use crate::metrics::{Limiter, Metrics};

/// Text frames above this size get an error frame (and the socket stays open).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Frames above this are not even buffered: the socket is closed with 1009.
pub const HARD_FRAME_LIMIT: usize = 4 * MAX_FRAME_BYTES;
/// Close code for a revoked or expired token: log in again.
pub const TOKEN_ENDED: u16 = 4401;

/// Pings whose pong still counts: a slow client may answer one after the next
/// went out.
pub const PINGS_REMEMBERED: usize = 3;
/// A client that does not take a frame within this time is considered gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// When the server shuts down, replies still pending get this long to be written.
const RESTART_DRAIN: Duration = Duration::from_secs(5);
/// Catch-up reads the stream in pages of this many rows.
const CATCH_UP_PAGE: i64 = 500;
/// Client frames whose replies may be pending at once; sends among them are
/// stored in order, and their acks come back in the order the frames came.
const MAX_PENDING_REPLIES: usize = 32;
/// Mailbox items written before their deliveries are handed to the recorder.
const DELIVERY_BATCH: usize = 64;
/// Read and typing frames a socket may send (messages have their own limit).
pub const SIGNAL_RATE: Rate = Rate {
    per_second: 20.0,
    burst: 40.0,
};

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

pub struct Session {
    ctx: web::Data<AppContext>,
    user: UserId,
    connection: ConnectionId,
    /// When the token the socket was opened with expires.
    token_expiry: Instant,
    /// The user's token key the socket's token carries, checked at each heartbeat.
    token_key: String,
    /// This socket's allowance of read and typing frames.
    signals: TokenBucket,
    socket: actix_ws::Session,
    /// The payloads of the latest pings: only a pong echoing one proves that the
    /// client reads (it cannot guess them), where any other frame would not.
    pings: [Option<[u8; 8]>; PINGS_REMEMBERED],
}

/// What a client frame gets back: an ack, once its message is stored, or an error.
type Reply = LocalBoxFuture<'static, Answer>;

/// A reply's frame; for an ack, also when the socket took the message frame.
struct Answer {
    frame: String,
    send_taken: Option<Instant>,
}

impl From<String> for Answer {
    fn from(frame: String) -> Self {
        Self {
            frame,
            send_taken: None,
        }
    }
}

/// Why the socket ends: `None` when the client is gone and no close frame is due.
type Stop = Option<CloseReason>;

/// What catch-up already wrote, so that the same rows arriving through the mailbox
/// (routed by the writer after this socket registered) are not written twice.
enum Seen {
    /// The replay wrote every row up to this position. The writer commits in id
    /// order, so nothing at or below it can still be new.
    UpTo(MessageId),
    /// The flush wrote these undelivered messages.
    Flushed(HashSet<MessageId>),
}

impl Seen {
    fn already_written(&mut self, cursor: MessageId, delivery: bool) -> bool {
        match self {
            Self::UpTo(last) => cursor <= *last,
            // Each message is routed to a socket at most once, so a match can go.
            Self::Flushed(ids) => delivery && ids.remove(&cursor),
        }
    }
}

impl Session {
    pub fn new(
        ctx: web::Data<AppContext>,
        caller: AuthUser,
        connection: ConnectionId,
        token_expiry: Instant,
        socket: actix_ws::Session,
    ) -> Self {
        Self {
            ctx,
            user: caller.id,
            connection,
            token_expiry,
            token_key: caller.key,
            signals: TokenBucket::full(SIGNAL_RATE),
            socket,
            pings: [None; PINGS_REMEMBERED],
        }
    }

    pub async fn run(
        mut self,
        frames: AggregatedMessageStream,
        registration: Registration,
        since: Option<MessageId>,
    ) {
        // Counted as open until this returns, however the socket ends.
        let _open = Metrics::socket_opened(&self.ctx.metrics);
        log::info!("socket opened user={} conn={}", self.user, self.connection);
        if registration.came_online {
            Box::pin(self.announce_presence(None)).await;
        }
        let Registration { inbox, restart, .. } = registration;
        let Err(stop) = self.serve(frames, inbox, restart, since).await;
        if self.ctx.hub.unregister(self.user, self.connection) {
            Box::pin(self.went_offline()).await;
        }
        log::info!(
            "socket closed user={} conn={} code={}",
            self.user,
            self.connection,
            // No close frame: the client went away or the connection broke.
            stop.as_ref().map_or_else(
                || "-".to_owned(),
                |reason| u16::from(reason.code).to_string()
            )
        );
        if let Some(reason) = stop {
            // A client that stopped reading cannot take a close frame either.
            let _ = timeout(WRITE_TIMEOUT, self.socket.close(Some(reason))).await;
        }
    }

    // Awaits that are large or rarely taken (catch-up, frame handling, writes,
    // presence) are boxed so that they take memory only while they run: the task
    // of an idle socket stays small (parley-bench connections: 23.5 KiB per
    // socket before, 19.5 KiB after, the mailbox change included).
    async fn serve(
        &mut self,
        mut frames: AggregatedMessageStream,
        mut inbox: mpsc::Receiver<Outbound>,
        mut restart: watch::Receiver<bool>,
        since: Option<MessageId>,
    ) -> Result<Infallible, Stop> {
        let (mut seen, cursor) = match since {
            Some(since) => Box::pin(self.replay(since)).await?,
            None => Box::pin(self.flush_undelivered()).await?,
        };
        Box::pin(self.write(ServerFrame::Ready { cursor }.to_json().into())).await?;
        // The last stream position written: where a catch-up after `Behind` resumes.
        let mut position = cursor;

        let mut replies = FuturesOrdered::<Reply>::new();
        let beat = Heartbeat::new(self.ctx.socket_idle_timeout);
        let mut heartbeat = interval(beat.ping_every);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_pong = Instant::now();
        let expiry = sleep_until(self.token_expiry);
        tokio::pin!(expiry);
        loop {
            tokio::select! {
                // With enough replies pending, the client waits (TCP backpressure).
                frame = frames.recv(), if replies.len() < MAX_PENDING_REPLIES => {
                    match frame {
                        Some(Ok(AggregatedMessage::Pong(payload))) => {
                            if self.answers_a_ping(&payload) {
                                last_pong = Instant::now();
                            }
                        }
                        Some(Ok(frame)) => {
                            if let Some(reply) = Box::pin(self.on_frame(frame)).await? {
                                replies.push_back(reply);
                            }
                        }
                        Some(Err(error)) if too_large(&error) => {
                            return Err(Some(close(CloseCode::Size, "frame too large")));
                        }
                        Some(Err(e)) => {
                            log::debug!(
                                "protocol error user={} conn={}: {e}",
                                self.user,
                                self.connection
                            );
                            return Err(Some(close(CloseCode::Protocol, "protocol error")));
                        }
                        None => return Err(None),
                    }
                }
                Some(reply) = replies.next(), if !replies.is_empty() => {
                    Box::pin(self.write_answer(reply)).await?;
                }
                outbound = inbox.recv() => match outbound {
                    Some(first) => {
                        Box::pin(self.forward(first, &mut inbox, &mut seen, &mut position)).await?;
                    }
                    None => return Err(Some(close(CloseCode::Again, "too slow: reconnect to catch up"))),
                },
                _ = heartbeat.tick() => {
                    if last_pong.elapsed() > beat.idle_after {
                        return Err(Some(close(CloseCode::Away, "idle timeout")));
                    }
                    // The user may be gone or signed out everywhere since the
                    // socket opened (an outage is not a reason to close it).
                    let checked = self.ctx.token_keys.check(&self.ctx.db, self.user, &self.token_key).await;
                    if matches!(checked, Err(Error::InvalidToken)) {
                        return Err(Some(close(CloseCode::Other(TOKEN_ENDED), "token revoked")));
                    }
                    Box::pin(self.ping()).await?;
                }
                () = &mut expiry => {
                    return Err(Some(close(CloseCode::Other(TOKEN_ENDED), "token expired")));
                }
                // Also when the hub is gone: either way the server is stopping.
                _ = restart.wait_for(|&restarting| restarting) => {
                    // Frames already taken get their answers; the rest wait in
                    // the client, which sends them again after reconnecting.
                    let drain = async {
                        while let Some(reply) = replies.next().await {
                            self.write_answer(reply).await?;
                        }
                        Ok(())
                    };
                    if let Ok(Err(stop)) = timeout(RESTART_DRAIN, drain).await {
                        return Err(stop);
                    }
                    return Err(Some(close(CloseCode::Restart, "server restarting: reconnect")));
                }
            }
        }
    }

    /// Writes every row of the user's stream after `since`, in order, recording
    /// deliveries page by page. Returns the position it reached.
    async fn replay(&mut self, since: MessageId) -> Result<(Seen, MessageId), Stop> {
        let mut cursor = since;
        loop {
            let page = db::messages::stream_for(&self.ctx.db, self.user, cursor, CATCH_UP_PAGE)
                .await
                .map_err(catch_up_failed)?;
            let mut delivered = Vec::new();
            for row in &page {
                self.write(ServerFrame::stream(row).to_json().into())
                    .await?;
                if row.kind == Kind::Message
                    && row.recipient_id == Some(self.user)
                    && row.delivered_at.is_none()
                {
                    delivered.push(row.id);
                }
                cursor = row.id;
            }
            self.ctx.deliveries.record_now(&delivered).await;
            if page.len() < CATCH_UP_PAGE as usize {
                // A cursor from beyond the user's stream (say, from before a database
                // reset) is brought back to its end, or the client would skip what
                // comes next.
                let end = db::messages::latest_position(&self.ctx.db, self.user)
                    .await
                    .map_err(catch_up_failed)?;
                let cursor = cursor.min(end);
                return Ok((Seen::UpTo(cursor), cursor));
            }
        }
    }

    /// Writes every message stored while the user had no socket, oldest first, and
    /// marks each page delivered once written. The cursor it reports is the newest
    /// position involving the user, for the client's next `since`.
    async fn flush_undelivered(&mut self) -> Result<(Seen, MessageId), Stop> {
        let cursor = db::messages::latest_position(&self.ctx.db, self.user)
            .await
            .map_err(catch_up_failed)?;
        let mut flushed = HashSet::new();
        let mut after = MessageId(0);
        loop {
            let page = db::messages::undelivered_for(&self.ctx.db, self.user, after, CATCH_UP_PAGE)
                .await
                .map_err(catch_up_failed)?;
            for message in &page {
                self.write(ServerFrame::stream(message).to_json().into())
                    .await?;
            }
            let ids: Vec<MessageId> = page.iter().map(|m| m.id).collect();
            self.ctx.deliveries.record_now(&ids).await;
            flushed.extend(&ids);
            after = ids.last().copied().unwrap_or(after);
            if ids.len() < CATCH_UP_PAGE as usize {
                // Rows flushed here may be newer than the position read above.
                return Ok((Seen::Flushed(flushed), cursor.max(after)));
            }
        }
    }

    /// Writes `first` and whatever else is already waiting (up to a batch), then
    /// records the messages among them as delivered; at a `Behind` marker, catches
    /// up from the database.
    async fn forward(
        &mut self,
        first: Outbound,
        inbox: &mut mpsc::Receiver<Outbound>,
        seen: &mut Seen,
        position: &mut MessageId,
    ) -> Result<(), Stop> {
        let mut delivered = Vec::new();
        let mut next = Some(first);
        let mut taken = 0;
        let mut behind = false;
        let result = loop {
            let Some(outbound) = next else { break Ok(()) };
            let written = match outbound {
                Outbound::Stream(row) => {
                    *position = (*position).max(row.cursor);
                    let delivery = row.delivers == Some(self.user);
                    if seen.already_written(row.cursor, delivery) {
                        Ok(())
                    } else {
                        let written = self.write(row.frame.clone()).await;
                        if written.is_ok() && delivery {
                            delivered.push(row.cursor);
                        }
                        written
                    }
                }
                Outbound::Notice(frame) => self.write(ByteString::clone(&frame)).await,
                Outbound::Revoked => {
                    Err(Some(close(CloseCode::Other(TOKEN_ENDED), "token revoked")))
                }
                Outbound::Behind => {
                    behind = true;
                    break Ok(());
                }
            };
            if written.is_err() {
                break written;
            }
            taken += 1;
            next = if taken < DELIVERY_BATCH {
                inbox.try_recv().ok()
            } else {
                None
            };
        };
        self.ctx.deliveries.record(delivered).await;
        result?;
        if behind {
            Box::pin(self.catch_up(seen, position)).await?;
        }
        Ok(())
    }

    /// The hub left rows out of the full mailbox (see the invariant in `hub`):
    /// writes them, and any row stored since, from the database, as a reconnect
    /// with `since` would. The client may get rows it already has (its own sends,
    /// say); clients drop repeated ids.
    async fn catch_up(&mut self, seen: &mut Seen, position: &mut MessageId) -> Result<(), Stop> {
        log::info!(
            "socket behind user={} conn={}: catching up from the database after {position}",
            self.user,
            self.connection
        );
        // Before reading: a row committed from now on is either in the replay or
        // queued, and `seen` skips queued rows the replay already wrote.
        self.ctx.hub.caught_up(self.user, self.connection);
        // Counted first: the client may see the replay's last row before it ends.
        self.ctx.metrics.socket_caught_up();
        let (replayed, cursor) = self.replay(*position).await?;
        *seen = replayed;
        *position = cursor;
        Ok(())
    }

    /// Handles one frame from the client; the reply, if any, is written once ready.
    async fn on_frame(&mut self, frame: AggregatedMessage) -> Result<Option<Reply>, Stop> {
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
                match timeout(WRITE_TIMEOUT, self.socket.pong(&bytes)).await {
                    Ok(Ok(())) => None,
                    Ok(Err(_closed)) => return Err(None),
                    Err(_elapsed) => return Err(Some(too_slow())),
                }
            }
            AggregatedMessage::Pong(_) => None,
            AggregatedMessage::Close(reason) => return Err(reason),
        })
    }

    async fn on_client_frame(&mut self, frame: ClientFrame) -> Option<Reply> {
        if !matches!(frame, ClientFrame::Message { .. }) {
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
            } => {
                let taken = Instant::now();
                let to = match chat(recipient_id, room_id, "recipient_id", client_id.as_deref()) {
                    Ok(to) => to,
                    Err(error) => return Some(refusal(error)),
                };
                let queued = self
                    .ctx
                    .messaging
                    .queue_send(
                        self.user,
                        Some(self.connection),
                        to,
                        &content,
                        client_id.clone(),
                    )
                    .await;
                Some(match queued {
                    Ok(queued) => Box::pin(async move {
                        match queued.outcome().await {
                            Ok(sent) => Answer {
                                frame: ServerFrame::Ack {
                                    message_id: sent.message.id,
                                    client_id: client_id.as_deref(),
                                    created_at: utc(sent.message.created_at),
                                    delivered: sent.delivered,
                                    duplicate: sent.duplicate,
                                }
                                .to_json(),
                                send_taken: Some(taken),
                            },
                            Err(error) => error_frame(&error, client_id.as_deref()).into(),
                        }
                    }),
                    Err(error) => error_reply(&error, client_id.as_deref()),
                })
            }
            ClientFrame::Read {
                peer_id,
                room_id,
                up_to,
            } => match chat(peer_id, room_id, "peer_id", None) {
                Ok(Chat::Direct(peer)) => Box::pin(self.on_read(peer, up_to)).await,
                Ok(Chat::Room(room)) => Box::pin(self.on_room_read(room, up_to)).await,
                Err(error) => Some(refusal(error)),
            },
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
            let frame = ServerFrame::Typing {
                user_id: self.user,
                room_id: chat.room(),
                typing: true,
                expires_at: Some(utc(now()) + LEASE),
            };
            self.ctx
                .hub
                .route_all(audience, None, &Outbound::notice(frame.to_json()));
        }
        Ok(())
    }

    /// The members of a room the user is in (an error frame's cause otherwise).
    async fn room_members(&self, room: RoomId) -> Result<Vec<UserId>, Error> {
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
    async fn on_room_read(&mut self, room: RoomId, up_to: MessageId) -> Option<Reply> {
        if up_to.0 < 1 {
            let error = Error::validation("up_to", "up_to must be a positive message id");
            return Some(error_reply(&error, None));
        }
        let members = match self.room_members(room).await {
            Ok(members) => members,
            Err(error) => return Some(error_reply(&error, None)),
        };
        let at = now();
        match db::rooms::mark_read(&self.ctx.db, room, self.user, up_to).await {
            Ok(Some(Some(up_to))) => {
                let frame = ServerFrame::Read {
                    reader_id: self.user,
                    peer_id: None,
                    room_id: Some(room),
                    up_to,
                    at: utc(at),
                };
                self.ctx
                    .hub
                    .route_all(members, None, &Outbound::notice(frame.to_json()));
                None
            }
            // Not moved, or the user left in the meantime.
            Ok(_) => None,
            Err(e) => Some(error_reply(&Error::from(e), None)),
        }
    }

    /// Moves the read marker forward and tells the peer and the reader's other
    /// sockets; a marker that does not move changes nothing.
    async fn on_read(&mut self, peer: UserId, up_to: MessageId) -> Option<Reply> {
        if up_to.0 < 1 {
            let error = Error::validation("up_to", "up_to must be a positive message id");
            return Some(error_reply(&error, None));
        }
        let at = now();
        let read = async {
            let newly =
                db::messages::mark_delivered_up_to(&self.ctx.db, self.user, peer, up_to, at)
                    .await?;
            self.ctx.deliveries.announce(newly, at);
            db::messages::mark_read(&self.ctx.db, self.user, peer, up_to, at).await
        };
        match read.await {
            Ok(0) => None,
            Ok(_) => {
                let frame = Outbound::notice(
                    ServerFrame::Read {
                        reader_id: self.user,
                        peer_id: Some(peer),
                        room_id: None,
                        up_to,
                        at: utc(at),
                    }
                    .to_json(),
                );
                self.ctx.hub.route(peer, None, &frame);
                self.ctx.hub.route(self.user, Some(self.connection), &frame);
                None
            }
            Err(e) => Some(error_reply(&Error::from(e), None)),
        }
    }

    /// Tells everyone the user shares a conversation with whether they are online.
    /// The state is read when the frame is built, so racing connects and
    /// disconnects end with the true state.
    async fn announce_presence(&self, last_seen: Option<NaiveDateTime>) {
        let peers = match db::messages::conversation_heads(&self.ctx.db, self.user).await {
            Ok(peers) => peers,
            Err(e) => {
                log::error!("user {}: loading peers for presence: {e}", self.user);
                return;
            }
        };
        let online = self.ctx.hub.is_online(self.user);
        let frame = Outbound::notice(
            ServerFrame::Presence {
                user_id: self.user,
                online,
                last_seen: last_seen.filter(|_| !online).map(utc),
            }
            .to_json(),
        );
        for (peer, _) in peers {
            self.ctx.hub.route(peer, None, &frame);
        }
    }

    async fn went_offline(&self) {
        let now = now();
        if let Err(e) = db::users::set_last_seen(&self.ctx.db, self.user, now).await {
            log::error!("user {}: storing last seen: {e}", self.user);
        }
        for chat in self.ctx.typing.stop_all(self.user) {
            let audience = match chat {
                Chat::Direct(user) => vec![user],
                Chat::Room(room) => self.room_members(room).await.unwrap_or_default(),
            };
            self.ctx
                .hub
                .route_all(audience, None, &typing::stopped(self.user, chat));
        }
        self.announce_presence(Some(now)).await;
    }

    /// Writes a reply; an ack's latency is measured here, once it is on its way
    /// to the client.
    async fn write_answer(&mut self, answer: Answer) -> Result<(), Stop> {
        self.write(answer.frame.into()).await?;
        if let Some(taken) = answer.send_taken {
            self.ctx.metrics.send_acked(taken.elapsed());
        }
        Ok(())
    }

    async fn write(&mut self, frame: ByteString) -> Result<(), Stop> {
        match timeout(WRITE_TIMEOUT, self.socket.text(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_closed)) => Err(None),
            Err(_elapsed) => Err(Some(too_slow())),
        }
    }

    /// Pings with a fresh random payload, remembered for its pong.
    async fn ping(&mut self) -> Result<(), Stop> {
        let payload: [u8; 8] = rand::random();
        self.pings.rotate_right(1);
        self.pings[0] = Some(payload);
        match timeout(WRITE_TIMEOUT, self.socket.ping(&payload)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_closed)) => Err(None),
            Err(_elapsed) => Err(Some(too_slow())),
        }
    }

    fn answers_a_ping(&self, pong: &[u8]) -> bool {
        self.pings.iter().flatten().any(|ping| ping[..] == *pong)
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
fn too_large(error: &ProtocolError) -> bool {
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

/// Closes with 1013 (try again later) when the database is unreachable, so the
/// client reconnects after a pause; 1011 for anything else.
fn catch_up_failed(cause: db::Error) -> Stop {
    if cause.is_unavailable() {
        log::warn!("catching a socket up: database unavailable: {cause}");
        Some(close(
            CloseCode::Again,
            "the database is unavailable: reconnect in a moment",
        ))
    } else {
        log::error!("catching a socket up: {cause}");
        Some(close(CloseCode::Error, "could not load the message stream"))
    }
}

fn too_slow() -> CloseReason {
    close(CloseCode::Again, "too slow: reconnect to catch up")
}

fn close(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_owned()),
    }
}
