//! A child process that prints `… listening on http://IP:PORT` once it serves, and
//! is killed if the bench lets go of it.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::timeout;

/// Start-up includes migrations on a fresh database.
const START_TIMEOUT: Duration = Duration::from_secs(120);
const ANNOUNCEMENT: &str = "listening on ";

pub struct Listening {
    child: Child,
    program: String,
    pub pid: u32,
    /// `http://IP:PORT`
    pub url: String,
}

impl Listening {
    pub async fn spawn(mut command: Command) -> Result<Self> {
        let program = command
            .as_std()
            .get_program()
            .to_string_lossy()
            .into_owned();
        let mut child = command
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {program}"))?;
        let pid = child.id().context("the child has no pid")?;
        let stdout = child.stdout.take().context("the child has no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some((_, url)) = line.split_once(ANNOUNCEMENT) {
                    return Ok(Some(url.trim().to_owned()));
                }
            }
            Ok::<_, std::io::Error>(None)
        })
        .await
        .with_context(|| format!("{program} did not start listening within 2 minutes"))?
        .with_context(|| format!("reading {program}'s output"))?;
        let Some(url) = url else {
            bail!("{program} exited before it was listening");
        };
        // Keep reading so that the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            program,
            pid,
            url,
        })
    }

    /// Kills the child; fails if it had already exited by itself.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait().context("checking on a child")? {
            bail!("{} exited by itself ({status})", self.program);
        }
        self.child.kill().await.context("stopping a child process")
    }
}
