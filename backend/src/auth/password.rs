//! bcrypt, always on a blocking thread so hashing never stalls the async executor.

use tokio::sync::OnceCell;

use super::Password;
use crate::error::Error;

pub struct Passwords {
    cost: u32,
    /// Verified against when the username is unknown, so that answer takes as long
    /// as a wrong password and does not reveal which usernames exist.
    decoy_hash: OnceCell<String>,
}

impl Passwords {
    pub fn new(cost: u32) -> Self {
        Self {
            cost,
            decoy_hash: OnceCell::new(),
        }
    }

    pub async fn hash(&self, password: Password) -> Result<String, Error> {
        let cost = self.cost;
        blocking(move || bcrypt::hash(password.into_inner(), cost)).await
    }

    /// Checks `password` against `hash`, or against a decoy when there is no user.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, Error> {
        // bcrypt would compare only the first 72 bytes; no stored password is longer.
        if password.len() > Password::MAX_BYTES {
            return Ok(false);
        }
        let hash = match hash {
            Some(hash) => hash,
            None => {
                let decoy = self
                    .decoy_hash
                    .get_or_try_init(|| {
                        let cost = self.cost;
                        blocking(move || bcrypt::hash("decoy password", cost))
                    })
                    .await?;
                let _ = blocking_verify(password, decoy.clone()).await?;
                return Ok(false);
            }
        };
        blocking_verify(password, hash).await
    }
}

async fn blocking_verify(password: String, hash: String) -> Result<bool, Error> {
    blocking(move || bcrypt::verify(password, &hash)).await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> bcrypt::BcryptResult<T> + Send + 'static,
) -> Result<T, Error> {
    match actix_web::web::block(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            log::error!("bcrypt: {e}");
            Err(Error::Internal)
        }
        Err(e) => {
            log::error!("bcrypt thread: {e}");
            Err(Error::Internal)
        }
    }
}
