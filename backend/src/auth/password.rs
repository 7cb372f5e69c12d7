//! bcrypt, on a small pool of its own threads (one per core) so hashing never
//! stalls the async executor. The threads run at a lower scheduling priority than
//! the rest of the server: a login storm uses the CPU the chat leaves idle instead
//! of slowing message delivery. A short queue waits for a thread; beyond it,
//! requests are turned away with `503 server_busy` at once, so a storm cannot pile
//! up work faster than the cores clear it.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{oneshot, OnceCell};

use super::Password;
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

pub struct Passwords {
    cost: u32,
    /// The queue the pool's threads take work from; bounded, so a full queue
    /// means busy.
    jobs: SyncSender<Job>,
    /// Verified against when the username is unknown, so that answer takes as long
    /// as a wrong password and does not reveal which usernames exist.
    decoy_hash: OnceCell<String>,
}

impl Passwords {
    /// Starts the hashing threads; they end when this is dropped.
    pub fn start(cost: u32) -> std::io::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let (jobs, queue) = mpsc::sync_channel(threads * QUEUE_PER_THREAD);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("bcrypt-{n}"))
                .stack_size(STACK_SIZE)
                .spawn(move || work(&queue))?;
        }
        Ok(Self {
            cost,
            jobs,
            decoy_hash: OnceCell::new(),
        })
    }

    pub async fn hash(&self, password: Password) -> Result<String, Error> {
        let cost = self.cost;
        self.run(move || bcrypt::hash(password.into_inner(), cost))
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
                        self.run(move || bcrypt::hash("decoy password", cost))
                    })
                    .await?;
                let decoy = decoy.clone();
                let _ = self.run(move || bcrypt::verify(password, &decoy)).await?;
                return Ok(false);
            }
        };
        self.run(move || bcrypt::verify(password, &hash)).await
    }

    /// Runs one bcrypt operation on the pool, or refuses it when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> bcrypt::BcryptResult<T> + Send + 'static,
    ) -> Result<T, Error> {
        let (done, outcome) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have gone away; the work is simply dropped then.
            let _ = done.send(work());
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(Error::Busy(RETRY_AFTER)),
            Err(TrySendError::Disconnected(_)) => {
                log::error!("bcrypt: the hashing threads have stopped");
                return Err(Error::Internal);
            }
        }
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

/// A hashing thread: takes jobs until the queue's sender is dropped.
fn work(queue: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        // The lock is held only while waiting; a job runs without it.
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
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
