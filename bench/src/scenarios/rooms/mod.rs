//! `rooms`: one sender, one public room of M members, each with a socket. Every
//! message is tracked from its send to its ack and to its arrival on every member
//! socket, so that fan-out throughput, latency, losses, duplicates and order come
//! from the same run; then the same sockets and sends against the echo server in
//! broadcast mode.

mod member;
mod sender;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use futures_util::{stream, StreamExt, TryStreamExt};
use tokio::sync::{watch, Notify};
use tokio::time::{sleep, Instant};

use self::member::Received;
use self::sender::{Answer, Sent};
use super::answers::AnswerTotals;
use super::dm::connect_all;
use crate::accounts::{self, random_word};
use crate::clock::Clock;
use crate::echo;
use crate::latency::{merged, Latency};
use crate::process::CpuMeter;
use crate::report::{nonzero_counts, or_na, Figures, Section};
use crate::socket::{source_address, Endpoint};
use crate::target::{Server, Target};
use crate::tasks::joined;

/// The sender starts this long after the last member task is spawned.
const START_DELAY: Duration = Duration::from_millis(200);
/// Members keep reading this long after the sender is done, so that late
/// duplicates are counted.
const DUPLICATE_GRACE: Duration = Duration::from_millis(500);
/// Joins in flight at once: each is one write to the database.
const JOINS_IN_FLIGHT: usize = 8;

pub const TITLE: &str = "Scenario: room fan-out";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// Members of the room, each with one socket (the sender's second socket among
    /// them).
    #[arg(long, default_value_t = 200)]
    members: usize,
    /// Messages the sender sends.
    #[arg(long, default_value_t = 5000)]
    messages: u64,
    /// Messages in flight: sent, and not yet both acked and at every member. Keep it
    /// well under the server's mailbox of 256 frames per socket.
    #[arg(long, default_value_t = 32)]
    window: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub members: usize,
    pub messages: u64,
    pub window: u64,
}

pub async fn run(args: &Args) -> Result<Section> {
    let plan = Plan {
        members: args.members,
        messages: args.messages,
        window: args.window,
    };
    Ok(measure(&args.target.server()?, &plan).await?.section(TITLE))
}

