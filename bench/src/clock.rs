//! One monotonic clock for a measurement. A send instant travels inside the message
//! as nanoseconds since the clock's start, and whoever receives it in this same
//! process subtracts it from its own reading: no wall clocks, no clock skew.

use std::time::Instant;

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    pub fn start() -> Self {
        Self {
            start: Instant::now(),
        }
    }

    pub fn nanos(&self) -> u64 {
        self.nanos_at(Instant::now())
    }

    pub fn nanos_at(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Microseconds from the reading `since` to now.
    pub fn micros_since(&self, since: u64) -> u64 {
        self.nanos().saturating_sub(since) / 1_000
    }
}
