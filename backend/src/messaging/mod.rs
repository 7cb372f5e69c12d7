//! Changing the message stream: sending, editing and deleting, creating rooms and
//! changing who is in them. Every change goes
//! through one writer task (see [`writer`]), which stores it before anything else
//! happens and then routes it to every socket that should see it; that order is
//! what makes an acknowledgement a promise.

mod attaching;
mod batch;
pub mod deliveries;
#[cfg(test)]
mod eviction_tests;
mod jobs;
mod mentioning;
pub mod notifications;
mod pruner;
mod quoting;
mod remote;
pub mod rooms;
mod router;
mod shared_sends;
mod tail;
mod users;
mod writer;

use std::num::NonZeroUsize;

use actix_web::web;
use tokio::sync::mpsc;

use crate::db::messages::Message;
use crate::db::rooms::{NewRoom, Room};
use crate::db::{Chat, Db, MessageId, RoomId, RoomKind, UserId};
pub use crate::domain::time::now;
use crate::domain::{
    AttachmentId, ClientId, Emoji, MessageContent, RoomName, TextError, MAX_ATTACHMENTS,
};
use crate::error::Error;
use crate::limits::{Rate, RateLimiter};
use crate::live::bus::Bus;
use crate::live::hub::ConnectionId;
use crate::media::sweeper::Sweeper;
use crate::metrics::{Limiter, Metrics};
pub use batch::Change;
use batch::{NewMessage, NewReaction, Write};
use jobs::{outcome, Asker, Job, Outcome, Task};
use notifications::Notifications;
pub use remote::Remote;
use rooms::{Directory, MemberRequest};
pub use router::Router;
use shared_sends::SharedSends;
pub use tail::follow;
use users::KnownUsers;

/// Changes waiting for the writer; beyond this, senders wait.
const QUEUE: usize = 4096;

pub struct Messaging {
    jobs: mpsc::Sender<Job>,
    /// Sends, edits and deletes: each stores a row's worth of text. One budget
    /// across nodes.
    sends: web::Data<SharedSends>,
    room_creations: RateLimiter<UserId>,
    /// Joins, leaves, additions and removals.
    membership: RateLimiter<UserId>,
    rooms: web::Data<Directory>,
    pruner: pruner::Pruner,
    metrics: web::Data<Metrics>,
}

/// What each user may change, per second after a burst.
#[derive(Debug, Clone, Copy)]
pub struct UserRates {
    /// Sends, edits and deletes together (`SEND_RATE`).
    pub send: Rate,
    /// Room creations (`ROOM_RATE`).
    pub room_create: Rate,
    /// Joins, leaves, additions and removals (`MEMBERSHIP_RATE`).
    pub membership: Rate,
}

/// A message as its sender wrote it, unchecked.
#[derive(Debug, Default)]
pub struct Draft {
    pub content: String,
    pub client_id: Option<String>,
    /// The ids of uploads it is to carry (at most [`MAX_ATTACHMENTS`]).
    pub attachments: Vec<String>,
    /// The message it answers.
    pub reply_to: Option<MessageId>,
}

impl Draft {
    fn attachment_ids(&self) -> Result<Vec<AttachmentId>, Error> {
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(Error::validation(
                "attachments",
                format!("a message carries at most {MAX_ATTACHMENTS} attachments"),
            ));
        }
        let mut ids: Vec<AttachmentId> = Vec::with_capacity(self.attachments.len());
        for id in &self.attachments {
            let parsed =
                AttachmentId::parse(id).ok_or_else(|| Error::InvalidAttachment(id.clone()))?;
            if ids.contains(&parsed) {
                return Err(Error::validation(
                    "attachments",
                    "each attachment may be named once",
                ));
            }
            ids.push(parsed);
        }
        Ok(ids)
    }
}

/// A stored message and how its send went.
pub struct Sent {
    pub message: Message,
    /// It already reached one of the recipient's sockets (never said of rooms).
    pub delivered: bool,
    /// It had been stored before, under the same client_id: nothing new happened.
    pub duplicate: bool,
}

/// What a commit sets going besides routing: the file sweeper (after a delete)
/// and Web Push (for new messages to people who are away).
pub struct AfterCommit {
    pub sweeper: Sweeper,
    pub notifications: Notifications,
}

