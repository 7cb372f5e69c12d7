//! A fixed-bucket histogram of atomics: observing is a bucket search and three
//! relaxed adds, with no lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::text::{Exposition, Labels};

/// Latency bounds in nanoseconds: 0.5 ms to 10 s.
pub const LATENCY_BOUNDS: &[u64] = &[
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];
/// Nanoseconds to the seconds Prometheus expects.
pub const NANOS: f64 = 1e-9;

pub struct Histogram {
    /// Upper bounds (inclusive) in the unit observed, ascending.
    bounds: &'static [u64],
    /// What one observed unit is in the exposed unit.
    scale: f64,
    /// One count per bound, then one for values above the last (`+Inf`); not
    /// cumulative, so an observation touches one bucket.
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl Histogram {
    pub fn new(bounds: &'static [u64], scale: f64) -> Self {
        Self {
            bounds,
            scale,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
        }
    }

    /// A histogram of durations, exposed in seconds.
    pub fn latency() -> Self {
        Self::new(LATENCY_BOUNDS, NANOS)
    }

    pub fn observe(&self, value: u64) {
        let bucket = self.bounds.partition_point(|&bound| bound < value);
        if let Some(count) = self.buckets.get(bucket) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    pub fn observe_duration(&self, elapsed: Duration) {
        self.observe(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }

    /// How many values were observed.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of one series.
    pub fn write(&self, out: &mut Exposition, name: &str, labels: &Labels<'_>) {
        let mut cumulative = 0;
        for (index, count) in self.buckets.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = match self.bounds.get(index) {
                Some(&bound) => format_float(bound as f64 * self.scale),
                None => "+Inf".to_owned(),
            };
            out.sample_with(&format!("{name}_bucket"), labels, ("le", &le), cumulative);
        }
        let sum = self.sum.load(Ordering::Relaxed) as f64 * self.scale;
        out.sample(&format!("{name}_sum"), labels, sum);
        // From the buckets just read, so that `_count` equals the `+Inf` bucket.
        out.sample(&format!("{name}_count"), labels, cumulative);
    }
}

/// `0.0005`, `1`, `2.5`: the shortest form that reads back as the same number.
pub fn format_float(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_the_first_bucket_that_holds_them() {
        let histogram = Histogram::new(&[1, 2, 4], 1.0);
        for value in [0, 1, 2, 3, 4, 5, 100] {
            histogram.observe(value);
        }
        let mut out = Exposition::default();
        histogram.write(&mut out, "x", &Labels::none());
        let text = out.finish();
        assert!(text.contains("x_bucket{le=\"1\"} 2\n"), "{text}");
        assert!(text.contains("x_bucket{le=\"2\"} 3\n"), "{text}");
        assert!(text.contains("x_bucket{le=\"4\"} 5\n"), "{text}");
        assert!(text.contains("x_bucket{le=\"+Inf\"} 7\n"), "{text}");
        assert!(text.contains("x_sum 115\n"), "{text}");
        assert!(text.contains("x_count 7\n"), "{text}");
    }
}
