//! `dm`: sender/receiver pairs, each a user with one socket. Every message is
//! tracked from its send to its ack and to its arrival at the receiver, so that
//! throughput, latency, losses and duplicates come from the same run.

mod receiver;
mod sender;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use futures_util::{stream, StreamExt, TryStreamExt};
use tokio::sync::watch;
use tokio::time::{sleep, Instant};
use tokio_postgres::Client;

use self::receiver::Received;
use self::sender::Sent;
use super::answers::AnswerTotals;
use super::connections::{clamp_sockets, IdleFigures, IdleSockets};
use crate::accounts::{self, Account};
use crate::api::Api;
use crate::clock::Clock;
use crate::database;
use crate::latency::{merged, Latency};
use crate::process::CpuMeter;
use crate::report::{nonzero_counts, or_na, Figures, Section};
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
    let server = args.target.server()?;
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
                endpoint: server.endpoint,
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

/// What became of the messages, across all pairs.
#[derive(Default)]
pub struct Messages {
    pub answers: AnswerTotals,
    /// Distinct messages that reached their receiver.
    pub delivered: u64,
    /// Acked and delivered.
    pub completed: u64,
    /// Acked but never delivered, not even after reconnecting with `since`.
    pub lost: u64,
    /// Acked and first delivered on a receiver's reconnected socket: the server
    /// dropped the receiver but kept the messages for it.
    pub recovered: u64,
    /// Delivered more than once.
    pub duplicated: u64,
    pub strays: u64,
    /// Receiver sockets the server closed during the run (each reconnected).
    pub receivers_dropped: u64,
    /// How they were closed: code and reason, with how often.
    pub receiver_closes: BTreeMap<String, u64>,
    pub senders_dropped: u64,
}

impl Messages {
    fn count(sent: &[Sent], received: &[Received]) -> Self {
        let mut messages = Self::default();
        for (sent, received) in sent.iter().zip(received) {
            messages.answers.add(&sent.answers);
            messages.strays += received.strays;
            messages.senders_dropped += u64::from(sent.dropped);
            messages.receivers_dropped += received.drops.len() as u64;
            for closed in &received.drops {
                *messages
                    .receiver_closes
                    .entry(closed.to_string())
                    .or_default() += 1;
            }
            messages.recovered += received.recovered;
            for &seq in &sent.answers.acked {
                let arrivals = usize::try_from(seq)
                    .ok()
                    .and_then(|seq| received.deliveries.get(seq))
                    .copied()
                    .unwrap_or(0);
                if arrivals == 0 {
                    messages.lost += 1;
                } else {
                    messages.completed += 1;
                }
            }
            let arrived = |times: u32| received.deliveries.iter().filter(|&&n| n >= times).count();
            messages.delivered += arrived(1) as u64;
            messages.duplicated += arrived(2) as u64;
        }
        messages
    }

    fn problems(&self) -> Vec<String> {
        nonzero_counts(&[
            (self.lost, "messages acked but never delivered"),
            (self.duplicated, "messages delivered more than once"),
            (self.answers.duplicate_acks, "sends acked as duplicates"),
            (self.answers.unanswered, "messages never answered"),
            (self.strays, "messages delivered to the wrong receiver"),
            (
                self.recovered,
                "messages delivered only after their receiver reconnected",
            ),
            (
                self.receivers_dropped,
                "receiver sockets dropped by the server",
            ),
            (self.senders_dropped, "sender sockets dropped"),
            (self.answers.error_frames(), "error frames"),
        ])
    }
}

pub struct DmReport {
    pub pairs: usize,
    pub load: Load,
    pub messages: Messages,
    /// From the first slot to the last ack or first arrival.
    pub elapsed: Duration,
    pub delivery: Latency,
    pub ack: Latency,
    pub server_cpu: Option<Duration>,
    pub bench_cpu: Duration,
    /// Rows stored for the senders during the run (PostgreSQL only).
    pub stored: Option<i64>,
    pub idle: Option<IdleFigures>,
}

