//! Who is calling: password hashing, access tokens, their revocation,
//! and the extractor that turns a bearer token into an [`AuthUser`].

mod extractor;
mod keys;
mod password;
mod revocations;
mod token;

pub use extractor::{authenticate, AuthUser};
pub use keys::{TokenKeys, KEY_CHECK_TTL};
pub use password::Passwords;
pub use revocations::Revocations;
pub use token::{random_hex, Tokens};
