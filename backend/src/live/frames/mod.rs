//! The WebSocket frames, both directions. Every frame is a JSON text frame with a
//! `type`; see docs/protocol.md.

mod client;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{messages::Message, Action, Kind, MessageId, RoomId, UserId};
use crate::domain::time::utc;
use crate::domain::{Quote, ReactionCount};
use crate::media::links::Links;
use crate::media::view::AttachmentView;
pub use client::{ClientFrame, FrameError};

/// What the server sends. Fields marked "when set" are left out rather than
/// `null`: a direct message has `recipient_id`, a room message `room_id`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// Catch-up is over: sent exactly once, right after the replay, before any
    /// live frame.
    Ready {
        /// With `since`: the last replayed position, or `since` if nothing was
        /// replayed. Without `since`: the newest position in your stream. Use it
        /// as `since` next time unless a later stream frame has a higher cursor.
        cursor: MessageId,
    },
    /// Your message is stored (sent only after the commit), to the socket that
    /// sent it.
    Ack {
        /// The message's id, which is also its stream position.
        message_id: MessageId,
        /// The `client_id` of the frame this answers, or `null` if it had none.
        #[schema(required = true)]
        client_id: Option<&'a str>,
        /// When the message was stored; for a duplicate, when the original was.
        created_at: DateTime<Utc>,
        /// `true` if at least one of the recipient's sockets took it for writing
        /// (a `delivered` frame follows once it is written); `false` if none was
        /// open, or in a room, where delivery is not tracked. For a duplicate:
        /// whether the original has been delivered.
        delivered: bool,
        /// `true` if a message with this `client_id` was already stored: nothing
        /// new was stored or sent, and `message_id` is the original's.
        duplicate: bool,
    },
    /// A message in your stream, as it reads now. The same message can reach a
    /// socket twice: ignore one whose `id` you already have.
    Message {
        /// Its stream position, the same as `id`.
        cursor: MessageId,
        /// The message's id, the same as the sender's `ack.message_id`.
        id: MessageId,
        /// Who sent it. If that is you, it is a copy of a message you sent from
        /// another socket, or over REST.
        sender_id: UserId,
        /// Who it is for (a direct message).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        recipient_id: Option<UserId>,
        /// The room it was sent in (a room message).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
        /// The text as it reads now (trimmed; edited if it was edited); `""` once
        /// deleted.
        content: &'a str,
        /// The sender's `client_id`.
        #[schema(required = true)]
        client_id: Option<&'a str>,
        /// When it was stored.
        created_at: DateTime<Utc>,
        /// When it was last edited: always `null` live; replayed frames show the
        /// current state (`null` once deleted).
        #[schema(required = true)]
        edited_at: Option<DateTime<Utc>>,
        /// When it was deleted: only in replay, flush or `GET /events`, a
        /// tombstone with `content` `""`.
        #[schema(required = true)]
        deleted_at: Option<DateTime<Utc>>,
        /// The files it carries, with signed links (`[]` for none, and once
        /// deleted).
        attachments: Vec<AttachmentView>,
        /// The message it answers, as it reads now; `null` if it is not a reply.
        #[schema(required = true)]
        reply_to: Option<Quote>,
        /// Its reactions, in the order each emoji was first used (`[]` for none,
        /// and once deleted).
        reactions: Vec<ReactionCount>,
        /// The room members it mentions with `@username` (`[]` in direct
        /// messages, and once deleted).
        mentions: Vec<UserId>,
    },
    /// A message was edited (over REST), to every socket of both sides or every
    /// member of the room.
    Edited {
        /// The edit's own stream position (not the message's id).
        cursor: MessageId,
        /// The message that was edited.
        message_id: MessageId,
        /// The message's sender.
        sender_id: UserId,
        /// The message's recipient (a direct message).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        recipient_id: Option<UserId>,
        /// The message's room (a room message).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
        /// The new text, trimmed.
        content: &'a str,
        /// When it was edited.
        edited_at: DateTime<Utc>,
    },
    /// A message was deleted (over REST): its content is gone; show "This message
    /// was deleted".
    Deleted {
        /// The delete's own stream position.
        cursor: MessageId,
        /// The message that was deleted.
        message_id: MessageId,
        /// The message's sender.
        sender_id: UserId,
        /// The message's recipient (a direct message).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        recipient_id: Option<UserId>,
        /// The message's room (a room message).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
        /// When it was deleted.
        deleted_at: DateTime<Utc>,
    },
    /// Someone set or took back a reaction, to every socket of both sides or every
    /// member of the room.
    Reaction {
        /// The reaction's own stream position.
        cursor: MessageId,
        /// The message reacted to.
        message_id: MessageId,
        /// Who reacted.
        user_id: UserId,
        /// The other side of the direct message, from `user_id`'s point of view.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        recipient_id: Option<UserId>,
        /// The message's room (a room message).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
        /// The emoji, in its fully qualified form.
        #[schema(example = "👍")]
        emoji: &'a str,
        /// `true`: set; `false`: taken back.
        on: bool,
        /// When.
        at: DateTime<Utc>,
    },
    /// Someone joined, left, was added to or was removed from a room; to every
    /// member and to the user it is about.
    Member {
        /// Its stream position, the same as `id`.
        cursor: MessageId,
        /// The event's id in the room's history.
        id: MessageId,
        /// The room.
        #[schema(required = true)]
        room_id: Option<RoomId>,
        /// Who it happened to.
        user_id: UserId,
        /// What happened.
        action: Action,
        /// When it happened.
        created_at: DateTime<Utc>,
    },
    /// Messages you sent reached a socket of their recipient (direct messages only).
    Delivered {
        /// Messages you sent that were just written to a socket of their recipient
        /// for the first time, in ascending order.
        message_ids: &'a [MessageId],
        /// When that was recorded (their `delivered_at`).
        at: DateTime<Utc>,
    },
    /// A read marker moved. When `peer_id` is you, your messages were read; when
    /// `reader_id` is you, you read them on another device.
    Read {
        /// Who read.
        reader_id: UserId,
        /// Whose messages were read (a direct conversation).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        peer_id: Option<UserId>,
        /// The room that was read.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
        /// Every message up to this id is now read: the value the reader sent.
        up_to: MessageId,
        /// When the newly read messages were marked (their `read_at`).
        at: DateTime<Utc>,
    },
    /// Someone is typing to you, or in a room you are in, or stopped.
    Typing {
        /// Who is typing.
        user_id: UserId,
        /// The room they are typing in; absent for a direct conversation.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
        /// `true`: show the indicator until `expires_at`. `false`: hide it now.
        typing: bool,
        /// With `typing: true`, when the indicator lapses unless renewed (5
        /// seconds after the signal); `null` with `typing: false`.
        #[schema(required = true)]
        expires_at: Option<DateTime<Utc>>,
    },
    /// You muted or unmuted a chat (on any device): to every socket of yours.
    Muted {
        /// The direct conversation with this user.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        peer_id: Option<UserId>,
        /// The room.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
        /// Muted until then; `null`: unmuted.
        #[schema(required = true)]
        until: Option<DateTime<Utc>>,
    },
    /// Someone you share a conversation with came online or went offline.
    Presence {
        /// Whose presence changed.
        user_id: UserId,
        /// Whether they have at least one socket open.
        online: bool,
        /// `null` when online; when offline, about when their last socket closed.
        #[schema(required = true)]
        last_seen: Option<DateTime<Utc>>,
    },
    /// A frame was refused; nothing was stored. The socket stays open.
    Error {
        /// A stable machine code (see Error codes); match on this.
        code: &'a str,
        /// A human explanation. Do not match on it.
        message: &'a str,
        /// For a `message` frame, the `client_id` it carried. For a frame that
        /// could not be read, the value under `client_id` if it was a string of at
        /// most 64 characters. Otherwise `null`.
        #[schema(required = true)]
        client_id: Option<&'a str>,
        /// Only with `rate_limited` and `unavailable`: milliseconds to wait before
        /// sending the frame again (an unavailable database: with the same
        /// `client_id`).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        retry_after_ms: Option<u64>,
    },
}

