//! One upload, and what became of many: stored intact, stored wrong, or refused.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::payload::Payload;
use crate::api::{Api, Uploaded};
use crate::latency::Recorder;

/// An unpaced upload may take this long: many at once share a small machine.
const UNPACED_TIMEOUT: Duration = Duration::from_secs(300);
/// A paced upload takes as long as its pace says, and this much more.
const PACED_MARGIN: Duration = Duration::from_secs(60);

/// Who uploads, what, and how fast.
#[derive(Clone)]
pub struct Uploader {
    pub api: Api,
    pub token: String,
    pub payload: Arc<Payload>,
    /// Bytes per second for each upload; as fast as it goes without.
    pub rate: Option<f64>,
}

impl Uploader {
    /// One upload named `name`, its outcome recorded in `tally`.
    pub async fn upload(&self, name: String, tally: &mut Tally) {
        let timeout = match self.rate {
            Some(rate) => Duration::from_secs_f64(self.payload.len() as f64 / rate) + PACED_MARGIN,
            None => UNPACED_TIMEOUT,
        };
        let start = Instant::now();
        let file = self.payload.part(name, self.rate);
        let outcome = self.api.upload(&self.token, file, timeout).await;
        tally.record(outcome, &self.payload, start.elapsed());
    }
}

pub struct Tally {
    /// Stored with the payload's size and SHA-256.
    pub intact: u64,
    /// Answered 201 with another size or hash.
    pub corrupted: u64,
    pub failed: u64,
    pub first_failure: Option<String>,
    /// Bytes stored intact.
    pub bytes: u64,
    /// From the request's start to the 201, intact uploads only.
    pub latency: Recorder,
}

impl Tally {
    pub fn new() -> Result<Self> {
        Ok(Self {
            intact: 0,
            corrupted: 0,
            failed: 0,
            first_failure: None,
            bytes: 0,
            latency: Recorder::new()?,
        })
    }

    fn record(&mut self, outcome: Result<Uploaded>, payload: &Payload, took: Duration) {
        match outcome {
            Ok(stored) if stored.size == payload.len() && stored.sha256 == payload.sha256 => {
                self.intact += 1;
                self.bytes += stored.size;
                self.latency
                    .record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
            }
            Ok(_) => self.corrupted += 1,
            Err(e) => {
                self.failed += 1;
                self.first_failure.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }

    pub fn add(&mut self, other: &Tally) -> Result<()> {
        self.intact += other.intact;
        self.corrupted += other.corrupted;
        self.failed += other.failed;
        if self.first_failure.is_none() {
            self.first_failure.clone_from(&other.first_failure);
        }
        self.bytes += other.bytes;
        self.latency.merge(&other.latency)
    }

    /// What went wrong, for the report's problems.
    pub fn problems(&self, what: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if self.corrupted > 0 {
            problems.push(format!(
                "{what}: {} uploads stored with another size or SHA-256",
                self.corrupted
            ));
        }
        if self.failed > 0 {
            problems.push(format!(
                "{what}: {} uploads failed, the first with: {}",
                self.failed,
                self.first_failure.as_deref().unwrap_or("?")
            ));
        }
        problems
    }
}