/// Registers the members, puts them in one public room, and runs the fan-out on
/// Parley, then on the echo reference in broadcast mode.
pub async fn measure(server: &Server, plan: &Plan) -> Result<RoomsReport> {
    if plan.members == 0 || plan.messages == 0 || plan.window == 0 {
        bail!("rooms needs at least one member, one message and a window of one");
    }
    let members = accounts::create(&server.api, "room", plan.members).await?;
    let Some((owner, others)) = members.split_first() else {
        bail!("no members were registered");
    };
    let name = format!("bench-{}", random_word(8));
    let room = server.api.create_public_room(&owner.token, &name).await?;
    eprintln!("rooms: {} members joining {name}…", others.len());
    stream::iter(others)
        .map(|member| server.api.join_room(&member.token, room))
        .buffer_unordered(JOINS_IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await?;
    let tokens: Vec<&str> = members.iter().map(|member| member.token.as_str()).collect();

    eprintln!("rooms: fan-out on Parley…");
    let parley = fan_out(
        &server.endpoint,
        server.pid,
        &tokens,
        room,
        plan,
        Answer::Ack,
    )
    .await?;

    let reference = echo::start_broadcast().await?;
    let endpoint = Endpoint::new(&reqwest::Url::parse(&reference.url)?)?;
    eprintln!("rooms: fan-out on the echo reference…");
    let echo = fan_out(
        &endpoint,
        Some(reference.pid),
        &tokens,
        room,
        plan,
        Answer::Echo,
    )
    .await;
    reference.stop().await?;
    Ok(RoomsReport {
        plan: *plan,
        parley,
        echo: echo?,
    })
}

/// How far the fan-out has got, shared by the member sockets and the sender.
pub struct Progress {
    members: u32,
    /// Per sequence number, how many member sockets have it.
    arrivals: Vec<AtomicU32>,
    /// Messages at every member socket.
    fanned_out: AtomicU64,
    /// Wakes the sender when a message reached every member.
    wake: Notify,
}

impl Progress {
    fn new(members: usize, messages: usize) -> Self {
        Self {
            members: u32::try_from(members).unwrap_or(u32::MAX),
            arrivals: (0..messages).map(|_| AtomicU32::new(0)).collect(),
            fanned_out: AtomicU64::new(0),
            wake: Notify::new(),
        }
    }

    /// Counts the first arrival of `seq` at one member; true when it was the last
    /// member to get it.
    fn arrived(&self, seq: usize) -> bool {
        let Some(arrivals) = self.arrivals.get(seq) else {
            return false;
        };
        let last = arrivals.fetch_add(1, Ordering::Relaxed) + 1 == self.members;
        if last {
            self.fanned_out.fetch_add(1, Ordering::Relaxed);
            self.wake.notify_one();
        }
        last
    }

    fn fanned_out(&self) -> u64 {
        self.fanned_out.load(Ordering::Relaxed)
    }
}

/// Connects a socket per member and one more for the sender (the first member, so
/// its member socket is its second device), sends the plan's messages, and waits
/// for them at every member.
async fn fan_out(
    endpoint: &Endpoint,
    pid: Option<u32>,
    tokens: &[&str],
    room: i64,
    plan: &Plan,
    answer: Answer,
) -> Result<Fanout> {
    let Some(&sender_token) = tokens.first() else {
        bail!("the room has no members");
    };
    let members = connect_all(endpoint, tokens.iter().copied(), 0).await?;
    let sender = endpoint
        .connect(sender_token, source_address(tokens.len()))
        .await?;
    let messages = usize::try_from(plan.messages)?;

    let clock = Clock::start();
    let progress = Arc::new(Progress::new(members.len(), messages));
    let (stop, stopped) = watch::channel(false);
    let receiving: Vec<_> = members
        .into_iter()
        .map(|socket| {
            tokio::spawn(member::run(
                socket,
                room,
                messages,
                clock,
                Arc::clone(&progress),
                stopped.clone(),
            ))
        })
        .collect();

    let cpu = CpuMeter::start(pid)?;
    let start = Instant::now() + START_DELAY;
    let sender_plan = sender::Plan {
        room,
        messages: plan.messages,
        window: plan.window,
        answer,
        start,
    };
    let sent = sender::run(sender, sender_plan, clock, Arc::clone(&progress)).await?;
    let cpu = cpu.used()?;
    sleep(DUPLICATE_GRACE).await;
    let _ = stop.send(true);
    let received = joined(receiving).await?;

    let tally = Tally::count(&sent, &received);
    if tally.fanned_out == 0 {
        let answers = &tally.answers;
        bail!(
            "no message was both acked and delivered to every member (sent {}, acked {}, frames delivered {}, errors {:?})",
            answers.sent,
            answers.acked,
            tally.delivered,
            answers.errors
        );
    }
    let start = clock.nanos_at(start.into_std());
    let last_event = received
        .iter()
        .map(|r| r.last_delivery)
        .fold(sent.answers.last_ack.max(start), u64::max);
    Ok(Fanout {
        members: received.len(),
        tally,
        elapsed: Duration::from_nanos(last_event - start),
        ack: sent.answers.latency.summary(),
        delivery: merged(received.iter().map(|r| &r.latency))?.summary(),
        fanned_out: merged(received.iter().map(|r| &r.fanned_out))?.summary(),
        server_cpu: cpu.server,
        bench_cpu: cpu.bench,
    })
}

/// What became of the messages and of their frames at the members.
#[derive(Default)]
pub struct Tally {
    pub answers: AnswerTotals,
    /// Acked and delivered to every member socket.
    pub fanned_out: u64,
    /// Acked messages times members.
    pub expected: u64,
    /// Distinct messages that reached a member, over all members.
    pub delivered: u64,
    /// Acked messages that never reached a member, over all members.
    pub lost: u64,
    /// Messages that reached a member more than once, over all members.
    pub duplicated: u64,
    /// First arrivals at a member after a later message.
    pub out_of_order: u64,
    pub strays: u64,
    pub dropped_sockets: u64,
}

impl Tally {
    fn count(sent: &Sent, received: &[Received]) -> Self {
        let members = received.len() as u64;
        let mut tally = Self {
            expected: sent.answers.acked.len() as u64 * members,
            strays: sent.strays,
            dropped_sockets: u64::from(sent.dropped),
            ..Self::default()
        };
        tally.answers.add(&sent.answers);
        for &seq in &sent.answers.acked {
            let at = |r: &Received| {
                usize::try_from(seq)
                    .ok()
                    .and_then(|seq| r.deliveries.get(seq))
                    .copied()
                    .unwrap_or(0)
            };
            let missing = received.iter().filter(|r| at(r) == 0).count() as u64;
            tally.lost += missing;
            if missing == 0 {
                tally.fanned_out += 1;
            }
        }
        for r in received {
            tally.delivered += r.deliveries.iter().filter(|&&n| n >= 1).count() as u64;
            tally.duplicated += r.deliveries.iter().filter(|&&n| n >= 2).count() as u64;
            tally.out_of_order += r.out_of_order;
            tally.strays += r.strays;
            tally.dropped_sockets += u64::from(r.dropped);
        }
        tally
    }

    fn problems(&self, whose: &str) -> Vec<String> {
        let problems = nonzero_counts(&[
            (self.lost, "frames lost (acked, never at a member)"),
            (self.duplicated, "frames delivered more than once"),
            (self.out_of_order, "frames delivered out of order"),
            (self.answers.duplicate_acks, "sends acked as duplicates"),
            (self.answers.unanswered, "messages never answered"),
            (self.strays, "stray message frames"),
            (self.dropped_sockets, "sockets dropped"),
            (self.answers.error_frames(), "error frames"),
        ]);
        problems
            .into_iter()
            .map(|problem| format!("{whose}: {problem}"))
            .collect()
    }
}

/// One fan-out run: Parley's or the echo reference's.
pub struct Fanout {
    pub members: usize,
    pub tally: Tally,
    /// From the first send to the last ack or arrival.
    pub elapsed: Duration,
    pub ack: Latency,
    /// Send to arrival, every member's.
    pub delivery: Latency,
    /// Send to arrival at the last member.
    pub fanned_out: Latency,
    pub server_cpu: Option<Duration>,
    pub bench_cpu: Duration,
}

impl Fanout {
    /// Messages acked and at every member, per second.
    pub fn messages_per_second(&self) -> f64 {
        self.per_second(self.tally.fanned_out)
    }

    /// Frames that reached a member, per second.
    pub fn frames_per_second(&self) -> f64 {
        self.per_second(self.tally.delivered)
    }

    fn per_second(&self, count: u64) -> f64 {
        if self.elapsed.is_zero() {
            return 0.0;
        }
        count as f64 / self.elapsed.as_secs_f64()
    }

    fn cpu_per_frame(&self, cpu: Duration) -> String {
        format!(
            "{:.1}",
            cpu.as_micros() as f64 / self.tally.delivered.max(1) as f64
        )
    }

    fn rows(&self, figures: Figures, who: &str) -> Figures {
        let tally = &self.tally;
        let answers = &tally.answers;
        figures
            .row(format!("{who}: sent"), answers.sent)
            .row(format!("{who}: acked"), answers.acked)
            .row(
                format!("{who}: acked and at every member"),
                tally.fanned_out,
            )
            .row(
                format!("{who}: frames delivered / expected (acked × members)"),
                format!("{} / {}", tally.delivered, tally.expected),
            )
            .row(
                format!("{who}: frames lost / duplicated / out of order"),
                format!(
                    "{} / {} / {}",
                    tally.lost, tally.duplicated, tally.out_of_order
                ),
            )
            .row(
                format!("{who}: unanswered / strays / dropped sockets"),
                format!(
                    "{} / {} / {}",
                    answers.unanswered, tally.strays, tally.dropped_sockets
                ),
            )
            .row(format!("{who}: error frames"), answers.errors_figure())
            .row(
                format!("{who}: elapsed to last ack or arrival (s)"),
                format!("{:.2}", self.elapsed.as_secs_f64()),
            )
            .row(
                format!("{who}: messages/s (acked and at every member)"),
                format!("{:.0}", self.messages_per_second()),
            )
            .row(
                format!("{who}: frames/s delivered"),
                format!("{:.0}", self.frames_per_second()),
            )
            .row(
                format!("{who}: send → ack p50 / p90 / p99 / p99.9 / max (µs)"),
                self.ack.percentiles(),
            )
            .row(
                format!("{who}: send → each member p50 / p90 / p99 / p99.9 / max (µs)"),
                self.delivery.percentiles(),
            )
            .row(
                format!("{who}: send → last member p50 / p90 / p99 / p99.9 / max (µs)"),
                self.fanned_out.percentiles(),
            )
            .row(
                format!("{who}: server CPU per delivered frame (µs)"),
                or_na(self.server_cpu.map(|cpu| self.cpu_per_frame(cpu))),
            )
            .row(
                format!("{who}: bench CPU per delivered frame (µs)"),
                self.cpu_per_frame(self.bench_cpu),
            )
    }
}

pub struct RoomsReport {
    pub plan: Plan,
    pub parley: Fanout,
    pub echo: Fanout,
}

impl RoomsReport {
    /// Parley's delivered frames/s over the echo reference's.
    pub fn frames_ratio(&self) -> Option<f64> {
        let echo = self.echo.frames_per_second();
        (echo > 0.0).then(|| self.parley.frames_per_second() / echo)
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.parley.tally.problems("Parley");
        problems.extend(self.echo.tally.problems("echo reference"));
        problems
    }

    pub fn section(&self, title: &str) -> Section {
        let figures = Figures::new(title)
            .row("member sockets", self.parley.members)
            .row("messages", self.plan.messages)
            .row(
                "pace",
                format!(
                    "closed loop, window {} (sent, not yet acked and at every member)",
                    self.plan.window
                ),
            );
        let figures = self.parley.rows(figures, "Parley");
        self.echo
            .rows(figures, "echo reference")
            .row(
                "frames/s delivered, Parley / echo reference",
                or_na(self.frames_ratio().map(|ratio| format!("{ratio:.2}×"))),
            )
            .note("One public room of M members, each with one socket; the first member also sends, from a second socket (which Parley skips: it gets the ack instead, so its member socket is its other device). Every message's client id and content carry its sequence number and send instant (on the bench's monotonic clock). The sender keeps a window of messages in flight, and a message leaves the window only once it is acked *and* at every member socket: so the slowest reader paces the sender, no socket ever has more than the window waiting for it (far under the server's mailbox of 256 frames, which disconnects a slower socket), and throughput is what the whole room receives. Each member socket checks that every message arrived exactly once and in send order. Server CPU is utime+stime from /proc over the sending.")
            .note("The reference is the bench's own actix-ws echo server in broadcast mode (`parley-bench echo-server --broadcast`, a child process): the same member and sender sockets, the same frames and window, but each text frame is written as it came to every open socket, the sender's included (its copy stands in for the ack), with no authentication, JSON, hub, or database. Its frames/s is what this machine's WebSocket stack and the bench's own readers manage at this fan-out with nothing stored; the ratio is Parley's frames/s, while storing each message and routing it through its hub, against that. A ratio near 1 means the sockets and the bench, not Parley, set the pace (the echo server writes each frame to the sockets in turn from one task, so it is a plain fan-out, not a strict ceiling). The dm scenario is no reference here: it spends one database row per delivered frame, a room one per M frames.")
            .section(self.problems())
    }
}