/// How many rooms and users the writer keeps in memory: caches of the database,
/// so a smaller one costs lookups, never a different answer.
#[derive(Debug, Clone, Copy)]
pub struct Capacity {
    pub rooms: NonZeroUsize,
    pub users: NonZeroUsize,
}

impl Default for Capacity {
    fn default() -> Self {
        Self {
            rooms: NonZeroUsize::MIN.saturating_add(10_000 - 1),
            users: NonZeroUsize::MIN.saturating_add(100_000 - 1),
        }
    }
}

impl Messaging {
    /// Starts the writer and the history pruner on the current runtime; what the
    /// writer commits goes to `router`. Rooms keep `history_limit` messages unless
    /// their owner set another limit, and the writer caches as many rooms and users
    /// as `capacity` says.
    pub fn start(
        db: Db,
        router: web::Data<Router>,
        rates: UserRates,
        history_limit: i64,
        metrics: web::Data<Metrics>,
        capacity: Capacity,
        after: AfterCommit,
    ) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let rooms = web::Data::new(Directory::new(capacity.rooms));
        let AfterCommit {
            sweeper,
            notifications,
        } = after;
        let pruner = pruner::start(db.clone(), history_limit, sweeper.clone());
        let writer = writer::Writer {
            db,
            rooms: rooms.clone(),
            router,
            pruner: pruner.clone(),
            metrics: metrics.clone(),
            sweeper,
            notifications,
            mark: None,
        };
        tokio::spawn(writer.run(queue, KnownUsers::new(capacity.users)));
        Self {
            jobs,
            sends: web::Data::new(SharedSends::new(rates.send)),
            room_creations: RateLimiter::new(rates.room_create),
            membership: RateLimiter::new(rates.membership),
            rooms,
            pruner,
            metrics,
        }
    }

    /// A room's history limit changed: bring it within the new one soon.
    pub fn history_limit_changed(&self, room: RoomId) {
        self.pruner.notify(room);
    }

    /// Who is in which room, as of the last committed change.
    pub fn rooms(&self) -> &Directory {
        &self.rooms
    }

    /// Sends a message from `sender`'s connection `from` (if any).
    pub async fn send(
        &self,
        sender: UserId,
        from: Option<ConnectionId>,
        to: Chat,
        draft: Draft,
    ) -> Result<Sent, Error> {
        self.queue_send(sender, from, to, draft)
            .await?
            .outcome()
            .await
    }

    /// Checks a send and queues it for the writer, without waiting for it to be
    /// stored: a socket can have several sends in flight, and sends queued one
    /// after another are stored in that order.
    pub async fn queue_send(
        &self,
        sender: UserId,
        from: Option<ConnectionId>,
        to: Chat,
        draft: Draft,
    ) -> Result<QueuedSend, Error> {
        let attachments = draft.attachment_ids()?;
        let content = if attachments.is_empty() {
            MessageContent::parse(&draft.content)
        } else {
            MessageContent::parse_caption(&draft.content)
        };
        let content = content.map_err(invalid)?;
        let client_id = draft.client_id.as_deref().map(ClientId::parse);
        let client_id = client_id.transpose().map_err(invalid)?;
        if to == Chat::Direct(sender) {
            return Err(Error::validation(
                "recipient_id",
                "you cannot send a message to yourself",
            ));
        }
        self.limit_sends(sender)?;
        let write = Write::Send(NewMessage {
            sender,
            to,
            content,
            client_id,
            attachments,
            attached: Vec::new(),
            reply_to: draft.reply_to,
            quote: None,
            mentions: Vec::new(),
            at: now(),
        });
        let (job, sent) = Job::new(Task::Write(write), |reply| Asker::Send { from, reply });
        self.queue(job).await?;
        Ok(QueuedSend(sent))
    }

    /// Charges an upload to `user`'s send allowance: files are sends too.
    pub fn charge_upload(&self, user: UserId) -> Result<(), Error> {
        self.limit_sends(user)
    }

    /// Edits or deletes `message` on behalf of `editor`; returns it as it now reads.
    pub async fn change(
        &self,
        editor: UserId,
        message: MessageId,
        change: Change,
    ) -> Result<Message, Error> {
        let change = match change {
            Change::Edit(content) => {
                let content = MessageContent::parse(&content).map_err(invalid)?;
                Change::Edit(content.into())
            }
            Change::Delete => Change::Delete,
        };
        self.limit_sends(editor)?;
        let write = Write::Change {
            editor,
            message,
            change,
            at: now(),
        };
        let (job, changed) = Job::new(Task::Write(write), |reply| Asker::Change { message, reply });
        self.queue(job).await?;
        outcome(changed).await
    }

    /// Sets (`on`) or takes back `user`'s reaction to `message`; returns the
    /// message as it now reads. Either is a send, for the rate limit.
    pub async fn react(
        &self,
        user: UserId,
        message: MessageId,
        emoji: &str,
        on: bool,
    ) -> Result<Message, Error> {
        let emoji = Emoji::parse(emoji).ok_or(Error::InvalidEmoji)?;
        self.limit_sends(user)?;
        let write = Write::React(NewReaction {
            user,
            message,
            emoji,
            on,
            at: now(),
        });
        let (job, reacted) = Job::new(Task::Write(write), |reply| Asker::Change { message, reply });
        self.queue(job).await?;
        outcome(reacted).await
    }

    /// Creates a room owned by `owner`, its first member.
    pub async fn create_room(
        &self,
        owner: UserId,
        name: &str,
        kind: RoomKind,
    ) -> Result<Room, Error> {
        let name = RoomName::parse(name).map_err(invalid)?;
        self.limit(&self.room_creations, owner, Limiter::RoomCreate)?;
        let write = Write::CreateRoom(NewRoom {
            name: name.into(),
            kind,
            owner_id: owner,
            created_at: now(),
        });
        let (job, created) = Job::new(Task::Write(write), Asker::CreateRoom);
        self.queue(job).await?;
        outcome(created).await
    }

    /// Joins, leaves, adds or removes, as `actor`; the member event stored, or
    /// `None` when it was already so.
    pub async fn change_membership(
        &self,
        room: RoomId,
        actor: UserId,
        request: MemberRequest,
    ) -> Result<Option<Message>, Error> {
        self.limit(&self.membership, actor, Limiter::Membership)?;
        let task = Task::Member {
            room,
            actor,
            request,
            at: now(),
        };
        let (job, changed) = Job::new(task, Asker::Member);
        self.queue(job).await?;
        outcome(changed).await
    }

    /// Returns once every change queued before the call is stored (or refused).
    pub async fn flush(&self) -> Result<(), Error> {
        let (job, flushed) = Job::new(Task::Flush, Asker::Flush);
        self.queue(job).await?;
        outcome(flushed).await
    }

    /// Takes one of `user`'s tokens from `limiter`, or says how long to wait.
    fn limit_sends(&self, user: UserId) -> Result<(), Error> {
        self.sends.take(user).map_err(|wait| {
            self.metrics.rate_limited(Limiter::Send);
            Error::RateLimited(wait)
        })
    }

    /// Starts sharing each user's send budget with the other nodes on `bus`.
    pub fn share_sends(&self, bus: web::Data<Bus>) {
        SharedSends::share(self.sends.clone(), bus);
    }

    /// Charges what users sent through another node to their budget here.
    pub fn sent_elsewhere(&self, sends: &[(UserId, u32)]) {
        self.sends.drain(sends, &self.metrics);
    }

    fn limit(
        &self,
        limiter: &RateLimiter<UserId>,
        user: UserId,
        which: Limiter,
    ) -> Result<(), Error> {
        limiter.take(user).map_err(|wait| {
            self.metrics.rate_limited(which);
            Error::RateLimited(wait)
        })
    }

    async fn queue(&self, job: Job) -> Result<(), Error> {
        if self.jobs.send(job).await.is_err() {
            log::error!("the message writer has stopped");
            return Err(Error::Internal);
        }
        Ok(())
    }
}

/// A send in the writer's queue.
pub struct QueuedSend(Outcome<Sent>);

impl QueuedSend {
    /// Waits until the message is stored (or refused) and routed.
    pub async fn outcome(self) -> Result<Sent, Error> {
        outcome(self.0).await
    }
}

/// A refused text, answered as `validation_failed` on its field.
fn invalid(error: TextError) -> Error {
    Error::validation(error.field(), error.to_string())
}
