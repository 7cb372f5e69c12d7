//! `@username` in a message's text: the names it may mention. Which of them are
//! members of the room is the writer's to decide.

use super::Username;

/// The most names one message may mention; later ones are plain text.
pub const MAX_MENTIONS: usize = 50;

/// The distinct names written as `@name` in `text` (at most [`MAX_MENTIONS`]): `@` at the start or after a
/// character that cannot be in a name (so an e-mail address mentions no one), then
/// a username's characters; a final `.` ends a sentence, not the name.
pub fn mentioned_names(text: &str) -> Vec<&str> {
    let is_name_char = Username::is_name_char;
    let mut names: Vec<&str> = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        let starts = c == '@' && !previous.is_some_and(|p| is_name_char(p) || p == '@');
        previous = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[at + 1..];
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches('.');
        let plausible = (Username::MIN_CHARS..=Username::MAX_BYTES).contains(&name.len());
        if plausible && !names.contains(&name) {
            names.push(name);
            if names.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_after_an_at_sign() {
        assert_eq!(mentioned_names("@bob hi"), ["bob"]);
        assert_eq!(mentioned_names("hi @bob, @carol."), ["bob", "carol"]);
        assert_eq!(mentioned_names("(@dave_1) @e.f-g!"), ["dave_1", "e.f-g"]);
        assert_eq!(mentioned_names("@bob @bob"), ["bob"]);
    }

    #[test]
    fn not_addresses_nor_short_names() {
        assert!(mentioned_names("mail bob@example.com").is_empty());
        assert!(mentioned_names("@@bob @ab @ bob").is_empty());
        assert!(mentioned_names("").is_empty());
    }
}
