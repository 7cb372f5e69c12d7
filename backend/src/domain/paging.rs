//! What a list request may ask for: how many items, and the text it searches by.
//! Each list documents its own default and maximum; the rules are these.

use super::{Invalid, MessageId};

/// A list's page size when none is asked for, and the most it gives at once.
#[derive(Debug, Clone, Copy)]
pub struct PageSize {
    pub default: i64,
    pub max: i64,
}

/// How many items a page holds: 1 to the list's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(i64);

impl Limit {
    /// `raw`, or the list's default when the request names none.
    pub fn parse(raw: Option<i64>, size: PageSize) -> Result<Self, Invalid> {
        let limit = raw.unwrap_or(size.default);
        if !(1..=size.max).contains(&limit) {
            return Err(Invalid::new(
                "limit",
                format!("limit must be between 1 and {}", size.max),
            ));
        }
        Ok(Self(limit))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// The same, as a length; never negative.
    pub fn count(self) -> usize {
        usize::try_from(self.0).unwrap_or(0)
    }
}

/// A stream position to read after (`field`, as the request names it): 0, the
/// start, or more.
pub fn stream_position(field: &'static str, raw: i64) -> Result<MessageId, Invalid> {
    if raw < 0 {
        return Err(Invalid::new(
            field,
            format!("{field} must be a stream position (0 or more)"),
        ));
    }
    Ok(MessageId(raw))
}

/// The text a list is searched by (`q`): trimmed, and at most a list's maximum of
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// `None` when there is nothing to search by (absent, or only blanks).
    pub fn parse(raw: Option<&str>, max_chars: usize) -> Result<Option<Self>, Invalid> {
        let Some(text) = raw.map(str::trim).filter(|text| !text.is_empty()) else {
            return Ok(None);
        };
        if text.chars().count() > max_chars {
            return Err(Invalid::new(
                "q",
                format!("q must be at most {max_chars} characters"),
            ));
        }
        Ok(Some(Self(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: PageSize = PageSize {
        default: 50,
        max: 200,
    };

    #[test]
    fn limits_default_and_stay_in_range() {
        assert_eq!(Limit::parse(None, SIZE).map(Limit::get), Ok(50));
        assert_eq!(Limit::parse(Some(1), SIZE).map(Limit::get), Ok(1));
        assert_eq!(Limit::parse(Some(200), SIZE).map(Limit::get), Ok(200));
        for bad in [0, -1, 201] {
            let refused = Limit::parse(Some(bad), SIZE).unwrap_err();
            assert_eq!(refused.field, "limit");
            assert_eq!(refused.message, "limit must be between 1 and 200");
        }
    }

    #[test]
    fn stream_positions_start_at_zero() {
        assert_eq!(stream_position("after", 0), Ok(MessageId(0)));
        let refused = stream_position("since", -1).unwrap_err();
        assert_eq!(refused.field, "since");
        assert_eq!(
            refused.message,
            "since must be a stream position (0 or more)"
        );
    }

    #[test]
    fn search_text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(SearchText::parse(None, 3), Ok(None));
        assert_eq!(SearchText::parse(Some("  "), 3), Ok(None));
        let found = SearchText::parse(Some(" éé "), 2).unwrap();
        assert_eq!(found.as_ref().map(SearchText::as_str), Some("éé"));
        let refused = SearchText::parse(Some("abcd"), 3).unwrap_err();
        assert_eq!(refused.field, "q");
        assert_eq!(refused.message, "q must be at most 3 characters");
    }
}
