//! Sending a direct message: validate, store, then route to every socket that should
//! see it. Used by the WebSocket session; the order (store before anything else) is
//! what makes an acknowledgement a promise.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

use crate::db::{self, messages::NewMessage, Db, UserId};
use crate::error::Error;
use crate::ws::hub::{ConnectionId, Delivery, Hub};
use crate::ws::protocol::ServerFrame;

pub const MAX_CONTENT_CHARS: usize = 4000;

/// A stored message and whether it already reached one of the recipient's sockets.
pub struct Sent {
    pub message: db::messages::Message,
    pub delivered: bool,
}

/// The time as stored: UTC, to the millisecond, identical on every backend.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(3)
}

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// Trims `content` and checks its length.
pub fn validate_content(content: &str) -> Result<&str, Error> {
    let content = content.trim();
    if content.is_empty() {
        return Err(Error::validation("content", "content must not be empty"));
    }
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(Error::validation(
            "content",
            format!("content must be at most {MAX_CONTENT_CHARS} characters"),
        ));
    }
    Ok(content)
}

/// Stores the message, then hands it to the recipient's sockets and to the sender's
/// other sockets (all but `from`).
pub async fn send_direct(
    db: &Db,
    hub: &Hub,
    sender: UserId,
    from: Option<ConnectionId>,
    recipient: UserId,
    content: &str,
) -> Result<Sent, Error> {
    let content = validate_content(content)?;
    if recipient == sender {
        return Err(Error::validation(
            "recipient_id",
            "you cannot send a message to yourself",
        ));
    }
    let message = db::messages::insert(
        db,
        NewMessage {
            sender_id: sender,
            recipient_id: recipient,
            content,
            created_at: now(),
        },
    )
    .await?
    .ok_or(Error::UserNotFound(recipient.0))?;

    let frame = ServerFrame::Message {
        id: message.id,
        sender_id: message.sender_id,
        recipient_id: message.recipient_id,
        content: &message.content,
        created_at: utc(message.created_at),
    };
    let delivery = Delivery::new(message.id, recipient, frame.to_json());
    let delivered = hub.route(recipient, None, &delivery) > 0;
    hub.route(sender, from, &delivery);
    Ok(Sent { message, delivered })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_bounded() {
        assert_eq!(validate_content("  hi \n").ok(), Some("hi"));
        assert!(validate_content(" \n\t ").is_err());
        assert!(validate_content(&"é".repeat(MAX_CONTENT_CHARS)).is_ok());
        assert!(validate_content(&"é".repeat(MAX_CONTENT_CHARS + 1)).is_err());
    }
}
