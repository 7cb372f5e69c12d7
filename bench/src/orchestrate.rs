//! `all`: starts the server itself, runs every reference and scenario in one go,
//! and writes the Markdown report with the goals.

use std::fmt::Write as _;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::process::Command;
use tokio_postgres::Client;

use crate::accounts::random_word;
use crate::child::Listening;
use crate::database;
use crate::process;
use crate::references::bcrypt::{self, Ceiling};
use crate::references::db::{self, DbCeiling};
use crate::report::{self, goals_table, Goal, Section};
use crate::scenarios::connections::{self, ConnectionsReport};
use crate::scenarios::dm::{self, DmReport, Idle, Load, Pace};
use crate::scenarios::history::{self, HistoryReport};
use crate::scenarios::login_storm::{self, StormReport};
use crate::scenarios::rooms::{self, RoomsReport};
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

/// How big each measurement is.
struct Sizes {
    bcrypt_cost: u32,
    ceiling_time: Duration,
    db: db::Plan,
    pairs: usize,
    window: usize,
    dm_time: Duration,
    idle: Idle,
    rooms: rooms::Plan,
    history: history::Plan,
    storm: login_storm::Plan,
    connections: connections::Plan,
}

impl Sizes {
    fn full() -> Self {
        Self {
            bcrypt_cost: 12,
            ceiling_time: Duration::from_secs(5),
            db: db::Plan {
                connections: 16,
                duration: Duration::from_secs(10),
                batch: 256,
            },
            pairs: 64,
            window: 32,
            dm_time: Duration::from_secs(20),
            idle: Idle {
                sockets: 10_000,
                users: 200,
            },
            rooms: rooms::Plan {
                members: 200,
                messages: 5_000,
                window: 32,
            },
            history: history::Plan {
                messages: 1_000_000,
                rate: 1000.0,
                duration: Duration::from_secs(10),
            },
            storm: login_storm::Plan {
                users: 16,
                loops: 8,
                duration: Duration::from_secs(20),
                pairs: 16,
                rate: 1000.0,
            },
            connections: connections::Plan {
                connections: 100_000,
                users: 200,
                hold: Duration::from_secs(300),
                in_flight: 200,
            },
        }
    }

    fn smoke() -> Self {
        let seconds = Duration::from_secs(2);
        Self {
            bcrypt_cost: 4,
            ceiling_time: Duration::from_secs(1),
            db: db::Plan {
                connections: 16,
                duration: seconds,
                batch: 256,
            },
            pairs: 4,
            window: 8,
            dm_time: seconds,
            idle: Idle {
                sockets: 50,
                users: 5,
            },
            rooms: rooms::Plan {
                members: 20,
                messages: 500,
                window: 8,
            },
            history: history::Plan {
                messages: 5_000,
                rate: 200.0,
                duration: seconds,
            },
            storm: login_storm::Plan {
                users: 2,
                loops: 2,
                duration: seconds,
                pairs: 2,
                rate: 100.0,
            },
            connections: connections::Plan {
                connections: 50,
                users: 5,
                hold: seconds,
                in_flight: 50,
            },
        }
    }

    fn for_args(args: &Args) -> Self {
        let mut sizes = if args.smoke {
            Self::smoke()
        } else {
            Self::full()
        };
        if let Some(cost) = args.bcrypt_cost {
            sizes.bcrypt_cost = cost;
        }
        if let Some(connections) = args.connections {
            sizes.connections.connections = connections;
        }
        if let Some(hold) = args.hold {
            sizes.connections.hold = Duration::from_secs(hold);
        }
        sizes
    }
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
        goals
    }
}

/// The report as it is written.
#[derive(Default)]
struct Sections {
    markdown: Vec<String>,
    problems: Vec<String>,
}

impl Sections {
    fn add(&mut self, section: Section) {
        self.markdown.push(section.markdown);
        self.problems.extend(section.problems);
    }

    /// Records a server that failed to start or exited by itself.
    fn server(&mut self, served: Result<()>) {
        if let Err(e) = served {
            eprintln!("the Parley server failed: {e:#}");
            self.add(report::failed("The Parley server", &e));
        }
    }

    /// Records a measurement that could not run because `missing`, which it
    /// depends on, was not measured.
    fn skipped(&mut self, title: &str, missing: &str) {
        let why = anyhow::anyhow!("{missing} was not measured");
        self.add(report::failed(title, &why));
    }

