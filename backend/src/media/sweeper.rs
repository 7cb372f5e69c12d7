//! Removes files nobody can reach any more: those of deleted or pruned messages,
//! and uploads never sent within the upload lifetime. A row is marked first (in
//! the transaction that deleted its message, or here), its objects are removed,
//! then the row: a node that dies half-way leaves marked rows, which the next
//! sweep, on any node, finishes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use tokio::sync::Notify;

use super::store::Store;
use crate::db::{self, Db};
use crate::domain::time::now;

/// A spooled upload this old was left by a process that died mid-upload (uploads
/// end within `UPLOAD_TIMEOUT`); nodes sharing a directory share its spool, so
/// younger files may be another node's uploads in flight.
const ABANDONED: Duration = Duration::from_secs(3600);
/// Rows handled per round.
const BATCH: i64 = 100;
/// The longest wait between two sweeps.
const MAX_INTERVAL: Duration = Duration::from_secs(300);

/// Asks for a sweep soon (after a message with files was deleted or pruned).
#[derive(Clone, Default)]
pub struct Sweeper(Arc<Notify>);

impl Sweeper {
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

/// Starts sweeping; uploads not attached within `upload_ttl` go.
pub fn start(db: Db, store: Store, upload_ttl: Duration) -> Sweeper {
    let sweeper = Sweeper::default();
    let poked = sweeper.0.clone();
    let interval = (upload_ttl / 4).clamp(Duration::from_secs(1), MAX_INTERVAL);
    tokio::spawn(async move {
        loop {
            if let Err(e) = expire(&db, upload_ttl).await {
                log::warn!("expiring unsent uploads: {e}");
            }
            if let Err(e) = remove_discarded(&db, &store).await {
                log::warn!("removing deleted files: {e}");
            }
            if let Err(e) = clear_spool(store.spool_dir()).await {
                log::warn!("clearing {}: {e}", store.spool_dir().display());
            }
            tokio::select! {
                () = poked.notified() => {}
                () = tokio::time::sleep(interval) => {}
            }
        }
    });
    sweeper
}

/// Marks uploads older than `ttl` that no message carries. Under the stream's
/// write lock, so that the writer is not attaching one meanwhile.
async fn expire(db: &Db, ttl: Duration) -> db::Result<()> {
    let at = now();
    let cutoff = at - Span::from_std(ttl).unwrap_or(Span::MAX);
    let expired = db
        .transaction(async |mut tx| {
            db::stream::lock_for_writes(&mut tx).await?;
            db::attachments::discard_unattached(&mut tx, cutoff, at).await
        })
        .await?;
    if expired > 0 {
        log::info!("{expired} uploads were not sent within {ttl:?}: deleting them");
    }
    Ok(())
}

async fn remove_discarded(db: &Db, store: &Store) -> db::Result<()> {
    loop {
        let rows = db::attachments::discarded(db, BATCH).await?;
        let mut gone = Vec::with_capacity(rows.len());
        for row in &rows {
            let thumbnail = super::thumbnail_key(&row.id);
            let removed = match store.delete(&row.id).await {
                Ok(()) if row.has_thumbnail => store.delete(&thumbnail).await,
                done => done,
            };
            match removed {
                Ok(()) => gone.push(row.id.as_str()),
                // Kept marked: the next sweep tries again.
                Err(e) => log::warn!("removing attachment {}: {e}", row.id),
            }
        }
        db::attachments::remove(db, &gone).await?;
        if rows.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) || gone.is_empty() {
            return Ok(());
        }
    }
}

/// Removes abandoned spool files.
async fn clear_spool(dir: &Path) -> std::io::Result<()> {
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let age = entry.metadata().await?.modified()?.elapsed().unwrap_or_default();
        let spooled = entry.path().extension().is_some_and(|ext| ext == "part");
        if spooled && age > ABANDONED {
            tokio::fs::remove_file(entry.path()).await?;
        }
    }
    Ok(())
}