impl<'a> ServerFrame<'a> {
    /// The stream frame for a row: the message as it reads now, or the edit or
    /// delete event.
    pub fn stream(row: &'a Message, links: &Links) -> Self {
        let target = row.target_id.unwrap_or(row.id);
        match row.kind {
            Kind::Message => Self::Message {
                cursor: row.id,
                id: row.id,
                sender_id: row.sender_id,
                recipient_id: row.recipient_id,
                room_id: row.room_id,
                content: &row.content,
                client_id: row.client_id.as_deref(),
                created_at: utc(row.created_at),
                edited_at: row.edited_at.map(utc),
                deleted_at: row.deleted_at.map(utc),
                attachments: links.views(&row.attachments()),
                reply_to: row.quote(),
                reactions: row.reactions().0,
                mentions: row.mentions(),
            },
            Kind::Edit => Self::Edited {
                cursor: row.id,
                message_id: target,
                sender_id: row.sender_id,
                recipient_id: row.recipient_id,
                room_id: row.room_id,
                content: &row.content,
                edited_at: utc(row.created_at),
            },
            Kind::Delete => Self::Deleted {
                cursor: row.id,
                message_id: target,
                sender_id: row.sender_id,
                recipient_id: row.recipient_id,
                room_id: row.room_id,
                deleted_at: utc(row.created_at),
            },
            Kind::Reacted | Kind::Unreacted => Self::Reaction {
                cursor: row.id,
                message_id: target,
                user_id: row.sender_id,
                recipient_id: row.recipient_id,
                room_id: row.room_id,
                emoji: &row.content,
                on: row.kind == Kind::Reacted,
                at: utc(row.created_at),
            },
            Kind::Member(action) => Self::Member {
                cursor: row.id,
                id: row.id,
                room_id: row.room_id,
                user_id: row.sender_id,
                action,
                created_at: utc(row.created_at),
            },
        }
    }

    pub fn error(code: &'a str, message: &'a str, client_id: Option<&'a str>) -> Self {
        Self::Error {
            code,
            message,
            client_id,
            retry_after_ms: None,
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail: every key is a string and no
        // value has a fallible `Serialize`.
        serde_json::to_string(self).unwrap_or_default()
    }
}
