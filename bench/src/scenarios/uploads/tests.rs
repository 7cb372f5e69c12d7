//! The `uploads` subcommand end to end, at a tiny size, against a real server.

use std::path::PathBuf;

use clap::Parser;

use crate::orchestrate::Parley;
use crate::{Cli, Command};

/// The server binary of this build: `cargo test --workspace` builds it (the
/// server's own tests need it) next to this test's directory.
fn server_binary() -> PathBuf {
    let test = std::env::current_exe().expect("the test's path");
    let profile = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the build directory");
    let server = profile.join("parley");
    assert!(
        server.exists(),
        "{} is missing: build the server first (cargo build -p parley), or run cargo test --workspace",
        server.display()
    );
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_runs_against_a_server() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = dir.path().join("attachments");
    std::fs::create_dir_all(&store).expect("the store directory");
    let binary = server_binary();
    let parley = Parley {
        binary: &binary,
        bcrypt_cost: 4,
        attachment_store: &store,
    };
    let database_url = format!("sqlite://{}", dir.path().join("parley.db").display());
    let mut section = None;
    let served = parley
        .serve(&database_url, async |server| {
            let pid = server.pid.expect("the server's pid").to_string();
            let store = store.display().to_string();
            #[rustfmt::skip]
            let cli = Cli::try_parse_from([
                "parley-bench", "uploads", "--url", server.api.base().as_str(),
                "--server-pid", &pid, "--store", &store,
                // Not a whole number of chunks.
                "--uploads", "3", "--size", "40000", "--users", "2",
                "--background", "2", "--background-rate", "64",
                "--pairs", "2", "--window", "4", "--duration", "1",
            ])
            .expect("the subcommand's flags");
            let Command::Uploads(args) = cli.command else {
                panic!("parsed as another subcommand");
            };
            section = Some(super::run(&args).await);
        })
        .await;
    served.expect("the server ran until it was stopped");
    let section = section
        .expect("the subcommand ran")
        .expect("the subcommand succeeded");
    assert_eq!(
        section.problems,
        Vec::<String>::new(),
        "{}",
        section.markdown
    );
    for row in [
        "| uploads stored intact / sent | 3 / 3 |",
        "| uploads at once | 3 |",
        "| background: uploads in flight | 2 |",
    ] {
        assert!(
            section.markdown.contains(row),
            "no {row} in\n{}",
            section.markdown
        );
    }
    assert!(section
        .markdown
        .contains("| server RSS growth per upload in flight | "));
    assert!(!section
        .markdown
        .contains("| server RSS growth per upload in flight | n/a |"));
    let leftovers: Vec<_> = std::fs::read_dir(&store)
        .expect("the store directory")
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("parley-bench-reference-")
        })
        .collect();
    assert!(leftovers.is_empty(), "the reference left {leftovers:?}");
}
