//! Where files' bytes live: a directory, or an S3-compatible bucket, through
//! `object_store`. Uploads are spooled to a local file first (see `uploads`); this
//! moves a finished file into the store and reads ranges back out.

use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::AsyncReadExt;

/// S3 parts must be at least 5 MiB (but the last); a directory needs no parts.
const PART: usize = 5 << 20;
/// Parts of one upload in flight to S3 at once.
const PARTS_IN_FLIGHT: usize = 2;

pub type Error = object_store::Error;

#[derive(Clone)]
pub struct Store {
    objects: Arc<dyn ObjectStore>,
    /// Set for a directory: a spooled file is renamed into it, not copied.
    local: Option<Arc<LocalFileSystem>>,
    prefix: Path,
    spool: PathBuf,
}

/// A range of an object, as read.
pub struct Read {
    pub bytes: BoxStream<'static, Result<Bytes, Error>>,
    pub range: Range<u64>,
}

impl Store {
    /// Opens `spec`: `s3://bucket/prefix` (credentials and endpoint from the usual
    /// `AWS_*` variables) or a directory, created if missing.
    pub fn open(spec: &str) -> anyhow::Result<Self> {
        if spec.starts_with("s3://") {
            let url = url_path(spec);
            let s3 = AmazonS3Builder::from_env().with_url(spec).build()?;
            let spool = std::env::temp_dir().join("parley-incoming");
            std::fs::create_dir_all(&spool)?;
            return Ok(Self {
                objects: Arc::new(s3),
                local: None,
                prefix: Path::from(url),
                spool,
            });
        }
        let dir = FsPath::new(spec.strip_prefix("file://").unwrap_or(spec));
        let spool = dir.join(".incoming");
        std::fs::create_dir_all(&spool)?;
        let local = Arc::new(LocalFileSystem::new_with_prefix(dir)?);
        Ok(Self {
            objects: local.clone(),
            local: Some(local),
            prefix: Path::default(),
            spool,
        })
    }

    /// Where uploads are written while they arrive: on the store's own file
    /// system for a directory, so that keeping one is a rename.
    pub fn spool_dir(&self) -> &FsPath {
        &self.spool
    }

    fn key(&self, name: &str) -> Path {
        self.prefix.clone().join(name)
    }

    /// Moves the finished file at `file` into the store as `name`.
    pub async fn put_file(&self, name: &str, file: &FsPath) -> Result<(), Error> {
        let key = self.key(name);
        if let Some(local) = &self.local {
            let target = local.path_to_filesystem(&key)?;
            return tokio::fs::rename(file, &target)
                .await
                .map_err(|source| generic(source.into()));
        }
        let mut reader = tokio::fs::File::open(file)
            .await
            .map_err(|e| generic(e.into()))?;
        let upload = self.objects.put_multipart(&key).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buffer = vec![0; 256 << 10];
        loop {
            let read = match reader.read(&mut buffer).await {
                Ok(read) => read,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(generic(e.into()));
                }
            };
            if read == 0 {
                break;
            }
            writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map(drop)
    }

    /// Stores small `bytes` (a thumbnail) as `name`.
    pub async fn put_bytes(&self, name: &str, bytes: Vec<u8>) -> Result<(), Error> {
        self.objects
            .put(&self.key(name), bytes.into())
            .await
            .map(drop)
    }

    /// Reads `range` of `name` (all of it when `None`).
    pub async fn get(&self, name: &str, range: Option<Range<u64>>) -> Result<Read, Error> {
        let options = GetOptions::new().with_range(range.map(GetRange::Bounded));
        let got = self.objects.get_opts(&self.key(name), options).await?;
        let range = got.range.clone();
        Ok(Read {
            bytes: got.into_stream().boxed(),
            range,
        })
    }

    /// Removes `name`; one already gone is fine.
    pub async fn delete(&self, name: &str) -> Result<(), Error> {
        match self.objects.delete(&self.key(name)).await {
            Err(Error::NotFound { .. }) => Ok(()),
            done => done,
        }
    }
}

/// The key prefix in `s3://bucket/prefix`.
fn url_path(spec: &str) -> &str {
    let rest = spec.trim_start_matches("s3://");
    rest.split_once('/')
        .map_or("", |(_, path)| path.trim_matches('/'))
}

fn generic(source: Box<dyn std::error::Error + Send + Sync>) -> Error {
    Error::Generic {
        store: "parley",
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_the_urls_path() {
        assert_eq!(url_path("s3://bucket"), "");
        assert_eq!(url_path("s3://bucket/"), "");
        assert_eq!(url_path("s3://bucket/a/b/"), "a/b");
    }
}
