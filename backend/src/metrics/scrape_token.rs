//! `METRICS_TOKEN`, which guards the scrape.

/// `METRICS_TOKEN`: when set, a scrape must bring it as its bearer token.
pub struct ScrapeToken(Option<String>);

impl ScrapeToken {
    /// An empty token counts as none.
    pub fn new(token: Option<String>) -> Self {
        Self(token.filter(|token| !token.is_empty()))
    }

    pub fn is_required(&self) -> bool {
        self.0.is_some()
    }

    /// Whether `given` is the token, compared in time that does not depend on
    /// where they differ.
    pub fn accepts(&self, given: &str) -> bool {
        self.0.as_ref().is_none_or(|token| {
            token.len() == given.len()
                && token
                    .bytes()
                    .zip(given.bytes())
                    .fold(0, |diff, (a, b)| diff | (a ^ b))
                    == 0
        })
    }
}
