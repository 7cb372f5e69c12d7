//! `connections`: many authenticated, idle sockets. How fast they connect, what each
//! costs the server in memory, and whether any drops while held; then the same
//! against the echo reference.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use futures_util::{stream, SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{interval_at, sleep, timeout};
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::accounts;
use crate::echo;
use crate::process;
use crate::report::{bytes, or_na, Figures, Goal, Section};
use crate::socket::{source_address, Endpoint, Socket};
use crate::target::{Server, Target};

/// Each idle socket pings the server this often, as a browser tab's client would.
const PING_INTERVAL: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

pub const TITLE: &str = "Scenario: idle connections";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// Sockets to open; clamped to what the open-file limits allow.
    #[arg(long, default_value_t = 100_000)]
    connections: usize,
    /// Users the sockets belong to (each registration costs two bcrypt runs).
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// Seconds to hold the sockets open.
    #[arg(long, default_value_t = 300)]
    hold: u64,
    /// Connection attempts in flight at once.
    #[arg(long, default_value_t = 200)]
    in_flight: usize,
}

pub struct Plan {
    pub connections: usize,
    pub users: usize,
    pub hold: Duration,
    pub in_flight: usize,
}

pub async fn run(args: &Args) -> Result<Section> {
    let plan = Plan {
        connections: args.connections,
        users: args.users,
        hold: Duration::from_secs(args.hold),
        in_flight: args.in_flight,
    };
    Ok(measure(&args.target.server()?, &plan).await?.section(TITLE))
}

/// How many sockets the bench may open: `wanted`, or fewer if the open-file limits
/// of this process or of `pids` say so.
pub fn clamp_sockets(wanted: usize, pids: &[u32]) -> Result<usize> {
    let budget = process::socket_budget(pids)?;
    if wanted > budget {
        eprintln!(
            "only {budget} sockets fit under the open-file limit (ulimit -n, less a reserve): \
             opening {budget} instead of {wanted}"
        );
    }
    Ok(wanted.min(budget))
}

pub async fn measure(server: &Server, plan: &Plan) -> Result<ConnectionsReport> {
    let count = clamp_sockets(plan.connections, server.pid.as_slice())?;
    let users = accounts::create(&server.api, "conn", plan.users.clamp(1, count.max(1))).await?;
    let tokens: Vec<String> = users.into_iter().map(|user| user.token).collect();
    eprintln!("connections: opening {count} sockets to Parley…");
    let parley = hold(
        &server.endpoint,
        server.pid,
        &tokens,
        count,
        plan.in_flight,
        plan.hold,
    )
    .await?;

    let reference = echo::start().await?;
    let endpoint = Endpoint::new(&reqwest::Url::parse(&reference.url)?)?;
    eprintln!("connections: opening {count} sockets to the echo reference…");
    let echo = hold(
        &endpoint,
        Some(reference.pid),
        &["none".to_owned()],
        count,
        plan.in_flight,
        Duration::ZERO,
    )
    .await;
    reference.stop().await?;
    Ok(ConnectionsReport {
        requested: plan.connections,
        users: tokens.len(),
        hold: plan.hold,
        parley,
        echo: echo?,
    })
}

pub struct ConnectionsReport {
    pub requested: usize,
    pub users: usize,
    pub hold: Duration,
    pub parley: Held,
    pub echo: Held,
}

impl ConnectionsReport {
    /// Parley's memory per connection over the echo server's.
    pub fn slope_ratio(&self) -> Option<f64> {
        Some(self.parley.slope()? / self.echo.slope()?)
    }

