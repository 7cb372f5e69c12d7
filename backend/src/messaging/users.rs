//! The users the writer knows to exist, so that a busy sender costs no lookup
//! per message: at most `capacity` of them, the ones seen last. Only a cache of the
//! database: an evicted user is looked up again.

use std::collections::HashSet;
use std::num::NonZeroUsize;

use lru::LruCache;

use crate::db::{self, DbConn, UserId};

pub struct KnownUsers(LruCache<UserId, ()>);

impl KnownUsers {
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self(LruCache::new(capacity))
    }

    /// Which of `users` exist: those known, and the others looked up (and then
    /// known). The caller checks against the set it gets: learning of other users
    /// later may evict these.
    pub async fn existing(
        &mut self,
        conn: &mut DbConn<'_>,
        users: impl IntoIterator<Item = UserId>,
    ) -> db::Result<HashSet<UserId>> {
        let mut known = HashSet::new();
        let mut unchecked = Vec::new();
        for user in users {
            if self.0.get(&user).is_some() {
                known.insert(user);
            } else {
                unchecked.push(user);
            }
        }
        if !unchecked.is_empty() {
            let existing = db::users::existing(&mut *conn, &unchecked).await?;
            for &user in &existing {
                self.0.put(user, ());
            }
            known.extend(existing);
        }
        Ok(known)
    }

    /// Parley deletes no user, but a row can go behind its back (a restore, by
    /// hand): a batch that fails forgets every user and checks its own again.
    pub fn forget_all(&mut self) {
        self.0.clear();
    }
}
