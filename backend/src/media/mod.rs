//! Files people send: where their bytes are kept ([`store`]), what they are
//! ([`kind`], [`image`]), receiving them ([`uploads`]), who may read them and the
//! signed links that let a browser do so ([`links`]), and removing them once
//! nothing refers to them ([`sweeper`]).

pub mod image;
pub mod kind;
pub mod links;
pub mod store;
pub mod sweeper;
mod uploads;
pub mod view;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::db::attachments::Attachment;
use crate::db::{self, Chat, Db, UserId};
use links::Links;
use store::Store;
use sweeper::Sweeper;

/// Images decoded at once: each may take up to 40 megapixels of memory.
const IMAGES_AT_ONCE: usize = 2;
/// Uploads one user may have arriving at once: bounds the spool disk one account
/// can fill, and how far concurrent uploads can overshoot the quota.
const UPLOADS_PER_USER: usize = 4;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest file (`ATTACHMENT_MAX_BYTES`).
    pub max_bytes: u64,
    /// What each user's files may take together (`ATTACHMENT_QUOTA_BYTES`).
    pub quota_bytes: u64,
    /// Unsent uploads are deleted after this (`ATTACHMENT_UPLOAD_TTL`).
    pub upload_ttl: Duration,
}

pub struct Media {
    db: Db,
    pub store: Store,
    pub links: Links,
    pub limits: Limits,
    pub sweeper: Sweeper,
    images: Semaphore,
    /// Uploads arriving, by user.
    arriving: Mutex<HashMap<UserId, usize>>,
}

impl Media {
    /// Opens the store and starts its sweeper.
    pub fn start(db: Db, store: Store, links: Links, limits: Limits) -> Self {
        let sweeper = sweeper::start(db.clone(), store.clone(), limits.upload_ttl);
        Self {
            db,
            store,
            links,
            limits,
            sweeper,
            images: Semaphore::new(IMAGES_AT_ONCE),
            arriving: Mutex::default(),
        }
    }

    /// Attachment `id` if `user` may read it: its uploader, or someone who can see
    /// a message that carries it (both sides of a direct message; members of the
    /// room, as for its history). Anyone else learns nothing, not even that it
    /// exists.
    pub async fn readable(&self, id: &str, user: UserId) -> db::Result<Option<Attachment>> {
        let Some(attachment) = db::attachments::find(&self.db, id).await? else {
            return Ok(None);
        };
        if attachment.uploader_id == user {
            return Ok(Some(attachment));
        }
        let Some(message) = attachment.message_id else {
            return Ok(None);
        };
        let Some(message) = db::messages::find(&self.db, message).await? else {
            return Ok(None);
        };
        let sees = match message.chat() {
            Some(Chat::Direct(recipient)) => recipient == user || message.sender_id == user,
            Some(Chat::Room(room)) => db::rooms::membership(&self.db, room, user).await?.is_some(),
            None => false,
        };
        Ok(sees.then_some(attachment))
    }

    /// Attachment `id`, for a holder of a signed link.
    pub async fn linked(&self, id: &str) -> db::Result<Option<Attachment>> {
        db::attachments::find(&self.db, id).await
    }
}

/// One of a user's uploads arriving; counted until dropped.
pub struct Arriving<'a> {
    media: &'a Media,
    user: UserId,
}

impl Media {
    /// Counts an upload of `user`'s in, or refuses it when they have too many
    /// arriving already.
    pub fn arriving(&self, user: UserId) -> Result<Arriving<'_>, crate::error::Error> {
        let mut arriving = self.arriving.lock().unwrap_or_else(PoisonError::into_inner);
        let count = arriving.entry(user).or_default();
        if *count >= UPLOADS_PER_USER {
            return Err(crate::error::Error::RateLimited(Duration::from_secs(1)));
        }
        *count += 1;
        Ok(Arriving { media: self, user })
    }
}

impl Drop for Arriving<'_> {
    fn drop(&mut self) {
        let mut arriving = self
            .media
            .arriving
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = arriving.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                arriving.remove(&self.user);
            }
        }
    }
}

/// Where an attachment's thumbnail is kept, beside the file.
pub fn thumbnail_key(id: &str) -> String {
    format!("{id}.thumb")
}
