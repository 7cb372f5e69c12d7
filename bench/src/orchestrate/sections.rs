//! The report's measurement sections and problems, in the order they ran.

use std::future::Future;

use anyhow::Result;

use crate::report::{self, Section};

/// The report as it is written.
#[derive(Default)]
pub(super) struct Sections {
    pub(super) markdown: Vec<String>,
    pub(super) problems: Vec<String>,
}

impl Sections {
    pub(super) fn add(&mut self, section: Section) {
        self.markdown.push(section.markdown);
        self.problems.extend(section.problems);
    }

    /// Records a server that failed to start or exited by itself.
    pub(super) fn server(&mut self, served: Result<()>) {
        if let Err(e) = served {
            eprintln!("the Parley server failed: {e:#}");
            self.add(report::failed("The Parley server", &e));
        }
    }

    /// Records a measurement that could not run because `missing`, which it
    /// depends on, was not measured.
    pub(super) fn skipped(&mut self, title: &str, missing: &str) {
        let why = anyhow::anyhow!("{missing} was not measured");
        self.add(report::failed(title, &why));
    }

    /// Runs one measurement and records its section, or its failure.
    pub(super) async fn measure<T>(
        &mut self,
        title: &str,
        measurement: impl Future<Output = Result<T>>,
        section: impl FnOnce(&T, &str) -> Section,
    ) -> Option<T> {
        eprintln!("== {title}");
        match measurement.await {
            Ok(value) => {
                self.add(section(&value, title));
                Some(value)
            }
            Err(e) => {
                eprintln!("{title} failed: {e:#}");
                self.add(report::failed(title, &e));
                None
            }
        }
    }
}
