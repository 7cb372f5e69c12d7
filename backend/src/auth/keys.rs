//! Checks a token's key against its user's row, so that a token does not outlive
//! its user, survive a key rotation, or pass for another user who got the same id
//! (after a restore from a backup).
//!
//! Every authenticated request and socket is checked, through a small cache so that
//! busy users do not cost a query per request: a key read from the database is
//! trusted for [`KEY_CHECK_TTL`]. Changes made by this process (a rotation) take
//! effect at once; changes made elsewhere (another process, a restore, a deleted
//! row) within that time.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::db::{self, Db, UserId};
use crate::error::Error;

/// How long a key read from the database is trusted.
pub const KEY_CHECK_TTL: Duration = Duration::from_secs(2);
/// Users whose keys are remembered at once; past this, keys are not cached.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct TokenKeys {
    /// user → their key and when it was read.
    keys: Mutex<HashMap<UserId, (String, Instant)>>,
}

impl TokenKeys {
    /// `Ok` when `user` exists and their key is `key`; `invalid_token` otherwise.
    pub async fn check(&self, db: &Db, user: UserId, key: &str) -> Result<(), Error> {
        if let Some(known) = self.cached(user) {
            return if known == key {
                Ok(())
            } else {
                Err(Error::InvalidToken)
            };
        }
        // Read in a task of its own: the extractor's future is dropped when another
        // extractor of the same request fails first, and a SQLite query dropped
        // mid-flight panics on actix's single-threaded worker runtimes.
        let lookup = {
            let db = db.clone();
            tokio::spawn(async move { db::users::token_key(&db, user).await })
        };
        let current = lookup.await.map_err(|e| {
            log::error!("looking up a token key: {e}");
            Error::Internal
        })??;
        let Some(current) = current else {
            self.forget(user);
            return Err(Error::InvalidToken);
        };
        let matches = current == key;
        self.remember(user, current);
        if matches {
            Ok(())
        } else {
            Err(Error::InvalidToken)
        }
    }

    /// Gives the user a new key: every token issued before stops working here at
    /// once (sockets at their next heartbeat). Returns whether the user exists.
    pub async fn rotate(&self, db: &Db, user: UserId) -> Result<bool, Error> {
        let rotated = db::users::rotate_token_key(db, user).await?;
        self.forget(user);
        Ok(rotated)
    }

    fn cached(&self, user: UserId) -> Option<String> {
        let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.get(&user)
            .filter(|(_, read)| read.elapsed() < KEY_CHECK_TTL)
            .map(|(key, _)| key.clone())
    }

    fn remember(&self, user: UserId, key: String) {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= CAPACITY && !keys.contains_key(&user) {
            keys.retain(|_, (_, read)| read.elapsed() < KEY_CHECK_TTL);
            if keys.len() >= CAPACITY {
                return;
            }
        }
        keys.insert(user, (key, Instant::now()));
    }

    fn forget(&self, user: UserId) {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&user);
    }
}
