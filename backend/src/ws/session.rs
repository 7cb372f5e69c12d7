//! One task per socket. It owns the socket's mailbox: first it catches the client
//! up (a replay from its cursor, or the flush of what it missed while offline),
//! then it serves client frames, mailbox deliveries, the heartbeat and the token's
//! expiry until the socket ends, and cleans up once, after the loop.
//!
//! The task's work is split by role: [`catch_up`] (the stream and the mailbox),
//! [`inbound`] (client frames) and [`outgoing`] (writes, pings, close reasons).

mod catch_up;
mod inbound;
mod outgoing;

use std::convert::Infallible;
use std::time::Duration;

use actix_web::web;
use actix_ws::{AggregatedMessage, AggregatedMessageStream};
use futures_util::stream::{FuturesOrdered, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{interval, sleep_until, timeout, Instant, MissedTickBehavior};

use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::{Chat, MessageId, UserId};
use crate::error::Error;
use crate::limits::TokenBucket;
use crate::live::frames::ServerFrame;
use crate::live::hub::{ConnectionId, Outbound, Registration};
use crate::live::{presence, typing};
use crate::metrics::Metrics;
use inbound::{too_large, Reply, MAX_FRAME_BYTES, SIGNAL_RATE};
pub use outgoing::TOKEN_ENDED;
use outgoing::{Closing, Heartbeat, Stop, PINGS_REMEMBERED};

/// Frames above this are not even buffered: the socket is closed with 1009.
pub const HARD_FRAME_LIMIT: usize = 4 * MAX_FRAME_BYTES;
/// When the server shuts down, replies still pending get this long to be written.
const RESTART_DRAIN: Duration = Duration::from_secs(5);
/// Client frames whose replies may be pending at once; sends among them are
/// stored in order, and their acks come back in the order the frames came.
const MAX_PENDING_REPLIES: usize = 32;

/// A socket's task: the shared services, and what belongs to this socket alone.
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
            Box::pin(presence::connected(
                &self.ctx.db,
                &self.ctx.hub,
                &self.ctx.bus,
                self.user,
            ))
            .await;
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
        self.close(stop).await;
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
        let mut progress = Box::pin(self.catch_up(since)).await?;
        let cursor = progress.position();
        Box::pin(self.write(ServerFrame::Ready { cursor }.to_json().into())).await?;

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
                            return Err(Closing::FrameTooLarge.into());
                        }
                        Some(Err(e)) => {
                            log::debug!(
                                "protocol error user={} conn={}: {e}",
                                self.user,
                                self.connection
                            );
                            return Err(Closing::ProtocolError.into());
                        }
                        None => return Err(None),
                    }
                }
                Some(reply) = replies.next(), if !replies.is_empty() => {
                    Box::pin(self.write_answer(reply)).await?;
                }
                outbound = inbox.recv() => match outbound {
                    Some(first) => {
                        Box::pin(self.forward(first, &mut inbox, &mut progress)).await?;
                    }
                    // The hub dropped this socket: its mailbox was full.
                    None => return Err(Closing::TooSlow.into()),
                },
                _ = heartbeat.tick() => {
                    if last_pong.elapsed() > beat.idle_after {
                        return Err(Closing::IdleTimeout.into());
                    }
                    // The user may be gone or signed out everywhere since the
                    // socket opened (an outage is not a reason to close it).
                    let checked = self
                        .ctx
                        .token_keys
                        .check(&self.ctx.db, self.user, &self.token_key)
                        .await;
                    if matches!(checked, Err(Error::InvalidToken)) {
                        return Err(Closing::TokenRevoked.into());
                    }
                    Box::pin(self.ping()).await?;
                }
                () = &mut expiry => return Err(Closing::TokenExpired.into()),
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
                    return Err(Closing::Restart.into());
                }
            }
        }
    }

    /// The user's last socket on this node closed: unless they have a socket on
    /// another node, ends their typing indicators and tells their peers they are
    /// offline.
    async fn went_offline(&self) {
        if !presence::disconnected(&self.ctx.db, &self.ctx.bus, self.user).await {
            return;
        }
        for chat in self.ctx.typing.stop_all(self.user) {
            self.ctx.bus.publish(typing::event(self.user, chat, false));
            let audience = match chat {
                Chat::Direct(user) => vec![user],
                Chat::Room(room) => self.room_members(room).await.unwrap_or_default(),
            };
            self.ctx
                .hub
                .route_all(audience, None, &typing::stopped(self.user, chat));
        }
        presence::went_offline(&self.ctx.db, &self.ctx.hub, &self.ctx.bus, self.user).await;
    }
}
