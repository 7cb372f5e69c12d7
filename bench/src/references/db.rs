//! `db-ceiling`: how fast PostgreSQL itself stores messages shaped like the server's,
//! in the server's own `messages` table (so the same indexes, unique keys and
//! foreign keys apply), from as many connections as the server's pool.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use futures_util::future::try_join_all;
use tokio_postgres::Client;

use crate::accounts::{random_word, PASSWORD};
use crate::clock::Clock;
use crate::database;
use crate::latency::{merged, Latency, Recorder};
use crate::report::{Figures, Section};
use crate::stamp::Stamp;
use crate::tasks::joined;

/// The server's own insert: every column it binds, `ON CONFLICT DO NOTHING` for
/// its idempotent client ids, and the new id back.
const INSERT_ONE: &str = "INSERT INTO messages \
     (kind, target_id, sender_id, recipient_id, content, client_id, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id";
/// The same rows, many per statement.
const INSERT_MANY: &str = "INSERT INTO messages \
     (kind, target_id, sender_id, recipient_id, content, client_id, created_at) \
     SELECT 'message', NULL, * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::timestamp[]) \
     ON CONFLICT DO NOTHING RETURNING id";
/// A cheap cost for the two reference users' password hashes: nobody logs in as them.
const USER_HASH_COST: u32 = 4;

pub const TITLE: &str = "Reference: PostgreSQL insert ceiling";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The server's PostgreSQL database (after the server has migrated it).
    #[arg(long)]
    database_url: String,
    /// Concurrent connections: the server's pool size on PostgreSQL.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds for each of the two phases.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Rows per statement in the multi-row phase.
    #[arg(long, default_value_t = 256)]
    batch: usize,
}

#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub connections: usize,
    pub duration: Duration,
    pub batch: usize,
}

pub struct DbCeiling {
    pub synchronous_commit: String,
    pub plan: Plan,
    /// Single-row autocommit inserts: each statement is a commit.
    pub single: Phase,
    pub multi: Phase,
}

pub struct Phase {
    pub rows: u64,
    pub elapsed: Duration,
    /// Per statement, in microseconds.
    pub latency: Latency,
}

impl Phase {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }
}

impl DbCeiling {
    pub fn section(&self, title: &str) -> Section {
        Figures::new(title)
            .row("synchronous_commit", &self.synchronous_commit)
            .row("connections", self.plan.connections)
            .row("seconds per phase", self.plan.duration.as_secs())
            .row("single-row: rows", self.single.rows)
            .row("single-row: rows/s", format!("{:.0}", self.single.rows_per_second()))
            .row(
                "single-row: commit latency p50 / p90 / p99 / p99.9 / max (µs)",
                self.single.latency.percentiles(),
            )
            .row(format!("{}-row statements: rows", self.plan.batch), self.multi.rows)
            .row(
                format!("{}-row statements: rows/s", self.plan.batch),
                format!("{:.0}", self.multi.rows_per_second()),
            )
            .row(
                format!("{}-row statements: latency p50 / p90 / p99 / p99.9 / max (µs)", self.plan.batch),
                self.multi.latency.percentiles(),
            )
            .note("Rows go into the server's `messages` table between two users inserted for the purpose, with the dm scenario's content and client ids. Single-row phase: the server's own `INSERT … VALUES … ON CONFLICT DO NOTHING RETURNING id`, autocommit, so each statement's latency is one commit (the database's fsync reference). Multi-row phase: one `INSERT … SELECT … FROM unnest(…)` statement per batch. The rows are left in the table.")
            .section(Vec::new())
    }
}

pub async fn run(args: &Args) -> Result<Section> {
    let plan = Plan {
        connections: args.connections,
        duration: Duration::from_secs(args.duration),
        batch: args.batch,
    };
    Ok(measure(&args.database_url, plan).await?.section(TITLE))
}

pub async fn measure(database_url: &str, plan: Plan) -> Result<DbCeiling> {
    let admin = database::connect(database_url).await?;
    let synchronous_commit = database::setting(&admin, "synchronous_commit").await?;
    let users = [
        insert_user(&admin, "a").await?,
        insert_user(&admin, "b").await?,
    ];
    let clients: Vec<Arc<Client>> =
        try_join_all((0..plan.connections).map(|_| database::connect(database_url)))
            .await?
            .into_iter()
            .map(Arc::new)
            .collect();
    let clock = Clock::start();

    eprintln!("db-ceiling: single-row inserts for {:?}…", plan.duration);
    let deadline = Instant::now() + plan.duration;
    let single = phase(&clients, |client, worker| {
        insert_single(client, users, worker, deadline, clock)
    })
    .await?;

    eprintln!(
        "db-ceiling: {}-row inserts for {:?}…",
        plan.batch, plan.duration
    );
    let deadline = Instant::now() + plan.duration;
    let batch = plan.batch;
    let multi = phase(&clients, |client, worker| {
        insert_many(client, users, worker, batch, deadline, clock)
    })
    .await?;

    Ok(DbCeiling {
        synchronous_commit,
        plan,
        single,
        multi,
    })
}

