//! bcrypt, always on a blocking thread so hashing never stalls the async executor,
//! and at most one hash per core at a time. A short queue waits for a core; beyond
//! it, requests are turned away with `503 server_busy` at once, so a login storm
//! cannot pile up work (or blocking threads) faster than the cores clear it.

use std::time::Duration;

use tokio::sync::{OnceCell, Semaphore};

use super::Password;
use crate::error::Error;

/// Hashes that may wait for a core, per core.
const QUEUE_PER_CORE: usize = 4;
/// What a turned-away client is told to wait.
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub struct Passwords {
    cost: u32,
    /// One permit per core: the hashes running.
    cores: Semaphore,
    /// The hashes running or waiting for a core.
    admitted: Semaphore,
    /// Verified against when the username is unknown, so that answer takes as long
    /// as a wrong password and does not reveal which usernames exist.
    decoy_hash: OnceCell<String>,
}

impl Passwords {
    pub fn new(cost: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            cost,
            cores: Semaphore::new(cores),
            admitted: Semaphore::new(cores * (1 + QUEUE_PER_CORE)),
            decoy_hash: OnceCell::new(),
        }
    }

    pub async fn hash(&self, password: Password) -> Result<String, Error> {
        let cost = self.cost;
        self.run(move || bcrypt::hash(password.into_inner(), cost))
            .await
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
                        self.run(move || bcrypt::hash("decoy password", cost))
                    })
                    .await?;
                let decoy = decoy.clone();
                let _ = self.run(move || bcrypt::verify(password, &decoy)).await?;
                return Ok(false);
            }
        };
        self.run(move || bcrypt::verify(password, &hash)).await
    }

    /// Runs one bcrypt operation on a blocking thread once a core is free, or
    /// refuses it when too many are already waiting.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> bcrypt::BcryptResult<T> + Send + 'static,
    ) -> Result<T, Error> {
        let Ok(_admitted) = self.admitted.try_acquire() else {
            return Err(Error::Busy(RETRY_AFTER));
        };
        let Ok(_core) = self.cores.acquire().await else {
            log::error!("bcrypt: the core semaphore was closed");
            return Err(Error::Internal);
        };
        blocking(work).await
    }
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
