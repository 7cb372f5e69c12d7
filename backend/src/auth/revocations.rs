//! Tokens ended by logout. Checked on every request, so kept in memory; stored so
//! that a restart does not bring them back.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::db::{self, Db};
use crate::error::Error;

pub struct Revocations {
    /// token id → when the token expires (after which it no longer matters).
    revoked: RwLock<HashMap<String, NaiveDateTime>>,
}

impl Revocations {
    pub async fn load(db: &Db) -> Result<Self, db::Error> {
        let now = Utc::now().naive_utc();
        let revoked = db::revoked_tokens::unexpired(db, now).await?;
        Ok(Self {
            revoked: RwLock::new(revoked.into_iter().collect()),
        })
    }

    pub fn is_revoked(&self, token_id: &str) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(token_id)
    }

    /// Stores the revocation first: once this returns, the token is refused here
    /// and after a restart (other nodes hear of it on the bus).
    pub async fn revoke(&self, db: &Db, token_id: &str, expires_at: u64) -> Result<(), Error> {
        db::revoked_tokens::insert(db, token_id, expiry(expires_at)).await?;
        self.remember(token_id, expires_at);
        Ok(())
    }

    /// Refuses a token another node revoked (and stored).
    pub fn remember(&self, token_id: &str, expires_at: u64) {
        let now = Utc::now().naive_utc();
        let mut revoked = self.revoked.write().unwrap_or_else(PoisonError::into_inner);
        revoked.retain(|_, expires| *expires > now);
        revoked.insert(token_id.to_owned(), expiry(expires_at));
    }

    /// Reads the stored revocations again: those of other nodes that this node may
    /// not have heard of (its listening connection was down).
    pub async fn reload(&self, db: &Db) -> Result<(), db::Error> {
        let now = Utc::now().naive_utc();
        let stored = db::revoked_tokens::unexpired(db, now).await?;
        let mut revoked = self.revoked.write().unwrap_or_else(PoisonError::into_inner);
        revoked.extend(stored);
        Ok(())
    }
}

/// A token's `exp` (seconds since the epoch) as a time.
fn expiry(expires_at: u64) -> NaiveDateTime {
    i64::try_from(expires_at)
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
        .naive_utc()
}
