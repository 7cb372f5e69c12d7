//! The WebSocket frames, both directions. Every frame is a JSON text frame with a
//! `type`; see docs/protocol.md.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::{messages::Message, Action, Kind, MessageId, RoomId, UserId};
use crate::domain::text::MAX_CLIENT_ID_CHARS;
use crate::domain::time::utc;
use crate::media::links::Links;
use crate::media::view::AttachmentView;

/// What a client may send.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Sends a message to a user or a room. The server answers each with exactly
    /// one `ack` or one `error`, in the order the frames were sent. `type` may be
    /// left out of a message frame.
    Message {
        /// The user to send to: they must exist and must not be you. Name either
        /// this or `room_id`.
        #[serde(default)]
        #[schema(nullable = false)]
        recipient_id: Option<UserId>,
        /// The room to send to; you must be a member.
        #[serde(default)]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
        /// Trimmed of leading and trailing whitespace; the rest is stored and must
        /// be 1 to 4000 characters (Unicode scalar values), or may be empty when
        /// the message carries attachments.
        #[serde(default)]
        content: String,
        /// Ids of files you uploaded (`POST /attachments`) and have not sent yet,
        /// 1 to 10, each once. The message carries them; anyone who can see it
        /// can fetch them.
        #[serde(default)]
        #[schema(max_items = 10)]
        attachments: Vec<String>,
        /// Your id for this message: 1 to 64 characters, unique among the
        /// messages you send. Sending it again stores nothing new and gets the
        /// same `message_id` back (`duplicate: true`). Shown to both sides.
        #[serde(default)]
        client_id: Option<String>,
    },
    /// Marks a conversation or a room read up to `up_to`. No reply on success.
    Read {
        /// The user whose messages you have read. Name either this or `room_id`.
        #[serde(default)]
        #[schema(nullable = false)]
        peer_id: Option<UserId>,
        /// The room you have read; you must be a member.
        #[serde(default)]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
        /// The id of the newest message you have read (1 or more). A read marker
        /// never moves back.
        up_to: MessageId,
    },
    /// Shows a typing indicator. Send it when typing starts and again about every
    /// 3 seconds while it goes on. No reply.
    Typing {
        /// Who you are typing to; must not be you. Name either this or `room_id`.
        #[serde(default)]
        #[schema(nullable = false)]
        recipient_id: Option<UserId>,
        /// The room you are typing in; you must be a member.
        #[serde(default)]
        #[schema(nullable = false)]
        room_id: Option<RoomId>,
    },
}

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

/// A client frame that could not be read, with the `client_id` it carried if any.
#[derive(Debug)]
pub struct FrameError {
    pub code: &'static str,
    pub message: String,
    pub client_id: Option<String>,
}

impl ClientFrame {
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| FrameError {
            code: "malformed_json",
            message: format!("frame is not valid JSON: {e}"),
            client_id: None,
        })?;
        let client_id = value
            .get("client_id")
            .and_then(Value::as_str)
            .filter(|id| id.chars().count() <= MAX_CLIENT_ID_CHARS)
            .map(str::to_owned);
        let Some(object) = value.as_object_mut() else {
            return Err(FrameError {
                code: "invalid_frame",
                message: "frame must be a JSON object with a \"type\"".into(),
                client_id,
            });
        };
        if !object.contains_key("type") {
            object.insert("type".into(), Value::from("message"));
        }
        serde_json::from_value(value).map_err(|e| FrameError {
            code: "invalid_frame",
            message: format!("frame has the wrong shape: {e}"),
            client_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_frame_may_omit_its_type() {
        let frame = ClientFrame::parse(r#"{"recipient_id": 2, "content": "hi"}"#).expect("parse");
        let ClientFrame::Message {
            recipient_id,
            content,
            client_id,
            ..
        } = frame
        else {
            panic!("not a message: {frame:?}");
        };
        assert_eq!(recipient_id, Some(UserId(2)));
        assert_eq!(content, "hi");
        assert_eq!(client_id, None);
    }

    #[test]
    fn read_and_typing_frames() {
        assert!(matches!(
            ClientFrame::parse(r#"{"type": "read", "peer_id": 2, "up_to": 9}"#),
            Ok(ClientFrame::Read {
                peer_id: Some(UserId(2)),
                room_id: None,
                up_to: MessageId(9)
            })
        ));
        assert!(matches!(
            ClientFrame::parse(r#"{"type": "typing", "recipient_id": 3}"#),
            Ok(ClientFrame::Typing {
                recipient_id: Some(UserId(3)),
                room_id: None
            })
        ));
    }

    #[test]
    fn bad_frames_name_what_is_wrong_and_keep_the_client_id() {
        let err = ClientFrame::parse("{nope").expect_err("malformed");
        assert_eq!(err.code, "malformed_json");

        let err = ClientFrame::parse(r#"{"type": "dance", "client_id": "c1"}"#).expect_err("type");
        assert_eq!(err.code, "invalid_frame");
        assert_eq!(err.client_id.as_deref(), Some("c1"));

        let err = ClientFrame::parse(r#"{"recipient_id": "two", "content": "x"}"#).expect_err("id");
        assert_eq!(err.code, "invalid_frame");

        let err = ClientFrame::parse("[1, 2]").expect_err("array");
        assert_eq!(err.code, "invalid_frame");
    }
}