    pub fn section(&self, title: &str) -> Section {
        let mut problems = self.parley.sockets.problems("Parley");
        problems.extend(self.echo.sockets.problems("the echo reference"));
        let figures = Figures::new(title)
            .row("sockets requested", self.requested)
            .row("users", self.users)
            .row("held for (s)", self.hold.as_secs());
        let figures = self.parley.rows(figures, "Parley");
        let figures = self.echo.rows(figures, "echo reference");
        figures
            .row(
                "RSS per connection, Parley / echo",
                or_na(self.slope_ratio().map(|ratio| format!("{ratio:.2}×"))),
            )
            .note("Each socket connects from one of 127.0.0.2–127.0.0.9 to `/ws?token=…` and counts once its `ready` frame arrived; at most the given number of connects are in flight. Each socket's task reads (so the server's pings get pongs) and pings every 15 s. RSS comes from `/proc/PID/smaps_rollup` before the first connect and after the last; the slope is their difference over the sockets opened. The echo reference (actix-ws, no auth, no database; a child process of the bench) gets the same sockets and is not held. A drop is a socket that closed or failed before the bench closed it.")
            .section(problems)
    }
}

/// The idle-connection goals: memory per connection, on its own and against the
/// echo server's, and a long hold without drops.
pub fn goals(report: Option<&ConnectionsReport>) -> [Goal; 4] {
    [
        Goal::judged(
            "server RSS per idle connection ≤ 16 KiB",
            report.and_then(|c| c.parley.slope()),
            |slope| (bytes(slope), slope <= 16.0 * 1024.0),
        ),
        Goal::judged(
            "server RSS per idle connection ≤ 1.3× the echo server's",
            report.and_then(ConnectionsReport::slope_ratio),
            |ratio| (format!("{ratio:.2}×"), ratio <= 1.3),
        ),
        Goal::judged("100,000 idle connections held 5 minutes", report, |c| {
            let measured = format!(
                "{} of {} opened, held {} s",
                c.parley.sockets.opened,
                c.requested,
                c.hold.as_secs()
            );
            let met = c.parley.sockets.opened >= 100_000
                && c.hold >= Duration::from_secs(300)
                && c.parley.sockets.drops == 0;
            (measured, met)
        }),
        Goal::judged("no idle connection drops", report, |c| {
            let sockets = &c.parley.sockets;
            let measured = format!("{} of {}", sockets.drops, sockets.opened);
            (measured, sockets.drops == 0)
        }),
    ]
}

/// One server's figures.
pub struct Held {
    pub sockets: IdleFigures,
    pub rss_before: Option<u64>,
    pub rss_connected: Option<u64>,
    pub rss_held: Option<u64>,
}

impl Held {
    /// Bytes of server RSS per opened socket.
    pub fn slope(&self) -> Option<f64> {
        let grown = self.rss_connected? as f64 - self.rss_before? as f64;
        (self.sockets.opened > 0).then(|| grown / self.sockets.opened as f64)
    }

    fn rows(&self, figures: Figures, who: &str) -> Figures {
        let rss = |value: Option<u64>| or_na(value.map(|v| bytes(v as f64)));
        self.sockets
            .rows(figures, who)
            .row(format!("{who}: RSS before"), rss(self.rss_before))
            .row(
                format!("{who}: RSS after connecting"),
                rss(self.rss_connected),
            )
            .row(format!("{who}: RSS after holding"), rss(self.rss_held))
            .row(
                format!("{who}: RSS per connection"),
                or_na(self.slope().map(bytes)),
            )
    }
}

async fn hold(
    endpoint: &Endpoint,
    pid: Option<u32>,
    tokens: &[String],
    count: usize,
    in_flight: usize,
    hold: Duration,
) -> Result<Held> {
    let rss = || pid.map(process::rss_bytes).transpose();
    let rss_before = rss()?;
    let sockets = IdleSockets::open(endpoint, tokens, count, in_flight).await;
    let rss_connected = rss()?;
    sleep(hold).await;
    let rss_held = rss()?;
    Ok(Held {
        sockets: sockets.close().await,
        rss_before,
        rss_connected,
        rss_held,
    })
}

