//! What the writer stores, and how: a batch of [`Write`]s becomes one transaction
//! of small `db` calls on one connection, in order, so each row gets a stream
//! position above every earlier one.

mod reactions;

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::db::attachments::Attached;
use crate::db::messages::{Message, NewRow, Rewrite};
use crate::db::rooms::{NewRoom, Room};
use crate::db::{self, Action, Chat, DbConn, Kind, MessageId, Role, RoomId, UserId};
use crate::domain::{AttachmentId, ClientId, Emoji, MessageContent, Quote};

/// A new message, as sent.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender: UserId,
    pub to: Chat,
    pub content: MessageContent,
    pub client_id: Option<ClientId>,
    /// The uploads it is to carry, as asked.
    pub attachments: Vec<AttachmentId>,
    /// The same, as checked by the writer (see `writer::check`).
    pub attached: Vec<Attached>,
    /// The message it answers, as asked.
    pub reply_to: Option<MessageId>,
    /// The same, as checked and quoted by the writer.
    pub quote: Option<Quote>,
    /// The room members it mentions, as resolved by the writer.
    pub mentions: Vec<UserId>,
    pub at: NaiveDateTime,
}

/// A reaction set or taken back.
#[derive(Debug, Clone)]
pub struct NewReaction {
    pub user: UserId,
    pub message: MessageId,
    pub emoji: Emoji,
    /// Set (`true`) or taken back.
    pub on: bool,
    pub at: NaiveDateTime,
}

/// One change to the stream, stored by [`store`].
#[derive(Debug, Clone)]
pub enum Write {
    Send(NewMessage),
    Change {
        editor: UserId,
        message: MessageId,
        change: Change,
        at: NaiveDateTime,
    },
    React(NewReaction),
    /// A room's membership changes; its rules were checked by the caller.
    Member(MemberChange),
    CreateRoom(NewRoom),
}

#[derive(Debug, Clone)]
pub struct MemberChange {
    pub room: RoomId,
    pub user: UserId,
    pub action: Action,
    pub at: NaiveDateTime,
    /// Takes the room over (when its owner leaves).
    pub new_owner: Option<UserId>,
}

#[derive(Debug, Clone)]
pub enum Change {
    Edit(String),
    Delete,
}

/// What became of a [`Write`].
#[derive(Debug)]
pub enum Written {
    /// Stored; or, when `duplicate`, found already stored under the same client_id.
    Sent {
        message: Message,
        duplicate: bool,
    },
    /// The message now reads as `message`; `event` is the edit or delete row.
    Changed {
        message: Message,
        event: Message,
    },
    /// Deleting what was already deleted, or setting a reaction already set,
    /// changes nothing: the message as it reads.
    Unchanged(Message),
    /// A reaction was set or taken back: the message with its new summary, and
    /// the reaction event.
    Reacted {
        message: Message,
        event: Message,
    },
    /// The member event stored for a [`Write::Member`].
    Member(Message),
    RoomCreated {
        room: Room,
        event: Message,
    },
    Refused(Refusal),
}

