//! Markdown output: each measurement's figures, the goals, and the whole report.

use std::fmt::{Display, Write as _};

/// What one scenario or reference produced: its figures, and anything that makes
/// the run fail (a lost message, a dropped socket). Timing never does.
pub struct Section {
    pub markdown: String,
    pub problems: Vec<String>,
}

/// A titled two-column table of figures, with notes on how they were measured.
pub struct Figures {
    title: String,
    rows: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Figures {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn row(mut self, name: impl Into<String>, value: impl Display) -> Self {
        self.rows.push((name.into(), value.to_string()));
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn section(self, problems: Vec<String>) -> Section {
        let mut markdown = format!("### {}\n\n| Figure | Value |\n|---|---|\n", self.title);
        for (name, value) in &self.rows {
            let _ = writeln!(markdown, "| {name} | {value} |");
        }
        for note in &self.notes {
            let _ = write!(markdown, "\n{note}\n");
        }
        for problem in &problems {
            let _ = write!(markdown, "\n**Problem:** {problem}\n");
        }
        Section { markdown, problems }
    }
}

/// The counts of things that should not happen that did: "{count} {what}" for
/// each that is not zero, in order.
pub fn nonzero_counts(counts: &[(u64, &str)]) -> Vec<String> {
    counts
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, what)| format!("{count} {what}"))
        .collect()
}

/// A section for a measurement that could not be made.
pub fn failed(title: &str, error: &anyhow::Error) -> Section {
    let problem = format!("{title} failed: {error:#}");
    Section {
        markdown: format!("### {title}\n\n**Failed:** {error:#}\n"),
        problems: vec![problem],
    }
}

/// A goal as stated, what was measured, and whether it was met.
pub struct Goal {
    pub goal: String,
    pub measured: String,
    pub met: Option<bool>,
}

impl Goal {
    pub fn new(goal: impl Into<String>, measured: impl Into<String>, met: bool) -> Self {
        Self {
            goal: goal.into(),
            measured: measured.into(),
            met: Some(met),
        }
    }

    /// The figures it needs were not measured.
    pub fn unmeasured(goal: impl Into<String>) -> Self {
        Self {
            goal: goal.into(),
            measured: "not measured".into(),
            met: None,
        }
    }

    /// The goal judged on `figures` by `judge` (what was measured, and whether
    /// it was met), or unmeasured without them.
    pub fn judged<T>(
        goal: impl Into<String>,
        figures: Option<T>,
        judge: impl FnOnce(T) -> (String, bool),
    ) -> Self {
        match figures {
            Some(figures) => {
                let (measured, met) = judge(figures);
                Self::new(goal, measured, met)
            }
            None => Self::unmeasured(goal),
        }
    }
}

/// What one chat run lost and duplicated.
pub struct Losses {
    pub lost: u64,
    pub duplicated: u64,
}

/// The goal every chat run shares: nothing lost, nothing duplicated.
pub fn no_losses(runs: &[Losses]) -> Goal {
    let lost: u64 = runs.iter().map(|run| run.lost).sum();
    let duplicated: u64 = runs.iter().map(|run| run.duplicated).sum();
    Goal::new(
        "lost = 0 and duplicated = 0 (every chat run)",
        format!(
            "lost {lost}, duplicated {duplicated} over {} runs",
            runs.len()
        ),
        lost == 0 && duplicated == 0 && !runs.is_empty(),
    )
}

pub fn goals_table(goals: &[Goal]) -> String {
    let mut table = String::from("| Goal | Measured | Met |\n|---|---|---|\n");
    for goal in goals {
        let met = match goal.met {
            Some(true) => "yes",
            Some(false) => "no",
            None => "n/a",
        };
        let _ = writeln!(table, "| {} | {} | {met} |", goal.goal, goal.measured);
    }
    table
}

/// Bytes as KiB or MiB, for memory figures.
pub fn bytes(value: f64) -> String {
    if value.abs() >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", value / (1024.0 * 1024.0))
    } else {
        format!("{:.2} KiB", value / 1024.0)
    }
}

/// An optional figure, "n/a" when absent.
pub fn or_na<T: Display>(value: Option<T>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |value| value.to_string())
}
