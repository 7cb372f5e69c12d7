//! `uploads`: many large uploads at once (`POST /attachments`), for the server's
//! memory while they are in flight and their throughput against the same bytes
//! written straight into the same store; then dm throughput with and without
//! paced uploads in flight.

mod flights;
mod payload;
mod reference;
mod report;
mod resident;
mod tally;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};

use self::flights::{burst, Background};
use self::payload::Payload;
pub use self::report::{goals, UploadsReport};
use self::tally::Uploader;
use super::dm::{self, Load, Pace};
use crate::accounts::{self, Account};
use crate::process::CpuMeter;
use crate::report::Section;
use crate::target::{Server, Target};

pub const TITLE: &str = "Scenario: uploads (on a freshly started server)";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// The server's ATTACHMENT_STORE directory: the reference writes the same
    /// bytes there.
    #[arg(long)]
    store: PathBuf,
    /// Uploads at once.
    #[arg(long, default_value_t = 50)]
    uploads: usize,
    /// Bytes per upload (random, so incompressible).
    #[arg(long, default_value_t = 10 << 20)]
    size: usize,
    /// Users the uploads are spread over, in turn: uploads count against each
    /// user's send rate (SEND_RATE, SEND_BURST) and quota (ATTACHMENT_QUOTA_BYTES),
    /// and the server takes at most 4 arriving at once from one user.
    #[arg(long, default_value_t = 25)]
    users: usize,
    /// Uploads kept in flight during the second dm run.
    #[arg(long, default_value_t = 50)]
    background: usize,
    /// KiB per second of each background upload.
    #[arg(long, default_value_t = 1024)]
    background_rate: u64,
    /// dm sender/receiver pairs.
    #[arg(long, default_value_t = 64)]
    pairs: usize,
    /// Messages each dm sender keeps in flight (closed loop).
    #[arg(long, default_value_t = 32)]
    window: usize,
    /// Seconds of each dm run.
    #[arg(long, default_value_t = 20)]
    duration: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub uploads: usize,
    pub size: usize,
    pub users: usize,
    pub background: usize,
    /// Bytes per second of each background upload.
    pub background_rate: f64,
    pub pairs: usize,
    pub window: usize,
    pub duration: Duration,
}

pub async fn run(args: &Args) -> Result<Section> {
    let plan = Plan {
        uploads: args.uploads,
        size: args.size,
        users: args.users,
        background: args.background,
        background_rate: args.background_rate as f64 * 1024.0,
        pairs: args.pairs,
        window: args.window,
        duration: Duration::from_secs(args.duration),
    };
    let report = measure(&args.target.server()?, &plan, &args.store).await?;
    Ok(report.section(TITLE))
}

/// The reference, the burst of uploads, then dm without and with uploads in flight.
/// `store`: the directory the server stores attachments in.
pub async fn measure(server: &Server, plan: &Plan, store: &Path) -> Result<UploadsReport> {
    if plan.uploads == 0 || plan.background == 0 || plan.size == 0 || plan.background_rate <= 0.0 {
        bail!("uploads needs at least one upload, of at least one byte, at a positive rate");
    }
    eprintln!("uploads: generating {} random bytes…", plan.size);
    let payload = Arc::new(Payload::random(plan.size));
    let users = plan.users.clamp(1, plan.uploads.max(plan.background));
    let accounts = accounts::create(&server.api, "upload", users).await?;
    let pairs = dm::register_pairs(&server.api, plan.pairs).await?;
    let uploaders = |count: usize, rate: Option<f64>| -> Vec<Uploader> {
        accounts
            .iter()
            .cycle()
            .take(count)
            .map(|account: &Account| Uploader {
                api: server.api.clone(),
                token: account.token.clone(),
                payload: Arc::clone(&payload),
                rate,
            })
            .collect()
    };

    eprintln!(
        "uploads: the reference writes {} files into {}…",
        plan.uploads,
        store.display()
    );
    let copied = reference::copy(&payload, plan.uploads, store).await?;
    eprintln!("uploads: {} uploads at once…", plan.uploads);
    let cpu = CpuMeter::start(server.pid)?;
    let (burst, resident) =
        resident::sampled(server.pid, burst(uploaders(plan.uploads, None))).await?;
    let burst_cpu = cpu.used()?;
    let (burst, burst_elapsed) = burst?;
    if burst.intact == 0 {
        bail!(
            "no upload was stored intact ({} failed, the first with: {})",
            burst.failed,
            burst
                .first_failure
                .as_deref()
                .unwrap_or("a wrong size or SHA-256")
        );
    }

    let load = Load {
        pace: Pace::ClosedLoop {
            window: plan.window,
        },
        duration: plan.duration,
    };
    eprintln!("uploads: dm alone…");
    let quiet = dm::measure(server, &pairs, load, None, None).await?;
    eprintln!("uploads: dm with {} uploads in flight…", plan.background);
    let background = Background::start(uploaders(plan.background, Some(plan.background_rate)));
    let busy = dm::measure(server, &pairs, load, None, None).await;
    let background = background.stop().await?;
    Ok(UploadsReport {
        plan: *plan,
        users,
        copied,
        burst,
        burst_elapsed,
        burst_cpu,
        resident,
        quiet,
        busy: busy?,
        background,
    })
}
