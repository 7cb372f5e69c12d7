//! A process's resident memory before some work and at its peak during it.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use anyhow::Result;
use tokio::time::{interval, MissedTickBehavior};

use crate::process::resident_bytes;

/// Often enough to see a buffer held for the length of an upload.
const SAMPLE_INTERVAL: Duration = Duration::from_millis(5);

#[derive(Clone, Copy, Debug)]
pub struct Resident {
    pub before: u64,
    pub peak: u64,
}

impl Resident {
    /// The growth from before to the peak, shared out over `count` things in flight.
    pub fn growth_per(&self, count: usize) -> f64 {
        self.peak.saturating_sub(self.before) as f64 / count.max(1) as f64
    }
}

/// Runs `work` while sampling VmRSS of `pid` (when known) every few milliseconds.
pub async fn sampled<T>(
    pid: Option<u32>,
    work: impl Future<Output = T>,
) -> Result<(T, Option<Resident>)> {
    let Some(pid) = pid else {
        return Ok((work.await, None));
    };
    let before = resident_bytes(pid)?;
    let mut peak = before;
    let mut ticks = interval(SAMPLE_INTERVAL);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut work = pin!(work);
    let output = loop {
        tokio::select! {
            output = &mut work => break output,
            _ = ticks.tick() => peak = peak.max(resident_bytes(pid)?),
        }
    };
    peak = peak.max(resident_bytes(pid)?);
    Ok((output, Some(Resident { before, peak })))
}
