//! Who is calling: credentials, password hashing, access tokens and the extractor
//! that turns a bearer token into an [`AuthUser`].

mod credentials;
mod extractor;
mod password;
mod token;

pub use credentials::{Password, Username};
pub use extractor::AuthUser;
pub use password::Passwords;
pub use token::Tokens;
