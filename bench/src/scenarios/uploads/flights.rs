//! Uploads in flight: a burst of many at once, and paced loops that keep uploads
//! going in the background until they are told to stop.

use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::sleep;

use super::tally::{Tally, Uploader};
use crate::tasks::joined;

/// A background loop pauses this long after a failed upload, so that a server
/// that refuses at once is not spun against.
const FAILURE_PAUSE: Duration = Duration::from_millis(100);

/// Every uploader uploads once, all at once, each on a task of its own; returns
/// their tally and the time from the first request to the last answer.
pub async fn burst(uploaders: Vec<Uploader>) -> Result<(Tally, Duration)> {
    let start = Instant::now();
    let tasks: Vec<_> = uploaders
        .into_iter()
        .enumerate()
        .map(|(index, uploader)| {
            tokio::spawn(async move {
                let mut tally = Tally::new()?;
                uploader
                    .upload(format!("burst-{index}.bin"), &mut tally)
                    .await;
                Ok(tally)
            })
        })
        .collect();
    let tallies = joined(tasks).await?;
    let elapsed = start.elapsed();
    Ok((merged(&tallies)?, elapsed))
}

/// Uploads in the background: each uploader uploads again and again until `stop`
/// changes (abandoning the upload in progress), so that as many uploads as there
/// are uploaders stay in flight. Paced uploads keep the number of uploads, and so
/// the bytes stored, bounded by the time the loops run.
pub struct Background {
    stop: watch::Sender<bool>,
    loops: Vec<JoinHandle<Result<Tally>>>,
}

impl Background {
    pub fn start(uploaders: Vec<Uploader>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let loops = uploaders
            .into_iter()
            .enumerate()
            .map(|(index, uploader)| tokio::spawn(upload_loop(uploader, index, stopped.clone())))
            .collect();
        Self { stop, loops }
    }

    /// Stops every loop; returns what they uploaded in full.
    pub async fn stop(self) -> Result<Tally> {
        let _ = self.stop.send(true);
        merged(&joined(self.loops).await?)
    }
}

async fn upload_loop(
    uploader: Uploader,
    index: usize,
    mut stop: watch::Receiver<bool>,
) -> Result<Tally> {
    let mut tally = Tally::new()?;
    for round in 0.. {
        let failed = tally.failed;
        tokio::select! {
            () = uploader.upload(format!("background-{index}-{round}.bin"), &mut tally) => {}
            _ = stop.changed() => break,
        }
        if tally.failed > failed {
            tokio::select! {
                () = sleep(FAILURE_PAUSE) => {}
                _ = stop.changed() => break,
            }
        }
    }
    Ok(tally)
}

fn merged(tallies: &[Tally]) -> Result<Tally> {
    let mut all = Tally::new()?;
    for tally in tallies {
        all.add(tally)?;
    }
    Ok(all)
}
