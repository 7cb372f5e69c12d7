//! HS256 access tokens whose subject is the user id and whose audience is the
//! database they were issued for: after a database reset with the same
//! `JWT_SECRET`, old tokens cannot pass for the new users who reuse their ids.
//! They also carry the user's token key, which [`super::TokenKeys`] checks against
//! the user row: after a restore from a backup (same database id) a token neither
//! outlives its user nor passes for another one who got its id.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::db::UserId;
use crate::error::Error;

pub struct Tokens {
    audience: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    aud: String,
    /// The token's own id, so that logout can revoke just this token.
    jti: String,
    /// The user's token key when it was issued.
    key: String,
    iat: u64,
    exp: u64,
}

/// What a valid token says.
#[derive(Debug, Clone)]
pub struct Verified {
    pub user: UserId,
    pub token_id: String,
    /// The user's token key when the token was issued.
    pub key: String,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
}

impl Tokens {
    pub fn new(secret: &[u8], audience: String, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // This server both issues and checks its tokens: one clock, no leeway.
        validation.leeway = 0;
        validation.set_audience(&[&audience]);
        // `key` is required too: a token without it does not deserialize.
        validation.set_required_spec_claims(&["exp", "sub", "aud", "jti"]);
        Self {
            audience,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token for `user`, whose current token key is `key`.
    pub fn issue(&self, user: UserId, key: &str) -> Result<String, Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user.to_string(),
            aud: self.audience.clone(),
            jti: random_hex(16),
            key: key.to_owned(),
            iat: now,
            exp: now.saturating_add(self.ttl.as_secs()),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            log::error!("signing a token: {e}");
            Error::Internal
        })
    }

    pub fn verify(&self, token: &str) -> Result<Verified, Error> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| Error::InvalidToken)?
            .claims;
        Ok(Verified {
            user: claims
                .sub
                .parse()
                .map(UserId)
                .map_err(|_| Error::InvalidToken)?,
            token_id: claims.jti,
            key: claims.key,
            expires_at: claims.exp,
        })
    }
}

pub use crate::domain::random_hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_user_and_only_verifies_with_its_key() {
        let minute = Duration::from_secs(60);
        let tokens = Tokens::new(b"first secret", "db-1".into(), minute);
        let token = tokens.issue(UserId(42), "k1").expect("sign");
        let verified = tokens.verify(&token).expect("verify");
        assert_eq!((verified.user, verified.key.as_str()), (UserId(42), "k1"));

        let other_key = Tokens::new(b"other secret", "db-1".into(), minute);
        assert!(other_key.verify(&token).is_err());
        let other_database = Tokens::new(b"first secret", "db-2".into(), minute);
        assert!(other_database.verify(&token).is_err());
        assert!(tokens.verify("not.a.token").is_err());
    }
}
