//! `history`: one long conversation, seeded straight into PostgreSQL, paged through
//! the REST API at a fixed rate at its newest, middle and oldest pages.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::task::JoinSet;
use tokio::time::sleep_until;
use tokio_postgres::Client;

use crate::accounts::{self, Account};
use crate::api::Api;
use crate::database;
use crate::latency::{Latency, Recorder};
use crate::report::{Figures, Goal, Section};
use crate::target::{Server, Target};

/// Messages per page: the API's default.
const PAGE: usize = 50;

/// One statement writes the whole conversation: alternating sender and recipient,
/// about 60 bytes of content, a client id, one second apart and already delivered
/// and read, as a long-lived conversation's rows would be.
const SEED: &str = "INSERT INTO messages \
     (kind, sender_id, recipient_id, content, client_id, created_at, delivered_at, read_at) \
     SELECT 'message', \
            CASE WHEN g % 2 = 0 THEN $1::bigint ELSE $2::bigint END, \
            CASE WHEN g % 2 = 0 THEN $2::bigint ELSE $1::bigint END, \
            'history ' || g || ': the quick brown fox jumps over the lazy dog', \
            'h-' || g, t, t, t \
     FROM (SELECT g, (now() AT TIME ZONE 'UTC') - ($3::bigint - g) * interval '1 second' AS t \
           FROM generate_series(1, $3::bigint) AS g) AS rows";

/// The id of the conversation's row at an offset, oldest first.
const ID_AT: &str = "SELECT id FROM messages \
     WHERE sender_id = ANY($1) AND recipient_id = ANY($1) AND kind = 'message' \
     ORDER BY id OFFSET $2 LIMIT 1";

pub const TITLE: &str = "Scenario: history paging";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// The server's PostgreSQL database, to seed the conversation in.
    #[arg(long)]
    database_url: String,
    /// Messages in the conversation.
    #[arg(long, default_value_t = 1_000_000)]
    messages: i64,
    /// Pages per second, open loop.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds per position.
    #[arg(long, default_value_t = 10)]
    duration: u64,
}

pub struct Plan {
    pub messages: i64,
    pub rate: f64,
    pub duration: Duration,
}

pub async fn run(args: &Args) -> Result<Section> {
    let plan = Plan {
        messages: args.messages,
        rate: args.rate,
        duration: Duration::from_secs(args.duration),
    };
    let database = database::connect(&args.database_url).await?;
    Ok(measure(&args.target.server()?, &database, &plan)
        .await?
        .section(TITLE))
}

pub async fn measure(server: &Server, database: &Client, plan: &Plan) -> Result<HistoryReport> {
    if plan.messages < 2 * PAGE as i64 {
        bail!("history needs at least {} messages", 2 * PAGE);
    }
    let [reader, peer]: [Account; 2] =
        accounts::create(&server.api, "hist", 2)
            .await?
            .try_into()
            .map_err(|_| anyhow::anyhow!("expected two history users"))?;

    eprintln!("history: seeding {} messages…", plan.messages);
    let seeding = Instant::now();
    database
        .execute(SEED, &[&reader.id, &peer.id, &plan.messages])
        .await
        .context("seeding the conversation")?;
    // VACUUM as well as ANALYZE, and a checkpoint: otherwise autovacuum and the
    // checkpointer start on the million new rows in the middle of the measurement.
    database
        .batch_execute("VACUUM ANALYZE messages")
        .await
        .context("VACUUM ANALYZE messages")?;
    let checkpoint = database.batch_execute("CHECKPOINT").await;
    if let Err(e) = &checkpoint {
        eprintln!("history: CHECKPOINT refused ({e}); measuring without it");
    }
    let seed_time = seeding.elapsed();

    let users = vec![reader.id, peer.id];
    let id_at = |offset: i64| {
        let users = &users;
        async move {
            let row = database
                .query_one(ID_AT, &[users, &offset])
                .await
                .context("finding a page boundary")?;
            Ok::<i64, anyhow::Error>(row.get(0))
        }
    };
    let positions = [
        ("newest", None),
        ("middle", Some(id_at(plan.messages / 2).await?)),
        // `before` the 51st oldest: the page of the 50 oldest.
        ("oldest", Some(id_at(PAGE as i64).await?)),
    ];
    let mut pages = Vec::new();
    for (name, before) in positions {
        eprintln!(
            "history: {name} page at {:.0}/s for {:?}…",
            plan.rate, plan.duration
        );
        let figures = fetch_pages(&server.api, &reader.token, peer.id, before, plan).await?;
        pages.push((name, figures));
    }
    Ok(HistoryReport {
        messages: plan.messages,
        rate: plan.rate,
        duration: plan.duration,
        seed_time,
        checkpointed: checkpoint.is_ok(),
        pages,
    })
}

