//! A message's reactions as its frames and history show them: per emoji, how
//! many and who (the first few). The writer keeps this summary on the message's
//! row as each reaction comes and goes; the `reactions` table is the full record.

use serde::{Deserialize, Serialize};

use super::{Emoji, UserId};

/// The most distinct emoji on one message.
pub const MAX_EMOJI: usize = 20;
/// The most reactors a summary names per emoji; the count stays exact.
pub const MAX_NAMED: usize = 50;

/// One emoji's reactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReactionCount {
    #[schema(example = "👍")]
    pub emoji: String,
    /// How many people reacted with it.
    pub count: u32,
    /// Who, earliest first: at most 50.
    pub user_ids: Vec<UserId>,
}

/// Every emoji on a message, in the order each was first used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reactions(pub Vec<ReactionCount>);

/// Why a reaction cannot be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyEmoji;

impl Reactions {
    /// Whether `emoji` may be added: it is there already, or there is room.
    pub fn admits(&self, emoji: &Emoji) -> Result<(), TooManyEmoji> {
        if self.0.len() < MAX_EMOJI || self.position(emoji).is_some() {
            Ok(())
        } else {
            Err(TooManyEmoji)
        }
    }

    /// Counts `user`'s new reaction (not counted before).
    pub fn add(&mut self, emoji: &Emoji, user: UserId) {
        match self.position(emoji) {
            Some(i) => {
                let count = &mut self.0[i];
                count.count += 1;
                if count.user_ids.len() < MAX_NAMED {
                    count.user_ids.push(user);
                }
            }
            None => self.0.push(ReactionCount {
                emoji: emoji.as_str().to_owned(),
                count: 1,
                user_ids: vec![user],
            }),
        }
    }

    /// Takes back `user`'s reaction (counted before). Returns the named reactors
    /// left when the list lost a name and more reactors remain unnamed, so the
    /// caller can name the next one (see [`Reactions::name`]).
    pub fn remove(&mut self, emoji: &Emoji, user: UserId) -> Option<Vec<UserId>> {
        let i = self.position(emoji)?;
        let count = &mut self.0[i];
        count.count = count.count.saturating_sub(1);
        if count.count == 0 {
            self.0.remove(i);
            return None;
        }
        let named = count.user_ids.len();
        count.user_ids.retain(|&u| u != user);
        let unnamed = usize::try_from(count.count).unwrap_or(usize::MAX) > count.user_ids.len();
        (count.user_ids.len() < named && unnamed).then(|| count.user_ids.clone())
    }

    /// Names one more reactor of `emoji` (the next after those named).
    pub fn name(&mut self, emoji: &Emoji, user: UserId) {
        if let Some(i) = self.position(emoji) {
            let count = &mut self.0[i];
            if count.user_ids.len() < MAX_NAMED && !count.user_ids.contains(&user) {
                count.user_ids.push(user);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, emoji: &Emoji) -> Option<usize> {
        self.0.iter().position(|c| c.emoji == emoji.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emoji(text: &str) -> Emoji {
        Emoji::parse(text).expect("an emoji")
    }

    #[test]
    fn counts_in_first_use_order() {
        let mut reactions = Reactions::default();
        reactions.add(&emoji("👍"), UserId(1));
        reactions.add(&emoji("❤️"), UserId(2));
        reactions.add(&emoji("👍"), UserId(3));
        let seen: Vec<(&str, u32)> = reactions
            .0
            .iter()
            .map(|c| (c.emoji.as_str(), c.count))
            .collect();
        assert_eq!(seen, [("👍", 2), ("❤️", 1)]);
        assert_eq!(reactions.0[0].user_ids, [UserId(1), UserId(3)]);
        assert_eq!(reactions.remove(&emoji("❤️"), UserId(2)), None);
        assert_eq!(reactions.0.len(), 1);
    }

    #[test]
    fn names_at_most_fifty_and_refills() {
        let mut reactions = Reactions::default();
        let thumbs = emoji("👍");
        for user in 1..=52 {
            reactions.add(&thumbs, UserId(user));
        }
        assert_eq!(reactions.0[0].count, 52);
        assert_eq!(reactions.0[0].user_ids.len(), MAX_NAMED);
        // An unnamed reactor leaves: nothing to refill.
        assert_eq!(reactions.remove(&thumbs, UserId(52)), None);
        // A named one leaves while one is unnamed: the caller names the next.
        let left = reactions
            .remove(&thumbs, UserId(1))
            .expect("a name to refill");
        assert_eq!(left.len(), MAX_NAMED - 1);
        reactions.name(&thumbs, UserId(51));
        assert_eq!(reactions.0[0].user_ids.len(), MAX_NAMED);
        assert_eq!(reactions.0[0].count, 50);
    }

    #[test]
    fn at_most_twenty_emoji() {
        let mut reactions = Reactions::default();
        let all: Vec<Emoji> = emojis::iter()
            .take(MAX_EMOJI + 1)
            .filter_map(|e| Emoji::parse(e.as_str()))
            .collect();
        for e in &all[..MAX_EMOJI] {
            assert_eq!(reactions.admits(e), Ok(()));
            reactions.add(e, UserId(1));
        }
        assert_eq!(reactions.admits(&all[MAX_EMOJI]), Err(TooManyEmoji));
        assert_eq!(reactions.admits(&all[0]), Ok(()));
    }
}
