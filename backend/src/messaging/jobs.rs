//! What callers queue for the writer, each kind with its own typed reply (as in
//! actix's `chat-actorless`): a send is answered with a [`Sent`], an edit with the
//! message as it now reads, and so on.

use chrono::NaiveDateTime;
use tokio::sync::oneshot;

use super::batch::{Refusal, Write, Written};
use super::rooms::MemberRequest;
use super::Sent;
use crate::db::messages::Message;
use crate::db::rooms::Room;
use crate::db::{MessageId, RoomId, UserId};
use crate::error::Error;
use crate::live::hub::ConnectionId;

pub type Reply<T> = oneshot::Sender<Result<T, Error>>;
pub type Outcome<T> = oneshot::Receiver<Result<T, Error>>;

pub struct Job {
    pub task: Task,
    pub asker: Asker,
}

pub enum Task {
    Write(Write),
    /// A membership change, decided by the writer against the room as it stands.
    Member {
        room: RoomId,
        actor: UserId,
        request: MemberRequest,
        at: NaiveDateTime,
    },
    /// Stores nothing: answered once everything queued before it is stored.
    Flush,
}

/// Who waits for a job, and for what.
pub enum Asker {
    Send {
        /// The connection that asked, which gets an ack instead of a copy.
        from: Option<ConnectionId>,
        reply: Reply<Sent>,
    },
    Change {
        message: MessageId,
        reply: Reply<Message>,
    },
    CreateRoom(Reply<Room>),
    /// The member event stored, or `None` when it was already so.
    Member(Reply<Option<Message>>),
    Flush(Reply<()>),
}

impl Job {
    /// A job and the receiver of its reply: `asker` makes the reply's sender.
    pub fn new<T>(task: Task, asker: impl FnOnce(Reply<T>) -> Asker) -> (Self, Outcome<T>) {
        let (reply, outcome) = oneshot::channel();
        let asker = asker(reply);
        (Self { task, asker }, outcome)
    }
}

impl Asker {
    pub fn from(&self) -> Option<ConnectionId> {
        match self {
            Self::Send { from, .. } => *from,
            _ => None,
        }
    }

    /// Answers with what the job's write became (`delivered`: a new direct message
    /// reached one of its recipient's sockets). The asker may have gone away: the
    /// change is stored all the same.
    pub fn stored(self, written: Written, delivered: bool) {
        match (self, written) {
            (Self::Send { reply, .. }, Written::Sent { message, duplicate }) => {
                let _ = reply.send(Ok(Sent {
                    message,
                    delivered,
                    duplicate,
                }));
            }
            (
                Self::Change { reply, .. },
                Written::Changed { message, .. }
                | Written::Reacted { message, .. }
                | Written::Unchanged(message),
            ) => {
                let _ = reply.send(Ok(message));
            }
            (Self::CreateRoom(reply), Written::RoomCreated { room, .. }) => {
                let _ = reply.send(Ok(room));
            }
            (Self::Member(reply), Written::Member(event)) => {
                let _ = reply.send(Ok(Some(event)));
            }
            (Self::Change { message, reply }, Written::Refused(refusal)) => {
                let _ = reply.send(Err(refused(refusal, message)));
            }
            (Self::CreateRoom(reply), Written::Refused(refusal)) => {
                let _ = reply.send(Err(refused(refusal, MessageId(0))));
            }
            // `batch::store` answers each write with its own kind.
            (asker, written) => {
                log::error!("a write of one kind was answered as another: {written:?}");
                asker.refuse(Error::Internal);
            }
        }
    }

    /// Answers a job that needed nothing stored.
    pub fn already_so(self) {
        match self {
            Self::Flush(reply) => {
                let _ = reply.send(Ok(()));
            }
            Self::Member(reply) => {
                let _ = reply.send(Ok(None));
            }
            // Only flushes and membership changes can find nothing to do.
            asker => {
                log::error!("a write was found to need nothing stored");
                asker.refuse(Error::Internal);
            }
        }
    }

    pub fn refuse(self, error: Error) {
        // The asker may have gone away; nothing is left to tell it then.
        match self {
            Self::Send { reply, .. } => drop(reply.send(Err(error))),
            Self::Change { reply, .. } => drop(reply.send(Err(error))),
            Self::CreateRoom(reply) => drop(reply.send(Err(error))),
            Self::Member(reply) => drop(reply.send(Err(error))),
            Self::Flush(reply) => drop(reply.send(Err(error))),
        }
    }
}

fn refused(refusal: Refusal, message: MessageId) -> Error {
    match refusal {
        Refusal::NotFound => Error::MessageNotFound(message.0),
        Refusal::NotSender => Error::NotSender,
        Refusal::Deleted => Error::MessageDeleted,
        Refusal::NameTaken => Error::RoomNameTaken,
        Refusal::TooManyReactions => Error::TooManyReactions,
    }
}

/// Waits for a job's reply.
pub async fn outcome<T>(outcome: Outcome<T>) -> Result<T, Error> {
    outcome.await.map_err(|_| {
        log::error!("the message writer dropped a job");
        Error::Internal
    })?
}
