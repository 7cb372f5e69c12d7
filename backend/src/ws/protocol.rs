//! The WebSocket frames, both directions. Every frame is a JSON text frame with a
//! `type`; see docs/protocol.md.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::{messages::Message, Action, Kind, MessageId, RoomId, UserId};
use crate::messaging::MAX_CLIENT_ID_CHARS;

/// What a client may send.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// A message to a user (`recipient_id`) or a room (`room_id`). `type` may be
    /// left out of a message frame.
    Message {
        #[serde(default)]
        recipient_id: Option<UserId>,
        #[serde(default)]
        room_id: Option<RoomId>,
        content: String,
        #[serde(default)]
        client_id: Option<String>,
    },
    /// "I have read everything from `peer_id` (or in `room_id`) up to `up_to`."
    Read {
        #[serde(default)]
        peer_id: Option<UserId>,
        #[serde(default)]
        room_id: Option<RoomId>,
        up_to: MessageId,
    },
    /// "I am typing to `recipient_id` (or in `room_id`)": renew every few seconds
    /// while typing.
    Typing {
        #[serde(default)]
        recipient_id: Option<UserId>,
        #[serde(default)]
        room_id: Option<RoomId>,
    },
}

/// What the server sends.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// Catch-up is over: everything up to `cursor` has been sent.
    Ready { cursor: MessageId },
    /// The message is stored; `delivered` tells whether it already reached one of
    /// the recipient's sockets; `duplicate` that it was stored before, under the
    /// same client_id.
    Ack {
        message_id: MessageId,
        client_id: Option<&'a str>,
        created_at: DateTime<Utc>,
        delivered: bool,
        duplicate: bool,
    },
    /// A message, as it reads now. `cursor` is its stream position (its id).
    Message {
        cursor: MessageId,
        id: MessageId,
        sender_id: UserId,
        #[serde(skip_serializing_if = "Option::is_none")]
        recipient_id: Option<UserId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        room_id: Option<RoomId>,
        content: &'a str,
        client_id: Option<&'a str>,
        created_at: DateTime<Utc>,
        edited_at: Option<DateTime<Utc>>,
        deleted_at: Option<DateTime<Utc>>,
    },
    Edited {
        cursor: MessageId,
        message_id: MessageId,
        sender_id: UserId,
        #[serde(skip_serializing_if = "Option::is_none")]
        recipient_id: Option<UserId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        room_id: Option<RoomId>,
        content: &'a str,
        edited_at: DateTime<Utc>,
    },
    Deleted {
        cursor: MessageId,
        message_id: MessageId,
        sender_id: UserId,
        #[serde(skip_serializing_if = "Option::is_none")]
        recipient_id: Option<UserId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        room_id: Option<RoomId>,
        deleted_at: DateTime<Utc>,
    },
    /// `user_id` joined, left, was added to or was removed from `room_id`.
    Member {
        cursor: MessageId,
        id: MessageId,
        room_id: Option<RoomId>,
        user_id: UserId,
        action: Action,
        created_at: DateTime<Utc>,
    },
    /// These messages of yours reached a socket of their recipient.
    Delivered {
        message_ids: &'a [MessageId],
        at: DateTime<Utc>,
    },
    /// `reader_id` has read everything `peer_id` sent them (or everything in
    /// `room_id`) up to `up_to`.
    Read {
        reader_id: UserId,
        #[serde(skip_serializing_if = "Option::is_none")]
        peer_id: Option<UserId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        room_id: Option<RoomId>,
        up_to: MessageId,
        at: DateTime<Utc>,
    },
    Typing {
        user_id: UserId,
        #[serde(skip_serializing_if = "Option::is_none")]
        room_id: Option<RoomId>,
        typing: bool,
        expires_at: Option<DateTime<Utc>>,
    },
    Presence {
        user_id: UserId,
        online: bool,
        last_seen: Option<DateTime<Utc>>,
    },
    /// A frame was refused; nothing was stored. The socket stays open.
    Error {
        code: &'a str,
        message: &'a str,
        client_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
}

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

impl<'a> ServerFrame<'a> {
    /// The stream frame for a row: the message as it reads now, or the edit or
    /// delete event.
    pub fn stream(row: &'a Message) -> Self {
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