    /// Runs one measurement and records its section, or its failure.
    async fn measure<T>(
        &mut self,
        title: &str,
        measurement: impl Future<Output = Result<T>>,
        section: impl FnOnce(&T, &str) -> Section,
    ) -> Option<T> {
        eprintln!("== {title}");
        match measurement.await {
            Ok(value) => {
                self.add(section(&value, title));
                Some(value)
            }
            Err(e) => {
                eprintln!("{title} failed: {e:#}");
                self.add(report::failed(title, &e));
                None
            }
        }
    }
}

/// Runs everything and writes the report; returns the problems found.
pub async fn run(args: &Args) -> Result<Vec<String>> {
    let sizes = Sizes::for_args(args);
    let database = database::connect(&args.database_url).await?;
    let machine = machine(&database).await?;
    let mut sections = Sections::default();
    let mut results = Results::default();

    let parley = Parley {
        binary: &args.server,
        bcrypt_cost: sizes.bcrypt_cost,
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

/// How the bench starts the Parley server.
struct Parley<'a> {
    binary: &'a Path,
    bcrypt_cost: u32,
}

impl Parley<'_> {
    /// Starts the server on `database_url` for the bench to use, with the send,
    /// registration, room and socket limits out of the way; stops it after `work`. Fails if the server does not
    /// start, or exits by itself before it is stopped.
    async fn serve(&self, database_url: &str, work: impl AsyncFnOnce(&Server)) -> Result<()> {
        let mut command = Command::new(self.binary);
        command
            .env("DATABASE_URL", database_url)
            .env("BIND", "127.0.0.1:0")
            .env("SEND_RATE", "1000000")
            .env("SEND_BURST", "1000000")
            // Every bench user registers from 127.0.0.1, and the connections
            // scenario holds hundreds of sockets per user.
            .env("REGISTER_RATE", "1000000")
            .env("REGISTER_BURST", "1000000")
            .env("ROOM_RATE", "1000000")
            .env("ROOM_BURST", "1000000")
            .env("MEMBERSHIP_RATE", "1000000")
            .env("MEMBERSHIP_BURST", "1000000")
            .env("MAX_SOCKETS_PER_USER", "1000000")
            .env("RUST_LOG", "warn")
            .env("JWT_SECRET", random_word(48))
            .env("BCRYPT_COST", self.bcrypt_cost.to_string());
        eprintln!("starting {} on {database_url}…", self.binary.display());
        let process = Listening::spawn(command).await?;
        let server = Server::new(&process.url, Some(process.pid))?;
        work(&server).await;
        process.stop().await
    }
}

/// Rows of the machine table.
async fn machine(database: &Client) -> Result<Vec<(&'static str, String)>> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let memory = process::memory_total_bytes()? as f64 / f64::from(1 << 30);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .context("reading the kernel release")?
        .trim()
        .to_owned();
    Ok(vec![
        ("cores", cores.to_string()),
        ("memory", format!("{memory:.1} GiB")),
        ("kernel", kernel),
        (
            "PostgreSQL",
            database::setting(database, "server_version").await?,
        ),
        (
            "synchronous_commit",
            database::setting(database, "synchronous_commit").await?,
        ),
    ])
}

fn render(machine: &[(&str, String)], goals: &[Goal], sections: &Sections) -> String {
    let command: Vec<String> = std::env::args().collect();
    let mut out = format!(
        "# Parley benchmarks\n\nWritten by `parley-bench all`, run as:\n\n```\n{}\n```\n\n## Machine\n\n| | |\n|---|---|\n",
        command.join(" ")
    );
    for (name, value) in machine {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    let _ = write!(
        out,
        "\n## Goals\n\n{}\n## Measurements\n\n",
        goals_table(goals)
    );
    out.push_str("Latencies are in microseconds, from one monotonic clock in the bench process. Server CPU and memory come from `/proc` of the server process; the bench, the server and PostgreSQL share the machine.\n\n");
    for markdown in &sections.markdown {
        out.push_str(markdown);
        out.push('\n');
    }
    if !sections.problems.is_empty() {
        out.push_str("## Problems\n\n");
        for problem in &sections.problems {
            let _ = writeln!(out, "- {problem}");
        }
    }
    out
}