impl DmReport {
    /// Messages acked and delivered, per second.
    pub fn throughput(&self) -> f64 {
        if self.elapsed.is_zero() {
            return 0.0;
        }
        self.messages.completed as f64 / self.elapsed.as_secs_f64()
    }

    fn cpu_per_message(&self, cpu: Duration) -> f64 {
        cpu.as_micros() as f64 / self.messages.completed.max(1) as f64
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.messages.problems();
        if let Some(stored) = self.stored {
            if stored != self.messages.answers.acked as i64 {
                problems.push(format!(
                    "{stored} rows stored for {} acks",
                    self.messages.answers.acked
                ));
            }
        }
        if let Some(idle) = &self.idle {
            problems.extend(idle.problems("the idle sockets"));
        }
        problems
    }

    pub fn section(&self, title: &str) -> Section {
        let messages = &self.messages;
        let answers = &messages.answers;
        let mut figures = Figures::new(title)
            .row("pairs", self.pairs)
            .row("pace", self.load.pace)
            .row("sending time (s)", self.load.duration.as_secs())
            .row("sent", answers.sent)
            .row("acked", answers.acked)
            .row("delivered", messages.delivered)
            .row("acked and delivered", messages.completed)
            .row("lost (acked, never delivered)", messages.lost)
            .row(
                "receiver sockets dropped by the server (close codes)",
                dropped_figure(messages.receivers_dropped, &messages.receiver_closes),
            )
            .row(
                "dropped + recovered (delivered after reconnecting with since)",
                messages.recovered,
            )
            .row("duplicated (delivered more than once)", messages.duplicated)
            .row("unanswered", answers.unanswered)
            .row("error frames", answers.errors_figure())
            .row(
                "elapsed to last ack or delivery (s)",
                format!("{:.2}", self.elapsed.as_secs_f64()),
            )
            .row(
                "throughput, acked and delivered (msg/s)",
                format!("{:.0}", self.throughput()),
            )
            .row(
                "send → receive latency p50 / p90 / p99 / p99.9 / max (µs)",
                self.delivery.percentiles(),
            )
            .row(
                "send → ack latency p50 / p90 / p99 / p99.9 / max (µs)",
                self.ack.percentiles(),
            )
            .row(
                "server CPU per message (µs)",
                or_na(
                    self.server_cpu
                        .map(|cpu| format!("{:.1}", self.cpu_per_message(cpu))),
                ),
            )
            .row(
                "bench CPU per message (µs)",
                format!("{:.1}", self.cpu_per_message(self.bench_cpu)),
            )
            .row(
                "rows stored for the senders (SQL) / acked",
                or_na(
                    self.stored
                        .map(|stored| format!("{stored} / {}", answers.acked)),
                ),
            );
        if let Some(idle) = &self.idle {
            figures = idle.rows(figures, "idle sockets");
        }
        figures
            .note("Each message's client id and content carry its pair, sequence number and send instant (on the bench's monotonic clock); latency is measured to its first arrival at the receiver, from the instant it was sent in a closed loop, or from its scheduled slot in an open loop (so a late send counts against the server, with no coordinated omission). A message counts towards throughput once both its ack and its delivery arrived; the elapsed time runs from the first slot to the last of those. Server CPU is utime+stime from /proc over the sending and draining. Every socket the server closes is logged with its close code; a dropped receiver reconnects with `since` = the last cursor it saw, and the messages that first arrive then are counted as dropped + recovered, not as lost (both are problems).")
            .section(self.problems())
    }
}

/// "0", or e.g. "3 (close 1013 \"too slow\" ×3)".
fn dropped_figure(dropped: u64, closes: &BTreeMap<String, u64>) -> String {
    if dropped == 0 {
        return "0".to_owned();
    }
    let closes: Vec<String> = closes
        .iter()
        .map(|(close, count)| format!("{close} ×{count}"))
        .collect();
    format!("{dropped} ({})", closes.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_counted_by_close() {
        assert_eq!(dropped_figure(0, &BTreeMap::new()), "0");
        let closes = BTreeMap::from([("close 1013 \"too slow\"".to_owned(), 3)]);
        assert_eq!(dropped_figure(3, &closes), "3 (close 1013 \"too slow\" ×3)");
    }
}
