//! Time as Parley stores and shows it.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// The time as stored: UTC, to the millisecond, identical on every backend.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(3)
}

/// A stored time, as shown in JSON (RFC 3339, UTC).
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}
