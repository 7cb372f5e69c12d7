//! A reaction's emoji: exactly one emoji as Unicode defines them (the `emojis`
//! crate's list), kept in its fully qualified form so that "❤" and "❤️" are one
//! reaction.

use std::fmt;

/// One emoji, fully qualified.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Emoji(&'static str);

impl Emoji {
    /// `None` unless `text` is exactly one emoji (any skin tone).
    pub fn parse(text: &str) -> Option<Self> {
        emojis::get(text).map(|emoji| Self(emoji.as_str()))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Emoji {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_emoji_in_its_qualified_form() {
        assert_eq!(Emoji::parse("👍").map(|e| e.as_str()), Some("👍"));
        assert_eq!(Emoji::parse("👍🏽").map(|e| e.as_str()), Some("👍🏽"));
        assert_eq!(Emoji::parse("❤").map(|e| e.as_str()), Some("❤️"));
        assert_eq!(Emoji::parse("❤️").map(|e| e.as_str()), Some("❤️"));
        assert_eq!(Emoji::parse("🇫🇷").map(|e| e.as_str()), Some("🇫🇷"));
    }

    #[test]
    fn not_text_nor_two_emoji() {
        for text in ["", "a", "+1", ":thumbsup:", "👍👍", " 👍", "👍 ", "<3"] {
            assert_eq!(Emoji::parse(text), None, "{text:?}");
        }
    }
}
