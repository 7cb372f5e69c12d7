//! `login-storm`: chat latency while login loops hammer `POST /login` with valid
//! credentials, against the same chat load without them; and the logins the server
//! manages against the machine's bcrypt ceiling.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::watch;
use tokio::time::sleep;

use super::dm::{self, DmReport, Load, Pace};
use crate::accounts::{self, Account, PASSWORD};
use crate::api::{Api, Login};
use crate::references::bcrypt;
use crate::report::{Figures, Goal, Section};
use crate::target::{Server, Target};
use crate::tasks::joined;

/// A login loop pauses this long after an answer other than 200 or 503, so that a
/// misbehaving server is not spun against.
const REFUSED_PAUSE: Duration = Duration::from_millis(10);

pub const TITLE: &str = "Scenario: login storm";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// The server's BCRYPT_COST, for the ceiling measured first.
    #[arg(long, default_value_t = 12)]
    bcrypt_cost: u32,
    /// Seconds for the bcrypt ceiling.
    #[arg(long, default_value_t = 5)]
    ceiling_duration: u64,
    /// Users the login loops log in as, in turn.
    #[arg(long, default_value_t = 16)]
    users: usize,
    /// Concurrent login loops.
    #[arg(long, default_value_t = 8)]
    loops: usize,
    /// Seconds for each phase (without and with the storm).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Chat pairs.
    #[arg(long, default_value_t = 16)]
    pairs: usize,
    /// Chat messages per second in total, open loop.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
}

pub struct Plan {
    pub users: usize,
    pub loops: usize,
    pub duration: Duration,
    pub pairs: usize,
    pub rate: f64,
}

pub async fn run(args: &Args) -> Result<Section> {
    let ceiling =
        bcrypt::measure(args.bcrypt_cost, Duration::from_secs(args.ceiling_duration)).await?;
    let plan = Plan {
        users: args.users,
        loops: args.loops,
        duration: Duration::from_secs(args.duration),
        pairs: args.pairs,
        rate: args.rate,
    };
    let report = measure(&args.target.server()?, &plan, ceiling.per_second()).await?;
    let mut section = ceiling.section(bcrypt::TITLE);
    let storm = report.section(TITLE);
    section.markdown.push('\n');
    section.markdown.push_str(&storm.markdown);
    section.problems.extend(storm.problems);
    Ok(section)
}

/// `ceiling`: bcrypt verifies per second at the server's cost, measured in this run.
pub async fn measure(server: &Server, plan: &Plan, ceiling: f64) -> Result<StormReport> {
    let accounts: Arc<[Account]> = accounts::create(&server.api, "storm", plan.users.max(1))
        .await?
        .into();
    let pairs = dm::register_pairs(&server.api, plan.pairs).await?;
    let load = Load {
        pace: Pace::OpenLoop { rate: plan.rate },
        duration: plan.duration,
    };
    eprintln!("login-storm: chat without the storm…");
    let quiet = dm::measure(server, &pairs, load, None, None).await?;

    eprintln!("login-storm: chat with {} login loops…", plan.loops);
    let (stop, stopped) = watch::channel(false);
    let loops: Vec<_> = (0..plan.loops)
        .map(|first| {
            tokio::spawn(login_loop(
                server.api.clone(),
                Arc::clone(&accounts),
                first,
                plan.loops,
                stopped.clone(),
            ))
        })
        .collect();
    let stormy = dm::measure(server, &pairs, load, None, None).await;
    let _ = stop.send(true);
    let mut logins = Logins::default();
    for tally in joined(loops).await? {
        logins.add(tally);
    }
    Ok(StormReport {
        loops: plan.loops,
        users: accounts.len(),
        ceiling,
        logins,
        quiet,
        stormy: stormy?,
    })
}

#[derive(Default)]
pub struct Logins {
    pub succeeded: u64,
    /// 503 answers: the server's password queue was full.
    pub busy: u64,
    /// Other answers, by status.
    pub refused: BTreeMap<u16, u64>,
    /// The longest any loop ran.
    pub elapsed: Duration,
}

impl Logins {
    fn add(&mut self, other: Logins) {
        self.succeeded += other.succeeded;
        self.busy += other.busy;
        for (status, count) in other.refused {
            *self.refused.entry(status).or_default() += count;
        }
        self.elapsed = self.elapsed.max(other.elapsed);
    }

    pub fn per_second(&self) -> f64 {
        self.succeeded as f64 / self.elapsed.as_secs_f64()
    }
}

