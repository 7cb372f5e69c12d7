//! What an uploads run measured, the section it writes, and its goals.

use std::time::Duration;

use super::reference::{mib_per_second, Copied};
use super::resident::Resident;
use super::tally::Tally;
use super::Plan;
use crate::process::CpuUsed;
use crate::report::{bytes, or_na, Figures, Goal, Section};
use crate::scenarios::dm::DmReport;

/// "Under a few MiB per upload in flight": a server that streams holds a few
/// buffers per upload, one that buffers holds the whole file.
const GROWTH_PER_UPLOAD: f64 = 4.0 * 1024.0 * 1024.0;
/// "dm throughput unchanged by attachments in flight", to within the noise of
/// two runs on a shared machine.
const DM_RATIO: f64 = 0.9;

pub struct UploadsReport {
    pub plan: Plan,
    pub users: usize,
    pub copied: Copied,
    pub burst: Tally,
    /// From the first request of the burst to its last answer.
    pub burst_elapsed: Duration,
    /// The server's (when its pid is known) and the bench's over the burst.
    pub burst_cpu: CpuUsed,
    /// The server's, around the burst (when its pid is known).
    pub resident: Option<Resident>,
    /// dm alone.
    pub quiet: DmReport,
    /// dm with the background uploads in flight.
    pub busy: DmReport,
    /// What the background uploads stored in full while dm ran.
    pub background: Tally,
}

impl UploadsReport {
    pub fn burst_mib_per_second(&self) -> f64 {
        mib_per_second(self.burst.bytes, self.burst_elapsed)
    }

    /// The burst's throughput over the reference's.
    pub fn throughput_ratio(&self) -> f64 {
        self.burst_mib_per_second() / self.copied.mib_per_second()
    }

    /// Server RSS growth (before → peak) per upload of the burst.
    pub fn growth_per_upload(&self) -> Option<f64> {
        self.resident
            .map(|resident| resident.growth_per(self.plan.uploads))
    }

    /// dm throughput with the uploads in flight over without.
    pub fn dm_ratio(&self) -> f64 {
        self.busy.throughput() / self.quiet.throughput().max(f64::MIN_POSITIVE)
    }

    /// The dm runs, without and with uploads in flight.
    pub fn dm_runs(&self) -> [&DmReport; 2] {
        [&self.quiet, &self.busy]
    }

