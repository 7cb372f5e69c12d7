//! The goals dm runs are held to.

use super::DmReport;
use crate::references::db::DbCeiling;
use crate::report::Goal;

/// The closed-loop run's throughput, against the database's single-row insert
/// ceiling and on its own.
pub fn closed_loop(closed: Option<&DmReport>, db: Option<&DbCeiling>) -> [Goal; 2] {
    [
        Goal::judged(
            "dm throughput ≥ 2× the single-row insert ceiling (PostgreSQL)",
            closed.zip(db),
            |(closed, db)| {
                let ratio = closed.throughput() / db.single.rows_per_second();
                let measured = format!(
                    "{:.0} msg/s / {:.0} rows/s = {ratio:.2}×",
                    closed.throughput(),
                    db.single.rows_per_second()
                );
                (measured, ratio >= 2.0)
            },
        ),
        Goal::judged(
            "dm throughput ≥ 10,000 msg/s (PostgreSQL)",
            closed,
            |closed| {
                let measured = format!("{:.0} msg/s", closed.throughput());
                (measured, closed.throughput() >= 10_000.0)
            },
        ),
    ]
}

/// A receiver that reads is never closed as too slow; messages it would get only
/// by reconnecting count here, not as lost.
pub fn receivers_kept(runs: &[&DmReport]) -> Goal {
    let dropped: u64 = runs.iter().map(|run| run.messages.receivers_dropped).sum();
    let recovered: u64 = runs.iter().map(|run| run.messages.recovered).sum();
    Goal::new(
        "no dm receiver dropped by the server (every dm run)",
        format!(
            "{dropped} dropped, {recovered} messages recovered over {} runs",
            runs.len()
        ),
        dropped == 0 && !runs.is_empty(),
    )
}

/// The open-loop run's delivery latency, against the database's commit latency
/// and on its own.
pub fn open_loop(open: Option<&DmReport>, db: Option<&DbCeiling>) -> [Goal; 2] {
    [
        Goal::judged(
            "open-loop p99 ≤ the database's commit p99 + 8 ms",
            open.zip(db),
            |(open, db)| {
                let bound = db.single.latency.p99 + 8_000;
                let measured = format!(
                    "{} µs vs {} + 8000 = {bound} µs",
                    open.delivery.p99, db.single.latency.p99
                );
                (measured, open.delivery.p99 <= bound)
            },
        ),
        Goal::judged("open-loop p99.9 ≤ 25 ms", open, |open| {
            let measured = format!("{} µs", open.delivery.p999);
            (measured, open.delivery.p999 <= 25_000)
        }),
    ]
}
