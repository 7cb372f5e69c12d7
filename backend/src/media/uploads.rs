//! Receiving a file: spooled to disk as it arrives (never held in memory), hashed,
//! bounded, recognised from its bytes, an image cleaned and thumbnailed off the
//! executor, then moved into the store; its row is written last, so a row always
//! names stored bytes.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::image::{self, Format, ImageError, Processed};
use super::kind::{self, SNIFF_BYTES};
use super::Media;
use crate::db::attachments::Attachment;
use crate::db::{self, UserId};
use crate::domain::time::now;
use crate::domain::{hex, AttachmentId};
use crate::error::Error;

/// A file as it arrived.
struct Spooled {
    file: TempFile,
    size: u64,
    sha256: String,
    head: Vec<u8>,
}

impl Media {
    /// Refuses an upload from its declared length alone, before reading it.
    pub async fn check_declared(&self, uploader: UserId, length: Option<u64>) -> Result<(), Error> {
        let Some(length) = length else {
            return Ok(());
        };
        // The multipart framing around the file is small.
        if length > self.limits.max_bytes.saturating_add(FRAMING) {
            return Err(Error::AttachmentTooLarge(self.limits.max_bytes));
        }
        self.check_quota(uploader, length.saturating_sub(FRAMING))
            .await
    }

    /// Stores the file arriving as `chunks`, named `name`, for `uploader`.
    pub async fn receive<E: std::fmt::Display>(
        &self,
        uploader: UserId,
        name: String,
        chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
    ) -> Result<Attachment, Error> {
        let mut spooled = self.spool(chunks).await?;
        self.check_quota(uploader, spooled.size).await?;
        let content_type = kind::content_type(&spooled.head);
        let processed = match Format::from_mime(&content_type) {
            Some(format) => Some(self.process(&mut spooled, format).await?),
            None => None,
        };
        let id = AttachmentId::generate();
        let thumbnail = processed.as_ref().map(|p| p.thumbnail.clone());
        self.keep(&id, &spooled.file, thumbnail).await?;
        let row = Attachment {
            id: id.to_string(),
            uploader_id: uploader,
            name,
            content_type,
            size: i64::try_from(spooled.size).unwrap_or(i64::MAX),
            sha256: spooled.sha256,
            width: processed.as_ref().map(|p| clamp(p.width)),
            height: processed.as_ref().map(|p| clamp(p.height)),
            has_thumbnail: processed.is_some(),
            message_id: None,
            created_at: now(),
            deleted_at: None,
        };
        if let Err(e) = db::attachments::insert(&self.db, &row).await {
            self.forget(id.as_str()).await;
            return Err(e.into());
        }
        Ok(row)
    }

