//! The reference for upload throughput: the same bytes, with the same concurrency,
//! written as plain files into the same store directory the way the server keeps
//! them (synced, then renamed into place), with nothing in between (no HTTP, no
//! multipart, no hashing, no database).

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::payload::Payload;
use crate::accounts::random_word;
use crate::tasks::joined;

/// What the reference wrote, and how long it took from the first write to the
/// last file closed.
pub struct Copied {
    pub bytes: u64,
    pub elapsed: Duration,
}

impl Copied {
    pub fn mib_per_second(&self) -> f64 {
        mib_per_second(self.bytes, self.elapsed)
    }
}

pub fn mib_per_second(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / f64::from(1 << 20) / elapsed.as_secs_f64().max(1e-9)
}

/// Writes `files` copies of the payload at once, each on a blocking thread of its
/// own, into a directory of its own in `store`; removes them again.
pub async fn copy(payload: &Payload, files: usize, store: &Path) -> Result<Copied> {
    let dir = store.join(format!("parley-bench-reference-{}", random_word(8)));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let start = Instant::now();
    let writers = (0..files).map(|index| {
        let path = dir.join(format!("{index}.bin"));
        let chunks = payload.chunks();
        tokio::task::spawn_blocking(move || write(&path, chunks))
    });
    let written = joined(writers.collect::<Vec<_>>()).await;
    let elapsed = start.elapsed();
    let removed =
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()));
    written?;
    removed?;
    Ok(Copied {
        bytes: files as u64 * payload.len(),
        elapsed,
    })
}

/// As the server keeps an upload: written as it arrives, synced to disk, then
/// renamed into place.
fn write(path: &Path, chunks: impl Iterator<Item = bytes::Bytes>) -> Result<()> {
    let arriving = path.with_extension("part");
    let mut file =
        File::create(&arriving).with_context(|| format!("creating {}", arriving.display()))?;
    for chunk in chunks {
        file.write_all(&chunk)
            .with_context(|| format!("writing {}", arriving.display()))?;
    }
    file.sync_all()
        .with_context(|| format!("syncing {}", arriving.display()))?;
    std::fs::rename(&arriving, path).with_context(|| format!("renaming {}", arriving.display()))
}
