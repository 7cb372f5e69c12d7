//! The arrivals per message that pace the room sender: a message leaves its
//! window once every member socket has it.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use tokio::sync::Notify;

/// How far the fan-out has got, shared by the member sockets and the sender.
pub struct Progress {
    members: u32,
    /// Per sequence number, how many member sockets have it.
    arrivals: Vec<AtomicU32>,
    /// Messages at every member socket.
    fanned_out: AtomicU64,
    /// Wakes the sender when a message reached every member.
    pub(super) wake: Notify,
}

impl Progress {
    pub(super) fn new(members: usize, messages: usize) -> Self {
        Self {
            members: u32::try_from(members).unwrap_or(u32::MAX),
            arrivals: (0..messages).map(|_| AtomicU32::new(0)).collect(),
            fanned_out: AtomicU64::new(0),
            wake: Notify::new(),
        }
    }

    /// Counts the first arrival of `seq` at one member; true when it was the last
    /// member to get it.
    pub(super) fn arrived(&self, seq: usize) -> bool {
        let Some(arrivals) = self.arrivals.get(seq) else {
            return false;
        };
        let last = arrivals.fetch_add(1, Ordering::Relaxed) + 1 == self.members;
        if last {
            self.fanned_out.fetch_add(1, Ordering::Relaxed);
            self.wake.notify_one();
        }
        last
    }

    pub(super) fn fanned_out(&self) -> u64 {
        self.fanned_out.load(Ordering::Relaxed)
    }
}
