//! The real `parley` binary as a child process, for what only a process shows:
//! signals, exit codes and log output.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{JWT_SECRET, PASSWORD};

/// A server process, killed if the test ends before it does.
pub struct Server {
    pub child: Child,
    pub port: u16,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The binary on the SQLite database in `dir`, with `env` on top of test
    /// settings (fast bcrypt, no send limits); returns once it listens.
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
        let database_url = format!("sqlite://{}", dir.join("parley.db").display());
        Self::start_on(&database_url, env)
    }

    /// Like [`Self::start`], on the database at `database_url`.
    pub fn start_on(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
            .env("DATABASE_URL", database_url)
            .env("BIND", "127.0.0.1:0")
            .env("JWT_SECRET", JWT_SECRET)
            .env("BCRYPT_COST", "4")
            .env("SEND_RATE", "100000")
            .env("SEND_BURST", "100000")
            .env("REGISTER_RATE", "100000")
            .env("REGISTER_BURST", "100000")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the parley binary");

        // Read all along, so that a chatty log never fills the pipe.
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });

        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .expect("read stdout");
            if let Some(address) = line.strip_prefix("Parley listening on http://") {
                break address.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        Self {
            child,
            port,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every line of standard error so far.
    pub fn logs(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (at most 10 s) for a line of standard error that `wanted` accepts.
    pub async fn log_line(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self.stderr.lock().unwrap().iter().find(|l| wanted(l)) {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no such log line in:\n{}",
                self.stderr.lock().unwrap().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Registers and logs in `username`: their id and access token.
    pub async fn session(&self, client: &reqwest::Client, username: &str) -> (i64, String) {
        let credentials = json!({"username": username, "password": PASSWORD});
        client
            .post(self.url("/register"))
            .json(&credentials)
            .send()
            .await
            .unwrap();
        let session: Value = client
            .post(self.url("/login"))
            .json(&credentials)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            session["user"]["id"].as_i64().unwrap(),
            session["access_token"].as_str().unwrap().to_owned(),
        )
    }
}
