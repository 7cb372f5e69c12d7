//! The one task that writes the message stream. It takes whatever changes are
//! queued (up to a batch), checks them against the room rules, stores them in one
//! transaction, and only then answers and routes them, in stream order. Because
//! there is one writer, rows become visible in id order: a socket that has read
//! the stream up to some id can never later see a smaller one appear.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix_web::web;
use tokio::sync::mpsc;

use super::batch::{self, MemberChange, Write, Written};
use super::jobs::{Asker, Job, Task};
use super::pruner::Pruner;
use super::rooms::{Directory, MemberRequest, RoomState};
use super::users::KnownUsers;
use crate::db::{self, Chat, Db, DbConn, RoomId, UserId};
use crate::error::Error;
use crate::live::hub::Hub;
use crate::live::typing::Typing;
use crate::metrics::{Metrics, SendError};

/// At most this many changes share a transaction.
const BATCH: usize = 256;

pub struct Writer {
    pub db: Db,
    pub hub: web::Data<Hub>,
    pub typing: web::Data<Typing>,
    pub rooms: web::Data<Directory>,
    pub pruner: Pruner,
    pub metrics: web::Data<Metrics>,
}

impl Task {
    /// The user who asks: a token can outlive its user's row (a restore, a row
    /// deleted by hand), and such a row must not reach the transaction.
    fn actor(&self) -> Option<UserId> {
        match self {
            Self::Write(Write::Send(send)) => Some(send.sender),
            Self::Write(Write::Change { editor, .. }) => Some(*editor),
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

impl Writer {
    pub async fn run(self, mut queue: mpsc::Receiver<Job>, mut users: KnownUsers) {
        let mut batch = Vec::with_capacity(BATCH);
        while queue.recv_many(&mut batch, BATCH).await > 0 {
            self.write(&mut users, std::mem::take(&mut batch)).await;
        }
    }

    async fn write(&self, users: &mut KnownUsers, jobs: Vec<Job>) {
        // One connection for the batch's reads and its transaction, taken when
        // first needed: a batch that needs no query (a flush) works during an outage.
        let mut conn = Lazy {
            db: &self.db,
            conn: None,
        };
        // The batch checks and routes against these copies, not the caches: what
        // the caches evict while it runs changes no answer.
        let named: Vec<UserId> = jobs
            .iter()
            .flat_map(|job| [job.task.actor(), job.task.user()])
            .flatten()
            .collect();
        let known = match users.existing(&mut conn, named).await {
            Ok(known) => known,
            Err(e) => return self.fail_all(jobs, e),
        };
        let ids: Vec<RoomId> = jobs.iter().filter_map(|job| job.task.room()).collect();
        let mut rooms = match self.rooms.load(&mut conn, &ids).await {
            Ok(loaded) => BatchRooms {
                loaded,
                changed: HashMap::new(),
            },
            Err(e) => return self.fail_all(jobs, e),
        };

        // Rules are checked in order against the rooms as this batch leaves them;
        // what a refused task would have stored never reaches the transaction.
        let mut writes = Vec::with_capacity(jobs.len());
        let mut askers = Vec::with_capacity(jobs.len());
        // Tasks that store nothing are answered after the batch, like the rest.
        let mut settled = Vec::new();
        let mut refused_sends = 0;
        for job in jobs {
            let is_send = job.task.is_send();
            match check(job.task, &known, &mut rooms) {
                Ok(Some(write)) => {
                    writes.push(write);
                    askers.push(job.asker);
                }
                Ok(None) => settled.push((job.asker, None)),
                Err(refusal) => {
                    refused_sends += usize::from(is_send);
                    settled.push((job.asker, Some(refusal)));
                }
            }
        }
        self.metrics
            .sends_errored(SendError::Refused, refused_sends);
        let mut stored = self.store(&mut conn, writes, askers, rooms).await;
        if let Err(failed) = stored {
            stored = if matches!(failed.cause, db::Error::Query(_))
                && !failed.cause.is_unavailable()
                && !known.is_empty()
            {
                // One row may name a user cached as existing who is gone: check
                // the batch's users again and store the rest once more.
                users.forget_all();
                // A fresh connection: the failed transaction may have broken this one.
                conn.conn = None;
                self.retry_known(&mut conn, users, failed, &mut settled)
                    .await
            } else {
                Err(failed)
            };
        }
        for (asker, refusal) in settled {
            match refusal {
                None => asker.already_so(),
                Some(error) => asker.refuse(error),
            }
        }
        if let Err(failed) = stored {
            log_failed_batch(&failed.cause);
            let sends = failed.writes.iter().filter(|w| matches!(w, Write::Send(_)));
            self.metrics.sends_errored(SendError::Failed, sends.count());
            for asker in failed.askers {
                asker.refuse(Error::from(&failed.cause));
            }
        }
    }

    /// Stores again the writes of a failed batch whose users all exist; the others
    /// are refused (a sender that is gone: `invalid_token`).
    async fn retry_known(
        &self,
        conn: &mut Lazy<'_>,
        users: &mut KnownUsers,
        failed: Failed,
        settled: &mut Vec<(Asker, Option<Error>)>,
    ) -> Result<(), Failed> {
        let named: Vec<UserId> = failed
            .writes
            .iter()
            .flat_map(named_users)
            .flatten()
            .collect();
        let users = match users.existing(conn, named).await {
            Ok(known) => known,
            Err(cause) => return Err(Failed { cause, ..failed }),
        };
        let mut writes = Vec::with_capacity(failed.writes.len());
        let mut askers = Vec::with_capacity(failed.writes.len());
        for (write, asker) in failed.writes.into_iter().zip(failed.askers) {
            let [actor, other] = named_users(&write);
            if actor.is_some_and(|user| !users.contains(&user)) {
                self.metrics.sends_errored(
                    SendError::Refused,
                    usize::from(matches!(write, Write::Send(_))),
                );
                settled.push((asker, Some(Error::InvalidToken)));
            } else if let Some(user) = other.filter(|user| !users.contains(user)) {
                self.metrics.sends_errored(
                    SendError::Refused,
                    usize::from(matches!(write, Write::Send(_))),
                );
                settled.push((asker, Some(Error::UserNotFound(user.0))));
            } else {
                writes.push(write);
                askers.push(asker);
            }
        }
        self.store(conn, writes, askers, failed.rooms).await
    }

    /// Stores the checked writes, then answers and routes them; a batch that
    /// could not be stored comes back unanswered.
    async fn store(
        &self,
        conn: &mut Lazy<'_>,
        writes: Vec<Write>,
        askers: Vec<Asker>,
        mut rooms: BatchRooms,
    ) -> Result<(), Failed> {
        if writes.is_empty() {
            return Ok(());
        }
        self.metrics.batch_written(writes.len());
        let written = match conn.get().await {
            Ok(conn) => batch::store(conn, &writes).await,
            Err(e) => Err(e),
        };
        let written = match written {
            Ok(written) => written,
            Err(cause) => {
                return Err(Failed {
                    cause,
                    writes,
                    askers,
                    rooms,
                })
            }
        };
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
        let mut edited_rooms = Vec::new();
        for written in &written {
            match written {
                Written::RoomCreated { room, .. } => {
                    let state = RoomState {
                        kind: room.kind,
                        owner: room.owner_id,
                        members: vec![room.owner_id],
                    };
                    rooms.loaded.insert(room.id, self.rooms.set(room.id, state));
                }
                Written::Changed { event, .. } => edited_rooms.extend(event.room_id),
                _ => {}
            }
        }
        // An edit may be about a room no send has loaded yet.
        edited_rooms.retain(|id| !rooms.loaded.contains_key(id));
        match self.rooms.load(conn, &edited_rooms).await {
            Ok(loaded) => rooms.loaded.extend(loaded),
            Err(e) => log::error!("loading rooms to route edits to: {e}"),
        }
        for (asker, written) in askers.into_iter().zip(written) {
            let delivered = self.route(asker.from(), &written, &rooms.loaded);
            asker.stored(written, delivered);
        }
        Ok(())
    }

    /// Answers every job of a batch that could not even be checked.
    fn fail_all(&self, jobs: Vec<Job>, cause: db::Error) {
        log_failed_batch(&cause);
        let sends = jobs.iter().filter(|job| job.task.is_send()).count();
        self.metrics.sends_errored(SendError::Failed, sends);
        for job in jobs {
            job.asker.refuse(Error::from(&cause));
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

/// The batch's connection, checked out when first needed.
pub(super) struct Lazy<'a> {
    db: &'a Db,
    conn: Option<DbConn<'static>>,
}

impl Lazy<'_> {
    pub(super) async fn get(&mut self) -> db::Result<&mut DbConn<'static>> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.db.conn().await?,
        };
        Ok(self.conn.insert(conn))
    }
}

/// A batch the database refused, not yet answered.
struct Failed {
    cause: db::Error,
    writes: Vec<Write>,
    askers: Vec<Asker>,
    rooms: BatchRooms,
}

/// The rooms a batch is checked against: as loaded, and as the batch changes them.
struct BatchRooms {
    loaded: HashMap<RoomId, Arc<RoomState>>,
    changed: HashMap<RoomId, RoomState>,
}

impl BatchRooms {
    fn state(&self, room: RoomId) -> Result<&RoomState, Error> {
        match self.changed.get(&room) {
            Some(state) => Ok(state),
            None => self
                .loaded
                .get(&room)
                .map(|state| &**state)
                .ok_or(Error::RoomNotFound(room.0)),
        }
    }

    /// The room's state for the batch to change.
    fn changing(&mut self, room: RoomId) -> Result<&mut RoomState, Error> {
        match self.changed.entry(room) {
            Entry::Occupied(entry) => Ok(entry.into_mut()),
            Entry::Vacant(entry) => {
                let loaded = self.loaded.get(&room).ok_or(Error::RoomNotFound(room.0))?;
                Ok(entry.insert(RoomState::clone(loaded)))
            }
        }
    }
}

/// The write a task makes, if the rules allow it; `None` when it is already so.
fn check(
    task: Task,
    users: &HashSet<UserId>,
    rooms: &mut BatchRooms,
) -> Result<Option<Write>, Error> {
    if task.actor().is_some_and(|actor| !users.contains(&actor)) {
        return Err(Error::InvalidToken);
    }
    let unknown = task.user().filter(|user| !users.contains(user));
    match task {
        Task::Write(write) => {
            if let Some(user) = unknown {
                return Err(Error::UserNotFound(user.0));
            }
            if let Write::Send(send) = &write {
                if let Chat::Room(room) = send.to {
                    rooms.state(room)?.check_member(room, send.sender)?;
                }
            }
            Ok(Some(write))
        }
        Task::Member {
            room,
            actor,
            request,
            at,
        } => {
            let state = rooms.changing(room)?;
            let Some(decision) = state.decide(room, actor, request)? else {
                return Ok(None);
            };
            // Only someone allowed to add learns whether the user exists.
            if let Some(user) = unknown {
                return Err(Error::UserNotFound(user.0));
            }
            state.apply(decision);
            Ok(Some(Write::Member(MemberChange {
                room,
                user: decision.user,
                action: decision.action,
                at,
                new_owner: decision.new_owner,
            })))
        }
        Task::Flush => Ok(None),
    }
}

/// The users a write names: who makes it, and who else it names.
fn named_users(write: &Write) -> [Option<UserId>; 2] {
    match write {
        Write::Send(send) => [Some(send.sender), send.to.recipient()],
        Write::Change { editor, .. } => [Some(*editor), None],
        Write::Member(change) => [None, Some(change.user)],
        Write::CreateRoom(room) => [Some(room.owner_id), None],
    }
}
