//! The one task per node that writes the message stream. It takes whatever
//! changes are queued (up to a batch) and, in one transaction under the stream's
//! write lock (see `db::stream`), checks them against the room rules and stores
//! them; only after the commit are they answered and routed (see [`Router`]).
//! Checking under the lock means that every change another node committed before
//! is seen: a member removed through one node cannot post through another once the
//! removal is answered.

mod checks;

use std::collections::HashMap;

use actix_web::web;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::attaching::BatchUploads;
use super::batch::{self, Write, Written};
use super::jobs::{Asker, Job, Task};
use super::mentioning::BatchMentions;
use super::notifications::Notifications;
use super::pruner::Pruner;
use super::quoting::BatchQuotes;
use super::rooms::{Directory, MemberRequest, RoomState};
use super::router::{Own, Router};
use super::users::KnownUsers;
use crate::db::{self, Chat, Db, DbConn, Kind, MessageId, RoomId, UserId};
use crate::error::Error;
use crate::media::sweeper::Sweeper;
use crate::metrics::{Metrics, SendError};
use checks::{check, BatchRooms, BatchSends};

/// At most this many changes share a transaction.
const BATCH: usize = 256;

pub struct Writer {
    pub db: Db,
    pub rooms: web::Data<Directory>,
    pub router: web::Data<Router>,
    pub pruner: Pruner,
    pub metrics: web::Data<Metrics>,
    /// Told when a delete leaves files to remove.
    pub sweeper: Sweeper,
    /// Told of new messages, for Web Push.
    pub notifications: Notifications,
    /// Every member event up to here is reflected in `rooms`; `None` until the
    /// first batch, when `rooms` is still empty.
    pub mark: Option<MessageId>,
}

impl Task {
    /// The user who asks: a token can outlive its user's row (a restore, a row
    /// deleted by hand), and such a row must not reach the transaction.
    fn actor(&self) -> Option<UserId> {
        match self {
            Self::Write(Write::Send(send)) => Some(send.sender),
            Self::Write(Write::Change { editor, .. }) => Some(*editor),
            Self::Write(Write::React(reaction)) => Some(reaction.user),
            Self::Write(Write::CreateRoom(room)) => Some(room.owner_id),
            Self::Member { actor, .. } => Some(*actor),
            Self::Write(Write::Member(_)) | Self::Flush => None,
        }
    }

    /// The user who must exist for the task to be stored.
    fn user(&self) -> Option<UserId> {
        match self {
            Self::Write(Write::Send(send)) => send.to.recipient(),
            Self::Member {
                request: MemberRequest::Add(user),
                ..
            } => Some(*user),
            _ => None,
        }
    }

    fn named(&self) -> [Option<UserId>; 2] {
        [self.actor(), self.user()]
    }

    fn is_send(&self) -> bool {
        matches!(self, Self::Write(Write::Send(_)))
    }

    /// The room whose members the task is checked against.
    fn room(&self) -> Option<RoomId> {
        match self {
            Self::Write(Write::Send(send)) => send.to.room(),
            Self::Member { room, .. } => Some(*room),
            _ => None,
        }
    }
}

/// What the rules made of a task.
enum Verdict {
    /// Stored: the next of the batch's [`Written`].
    Stored,
    /// Nothing to store: already so (`None`), or refused.
    Settled(Option<Error>),
}

/// A committed batch, not yet routed or answered.
struct Committed {
    verdicts: Vec<Verdict>,
    written: Vec<Written>,
    rooms: BatchRooms,
    /// The newest row committed before this batch, by any node.
    newest_before: MessageId,
}

impl Writer {
    pub async fn run(mut self, mut queue: mpsc::Receiver<Job>, mut users: KnownUsers) {
        let mut batch = Vec::with_capacity(BATCH);
        while queue.recv_many(&mut batch, BATCH).await > 0 {
            self.write(&mut users, std::mem::take(&mut batch)).await;
        }
    }

