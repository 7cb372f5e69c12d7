//! `bcrypt-ceiling`: how many password checks per second this machine can do at
//! all, with one thread per core and nothing else to do.

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::report::{Figures, Section};

pub const TITLE: &str = "Reference: bcrypt ceiling";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// bcrypt cost: the server's BCRYPT_COST.
    #[arg(long, default_value_t = 12)]
    pub cost: u32,
    /// Seconds to verify for.
    #[arg(long, default_value_t = 5)]
    pub duration: u64,
}

pub struct Ceiling {
    pub cost: u32,
    pub threads: usize,
    pub verifies: u64,
    pub elapsed: Duration,
}

impl Ceiling {
    pub fn per_second(&self) -> f64 {
        self.verifies as f64 / self.elapsed.as_secs_f64()
    }

    pub fn section(&self, title: &str) -> Section {
        Figures::new(title)
            .row("cost", self.cost)
            .row("threads (one per core)", self.threads)
            .row("verifies", self.verifies)
            .row("seconds", format!("{:.2}", self.elapsed.as_secs_f64()))
            .row("verifies/s", format!("{:.1}", self.per_second()))
            .note("`bcrypt::verify` of one cost-C hash in a loop on every thread, in the bench process, while the server is idle.")
            .section(Vec::new())
    }
}

pub async fn run(args: &Args) -> Result<Section> {
    Ok(measure(args.cost, Duration::from_secs(args.duration))
        .await?
        .section(TITLE))
}

pub async fn measure(cost: u32, duration: Duration) -> Result<Ceiling> {
    tokio::task::spawn_blocking(move || verify_on_every_core(cost, duration))
        .await
        .context("the bcrypt threads")?
}

fn verify_on_every_core(cost: u32, duration: Duration) -> Result<Ceiling> {
    const PASSWORD: &str = "correct horse battery staple";
    let hash = bcrypt::hash(PASSWORD, cost).context("hashing the reference password")?;
    let threads = thread::available_parallelism().map_or(1, usize::from);
    let verifies = AtomicU64::new(0);
    let start = Instant::now();
    let deadline = start + duration;
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    while Instant::now() < deadline {
                        if !bcrypt::verify(PASSWORD, &hash).context("verifying")? {
                            bail!("the reference hash did not verify");
                        }
                        verifies.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a bcrypt thread panicked"))?
        })
    })?;
    Ok(Ceiling {
        cost,
        threads,
        verifies: verifies.into_inner(),
        elapsed: start.elapsed(),
    })
}
