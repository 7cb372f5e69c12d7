//! Latency histograms (HDR, microseconds) and their summary.

use anyhow::{Context, Result};
use hdrhistogram::Histogram;

/// 1 µs to 10 minutes at 3 significant digits; slower samples count as 10 minutes.
const HIGHEST_MICROS: u64 = 600_000_000;

pub struct Recorder(Histogram<u64>);

impl Recorder {
    pub fn new() -> Result<Self> {
        Histogram::new_with_bounds(1, HIGHEST_MICROS, 3)
            .map(Self)
            .context("creating a latency histogram")
    }

    pub fn record(&mut self, micros: u64) {
        self.0.saturating_record(micros.max(1));
    }

    pub fn merge(&mut self, other: &Self) -> Result<()> {
        self.0.add(&other.0).context("merging latency histograms")
    }

    pub fn summary(&self) -> Latency {
        let at = |quantile| self.0.value_at_quantile(quantile);
        Latency {
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            p999: at(0.999),
            max: self.0.max(),
        }
    }
}

/// Percentiles in microseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Latency {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Latency {
    /// "p50 / p90 / p99 / p99.9 / max" for a report row.
    pub fn percentiles(&self) -> String {
        format!(
            "{} / {} / {} / {} / {}",
            self.p50, self.p90, self.p99, self.p999, self.max
        )
    }
}

/// Merges the histograms of several tasks into one.
pub fn merged<'a>(recorders: impl IntoIterator<Item = &'a Recorder>) -> Result<Recorder> {
    let mut all = Recorder::new()?;
    for recorder in recorders {
        all.merge(recorder)?;
    }
    Ok(all)
}
