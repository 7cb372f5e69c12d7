//! What a reply shows of the message it answers.

use serde::{Deserialize, Serialize};

use super::{MessageId, UserId};

/// The most characters of the original a quote shows.
pub const PREVIEW_CHARS: usize = 200;

/// The original as a reply quotes it, kept on the reply's row and rewritten when
/// the original is edited or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Quote {
    /// The original message.
    pub id: MessageId,
    /// Who sent it.
    pub sender_id: UserId,
    /// Its first 200 characters as it reads now; `""` once deleted.
    pub preview: String,
    /// Whether it has been deleted.
    pub deleted: bool,
    /// How many files it carries (`0` once deleted): a quote of a photo with no
    /// text can say so.
    pub attachments: usize,
}

impl Quote {
    pub fn of(id: MessageId, sender_id: UserId, content: &str, attachments: usize) -> Self {
        Self {
            id,
            sender_id,
            preview: content.chars().take(PREVIEW_CHARS).collect(),
            deleted: false,
            attachments,
        }
    }

    /// The quote of the original once it is deleted.
    pub fn deleted(id: MessageId, sender_id: UserId) -> Self {
        Self {
            id,
            sender_id,
            preview: String::new(),
            deleted: true,
            attachments: 0,
        }
    }
}
