//! An attachment's id: opaque to clients, unguessable (it names a private file),
//! checked where it comes in.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

/// The most attachments one message carries.
pub const MAX_ATTACHMENTS: usize = 10;

/// 128 random bits, base64url: 22 characters of `A-Z a-z 0-9 - _`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttachmentId(String);

impl AttachmentId {
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// `None` unless `text` could be an id: every unknown id is "not found" alike,
    /// and this keeps odd text out of queries and storage keys.
    pub fn parse(text: &str) -> Option<Self> {
        let plausible = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plausible.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AttachmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_odd_text_does_not() {
        let id = AttachmentId::generate();
        assert_eq!(id.as_str().len(), 22);
        assert_eq!(AttachmentId::parse(id.as_str()), Some(id));
        for odd in ["", "../etc/passwd", "a b", "é", &"a".repeat(65)] {
            assert_eq!(AttachmentId::parse(odd), None, "{odd:?}");
        }
    }
}
