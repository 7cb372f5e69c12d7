//! `rooms`: one sender, one public room of M members, each with a socket. Every
//! message is tracked from its send to its ack and to its arrival on every member
//! socket, so that fan-out throughput, latency, losses, duplicates and order come
//! from the same run; then the same sockets and sends against the echo server in
//! broadcast mode.

mod member;
mod progress;
mod report;
mod sender;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use futures_util::{stream, StreamExt, TryStreamExt};
use tokio::sync::watch;
use tokio::time::{sleep, Instant};

use self::progress::Progress;
pub use self::report::{Fanout, RoomsReport, Tally};
use self::sender::Answer;
use super::dm::connect_all;
use crate::accounts::{self, random_word};
use crate::clock::Clock;
use crate::echo;
use crate::latency::merged;
use crate::process::CpuMeter;
use crate::report::Section;
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
