//! `dm`: sender/receiver pairs, each a user with one socket. Every message is
//! tracked from its send to its ack and to its arrival at the receiver, so that
//! throughput, latency, losses and duplicates come from the same run.

pub mod goals;
mod receiver;
mod report;
mod sender;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use futures_util::{stream, StreamExt, TryStreamExt};
use tokio::sync::watch;
use tokio::time::{sleep, Instant};
use tokio_postgres::Client;

pub use self::report::{DmReport, Messages};
use super::connections::{clamp_sockets, IdleSockets};
use crate::accounts::{self, Account};
use crate::api::Api;
use crate::clock::Clock;
use crate::database;
use crate::latency::merged;
use crate::process::CpuMeter;
use crate::report::Section;
use crate::socket::{source_address, Connected, Endpoint, Socket};
use crate::target::{Server, Target};
use crate::tasks::joined;

/// Senders start together this long after the last task is spawned.
const START_DELAY: Duration = Duration::from_millis(200);
/// After the senders are done, receivers get this long to see every acked message.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Receivers keep reading this long after the last expected arrival, so that late
/// duplicates are counted.
const DUPLICATE_GRACE: Duration = Duration::from_millis(500);
const CONNECTS_IN_FLIGHT: usize = 64;
const IDLE_CONNECTS_IN_FLIGHT: usize = 200;

pub const TITLE: &str = "Scenario: dm";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// The server's PostgreSQL database, to count the stored rows against the acks.
    #[arg(long)]
    database_url: Option<String>,
    /// Another node of the same deployment for the receivers to connect to (the
    /// senders use --url): every message then crosses nodes.
    #[arg(long)]
    receive_url: Option<String>,
    /// Sender/receiver pairs.
    #[arg(long, default_value_t = 64)]
    pairs: usize,
    /// Seconds of sending.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    #[command(flatten)]
    pace: PaceArgs,
    /// Messages each sender keeps in flight with --closed-loop.
    #[arg(long, default_value_t = 32)]
    window: usize,
    /// Also hold this many idle sockets open during the run.
    #[arg(long, default_value_t = 0)]
    idle_sockets: usize,
    /// Users the idle sockets belong to.
    #[arg(long, default_value_t = 200)]
    idle_users: usize,
}

#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
struct PaceArgs {
    /// Each sender keeps --window messages in flight: the maximum throughput.
    #[arg(long)]
    closed_loop: bool,
    /// Open loop: this many messages per second in total, each sent at its slot.
    #[arg(long)]
    rate: Option<f64>,
}

#[derive(Clone, Copy, Debug)]
pub enum Pace {
    ClosedLoop { window: usize },
    OpenLoop { rate: f64 },
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClosedLoop { window } => write!(f, "closed loop, window {window} per sender"),
            Self::OpenLoop { rate } => write!(f, "open loop, {rate:.0} msg/s in total"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub pace: Pace,
    pub duration: Duration,
}

/// Idle sockets held open during a run.
#[derive(Clone, Copy, Debug)]
pub struct Idle {
    pub sockets: usize,
    pub users: usize,
}

pub struct Pair {
    pub sender: Account,
    pub receiver: Account,
}

pub async fn run(args: &Args) -> Result<Section> {
    let mut server = args.target.server()?;
    if let Some(url) = &args.receive_url {
        server.receivers = Server::new(url, None)?.endpoint;
    }
    let database = match &args.database_url {
        Some(url) => Some(database::connect(url).await?),
        None => None,
    };
    let pace = match args.pace.rate {
        Some(rate) => Pace::OpenLoop { rate },
        None => Pace::ClosedLoop {
            window: args.window,
        },
    };
    let load = Load {
        pace,
        duration: Duration::from_secs(args.duration),
    };
    let idle = (args.idle_sockets > 0).then_some(Idle {
        sockets: args.idle_sockets,
        users: args.idle_users,
    });
    let pairs = register_pairs(&server.api, args.pairs).await?;
    let report = measure(&server, &pairs, load, idle, database.as_ref()).await?;
    Ok(report.section(TITLE))
}

pub async fn register_pairs(api: &Api, count: usize) -> Result<Vec<Pair>> {
    let mut users = accounts::create(api, "dm", 2 * count).await?.into_iter();
    let mut pairs = Vec::with_capacity(count);
    while let (Some(sender), Some(receiver)) = (users.next(), users.next()) {
        pairs.push(Pair { sender, receiver });
    }
    Ok(pairs)
}

/// A dm run, with `idle` sockets held open around it. With a database, the rows
/// stored for the senders are counted against the acks.
pub async fn measure(
    server: &Server,
    pairs: &[Pair],
    load: Load,
    idle: Option<Idle>,
    database: Option<&Client>,
) -> Result<DmReport> {
    if pairs.is_empty() {
        bail!("dm needs at least one pair");
    }
    let idle_sockets = match idle {
        Some(idle) => Some(open_idle(server, idle, 2 * pairs.len()).await?),
        None => None,
    };
    let senders: Vec<i64> = pairs.iter().map(|pair| pair.sender.id).collect();
    let stored_before = match database {
        Some(db) => Some(database::messages_sent_by(db, &senders).await?),
        None => None,
    };
    let report = exchange(server, pairs, load).await;
    let idle = match idle_sockets {
        Some(sockets) => Some(sockets.close().await),
        None => None,
    };
    let mut report = report?;
    if let (Some(db), Some(before)) = (database, stored_before) {
        report.stored = Some(database::messages_sent_by(db, &senders).await? - before);
    }
    report.idle = idle;
    Ok(report)
}

async fn open_idle(server: &Server, idle: Idle, pair_sockets: usize) -> Result<IdleSockets> {
    let budget = clamp_sockets(idle.sockets + pair_sockets, server.pid.as_slice())?;
    let count = budget.saturating_sub(pair_sockets);
    let users = accounts::create(&server.api, "idle", idle.users.clamp(1, count.max(1))).await?;
    let tokens: Vec<String> = users.into_iter().map(|user| user.token).collect();
    eprintln!("dm: opening {count} idle sockets…");
    let sockets =
        IdleSockets::open(&server.endpoint, &tokens, count, IDLE_CONNECTS_IN_FLIGHT).await;
    Ok(sockets)
}

/// Connects one socket per token, from consecutive source addresses.
pub async fn connect_all<'a>(
    endpoint: &Endpoint,
    tokens: impl Iterator<Item = &'a str>,
    first_source: usize,
) -> Result<Vec<Socket>> {
    stream::iter(tokens.enumerate())
        .map(|(i, token)| endpoint.connect(token, source_address(first_source + i)))
        .buffered(CONNECTS_IN_FLIGHT)
        .try_collect()
        .await
}

