//! `all`: starts the server itself, runs every reference and scenario in one go,
//! and writes the Markdown report with the goals. Each scenario's report states
//! its own goals; this only runs the measurements and puts the report together.

mod document;
mod parley;
mod sections;
mod sizes;

use std::path::PathBuf;

use anyhow::{Context, Result};
use tokio_postgres::Client;

use self::document::{machine, render};
pub(crate) use self::parley::Parley;
use self::sections::Sections;
use self::sizes::Sizes;
use crate::database;
use crate::references::bcrypt::{self, Ceiling};
use crate::references::db::{self, DbCeiling};
use crate::report::{self, Goal};
use crate::scenarios::connections::{self, ConnectionsReport};
use crate::scenarios::dm::{self, DmReport, Load, Pace};
use crate::scenarios::history::{self, HistoryReport};
use crate::scenarios::login_storm::{self, StormReport};
use crate::scenarios::rooms::{self, RoomsReport};
use crate::scenarios::uploads::{self, UploadsReport};
use crate::target::Server;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The Parley binary to start.
    #[arg(long)]
    server: PathBuf,
    /// An empty (or earlier bench) PostgreSQL database for the server.
    #[arg(long)]
    database_url: String,
    /// Where to write the Markdown report.
    #[arg(long)]
    out: PathBuf,
    /// Every scenario at a tiny size, to check the tool end to end (for CI). Fails
    /// on lost or duplicated messages or a failed scenario, never on timing.
    #[arg(long)]
    smoke: bool,
    /// The server's BCRYPT_COST [default: 12, or 4 with --smoke].
    #[arg(long)]
    bcrypt_cost: Option<u32>,
    /// Idle connections to open [default: 100000].
    #[arg(long)]
    connections: Option<usize>,
    /// Seconds to hold them [default: 300].
    #[arg(long)]
    hold: Option<u64>,
}

/// Everything measured, as far as it could be.
#[derive(Default)]
struct Results {
    ceiling: Option<Ceiling>,
    db: Option<DbCeiling>,
    closed: Option<DmReport>,
    open: Option<DmReport>,
    rooms: Option<RoomsReport>,
    history: Option<HistoryReport>,
    storm: Option<StormReport>,
    connections: Option<ConnectionsReport>,
    uploads: Option<UploadsReport>,
    sqlite: Option<DmReport>,
}

impl Results {
    /// Every dm run, the login storm's included.
    fn dm_runs(&self) -> Vec<&DmReport> {
        let mut runs: Vec<&DmReport> = [&self.closed, &self.open, &self.sqlite]
            .into_iter()
            .flatten()
            .collect();
        if let Some(storm) = &self.storm {
            runs.extend(storm.dm_runs());
        }
        if let Some(uploads) = &self.uploads {
            runs.extend(uploads.dm_runs());
        }
        runs
    }

    /// Every report's goals, in the report's order.
    fn goals(&self, sizes: &Sizes) -> Vec<Goal> {
        let db = self.db.as_ref();
        let dm_runs = self.dm_runs();
        let mut chat_runs: Vec<report::Losses> = dm_runs.iter().map(|run| run.losses()).collect();
        chat_runs.extend(self.rooms.as_ref().map(RoomsReport::losses));

        let mut goals = Vec::new();
        goals.extend(dm::goals::closed_loop(self.closed.as_ref(), db));
        goals.push(report::no_losses(&chat_runs));
        goals.push(dm::goals::receivers_kept(&dm_runs));
        goals.extend(dm::goals::open_loop(self.open.as_ref(), db));
        goals.extend(connections::goals(self.connections.as_ref()));
        goals.extend(history::goals(self.history.as_ref(), &sizes.history));
        goals.extend(login_storm::goals(self.storm.as_ref()));
        goals.extend(uploads::goals(self.uploads.as_ref()));
        goals
    }
}

/// Runs everything and writes the report; returns the problems found.
pub async fn run(args: &Args) -> Result<Vec<String>> {
    let sizes = Sizes::for_args(args);
    let database = database::connect(&args.database_url).await?;
    let machine = machine(&database).await?;
    let mut sections = Sections::default();
    let mut results = Results::default();

    // Every server stores attachments here; the uploads scenario's reference
    // writes its files here too.
    let store = tempfile::tempdir().context("creating a directory for attachments")?;
    let parley = Parley {
        binary: &args.server,
        bcrypt_cost: sizes.bcrypt_cost,
        attachment_store: store.path(),
    };
    let served = parley
        .serve(&args.database_url, async |server| {
            on_postgres(
                server,
                &database,
                &args.database_url,
                &sizes,
                &mut sections,
                &mut results,
            )
            .await;
        })
        .await;
    sections.server(served);
    // A fresh server process: memory that earlier scenarios made the server
    // allocate and free would otherwise hide what new connections cost.
    let served = parley
        .serve(&args.database_url, async |server| {
            results.connections = sections
                .measure(
                    "Scenario: idle connections (on a freshly started server)",
                    connections::measure(server, &sizes.connections),
                    ConnectionsReport::section,
                )
                .await;
        })
        .await;
    sections.server(served);
    // A fresh server again, for memory per upload as for memory per socket.
    let served = parley
        .serve(&args.database_url, async |server| {
            results.uploads = sections
                .measure(
                    uploads::TITLE,
                    uploads::measure(server, &sizes.uploads, store.path()),
                    UploadsReport::section,
                )
                .await;
        })
        .await;
    sections.server(served);

    let sqlite_dir = tempfile::tempdir().context("creating a directory for SQLite")?;
    let sqlite_url = format!("sqlite://{}", sqlite_dir.path().join("parley.db").display());
    let served = parley
        .serve(&sqlite_url, async |server| {
            let run = async {
                let pairs = dm::register_pairs(&server.api, sizes.pairs).await?;
                closed_loop(server, &pairs, &sizes, None).await
            };
            results.sqlite = sections
                .measure("Scenario: dm closed loop, SQLite", run, DmReport::section)
                .await;
        })
        .await;
    sections.server(served);

    let goals = results.goals(&sizes);
    let report = render(&machine, &goals, &sections);
    std::fs::write(&args.out, report).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("report written to {}", args.out.display());
    Ok(sections.problems)
}