/// A real row in `users`, so that the foreign keys are checked as for the server.
async fn insert_user(client: &Client, tag: &str) -> Result<i64> {
    let username = format!("dbref-{}-{tag}", random_word(6));
    let hash = bcrypt::hash(PASSWORD, USER_HASH_COST).context("hashing a password")?;
    let row = client
        .query_one(
            "INSERT INTO users (username, password_hash, created_at, token_key) \
             VALUES ($1, $2, now() AT TIME ZONE 'UTC', $3) RETURNING id",
            &[&username, &hash, &random_word(32)],
        )
        .await
        .context("inserting a reference user")?;
    Ok(row.get(0))
}

/// What one connection did in a phase.
struct Tally {
    rows: u64,
    latency: Recorder,
}

impl Tally {
    fn new() -> Result<Self> {
        Ok(Self {
            rows: 0,
            latency: Recorder::new()?,
        })
    }

    fn record(&mut self, rows: u64, started: Instant) {
        self.rows += rows;
        self.latency
            .record(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
}

/// Runs `work` on every connection at once, until each returns.
async fn phase<F, Fut>(clients: &[Arc<Client>], work: F) -> Result<Phase>
where
    F: Fn(Arc<Client>, u32) -> Fut,
    Fut: Future<Output = Result<Tally>> + Send + 'static,
{
    let start = Instant::now();
    let workers = clients
        .iter()
        .zip(0..)
        .map(|(client, worker)| tokio::spawn(work(Arc::clone(client), worker)));
    let tallies = joined(workers).await?;
    let elapsed = start.elapsed();
    Ok(Phase {
        rows: tallies.iter().map(|tally| tally.rows).sum(),
        elapsed,
        latency: merged(tallies.iter().map(|tally| &tally.latency))?.summary(),
    })
}

/// The `seq`th row of a worker's conversation, alternating sender and recipient.
fn row(users: [i64; 2], worker: u32, seq: u64, clock: Clock) -> (i64, i64, Stamp) {
    let stamp = Stamp {
        pair: worker,
        seq,
        sent_nanos: clock.nanos(),
    };
    let [a, b] = users;
    if seq % 2 == 0 {
        (a, b, stamp)
    } else {
        (b, a, stamp)
    }
}

async fn insert_single(
    client: Arc<Client>,
    users: [i64; 2],
    worker: u32,
    deadline: Instant,
    clock: Clock,
) -> Result<Tally> {
    let statement = client.prepare(INSERT_ONE).await.context("preparing")?;
    let mut tally = Tally::new()?;
    for seq in 0.. {
        if Instant::now() >= deadline {
            break;
        }
        let (sender, recipient, stamp) = row(users, worker, seq, clock);
        let started = Instant::now();
        client
            .query_one(
                &statement,
                &[
                    &"message",
                    &None::<i64>,
                    &sender,
                    &recipient,
                    &stamp.content(),
                    &stamp.client_id(),
                    &SystemTime::now(),
                ],
            )
            .await
            .context("inserting one row")?;
        tally.record(1, started);
    }
    Ok(tally)
}

async fn insert_many(
    client: Arc<Client>,
    users: [i64; 2],
    worker: u32,
    batch: usize,
    deadline: Instant,
    clock: Clock,
) -> Result<Tally> {
    let statement = client.prepare(INSERT_MANY).await.context("preparing")?;
    let mut tally = Tally::new()?;
    let mut seq = 0;
    while Instant::now() < deadline {
        let mut senders = Vec::with_capacity(batch);
        let mut recipients = Vec::with_capacity(batch);
        let mut contents = Vec::with_capacity(batch);
        let mut client_ids = Vec::with_capacity(batch);
        let mut times = Vec::with_capacity(batch);
        for _ in 0..batch {
            let (sender, recipient, stamp) = row(users, worker, seq, clock);
            senders.push(sender);
            recipients.push(recipient);
            contents.push(stamp.content());
            client_ids.push(stamp.client_id());
            times.push(SystemTime::now());
            seq += 1;
        }
        let started = Instant::now();
        let inserted = client
            .query(
                &statement,
                &[&senders, &recipients, &contents, &client_ids, &times],
            )
            .await
            .context("inserting a batch")?;
        if inserted.len() != batch {
            bail!("a batch of {batch} stored {} rows", inserted.len());
        }
        tally.record(batch as u64, started);
    }
    Ok(tally)
}
