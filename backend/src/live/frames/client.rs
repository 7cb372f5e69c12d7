//! The frames a client sends, and how they are read: a frame that does not read
//! is answered with an error frame naming what is wrong.

use serde::Deserialize;
use serde_json::Value;

use crate::db::{MessageId, RoomId, UserId};
use crate::domain::text::MAX_CLIENT_ID_CHARS;

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
        /// The message this one answers: a message of the same chat, not deleted
        /// (else `reply_target_not_found`).
        #[serde(default)]
        #[schema(nullable = false)]
        reply_to: Option<MessageId>,
    },
    /// Sets or takes back your reaction to a message of a chat you are in. No
    /// reply on success: a `reaction` frame reaches every socket that sees the
    /// message, this one included. Setting what is set, or taking back what is
    /// not, changes nothing and sends nothing. Counts as a send for the rate limit.
    React {
        /// The message reacted to.
        message_id: MessageId,
        /// Exactly one emoji (any skin tone); a message has at most 20 different.
        #[schema(example = "👍")]
        emoji: String,
        /// `true` to set it, `false` to take it back.
        on: bool,
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