    async fn write(&mut self, users: &mut KnownUsers, jobs: Vec<Job>) {
        let (tasks, askers): (Vec<Task>, Vec<Asker>) =
            jobs.into_iter().map(|job| (job.task, job.asker)).unzip();
        // A batch of flushes needs no query, and so works during an outage.
        if tasks.iter().all(|task| matches!(task, Task::Flush)) {
            askers.into_iter().for_each(Asker::already_so);
            return;
        }
        let mut committed = self.commit(users, &tasks).await;
        if let Err(cause) = &committed {
            if matches!(cause, db::Error::Query(_)) && !cause.is_unavailable() {
                // One row may name a user cached as existing who is gone: check
                // the batch's users again, once.
                users.forget_all();
                committed = self.commit(users, &tasks).await;
            }
        }
        match committed {
            Ok(committed) => self.answer(committed, askers).await,
            Err(cause) => {
                log_failed_batch(&cause);
                let sends = tasks.iter().filter(|task| task.is_send()).count();
                self.metrics.sends_errored(SendError::Failed, sends);
                for asker in askers {
                    asker.refuse(Error::from(&cause));
                }
            }
        }
    }

    /// Checks and stores `tasks` in one transaction under the stream's write lock.
    async fn commit(&mut self, users: &mut KnownUsers, tasks: &[Task]) -> db::Result<Committed> {
        let mut conn = self.db.conn().await?;
        // The batch's first new id, held for the router until it is routed.
        let mut held = None;
        let (this, held_ref) = (&*self, &mut held);
        let committed = conn
            .transaction(async |mut tx| this.check_and_store(&mut tx, users, tasks, held_ref).await)
            .await;
        match &committed {
            Ok(committed) => {
                let newest = committed
                    .written
                    .iter()
                    .filter_map(Written::row)
                    .map(|row| row.id);
                self.mark = Some(newest.max().unwrap_or(committed.newest_before));
            }
            Err(_) => {
                if let Some(first) = held {
                    self.router.release(first);
                }
            }
        }
        committed
    }

    async fn check_and_store(
        &self,
        tx: &mut DbConn<'_>,
        users: &mut KnownUsers,
        tasks: &[Task],
        held: &mut Option<MessageId>,
    ) -> db::Result<Committed> {
        let waiting = Instant::now();
        db::stream::lock_for_writes(tx).await?;
        self.metrics.stream_lock_waited(waiting.elapsed());
        // With other nodes: what they committed since this writer last looked.
        // Alone (SQLite), the caches are all there is, and the router is never
        // behind its own writer.
        let newest_before = match self.mark {
            _ if !self.db.is_shared() => MessageId(0),
            Some(mark) => {
                let changes = db::stream::since(tx, mark).await?;
                for room in changes.rooms {
                    self.rooms.forget(room);
                }
                changes.newest
            }
            None => db::stream::newest(&mut *tx).await?,
        };
        // The batch checks against these copies, not the caches: what the caches
        // evict while it runs changes no answer.
        let named: Vec<UserId> = tasks.iter().flat_map(Task::named).flatten().collect();
        let known = users.existing(tx, named).await?;
        let ids: Vec<RoomId> = tasks.iter().filter_map(Task::room).collect();
        let mut rooms = BatchRooms {
            loaded: self.rooms.load(tx, &ids).await?,
            changed: HashMap::new(),
        };
        let mut sends = BatchSends {
            uploads: BatchUploads::load(tx, tasks).await?,
            quotes: BatchQuotes::load(tx, tasks).await?,
            mentions: BatchMentions::load(tx, tasks).await?,
        };
        // Rules are checked in order against the rooms as this batch leaves them.
        let mut writes = Vec::with_capacity(tasks.len());
        let mut verdicts = Vec::with_capacity(tasks.len());
        for task in tasks {
            verdicts.push(match check(task, &known, &mut rooms, &mut sends) {
                Ok(Some(write)) => {
                    writes.push(write);
                    Verdict::Stored
                }
                Ok(None) => Verdict::Settled(None),
                Err(refusal) => Verdict::Settled(Some(refusal)),
            });
        }
        let written = batch::store(tx, &writes).await?;
        let ids = written.iter().filter_map(Written::row).map(|row| row.id);
        if let Some((first, newest)) = ids.fold(None, |span, id| match span {
            None => Some((id, id)),
            Some((first, newest)) => Some((id.min(first), id.max(newest))),
        }) {
            self.router.hold(first);
            *held = Some(first);
            db::stream::announce(tx, &self.router.announcement(newest)).await?;
        }
        Ok(Committed {
            verdicts,
            written,
            rooms,
            newest_before,
        })
    }