/// Requests one page at `rate` for the plan's duration, each at its slot, and
/// measures each from its slot to its answer.
async fn fetch_pages(
    api: &Api,
    token: &str,
    peer: i64,
    before: Option<i64>,
    plan: &Plan,
) -> Result<PageFigures> {
    let mut requests = JoinSet::new();
    let start = tokio::time::Instant::now();
    for slot in 0u32.. {
        let at = start + Duration::from_secs_f64(f64::from(slot) / plan.rate);
        if at >= start + plan.duration {
            break;
        }
        sleep_until(at).await;
        let (api, token) = (api.clone(), token.to_owned());
        requests.spawn(async move {
            let page = api.history_page(&token, peer, before, PAGE).await;
            (page, at.elapsed(), Instant::now())
        });
    }
    let mut figures = PageFigures {
        requested: 0,
        answered: 0,
        failed: 0,
        first_failure: None,
        elapsed: Duration::ZERO,
        latency: Latency::default(),
    };
    let mut latency = Recorder::new()?;
    let start = start.into_std();
    while let Some(done) = requests.join_next().await {
        let (page, took, at) = done.context("a page request")?;
        figures.requested += 1;
        match page {
            Ok(len) if len == PAGE => {
                figures.answered += 1;
                latency.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
                figures.elapsed = figures.elapsed.max(at - start);
            }
            Ok(len) => {
                figures.failed += 1;
                figures
                    .first_failure
                    .get_or_insert_with(|| format!("a page of {len} messages, not {PAGE}"));
            }
            Err(e) => {
                figures.failed += 1;
                figures
                    .first_failure
                    .get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    figures.latency = latency.summary();
    Ok(figures)
}

pub struct PageFigures {
    pub requested: u64,
    pub answered: u64,
    pub failed: u64,
    pub first_failure: Option<String>,
    /// From the first slot to the last answer.
    pub elapsed: Duration,
    pub latency: Latency,
}

impl PageFigures {
    pub fn pages_per_second(&self) -> f64 {
        self.answered as f64 / self.elapsed.as_secs_f64()
    }
}

pub struct HistoryReport {
    pub messages: i64,
    pub rate: f64,
    pub duration: Duration,
    pub seed_time: Duration,
    pub checkpointed: bool,
    pub pages: Vec<(&'static str, PageFigures)>,
}

impl HistoryReport {
    fn latency(&self, position: &str) -> Option<Latency> {
        self.pages
            .iter()
            .find(|(name, _)| *name == position)
            .map(|(_, figures)| figures.latency)
    }

    /// Oldest page over newest page, at p50 and at p99.
    pub fn depth_ratios(&self) -> Option<(f64, f64)> {
        let (newest, oldest) = (self.latency("newest")?, self.latency("oldest")?);
        Some((
            oldest.p50 as f64 / newest.p50.max(1) as f64,
            oldest.p99 as f64 / newest.p99.max(1) as f64,
        ))
    }

    /// The worst p99 of the three positions, µs.
    pub fn worst_p99(&self) -> u64 {
        self.pages
            .iter()
            .map(|(_, figures)| figures.latency.p99)
            .max()
            .unwrap_or(0)
    }

    pub fn section(&self, title: &str) -> Section {
        let mut figures = Figures::new(title)
            .row("messages in the conversation", self.messages)
            .row(
                "CHECKPOINT after seeding",
                if self.checkpointed { "yes" } else { "refused" },
            )
            .row(
                "seeding, VACUUM ANALYZE and CHECKPOINT (s)",
                format!("{:.1}", self.seed_time.as_secs_f64()),
            )
            .row(
                "rate per position (pages/s, open loop)",
                format!("{:.0}", self.rate),
            )
            .row("seconds per position", self.duration.as_secs());
        let mut problems = Vec::new();
        for (name, page) in &self.pages {
            figures = figures
                .row(
                    format!("{name}: pages answered / requested"),
                    format!("{} / {}", page.answered, page.requested),
                )
                .row(
                    format!("{name}: achieved pages/s"),
                    format!("{:.0}", page.pages_per_second()),
                )
                .row(
                    format!("{name}: latency p50 / p90 / p99 / p99.9 / max (µs)"),
                    page.latency.percentiles(),
                );
            if page.failed > 0 {
                problems.push(format!(
                    "{} {name} page requests failed (first: {})",
                    page.failed,
                    page.first_failure.as_deref().unwrap_or("?")
                ));
            }
        }
        if let Some((p50, p99)) = self.depth_ratios() {
            figures = figures
                .row("oldest / newest, p50", format!("{p50:.2}×"))
                .row("oldest / newest, p99", format!("{p99:.2}×"));
        }
        figures
            .note(format!("The conversation between two bench users is seeded in PostgreSQL by one `INSERT INTO messages … SELECT … FROM generate_series(1, N)`: alternating sender and recipient, about 60 bytes of content, a client id, one second apart, delivered and read; into the server's own table and indexes, followed by `VACUUM ANALYZE messages` and a `CHECKPOINT` (so that neither autovacuum nor the checkpointer starts on the new rows during the measurement). Each position is then requested as `GET /messages/{{peer}}?limit={PAGE}` (the newest, without `before`), `…&before=ID` at the middle row, and `…&before=ID` of the 51st oldest row (the oldest page). Requests are sent at fixed slots (open loop), each on its own task; latency runs from the slot to the full answer. A page with other than {PAGE} messages counts as failed."))
            .section(problems)
    }
}

/// The history goals: the oldest page as fast as the newest, and every position
/// fast at the planned rate.
pub fn goals(report: Option<&HistoryReport>, plan: &Plan) -> [Goal; 3] {
    let ratios = report.and_then(HistoryReport::depth_ratios);
    [
        Goal::judged(
            "history oldest/newest page p50 ≤ 1.2×",
            ratios,
            |(p50, _)| (format!("{p50:.2}×"), p50 <= 1.2),
        ),
        Goal::judged(
            "history oldest/newest page p99 ≤ 1.2×",
            ratios,
            |(_, p99)| (format!("{p99:.2}×"), p99 <= 1.2),
        ),
        Goal::judged(
            format!(
                "history p99 ≤ 5 ms at {:.0} pages/s (worst position)",
                plan.rate
            ),
            report,
            |history| {
                let measured = format!("{} µs", history.worst_p99());
                (measured, history.worst_p99() <= 5_000)
            },
        ),
    ]
}
