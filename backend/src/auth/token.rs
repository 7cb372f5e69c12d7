//! HS256 access tokens whose subject is the user id.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::db::UserId;
use crate::error::Error;

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    exp: u64,
}

impl Tokens {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user: UserId) -> Result<String, Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user.to_string(),
            iat: now,
            exp: now.saturating_add(self.ttl.as_secs()),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            log::error!("signing a token: {e}");
            Error::Internal
        })
    }

    pub fn verify(&self, token: &str) -> Result<UserId, Error> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| Error::InvalidToken)?;
        data.claims
            .sub
            .parse()
            .map(UserId)
            .map_err(|_| Error::InvalidToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_user_and_only_verifies_with_its_key() {
        let tokens = Tokens::new(b"first secret", Duration::from_secs(60));
        let token = tokens.issue(UserId(42)).expect("sign");
        assert_eq!(tokens.verify(&token).expect("verify"), UserId(42));

        let other = Tokens::new(b"other secret", Duration::from_secs(60));
        assert!(other.verify(&token).is_err());
        assert!(tokens.verify("not.a.token").is_err());
    }
}
