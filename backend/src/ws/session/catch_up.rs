//! Catching a socket up with the stream: the replay after a client's cursor, the
//! flush of what the user missed while offline, and, once live, the mailbox's
//! rows and notices, with the replay again when the hub marks the socket behind.

use std::collections::HashSet;

use bytestring::ByteString;
use tokio::sync::mpsc;

use super::outgoing::{Closing, Stop};
use super::Session;
use crate::db::{self, Kind, MessageId};
use crate::live::frames::ServerFrame;
use crate::live::hub::Outbound;

/// Catch-up reads the stream in pages of this many rows.
const CATCH_UP_PAGE: i64 = 500;
/// Mailbox items written before their deliveries are handed to the recorder.
const DELIVERY_BATCH: usize = 64;

/// Where the socket is in the user's stream.
pub(super) struct Progress {
    /// What catch-up already wrote.
    seen: Seen,
    /// The last stream position written: where a catch-up after `Behind` resumes.
    position: MessageId,
}

impl Progress {
    pub(super) fn position(&self) -> MessageId {
        self.position
    }
}

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
    /// Brings a new socket up to date: the replay after `since`, or else the
    /// flush of what is undelivered.
    pub(super) async fn catch_up(&mut self, since: Option<MessageId>) -> Result<Progress, Stop> {
        match since {
            Some(since) => self.replay(since).await,
            None => self.flush_undelivered().await,
        }
    }

    /// Writes every row of the user's stream after `since`, in order, recording
    /// deliveries page by page.
    async fn replay(&mut self, since: MessageId) -> Result<Progress, Stop> {
        let mut cursor = since;
        loop {
            let page = db::messages::stream_for(&self.ctx.db, self.user, cursor, CATCH_UP_PAGE)
                .await
                .map_err(catch_up_failed)?;
            let mut delivered = Vec::new();
            for row in &page {
                self.write(
                    ServerFrame::stream(row, &self.ctx.media.links)
                        .to_json()
                        .into(),
                )
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
                let position = cursor.min(end);
                return Ok(Progress {
                    seen: Seen::UpTo(position),
                    position,
                });
            }
        }
    }

    /// Writes every message stored while the user had no socket, oldest first, and
    /// marks each page delivered once written. The position it reports is the newest
    /// one involving the user, for the client's next `since`.
    async fn flush_undelivered(&mut self) -> Result<Progress, Stop> {
        let cursor = db::messages::latest_position(&self.ctx.db, self.user)
            .await
            .map_err(catch_up_failed)?;
        let mut flushed = HashSet::new();
        let mut after = MessageId(0);
        loop {
            let page = db::receipts::undelivered_for(&self.ctx.db, self.user, after, CATCH_UP_PAGE)
                .await
                .map_err(catch_up_failed)?;
            for message in &page {
                self.write(
                    ServerFrame::stream(message, &self.ctx.media.links)
                        .to_json()
                        .into(),
                )
                .await?;
            }
            let ids: Vec<MessageId> = page.iter().map(|m| m.id).collect();
            self.ctx.deliveries.record_now(&ids).await;
            flushed.extend(&ids);
            after = ids.last().copied().unwrap_or(after);
            if ids.len() < CATCH_UP_PAGE as usize {
                return Ok(Progress {
                    seen: Seen::Flushed(flushed),
                    // Rows flushed here may be newer than the position read above.
                    position: cursor.max(after),
                });
            }
        }
    }

    /// Writes `first` and whatever else is already waiting (up to a batch), then
    /// records the messages among them as delivered; at a `Behind` marker, catches
    /// up from the database.
    pub(super) async fn forward(
        &mut self,
        first: Outbound,
        inbox: &mut mpsc::Receiver<Outbound>,
        progress: &mut Progress,
    ) -> Result<(), Stop> {
        let mut delivered = Vec::new();
        let mut next = Some(first);
        let mut taken = 0;
        let mut behind = false;
        let result = loop {
            let Some(outbound) = next else { break Ok(()) };
            let written = match outbound {
                Outbound::Stream(row) => {
                    progress.position = progress.position.max(row.cursor);
                    let delivery = row.delivers == Some(self.user);
                    if progress.seen.already_written(row.cursor, delivery) {
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
                Outbound::Revoked => Err(Closing::TokenRevoked.into()),
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
            Box::pin(self.catch_up_behind(progress)).await?;
        }
        Ok(())
    }

    /// The hub left rows out of the full mailbox (see the invariant in `hub`):
    /// writes them, and any row stored since, from the database, as a reconnect
    /// with `since` would. The client may get rows it already has (its own sends,
    /// say); clients drop repeated ids.
    async fn catch_up_behind(&mut self, progress: &mut Progress) -> Result<(), Stop> {
        log::info!(
            "socket behind user={} conn={}: catching up from the database after {}",
            self.user,
            self.connection,
            progress.position
        );
        // Before reading: a row committed from now on is either in the replay or
        // queued, and `seen` skips queued rows the replay already wrote.
        self.ctx.hub.caught_up(self.user, self.connection);
        // Counted first: the client may see the replay's last row before it ends.
        self.ctx.metrics.socket_caught_up();
        *progress = self.replay(progress.position).await?;
        Ok(())
    }
}

/// Closes with 1013 (try again later) when the database is unreachable, so the
/// client reconnects after a pause; 1011 for anything else.
fn catch_up_failed(cause: db::Error) -> Stop {
    if cause.is_unavailable() {
        log::warn!("catching a socket up: database unavailable: {cause}");
        Closing::DatabaseUnavailable.into()
    } else {
        log::error!("catching a socket up: {cause}");
        Closing::StreamFailed.into()
    }
}