/// The measurements against the server on PostgreSQL, in order.
async fn on_postgres(
    server: &Server,
    database: &Client,
    database_url: &str,
    sizes: &Sizes,
    sections: &mut Sections,
    results: &mut Results,
) {
    results.ceiling = sections
        .measure(
            bcrypt::TITLE,
            bcrypt::measure(sizes.bcrypt_cost, sizes.ceiling_time),
            Ceiling::section,
        )
        .await;
    results.db = sections
        .measure(
            db::TITLE,
            db::measure(database_url, sizes.db),
            DbCeiling::section,
        )
        .await;

    chat_on_postgres(server, database, sizes, sections, results).await;
    results.rooms = sections
        .measure(
            rooms::TITLE,
            rooms::measure(server, &sizes.rooms),
            RoomsReport::section,
        )
        .await;
    results.history = sections
        .measure(
            history::TITLE,
            history::measure(server, database, &sizes.history),
            HistoryReport::section,
        )
        .await;
    let title = login_storm::TITLE;
    match results.ceiling.as_ref().map(Ceiling::per_second) {
        Some(ceiling) => {
            let run = login_storm::measure(server, &sizes.storm, ceiling);
            results.storm = sections.measure(title, run, StormReport::section).await;
        }
        None => sections.skipped(title, "the bcrypt ceiling"),
    }
}

/// dm in a closed loop, then in an open loop at a quarter of its throughput, with
/// the same pairs.
async fn chat_on_postgres(
    server: &Server,
    database: &Client,
    sizes: &Sizes,
    sections: &mut Sections,
    results: &mut Results,
) {
    let closed_title = "Scenario: dm closed loop, PostgreSQL";
    let pairs = match dm::register_pairs(&server.api, sizes.pairs).await {
        Ok(pairs) => pairs,
        Err(e) => return sections.add(report::failed(closed_title, &e)),
    };
    let run = closed_loop(server, &pairs, sizes, Some(database));
    results.closed = sections.measure(closed_title, run, DmReport::section).await;
    let title = "Scenario: dm open loop at 25% of the closed-loop throughput, with idle sockets";
    match results.closed.as_ref().map(DmReport::throughput) {
        Some(max) if max > 0.0 => {
            let load = Load {
                pace: Pace::OpenLoop { rate: max / 4.0 },
                duration: sizes.dm_time,
            };
            let run = dm::measure(server, &pairs, load, Some(sizes.idle), Some(database));
            results.open = sections.measure(title, run, DmReport::section).await;
        }
        _ => sections.skipped(title, "the closed-loop throughput"),
    }
}

/// dm at full speed.
async fn closed_loop(
    server: &Server,
    pairs: &[dm::Pair],
    sizes: &Sizes,
    database: Option<&Client>,
) -> Result<DmReport> {
    let load = Load {
        pace: Pace::ClosedLoop {
            window: sizes.window,
        },
        duration: sizes.dm_time,
    };
    dm::measure(server, pairs, load, None, database).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With nothing measured, every goal still has its row, in the report's order.
    #[test]
    fn every_goal_has_a_row_when_nothing_was_measured() {
        let goals = Results::default().goals(&Sizes::smoke());
        let rows: Vec<(&str, &str, Option<bool>)> = goals
            .iter()
            .map(|goal| (goal.goal.as_str(), goal.measured.as_str(), goal.met))
            .collect();
        let unmeasured = |goal| (goal, "not measured", None);
        assert_eq!(
            rows,
            [
                unmeasured("dm throughput ≥ 2× the single-row insert ceiling (PostgreSQL)"),
                unmeasured("dm throughput ≥ 10,000 msg/s (PostgreSQL)"),
                (
                    "lost = 0 and duplicated = 0 (every chat run)",
                    "lost 0, duplicated 0 over 0 runs",
                    Some(false)
                ),
                (
                    "no dm receiver dropped by the server (every dm run)",
                    "0 dropped, 0 messages recovered over 0 runs",
                    Some(false)
                ),
                unmeasured("open-loop p99 ≤ the database's commit p99 + 8 ms"),
                unmeasured("open-loop p99.9 ≤ 25 ms"),
                unmeasured("server RSS per idle connection ≤ 16 KiB"),
                unmeasured("server RSS per idle connection ≤ 1.3× the echo server's"),
                unmeasured("100,000 idle connections held 5 minutes"),
                unmeasured("no idle connection drops"),
                unmeasured("history oldest/newest page p50 ≤ 1.2×"),
                unmeasured("history oldest/newest page p99 ≤ 1.2×"),
                unmeasured("history p99 ≤ 5 ms at 200 pages/s (worst position)"),
                unmeasured("logins/s during the storm ≥ 90% of the bcrypt ceiling"),
                unmeasured("chat p99 with the login storm ≤ 1.5× without"),
                unmeasured("server RSS growth per upload in flight ≤ 4 MiB"),
                unmeasured("dm throughput with uploads in flight ≥ 90% of without"),
            ]
        );
    }
}
