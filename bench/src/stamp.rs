//! What a bench message carries so that whoever gets it back, as an ack or as a
//! delivery, knows which message it was and when it was (meant to be) sent.

/// Filler that brings a message to a realistic chat length (about 60 bytes).
const FILLER: &str = "the quick brown fox jumps over the lazy dog";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub pair: u32,
    pub seq: u64,
    /// The send instant on the run's [`crate::clock::Clock`].
    pub sent_nanos: u64,
}

impl Stamp {
    /// `{pair}-{seq}-{nanos}`: unique per sender, and at most 62 characters.
    pub fn client_id(&self) -> String {
        format!("{}-{}-{}", self.pair, self.seq, self.sent_nanos)
    }

    /// The client id, then filler.
    pub fn content(&self) -> String {
        format!("{} {FILLER}", self.client_id())
    }

    /// Reads a client id, or the first word of a content.
    pub fn parse(text: &str) -> Option<Self> {
        let word = text.split(' ').next()?;
        let mut parts = word.split('-');
        let stamp = Self {
            pair: parts.next()?.parse().ok()?,
            seq: parts.next()?.parse().ok()?,
            sent_nanos: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(stamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_client_id_and_content() {
        let stamp = Stamp {
            pair: 7,
            seq: 12_345,
            sent_nanos: 987_654_321_000,
        };
        assert_eq!(Stamp::parse(&stamp.client_id()), Some(stamp));
        assert_eq!(Stamp::parse(&stamp.content()), Some(stamp));
        assert!((50..80).contains(&stamp.content().len()));
    }

    #[test]
    fn refuses_other_text() {
        for text in ["", "hello", "1-2", "1-2-3-4", "a-b-c"] {
            assert_eq!(Stamp::parse(text), None, "{text}");
        }
    }
}
