//! The Markdown document: the machine, the goals, then each measurement.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use tokio_postgres::Client;

use super::sections::Sections;
use crate::database;
use crate::process;
use crate::report::{goals_table, Goal};

/// Rows of the machine table.
pub(super) async fn machine(database: &Client) -> Result<Vec<(&'static str, String)>> {
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

pub(super) fn render(machine: &[(&str, String)], goals: &[Goal], sections: &Sections) -> String {
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
