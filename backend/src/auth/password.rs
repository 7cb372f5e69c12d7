//! bcrypt, on a small pool of its own threads (one per core) so hashing never
//! stalls the async executor. The threads run at a lower scheduling priority than
//! the rest of the server: a login storm uses the CPU the chat leaves idle instead
//! of slowing message delivery. Short queues wait for a thread; beyond them,
//! requests are turned away with `503 server_busy` at once, so a storm cannot pile
//! up work faster than the cores clear it.
//!
//! Logins and registrations are admitted separately, each to its own queue, and a
//! free thread takes a login first: a flood of registrations fills only its own
//! queue, and a correct login waits at most for the hashes already running.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{oneshot, OnceCell};

use crate::domain::Password;
use crate::error::Error;

/// Hashes that may wait for a thread, per thread.
const QUEUE_PER_THREAD: usize = 4;
/// What a turned-away client is told to wait.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// The pool's nice value: the kernel gives a busy nice-0 thread about nine times
/// the CPU of a nice-10 one.
#[cfg(target_os = "linux")]
const NICENESS: i32 = 10;
/// bcrypt needs a few KiB of state; the default 2 MiB stack is not needed.
const STACK_SIZE: usize = 256 * 1024;

type Job = Box<dyn FnOnce() + Send>;

/// Which queue a job waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Logins (checking a password); served first.
    Login,
    /// Registrations and password changes (hashing a new password).
    Registration,
}

/// The queues the pool's threads take work from; each bounded, so a full queue
/// means busy.
struct Queues {
    logins: VecDeque<Job>,
    registrations: VecDeque<Job>,
    capacity: usize,
    /// Set when [`Passwords`] is dropped: the threads end once the queues are empty.
    closed: bool,
}

struct Shared {
    queues: Mutex<Queues>,
    work_ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queues> {
        // Each update is a push or a pop: a panicking holder leaves them sound.
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct Passwords {
    cost: u32,
    shared: Arc<Shared>,
    /// Verified against when the username is unknown, so that answer takes as long
    /// as a wrong password and does not reveal which usernames exist.
    decoy_hash: OnceCell<String>,
}

impl Passwords {
    /// Starts the hashing threads; they end when this is dropped.
    pub fn start(cost: u32) -> std::io::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let shared = Arc::new(Shared {
            queues: Mutex::new(Queues {
                logins: VecDeque::new(),
                registrations: VecDeque::new(),
                capacity: threads * QUEUE_PER_THREAD,
                closed: false,
            }),
            work_ready: Condvar::new(),
        });
        for n in 0..threads {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("bcrypt-{n}"))
                .stack_size(STACK_SIZE)
                .spawn(move || work(&shared))?;
        }
        Ok(Self {
            cost,
            shared,
            decoy_hash: OnceCell::new(),
        })
    }

    /// Hashes a new password (registration, or an operator setting one).
    pub async fn hash(&self, password: Password) -> Result<String, Error> {
        let cost = self.cost;
        self.run(Class::Registration, move || {
            bcrypt::hash(password.into_inner(), cost)
        })
        .await
    }

    /// Checks `password` against `hash`, or against a decoy when there is no user.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, Error> {
        // bcrypt would compare only the first 72 bytes; no stored password is longer.
        if password.len() > Password::MAX_BYTES {
            return Ok(false);
        }
        let hash = match hash {
            Some(hash) => hash,
            None => {
                let decoy = self
                    .decoy_hash
                    .get_or_try_init(|| {
                        let cost = self.cost;
                        self.run(Class::Login, move || bcrypt::hash("decoy password", cost))
                    })
                    .await?;
                let decoy = decoy.clone();
                let _ = self
                    .run(Class::Login, move || bcrypt::verify(password, &decoy))
                    .await?;
                return Ok(false);
            }
        };
        self.run(Class::Login, move || bcrypt::verify(password, &hash))
            .await
    }

    /// Runs one bcrypt operation on the pool, or refuses it when its class's
    /// queue is full.
    async fn run<T: Send + 'static>(
        &self,
        class: Class,
        work: impl FnOnce() -> bcrypt::BcryptResult<T> + Send + 'static,
    ) -> Result<T, Error> {
        let (done, outcome) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have gone away; the work is simply dropped then.
            let _ = done.send(work());
        });
        {
            let mut queues = self.shared.lock();
            let capacity = queues.capacity;
            let queue = match class {
                Class::Login => &mut queues.logins,
                Class::Registration => &mut queues.registrations,
            };
            if queue.len() >= capacity {
                return Err(Error::Busy(RETRY_AFTER));
            }
            queue.push_back(job);
        }
        self.shared.work_ready.notify_one();
        match outcome.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                log::error!("bcrypt: {e}");
                Err(Error::Internal)
            }
            Err(_) => {
                log::error!("bcrypt: a hashing thread dropped its job");
                Err(Error::Internal)
            }
        }
    }
}

impl Drop for Passwords {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work_ready.notify_all();
    }
}

/// A hashing thread: takes jobs, logins first, until the pool is dropped.
fn work(shared: &Shared) {
    lower_priority();
    loop {
        // The lock is held only while waiting; a job runs without it.
        let job = {
            let mut queues = shared.lock();
            loop {
                if let Some(job) = queues.logins.pop_front() {
                    break job;
                }
                if let Some(job) = queues.registrations.pop_front() {
                    break job;
                }
                if queues.closed {
                    return;
                }
                queues = shared
                    .work_ready
                    .wait(queues)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        job();
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux the nice value belongs to the thread, so this leaves the rest of
    // the server at its priority.
    let thread = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(thread), NICENESS) {
        log::warn!("bcrypt: could not lower the hashing thread's priority: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}
