//! The WebSocket frames, both directions. Every frame is a JSON text frame with a
//! `type`; see docs/protocol.md.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::{MessageId, UserId};

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// A direct message. `type` may be left out of a message frame.
    Message {
        recipient_id: UserId,
        content: String,
        #[serde(default)]
        client_id: Option<String>,
    },
}

/// What the server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// The message is stored; `delivered` tells whether it already reached one of
    /// the recipient's sockets.
    Ack {
        message_id: MessageId,
        client_id: Option<&'a str>,
        created_at: DateTime<Utc>,
        delivered: bool,
    },
    Message {
        id: MessageId,
        sender_id: UserId,
        recipient_id: UserId,
        content: &'a str,
        created_at: DateTime<Utc>,
    },
    /// A frame was refused; nothing was stored. The socket stays open.
    Error {
        code: &'a str,
        message: &'a str,
        client_id: Option<&'a str>,
    },
}

impl ServerFrame<'_> {
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

pub const MAX_CLIENT_ID_CHARS: usize = 64;

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
        } = frame;
        assert_eq!(recipient_id, UserId(2));
        assert_eq!(content, "hi");
        assert_eq!(client_id, None);
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
