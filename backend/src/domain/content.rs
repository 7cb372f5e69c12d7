//! Text people send, checked once where it comes in: a message's content, the
//! client's id for a send, and a room's name.

use std::fmt;

use super::text::{storable, MAX_CLIENT_ID_CHARS, MAX_CONTENT_CHARS, MAX_ROOM_NAME_CHARS};

/// Why a text was refused; `field` names it as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} must be at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} must be 1 to {max} characters")]
    Length { field: &'static str, max: usize },
    /// One of the backends cannot store it (see [`storable`]).
    #[error("{field} must not contain NUL (U+0000) characters")]
    Nul { field: &'static str },
}

impl TextError {
    pub fn field(&self) -> &'static str {
        match self {
            Self::Empty { field }
            | Self::TooLong { field, .. }
            | Self::Length { field, .. }
            | Self::Nul { field } => field,
        }
    }
}

/// A message's text: trimmed, not empty, at most [`MAX_CONTENT_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent(String);

impl MessageContent {
    pub fn parse(text: &str) -> Result<Self, TextError> {
        const FIELD: &str = "content";
        let text = text.trim();
        if text.is_empty() {
            return Err(TextError::Empty { field: FIELD });
        }
        if text.chars().count() > MAX_CONTENT_CHARS {
            let max = MAX_CONTENT_CHARS;
            return Err(TextError::TooLong { field: FIELD, max });
        }
        stored(FIELD, text).map(Self)
    }

    /// The text of a message that carries files: it may be empty.
    pub fn parse_caption(text: &str) -> Result<Self, TextError> {
        if text.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        Self::parse(text)
    }
}

/// The id a client gives a send, to recognise it when sent again: 1 to
/// [`MAX_CLIENT_ID_CHARS`], kept as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(text: &str) -> Result<Self, TextError> {
        bounded("client_id", text, MAX_CLIENT_ID_CHARS).map(Self)
    }
}

/// A room's name: trimmed, 1 to [`MAX_ROOM_NAME_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomName(String);

impl RoomName {
    pub fn parse(text: &str) -> Result<Self, TextError> {
        bounded("name", text.trim(), MAX_ROOM_NAME_CHARS).map(Self)
    }
}

fn bounded(field: &'static str, text: &str, max: usize) -> Result<String, TextError> {
    if text.is_empty() || text.chars().count() > max {
        return Err(TextError::Length { field, max });
    }
    stored(field, text)
}

fn stored(field: &'static str, text: &str) -> Result<String, TextError> {
    if storable(text) {
        Ok(text.to_owned())
    } else {
        Err(TextError::Nul { field })
    }
}

macro_rules! text_type {
    ($($name:ident),*) => {$(
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(text: $name) -> Self {
                text.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
text_type!(MessageContent, ClientId, RoomName);

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl fmt::Debug, TextError>) -> String {
        result.map_or_else(|e| format!("{}: {e}", e.field()), |_| "ok".into())
    }

    #[test]
    fn content_is_trimmed_and_bounded() {
        let hi = MessageContent::parse("  hi \n").map(String::from);
        assert_eq!(hi.ok().as_deref(), Some("hi"));
        assert_eq!(
            message(MessageContent::parse(" \n\t ")),
            "content: content must not be empty"
        );
        assert!(MessageContent::parse(&"é".repeat(MAX_CONTENT_CHARS)).is_ok());
        assert_eq!(
            message(MessageContent::parse(&"é".repeat(MAX_CONTENT_CHARS + 1))),
            "content: content must be at most 4000 characters"
        );
        assert_eq!(
            message(MessageContent::parse("a\0b")),
            "content: content must not contain NUL (U+0000) characters"
        );
    }

    #[test]
    fn client_ids_and_room_names_are_bounded() {
        assert_eq!(
            message(ClientId::parse("")),
            "client_id: client_id must be 1 to 64 characters"
        );
        assert_eq!(
            ClientId::parse(" a ").map(String::from).ok().as_deref(),
            Some(" a ")
        );
        assert_eq!(
            message(RoomName::parse("  ")),
            "name: name must be 1 to 64 characters"
        );
        assert_eq!(
            RoomName::parse(" general ")
                .map(String::from)
                .ok()
                .as_deref(),
            Some("general")
        );
        assert_eq!(
            message(RoomName::parse("a\0")),
            "name: name must not contain NUL (U+0000) characters"
        );
    }
}
