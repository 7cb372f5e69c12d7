//! Validated account input: registration, and the operator's `parley user` commands.

use super::Invalid;

/// 3-32 characters of `A-Z a-z 0-9 _ . -`.
#[derive(Debug, Clone)]
pub struct Username(String);

impl Username {
    /// Usernames are ASCII, so this is also their most characters.
    pub const MAX_BYTES: usize = 32;
    pub const MIN_CHARS: usize = 3;

    /// Whether `c` may be in a username.
    pub fn is_name_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let len = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_BYTES).contains(&len) {
            return Err(Invalid::new(
                "username",
                "username must be 3 to 32 characters long",
            ));
        }
        if !raw.chars().all(Self::is_name_char) {
            return Err(Invalid::new(
                "username",
                "username may only contain letters, digits, '_', '.' and '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 8-72 bytes: bcrypt reads only the first 72, so longer passwords are refused rather
/// than silently cut.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_BYTES: usize = 8;
    pub const MAX_BYTES: usize = 72;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.len() < Self::MIN_BYTES {
            return Err(Invalid::new(
                "password",
                "password must be at least 8 bytes long",
            ));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(Invalid::new(
                "password",
                "password must be at most 72 bytes long (bcrypt's limit)",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for good in ["abc", "Alice_1", "a.b-c", &"x".repeat(32)] {
            assert!(Username::parse(good).is_ok(), "{good}");
        }
        for bad in ["ab", "", "has space", "émile", "a/b", &"x".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_measured_in_bytes() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"p".repeat(72)).is_ok());
        assert!(Password::parse(&"p".repeat(73)).is_err());
        // 36 two-byte characters: 72 bytes.
        assert!(Password::parse(&"é".repeat(36)).is_ok());
        assert!(Password::parse(&"é".repeat(37)).is_err());
    }
}