/// Logs in as the accounts `first`, `first + step`, … in turn until stopped; after
/// a 503 it waits as long as `Retry-After` says.
async fn login_loop(
    api: Api,
    accounts: Arc<[Account]>,
    first: usize,
    step: usize,
    mut stop: watch::Receiver<bool>,
) -> Result<Logins> {
    let mut logins = Logins::default();
    let start = Instant::now();
    for turn in (first..).step_by(step.max(1)) {
        let account = &accounts[turn % accounts.len()];
        let outcome = tokio::select! {
            outcome = api.try_login(&account.username, PASSWORD) => outcome?,
            _ = stop.changed() => break,
        };
        let pause = match outcome {
            Login::LoggedIn => {
                logins.succeeded += 1;
                continue;
            }
            Login::Busy(retry_after) => {
                logins.busy += 1;
                retry_after
            }
            Login::Refused(status) => {
                *logins.refused.entry(status.as_u16()).or_default() += 1;
                REFUSED_PAUSE
            }
        };
        tokio::select! {
            () = sleep(pause) => {}
            _ = stop.changed() => break,
        }
    }
    logins.elapsed = start.elapsed();
    Ok(logins)
}

pub struct StormReport {
    pub loops: usize,
    pub users: usize,
    /// bcrypt verifies per second at the server's cost.
    pub ceiling: f64,
    pub logins: Logins,
    pub quiet: DmReport,
    pub stormy: DmReport,
}

impl StormReport {
    /// Successful logins per second over the bcrypt ceiling.
    pub fn ceiling_fraction(&self) -> f64 {
        self.logins.per_second() / self.ceiling
    }

    /// The chat runs, without the storm and during it.
    pub fn dm_runs(&self) -> [&DmReport; 2] {
        [&self.quiet, &self.stormy]
    }

    /// Chat p99 with the storm over chat p99 without it.
    pub fn p99_ratio(&self) -> f64 {
        self.stormy.delivery.p99 as f64 / self.quiet.delivery.p99.max(1) as f64
    }

    pub fn section(&self, title: &str) -> Section {
        let mut problems: Vec<String> = self
            .quiet
            .problems()
            .into_iter()
            .map(|problem| format!("chat without the storm: {problem}"))
            .collect();
        problems.extend(
            self.stormy
                .problems()
                .into_iter()
                .map(|problem| format!("chat during the storm: {problem}")),
        );
        let refused = if self.logins.refused.is_empty() {
            "0".to_owned()
        } else {
            format!("{:?}", self.logins.refused)
        };
        Figures::new(title)
            .row("login loops", self.loops)
            .row("storm users", self.users)
            .row("chat pairs", self.quiet.pairs)
            .row("chat pace", self.quiet.load.pace)
            .row("seconds per phase", self.quiet.load.duration.as_secs())
            .row("successful logins", self.logins.succeeded)
            .row("logins/s", format!("{:.1}", self.logins.per_second()))
            .row("503 answers (Retry-After honoured)", self.logins.busy)
            .row("other refusals by status", refused)
            .row("bcrypt ceiling (verifies/s)", format!("{:.1}", self.ceiling))
            .row("logins/s over the ceiling", format!("{:.0} %", 100.0 * self.ceiling_fraction()))
            .row(
                "chat without storm: send → receive p50 / p90 / p99 / p99.9 / max (µs)",
                self.quiet.delivery.percentiles(),
            )
            .row(
                "chat with storm: send → receive p50 / p90 / p99 / p99.9 / max (µs)",
                self.stormy.delivery.percentiles(),
            )
            .row("chat p99 with / without storm", format!("{:.2}×", self.p99_ratio()))
            .note("Both phases run the same open-loop chat (see dm) with the same pairs; in the second, the login loops log in as the storm users in turn with valid credentials from the start of the phase until its chat is drained. A 503 is counted and the loop sleeps for its Retry-After. Logins/s is the successful logins over the loops' running time.")
            .section(problems)
    }
}

/// The login-storm goals: logins near the bcrypt ceiling, and chat latency
/// barely touched by them.
pub fn goals(report: Option<&StormReport>) -> [Goal; 2] {
    [
        Goal::judged(
            "logins/s during the storm ≥ 90% of the bcrypt ceiling",
            report,
            |storm| {
                let measured = format!(
                    "{:.1} / {:.1} = {:.0} %",
                    storm.logins.per_second(),
                    storm.ceiling,
                    100.0 * storm.ceiling_fraction()
                );
                (measured, storm.ceiling_fraction() >= 0.9)
            },
        ),
        Goal::judged(
            "chat p99 with the login storm ≤ 1.5× without",
            report,
            |storm| {
                let measured = format!(
                    "{} µs / {} µs = {:.2}×",
                    storm.stormy.delivery.p99,
                    storm.quiet.delivery.p99,
                    storm.p99_ratio()
                );
                (measured, storm.p99_ratio() <= 1.5)
            },
        ),
    ]
}