    /// Routes a committed batch, then answers each job.
    async fn answer(&self, committed: Committed, askers: Vec<Asker>) {
        let Committed {
            verdicts,
            written,
            mut rooms,
            newest_before,
        } = committed;
        let refused = verdicts.iter().zip(&askers).filter(|(verdict, asker)| {
            matches!(verdict, Verdict::Settled(Some(_))) && matches!(asker, Asker::Send { .. })
        });
        self.metrics
            .sends_errored(SendError::Refused, refused.count());
        if !written.is_empty() {
            self.metrics.batch_written(written.len());
        }
        let stored = written.iter().filter(|w| {
            matches!(
                w,
                Written::Sent {
                    duplicate: false,
                    ..
                }
            )
        });
        self.metrics.messages_stored(stored.count());

        for (id, state) in rooms.changed.drain() {
            rooms.loaded.insert(id, self.rooms.set(id, state));
        }
        for written in &written {
            if let Written::RoomCreated { room, .. } = written {
                let state = RoomState {
                    kind: room.kind,
                    owner: room.owner_id,
                    members: vec![room.owner_id],
                };
                rooms.loaded.insert(room.id, self.rooms.set(room.id, state));
            }
        }

        // Each stored write's asker, in order, with its row if it added one.
        let mut stored_askers = Vec::with_capacity(written.len());
        let mut settled = Vec::new();
        for (verdict, asker) in verdicts.into_iter().zip(askers) {
            match verdict {
                Verdict::Stored => stored_askers.push(asker),
                Verdict::Settled(refusal) => settled.push((asker, refusal)),
            }
        }
        let own: Vec<Own<'_>> = written
            .iter()
            .zip(&stored_askers)
            .filter_map(|(written, asker)| {
                let row = written.row()?;
                Some(Own {
                    row,
                    from: asker.from(),
                })
            })
            .collect();
        let mut delivered = self
            .router
            .route_own(newest_before, &own, &rooms.loaded)
            .await
            .into_iter();
        self.notifications
            .committed(written.iter().filter_map(Written::row));
        for written in &written {
            if let Some(Chat::Room(room)) = written.row().and_then(|row| row.chat()) {
                self.pruner.notify(room);
            }
            if let Some(Kind::Delete) = written.row().map(|row| row.kind) {
                self.sweeper.poke();
            }
        }
        for (asker, written) in stored_askers.into_iter().zip(written) {
            let reached = match &written {
                Written::Sent {
                    message,
                    duplicate: true,
                } => message.delivered_at.is_some(),
                written if written.row().is_some() => delivered.next().unwrap_or(false),
                _ => false,
            };
            asker.stored(written, reached);
        }
        for (asker, refusal) in settled {
            match refusal {
                None => asker.already_so(),
                Some(error) => asker.refuse(error),
            }
        }
    }
}

/// An outage is expected to pass (a warning); anything else is a bug (an error).
fn log_failed_batch(cause: &db::Error) {
    if cause.is_unavailable() {
        log::warn!("storing a batch of message changes: database unavailable: {cause}");
    } else {
        log::error!("storing a batch of message changes: {cause}");
    }
}