/// How a set of idle sockets fared.
pub struct IdleFigures {
    pub opened: usize,
    pub failed: usize,
    pub first_failure: Option<String>,
    pub connect_time: Duration,
    /// Sockets that closed or failed before the bench closed them.
    pub drops: u64,
}

impl IdleFigures {
    pub fn connect_rate(&self) -> f64 {
        self.opened as f64 / self.connect_time.as_secs_f64()
    }

    pub fn rows(&self, figures: Figures, who: &str) -> Figures {
        figures
            .row(format!("{who}: sockets opened"), self.opened)
            .row(format!("{who}: connects failed"), self.failed)
            .row(
                format!("{who}: connect rate (sockets/s)"),
                format!("{:.0}", self.connect_rate()),
            )
            .row(format!("{who}: drops"), self.drops)
    }

    pub fn problems(&self, who: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if self.failed > 0 {
            problems.push(format!(
                "{} sockets to {who} failed to connect (first: {})",
                self.failed,
                self.first_failure.as_deref().unwrap_or("?")
            ));
        }
        if self.drops > 0 {
            problems.push(format!("{} sockets to {who} dropped", self.drops));
        }
        problems
    }
}

/// Connected sockets that only read and ping until closed.
pub struct IdleSockets {
    figures: IdleFigures,
    tasks: JoinSet<()>,
    drops: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
}

impl IdleSockets {
    /// Opens `count` sockets, taking the tokens in turn, with at most `in_flight`
    /// connects at once.
    pub async fn open(
        endpoint: &Endpoint,
        tokens: &[String],
        count: usize,
        in_flight: usize,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let mut sockets = Self {
            figures: IdleFigures {
                opened: 0,
                failed: 0,
                first_failure: None,
                connect_time: Duration::ZERO,
                drops: 0,
            },
            tasks: JoinSet::new(),
            drops: Arc::new(AtomicU64::new(0)),
            stop,
        };
        if tokens.is_empty() {
            return sockets;
        }
        let start = Instant::now();
        let mut connects = stream::iter(0..count)
            .map(|i| async move {
                let token = &tokens[i % tokens.len()];
                match timeout(CONNECT_TIMEOUT, endpoint.connect(token, source_address(i))).await {
                    Ok(connected) => connected,
                    Err(_) => bail!("no connection within {CONNECT_TIMEOUT:?}"),
                }
            })
            .buffer_unordered(in_flight.max(1));
        while let Some(connected) = connects.next().await {
            let figures = &mut sockets.figures;
            match connected {
                Ok(socket) => {
                    // Spread the pings of sockets opened together over the interval.
                    let offset = PING_INTERVAL.mul_f64((figures.opened % 1000) as f64 / 1000.0);
                    let drops = Arc::clone(&sockets.drops);
                    sockets
                        .tasks
                        .spawn(idle(socket, offset, stopped.clone(), drops));
                    figures.opened += 1;
                }
                Err(e) => {
                    figures.failed += 1;
                    figures
                        .first_failure
                        .get_or_insert_with(|| format!("{e:#}"));
                }
            }
        }
        sockets.figures.connect_time = start.elapsed();
        sockets
    }

    /// Closes every socket.
    pub async fn close(mut self) -> IdleFigures {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
        self.figures.drops = self.drops.load(Ordering::Relaxed);
        self.figures
    }
}

async fn idle(
    mut socket: Socket,
    offset: Duration,
    mut stop: watch::Receiver<bool>,
    drops: Arc<AtomicU64>,
) {
    let mut ping = interval_at(
        tokio::time::Instant::now() + PING_INTERVAL + offset,
        PING_INTERVAL,
    );
    loop {
        tokio::select! {
            _ = stop.changed() => {
                let _ = socket.close(None).await;
                return;
            }
            frame = socket.next() => {
                if !matches!(frame, Some(Ok(_))) {
                    break;
                }
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Bytes::new())).await.is_err() {
                    break;
                }
            }
        }
    }
    drops.fetch_add(1, Ordering::Relaxed);
}