impl Written {
    /// The row this write added to the stream, if any.
    pub fn row(&self) -> Option<&Message> {
        match self {
            Self::Sent {
                message,
                duplicate: false,
            } => Some(message),
            Self::Changed { event, .. }
            | Self::Reacted { event, .. }
            | Self::Member(event)
            | Self::RoomCreated { event, .. } => Some(event),
            Self::Sent { .. } | Self::Unchanged(_) | Self::Refused(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such message in the caller's conversations.
    NotFound,
    /// Only the sender may change a message.
    NotSender,
    /// A deleted message cannot be edited.
    Deleted,
    /// Another public room has that name.
    NameTaken,
    /// The message has as many distinct emoji as it may.
    TooManyReactions,
}

impl Write {
    fn as_send(&self) -> Option<&NewMessage> {
        match self {
            Self::Send(send) => Some(send),
            _ => None,
        }
    }
}

/// Stores `writes` on `conn`, in order, inside the caller's transaction.
/// Recipients must exist (see `users::existing`), and member changes must follow
/// the room's rules (see `super::rooms`).
pub async fn store(conn: &mut DbConn<'_>, writes: &[Write]) -> db::Result<Vec<Written>> {
    let mut written = Vec::with_capacity(writes.len());
    let mut rest = writes;
    while let Some(write) = rest.first() {
        let stored = match write {
            Write::Send(_) => {
                // Consecutive sends share one multi-row INSERT (group commit).
                let sends: Vec<&NewMessage> = rest.iter().map_while(Write::as_send).collect();
                rest = &rest[sends.len()..];
                written.extend(send(conn, &sends).await?);
                continue;
            }
            Write::Change {
                editor,
                message,
                change,
                at,
            } => change_message(conn, *editor, *message, change, *at).await?,
            Write::React(reaction) => reactions::react(conn, reaction).await?,
            Write::Member(member) => Written::Member(change_membership(conn, member).await?),
            Write::CreateRoom(new) => create_room(conn, new).await?,
        };
        rest = &rest[1..];
        written.push(stored);
    }
    Ok(written)
}

async fn send(conn: &mut DbConn<'_>, sends: &[&NewMessage]) -> db::Result<Vec<Written>> {
    let rows: Vec<NewRow> = sends
        .iter()
        .map(|send| {
            let content = send.content.to_string();
            let client_id = send.client_id.as_ref().map(ClientId::to_string);
            NewRow::message(send.sender, send.to, content, client_id, send.at)
                .carrying(&send.attached)
                .quoting(send.quote.as_ref())
                .mentioning(&send.mentions)
        })
        .collect();
    let inserted = db::messages::insert_messages(&mut *conn, &rows).await?;
    let mut newest: HashMap<RoomId, &Message> = HashMap::new();
    for row in inserted.iter().flatten() {
        if let Some(room) = row.room_id {
            newest.insert(room, row);
        }
    }
    for (room, row) in newest {
        db::rooms::touch(&mut *conn, room, row).await?;
    }
    for (send, row) in sends.iter().zip(&inserted) {
        let Some(row) = row else { continue };
        if !send.attached.is_empty() {
            let ids: Vec<&str> = send.attached.iter().map(|a| a.id.as_str()).collect();
            db::attachments::attach(&mut *conn, &ids, row.id).await?;
        }
        if let (Some(room), false) = (row.room_id, send.mentions.is_empty()) {
            db::mentions::insert(&mut *conn, room, row.id, &send.mentions).await?;
        }
    }
    let mut written = Vec::with_capacity(sends.len());
    for (send, row) in sends.iter().zip(inserted) {
        written.push(match row {
            Some(message) => Written::Sent {
                message,
                duplicate: false,
            },
            // Only the (sender, client_id) key can conflict.
            None => Written::Sent {
                message: db::messages::find_sent(
                    &mut *conn,
                    send.sender,
                    send.client_id.as_ref().map(ClientId::as_str),
                )
                .await?,
                duplicate: true,
            },
        });
    }
    Ok(written)
}

async fn change_message(
    conn: &mut DbConn<'_>,
    editor: UserId,
    id: MessageId,
    change: &Change,
    at: NaiveDateTime,
) -> db::Result<Written> {
    let (kind, rewrite) = match change {
        Change::Edit(content) => (
            Kind::Edit,
            Rewrite {
                content,
                edited_at: Some(at),
                deleted_at: None,
            },
        ),
        Change::Delete => (
            Kind::Delete,
            Rewrite {
                content: "",
                edited_at: None,
                deleted_at: Some(at),
            },
        ),
    };
    let content = rewrite.content;
    let Some(message) = db::messages::update_sent(&mut *conn, editor, id, rewrite).await? else {
        let current = db::messages::find_message(&mut *conn, id).await?;
        let in_room = match current.as_ref().and_then(|m| m.room_id) {
            Some(room) => db::rooms::membership(&mut *conn, room, editor)
                .await?
                .is_some(),
            None => true,
        };
        return Ok(unchangeable(current.filter(|_| in_room), editor, change));
    };
    let quote = match change {
        Change::Edit(_) => message.as_quoted(),
        Change::Delete => {
            // Earlier edits carry the text too: it goes as well; so do its files
            // (nothing else refers to them), once the sweeper gets to them, and
            // its reactions and mentions.
            db::messages::clear_edits_of(&mut *conn, message.id).await?;
            db::attachments::discard_of(&mut *conn, message.id, at).await?;
            db::reactions::delete_of(&mut *conn, message.id).await?;
            db::mentions::delete_of(&mut *conn, message.id).await?;
            Quote::deleted(message.id, message.sender_id)
        }
    };
    db::messages::requote(&mut *conn, &quote).await?;
    let Some(event) = NewRow::event_about(&message, editor, kind, content, at) else {
        return Ok(Written::Refused(Refusal::NotFound));
    };
    let event = db::messages::insert_event(&mut *conn, &event).await?;
    Ok(Written::Changed { message, event })
}

/// Why a change matched no row: the rule on who may change a message.
fn unchangeable(current: Option<Message>, editor: UserId, change: &Change) -> Written {
    match current {
        Some(message) if message.sender_id == editor => match change {
            Change::Delete => Written::Unchanged(message),
            Change::Edit(_) => Written::Refused(Refusal::Deleted),
        },
        Some(message) if message.recipient_id == Some(editor) || message.room_id.is_some() => {
            Written::Refused(Refusal::NotSender)
        }
        _ => Written::Refused(Refusal::NotFound),
    }
}

/// Stores a member event and the membership it records; returns the event.
async fn change_membership(conn: &mut DbConn<'_>, change: &MemberChange) -> db::Result<Message> {
    let (room, user, at) = (change.room, change.user, change.at);
    let event = joined_or_left(conn, room, user, change.action, Role::Member, at).await?;
    if let Some(owner) = change.new_owner {
        db::rooms::hand_over(&mut *conn, room, owner).await?;
    }
    Ok(event)
}

async fn create_room(conn: &mut DbConn<'_>, new: &NewRoom) -> db::Result<Written> {
    let Some(room) = db::rooms::insert(&mut *conn, new).await? else {
        return Ok(Written::Refused(Refusal::NameTaken));
    };
    let (owner, at) = (room.owner_id, room.created_at);
    let event = joined_or_left(conn, room.id, owner, Action::Joined, Role::Owner, at).await?;
    Ok(Written::RoomCreated { room, event })
}

/// The member event of `user`'s `action` in `room`, their membership row (as
/// `role` when they enter), and the room's activity.
async fn joined_or_left(
    conn: &mut DbConn<'_>,
    room: RoomId,
    user: UserId,
    action: Action,
    role: Role,
    at: NaiveDateTime,
) -> db::Result<Message> {
    let event = NewRow::member_event(room, user, Kind::Member(action), at);
    let event = db::messages::insert_event(&mut *conn, &event).await?;
    if action.is_entry() {
        // What came before joining is not unread.
        db::rooms::add_member(&mut *conn, room, user, role, at, event.id).await?;
    } else {
        db::rooms::remove_member(&mut *conn, room, user).await?;
    }
    db::rooms::touch(&mut *conn, room, &event).await?;
    Ok(event)
}
