//! Each test server's own log, kept in memory and printed when its test fails.
//!
//! The tests run many servers at once in one process, and `log` has one global
//! logger, so every line must be attributed to the server that wrote it. Each test
//! server runs as `main.rs` runs it, in an actix `System` of its own on a thread of
//! its own (see `helpers::start`). A line belongs to that server when it is written
//! - on the server's thread or one of its runtime's blocking threads, which carry
//!   the server's log in a thread-local from the start, or
//! - on a thread of its actix `System`: the HTTP workers are actix arbiters, and
//!   actix sets the `System` on every arbiter thread it starts.
//!
//! The rest (the blocking threads of the HTTP workers, the bcrypt threads, and the
//! tests' own threads) log nothing the server writes today. Their lines are kept
//! apart and printed with a failing server's log, marked as unattributed.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Instant;

use actix_web::rt::System;

/// Lines kept per server; older ones are dropped (and counted) past this.
const MAX_LINES: usize = 20_000;
/// Unattributed lines kept for the whole process.
const MAX_STRAY_LINES: usize = 200;
/// What is kept unless `RUST_LOG` says otherwise.
const DEFAULT_FILTER: &str = "info,parley=debug";

/// The log of one test server.
pub struct ServerLog {
    started: Instant,
    lines: Mutex<Lines>,
}

#[derive(Default)]
struct Lines {
    kept: VecDeque<String>,
    dropped: usize,
}

impl Lines {
    fn push(&mut self, line: String, max: usize) {
        if self.kept.len() == max {
            self.kept.pop_front();
            self.dropped += 1;
        }
        self.kept.push_back(line);
    }
}

impl ServerLog {
    /// A new, empty log; installs the capturing logger on first use.
    pub fn new() -> Arc<Self> {
        install();
        Arc::new(Self {
            started: Instant::now(),
            lines: Mutex::new(Lines::default()),
        })
    }

    /// Routes the lines written on this thread to this log.
    pub fn attach_thread(self: &Arc<Self>) {
        THREAD_LOG.with(|log| *log.borrow_mut() = Some(Arc::clone(self)));
    }

    /// Routes the lines written on any thread of the current actix `System` to
    /// this log, for as long as the log lives.
    pub fn attach_system(self: &Arc<Self>) {
        let id = System::current().id();
        let mut systems = systems().lock().unwrap_or_else(PoisonError::into_inner);
        systems.retain(|_, log| log.strong_count() > 0);
        systems.insert(id, Arc::downgrade(self));
    }

    fn push(&self, record: &log::Record<'_>) {
        let line = format!(
            "{:>8.3}s {:<5} {} [{}] {}",
            self.started.elapsed().as_secs_f64(),
            record.level(),
            record.target(),
            std::thread::current().name().unwrap_or("unnamed thread"),
            record.args()
        );
        lock(&self.lines).push(line, MAX_LINES);
    }
}

impl fmt::Display for ServerLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = lock(&self.lines);
        if lines.dropped > 0 {
            writeln!(f, "({} older lines dropped)", lines.dropped)?;
        }
        for line in &lines.kept {
            writeln!(f, "{line}")?;
        }
        let stray = lock(&stray().lines);
        if !stray.kept.is_empty() {
            writeln!(
                f,
                "-- lines no test server can be named for (any test's) --"
            )?;
            for line in &stray.kept {
                writeln!(f, "{line}")?;
            }
        }
        Ok(())
    }
}

thread_local! {
    static THREAD_LOG: RefCell<Option<Arc<ServerLog>>> = const { RefCell::new(None) };
}

fn systems() -> &'static Mutex<HashMap<usize, Weak<ServerLog>>> {
    static SYSTEMS: OnceLock<Mutex<HashMap<usize, Weak<ServerLog>>>> = OnceLock::new();
    SYSTEMS.get_or_init(Mutex::default)
}

fn stray() -> &'static ServerLog {
    static STRAY: OnceLock<ServerLog> = OnceLock::new();
    STRAY.get_or_init(|| ServerLog {
        started: Instant::now(),
        lines: Mutex::new(Lines::default()),
    })
}

/// A panic while holding the lock (a failing test) must not hide the log.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The log of the server this thread works for, if it can be named.
fn current() -> Option<Arc<ServerLog>> {
    if let Some(log) = THREAD_LOG.with(|log| log.borrow().clone()) {
        return Some(log);
    }
    let id = System::try_current()?.id();
    let log = lock(systems()).get(&id)?.upgrade()?;
    // A thread never changes System: remember it, to skip the lookup next time.
    THREAD_LOG.with(|cell| *cell.borrow_mut() = Some(Arc::clone(&log)));
    Some(log)
}

struct Capture {
    filter: env_logger::Logger,
}

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.filter.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.filter.matches(record) {
            return;
        }
        match current() {
            Some(log) => log.push(record),
            None => {
                let line = format!(
                    "{:<5} {} [{}] {}",
                    record.level(),
                    record.target(),
                    std::thread::current().name().unwrap_or("unnamed thread"),
                    record.args()
                );
                lock(&stray().lines).push(line, MAX_STRAY_LINES);
            }
        }
    }

    fn flush(&self) {}
}

fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let filter = env_logger::Builder::from_env(
            env_logger::Env::default().default_filter_or(DEFAULT_FILTER),
        )
        .build();
        log::set_max_level(filter.filter());
        // Fails only if another logger is installed; then that one gets the lines.
        let _ = log::set_boxed_logger(Box::new(Capture { filter }));
    });
}
