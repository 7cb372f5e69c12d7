//! `parley-bench`: load scenarios for a Parley server, the reference measurements
//! they are compared against, and `all`, which runs everything and writes the
//! report. See `parley-bench --help`.

mod accounts;
mod api;
mod child;
mod clock;
mod database;
mod echo;
mod latency;
mod orchestrate;
mod process;
mod references;
mod report;
mod scenarios;
mod socket;
mod stamp;
mod target;
mod tasks;

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use tokio::signal::unix::{signal, SignalKind};

use references::{bcrypt, db};
use report::Section;
use scenarios::{connections, dm, history, login_storm, rooms, uploads};

#[derive(Parser, Debug)]
#[command(name = "parley-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The raw reference: a WebSocket echo server (actix-ws, no auth, no database).
    EchoServer(echo::Args),
    /// Many authenticated idle sockets: connect rate, server memory per socket, drops;
    /// and the same against the echo reference.
    Connections(connections::Args),
    /// Direct messages between pairs: throughput, latency, losses, duplicates.
    Dm(dm::Args),
    /// One sender, a room of M members: fan-out messages/s and frames/s delivered,
    /// latency, losses, duplicates and order; and the same against the echo
    /// reference in broadcast mode.
    Rooms(rooms::Args),
    /// History pages at the newest, middle and oldest end of a long conversation.
    History(history::Args),
    /// Chat latency while logins hammer the server, and logins/s against the bcrypt
    /// ceiling.
    LoginStorm(login_storm::Args),
    /// Many large uploads at once: server memory per upload in flight, throughput
    /// against the same bytes written straight into the store; dm throughput with
    /// and without uploads in flight.
    Uploads(uploads::Args),
    /// Reference: bcrypt verifies per second on every core.
    BcryptCeiling(bcrypt::Args),
    /// Reference: PostgreSQL's insert ceiling for the server's message rows.
    DbCeiling(db::Args),
    /// Start the server and run every reference and scenario; write the report.
    All(orchestrate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::EchoServer(args) => echo::serve(args).map(|()| Vec::new()),
        command => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the runtime")
            .and_then(|runtime| runtime.block_on(run_until_stopped(command))),
    };
    match outcome {
        Ok(problems) if problems.is_empty() => ExitCode::SUCCESS,
        Ok(problems) => {
            eprintln!("{} problems:", problems.len());
            for problem in problems {
                eprintln!("- {problem}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one subcommand until it ends or the bench is told to stop (SIGINT or
/// SIGTERM). Stopping drops the measurement in progress, and with it the child
/// processes it started (the server, the echo reference), which are killed on drop.
async fn run_until_stopped(command: &Command) -> Result<Vec<String>> {
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    tokio::select! {
        outcome = run(command) => outcome,
        _ = tokio::signal::ctrl_c() => bail!("interrupted"),
        _ = terminate.recv() => bail!("terminated"),
    }
}

/// Runs one subcommand; returns the problems it found.
async fn run(command: &Command) -> Result<Vec<String>> {
    let section = match command {
        Command::All(args) => return orchestrate::run(args).await,
        Command::EchoServer(_) => return Ok(Vec::new()),
        Command::Connections(args) => connections::run(args).await?,
        Command::Dm(args) => dm::run(args).await?,
        Command::Rooms(args) => rooms::run(args).await?,
        Command::History(args) => history::run(args).await?,
        Command::LoginStorm(args) => login_storm::run(args).await?,
        Command::Uploads(args) => uploads::run(args).await?,
        Command::BcryptCeiling(args) => bcrypt::run(args).await?,
        Command::DbCeiling(args) => db::run(args).await?,
    };
    let Section { markdown, problems } = section;
    println!("{markdown}");
    Ok(problems)
}