    /// Writes `chunks` to a spool file, hashing as it goes; stops at the limit.
    async fn spool<E: std::fmt::Display>(
        &self,
        mut chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
    ) -> Result<Spooled, Error> {
        let file = TempFile::create(self.store.spool_dir()).await?;
        // Buffered: each write of tokio's file is a hop to the blocking pool, and
        // chunks arrive at 64 KiB or less.
        let out = tokio::fs::File::create(&file.0).await.map_err(io)?;
        let mut out = tokio::io::BufWriter::with_capacity(SPOOL_BUFFER, out);
        let (mut size, mut hasher, mut head) = (0_u64, Sha256::new(), Vec::new());
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| Error::InvalidUpload(e.to_string()))?;
            size += chunk.len() as u64;
            if size > self.limits.max_bytes {
                return Err(Error::AttachmentTooLarge(self.limits.max_bytes));
            }
            hasher.update(&chunk);
            if head.len() < SNIFF_BYTES {
                let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            out.write_all(&chunk).await.map_err(io)?;
        }
        // Durable before it is answered: the store keeps this very file.
        out.flush().await.map_err(io)?;
        out.get_ref().sync_all().await.map_err(io)?;
        Ok(Spooled {
            file,
            size,
            sha256: hex(&hasher.finalize()),
            head,
        })
    }

    /// Measures, cleans and thumbnails an image, a few at a time, off the executor.
    async fn process(&self, spooled: &mut Spooled, format: Format) -> Result<Processed, Error> {
        let _permit = self.images.acquire().await.map_err(|_| Error::Internal)?;
        let clean = TempFile::create(self.store.spool_dir()).await?;
        let (src, dst) = (spooled.file.0.clone(), clean.0.clone());
        let processed = tokio::task::spawn_blocking(move || image::process(&src, format, &dst))
            .await
            .map_err(|e| {
                log::error!("processing an image panicked: {e}");
                Error::Internal
            })?
            .map_err(|e| match e {
                ImageError::TooManyPixels { width, height } => {
                    Error::ImageTooLarge { width, height }
                }
                ImageError::Undecodable(_) => Error::InvalidImage,
                ImageError::Io(e) => io(e),
            })?;
        if processed.cleaned {
            let (size, sha256) = digest(&clean.0).await?;
            spooled.size = size;
            spooled.sha256 = sha256;
            spooled.file = clean;
        }
        Ok(processed)
    }

    /// Moves the file (and its thumbnail) into the store.
    async fn keep(
        &self,
        id: &AttachmentId,
        file: &TempFile,
        thumbnail: Option<Vec<u8>>,
    ) -> Result<(), Error> {
        let stored = async {
            if let Some(thumbnail) = thumbnail {
                self.store
                    .put_bytes(&super::thumbnail_key(id.as_str()), thumbnail)
                    .await?;
            }
            self.store.put_file(id.as_str(), &file.0).await
        };
        if let Err(e) = stored.await {
            log::warn!("storing attachment {id}: {e}");
            self.forget(id.as_str()).await;
            return Err(Error::Unavailable(STORE_RETRY_AFTER));
        }
        Ok(())
    }

    /// Removes what was stored of an upload that failed.
    async fn forget(&self, id: &str) {
        for key in [id.to_owned(), super::thumbnail_key(id)] {
            if let Err(e) = self.store.delete(&key).await {
                log::warn!("removing {key} of a failed upload: {e}");
            }
        }
    }

    async fn check_quota(&self, uploader: UserId, adding: u64) -> Result<(), Error> {
        let used = u64::try_from(db::attachments::usage(&self.db, uploader).await?).unwrap_or(0);
        if used.saturating_add(adding) > self.limits.quota_bytes {
            return Err(Error::QuotaExceeded(self.limits.quota_bytes));
        }
        Ok(())
    }
}

/// Bytes written to a spool file at a time.
const SPOOL_BUFFER: usize = 512 << 10;
/// Bytes of multipart framing allowed around a file.
const FRAMING: u64 = 16 << 10;
/// How long a client waits after the store failed.
const STORE_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// A file in the spool directory, removed when dropped unless moved away first.
struct TempFile(PathBuf);

impl TempFile {
    async fn create(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(format!("{}.part", AttachmentId::generate()));
        tokio::fs::File::create(&path).await.map_err(io)?;
        Ok(Self(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // Already gone when it was moved into the store.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The size and SHA-256 of the file at `path`.
async fn digest(path: &Path) -> Result<(u64, String), Error> {
    let mut file = tokio::fs::File::open(path).await.map_err(io)?;
    let (mut size, mut hasher) = (0_u64, Sha256::new());
    let mut buffer = vec![0; 256 << 10];
    loop {
        let read = file.read(&mut buffer).await.map_err(io)?;
        if read == 0 {
            return Ok((size, hex(&hasher.finalize())));
        }
        size += read as u64;
        hasher.update(&buffer[..read]);
    }
}

fn clamp(side: u32) -> i32 {
    i32::try_from(side).unwrap_or(i32::MAX)
}

fn io(e: std::io::Error) -> Error {
    log::error!("spooling an upload: {e}");
    Error::Internal
}