/// Connects every pair, sends for the load's duration, waits for the deliveries.
async fn exchange(server: &Server, pairs: &[Pair], load: Load) -> Result<DmReport> {
    // Receiver i connects from source address i, as connect_all would.
    let receivers: Vec<(Connected, receiver::Identity)> = stream::iter(pairs.iter().zip(0..))
        .map(|(pair, index)| async move {
            let identity = receiver::Identity {
                endpoint: server.receivers,
                token: pair.receiver.token.clone(),
                source: source_address(index as usize),
                pair: index,
            };
            let connected = identity
                .endpoint
                .connect_since(&identity.token, identity.source, None)
                .await?;
            Ok::<_, anyhow::Error>((connected, identity))
        })
        .buffered(CONNECTS_IN_FLIGHT)
        .try_collect()
        .await?;
    let senders = connect_all(
        &server.endpoint,
        pairs.iter().map(|pair| pair.sender.token.as_str()),
        pairs.len(),
    )
    .await?;
    eprintln!(
        "dm: {} pairs, {:?} for {:?}…",
        pairs.len(),
        load.pace,
        load.duration
    );

    let clock = Clock::start();
    let progress = Arc::new(AtomicU64::new(0));
    let (stop, stopped) = watch::channel(false);
    let receiving: Vec<_> = receivers
        .into_iter()
        .map(|(connected, identity)| {
            tokio::spawn(receiver::run(
                connected,
                identity,
                clock,
                Arc::clone(&progress),
                stopped.clone(),
            ))
        })
        .collect();

    let cpu = CpuMeter::start(server.pid)?;
    let start = Instant::now() + START_DELAY;
    let deadline = start + load.duration;
    let sending: Vec<_> = senders
        .into_iter()
        .zip(pairs)
        .zip(0..)
        .map(|((socket, pair), index)| {
            let plan = sender::Plan {
                pair: index,
                recipient: pair.receiver.id,
                pace: load.pace,
                pairs: pairs.len(),
                start,
                deadline,
            };
            tokio::spawn(sender::run(socket, plan, clock))
        })
        .collect();
    let sent = joined(sending).await?;

    let acked: u64 = sent.iter().map(|s| s.answers.acked.len() as u64).sum();
    let drained_by = Instant::now() + DRAIN_TIMEOUT;
    while progress.load(Ordering::Relaxed) < acked && Instant::now() < drained_by {
        sleep(Duration::from_millis(10)).await;
    }
    let cpu = cpu.used()?;
    sleep(DUPLICATE_GRACE).await;
    let _ = stop.send(true);
    let received = joined(receiving).await?;

    let messages = Messages::count(&sent, &received);
    let answers = &messages.answers;
    if messages.completed == 0 && answers.sent > 0 {
        bail!(
            "no message was both acked and delivered (sent {}, acked {}, delivered {}, errors {:?})",
            answers.sent,
            answers.acked,
            messages.delivered,
            answers.errors
        );
    }
    let start = clock.nanos_at(start.into_std());
    let last_event = sent
        .iter()
        .map(|s| s.answers.last_ack)
        .chain(received.iter().map(|r| r.last_delivery))
        .fold(start, u64::max);
    Ok(DmReport {
        pairs: pairs.len(),
        load,
        messages,
        elapsed: Duration::from_nanos(last_event - start),
        delivery: merged(received.iter().map(|r| &r.latency))?.summary(),
        ack: merged(sent.iter().map(|s| &s.answers.latency))?.summary(),
        server_cpu: cpu.server,
        bench_cpu: cpu.bench,
        stored: None,
        idle: None,
    })
}