    pub fn section(&self, title: &str) -> Section {
        let plan = &self.plan;
        let mut problems = self.burst.problems("the burst");
        problems.extend(self.background.problems("the background uploads"));
        let dm_problems = |run: &DmReport, which: &str| -> Vec<String> {
            run.problems()
                .into_iter()
                .map(|problem| format!("dm {which}: {problem}"))
                .collect()
        };
        problems.extend(dm_problems(&self.quiet, "alone"));
        problems.extend(dm_problems(&self.busy, "with uploads in flight"));
        let rss = |value: Option<u64>| or_na(value.map(|v| bytes(v as f64)));
        let whole = |value: f64| format!("{value:.0}");
        Figures::new(title)
            .row("uploads at once", plan.uploads)
            .row("bytes per upload", bytes(plan.size as f64))
            .row("uploading users", self.users)
            .row("reference: seconds to write every file", format!("{:.2}", self.copied.elapsed.as_secs_f64()))
            .row("reference: MiB/s", whole(self.copied.mib_per_second()))
            .row("uploads stored intact / sent", format!("{} / {}", self.burst.intact, plan.uploads))
            .row("uploads: seconds from the first request to the last answer", format!("{:.2}", self.burst_elapsed.as_secs_f64()))
            .row("uploads: MiB/s", whole(self.burst_mib_per_second()))
            .row("upload latency p50 / p90 / p99 / p99.9 / max (µs)", self.burst.latency.summary().percentiles())
            .row("uploads / reference, MiB/s", format!("{:.2}×", self.throughput_ratio()))
            .row("uploads: server / bench CPU seconds", cpu_seconds(self.burst_cpu.server, self.burst_cpu.bench))
            .row("server RSS before the uploads", rss(self.resident.map(|r| r.before)))
            .row("server RSS at its peak during them", rss(self.resident.map(|r| r.peak)))
            .row("server RSS growth per upload in flight", or_na(self.growth_per_upload().map(bytes)))
            .row("dm: pairs", self.quiet.pairs)
            .row("dm: pace", self.quiet.load.pace)
            .row("dm: seconds per run", self.quiet.load.duration.as_secs())
            .row("dm alone: throughput (msg/s)", whole(self.quiet.throughput()))
            .row("dm alone: send → receive p50 / p90 / p99 / p99.9 / max (µs)", self.quiet.delivery.percentiles())
            .row("dm alone: server / bench CPU seconds", cpu_seconds(self.quiet.server_cpu, self.quiet.bench_cpu))
            .row("background: uploads in flight", plan.background)
            .row("background: KiB/s per upload", format!("{:.0}", plan.background_rate / 1024.0))
            .row("background: uploads stored intact during dm", self.background.intact)
            .row("background: MiB/s stored during dm", whole(mib_per_second(self.background.bytes, self.busy.elapsed)))
            .row("dm with uploads: throughput (msg/s)", whole(self.busy.throughput()))
            .row("dm with uploads: send → receive p50 / p90 / p99 / p99.9 / max (µs)", self.busy.delivery.percentiles())
            .row("dm with uploads: server / bench CPU seconds", cpu_seconds(self.busy.server_cpu, self.busy.bench_cpu))
            .row("dm throughput with / without uploads", format!("{:.2}×", self.dm_ratio()))
            .note("Every upload sends the same random bytes (generated once, so incompressible, with a short text marker first so that no format is sniffed), streamed from memory in 64 KiB chunks as the `file` part of a `multipart/form-data` body with a Content-Length, from the uploading users in turn; an upload counts as intact when the server answers 201 with the payload's size and SHA-256. The reference first writes the same bytes, in the same 64 KiB chunks, with the same number of files at once (one blocking thread each), as plain files into a directory of its own in the server's store directory, as the server keeps an upload (written, `fsync`ed, renamed into place), then removes them; its MiB/s is what this disk takes with nothing in between (no HTTP, multipart parsing, hashing, database row, or hop through the async runtime's blocking pool for each chunk). Then every upload starts at once; server RSS is VmRSS from /proc/PID/status, sampled every 5 ms from just before the first request to just after the last answer, and the growth is the peak less the RSS before, over the uploads at once. CPU seconds are utime+stime from /proc of the server and of the bench (which makes the load on the same cores), over the uploads and over each dm run's sending and draining. The dm runs are the closed-loop dm scenario (see dm) with the same pairs, alone and then with the background uploads in flight: each background upload is paced to its KiB/s, as from a client on a slow link, and each loop starts the next upload as soon as one is answered, until the dm run ends (the upload then in flight is abandoned).")
            .section(problems)
    }
}

/// "server / bench" CPU time, "n/a" for a server whose pid is unknown.
fn cpu_seconds(server: Option<Duration>, bench: Duration) -> String {
    let server = or_na(server.map(|cpu| format!("{:.1}", cpu.as_secs_f64())));
    format!("{server} / {:.1}", bench.as_secs_f64())
}

/// The uploads goals: memory that does not grow with the file, and dm that does
/// not slow down for uploads.
pub fn goals(report: Option<&UploadsReport>) -> [Goal; 2] {
    [
        Goal::judged(
            "server RSS growth per upload in flight ≤ 4 MiB",
            report.and_then(|uploads| Some((uploads.growth_per_upload()?, uploads.plan))),
            |(growth, plan)| {
                let measured = format!(
                    "{} ({} uploads of {} at once)",
                    bytes(growth),
                    plan.uploads,
                    bytes(plan.size as f64)
                );
                (measured, growth <= GROWTH_PER_UPLOAD)
            },
        ),
        Goal::judged(
            "dm throughput with uploads in flight ≥ 90% of without",
            report,
            |uploads| {
                let measured = format!(
                    "{:.0} msg/s / {:.0} msg/s = {:.0} %",
                    uploads.busy.throughput(),
                    uploads.quiet.throughput(),
                    100.0 * uploads.dm_ratio()
                );
                (measured, uploads.dm_ratio() >= DM_RATIO)
            },
        ),
    ]
}
