//! The send budget of a user, shared by every node (PostgreSQL): a user with
//! sockets on three nodes must not get three budgets. Each node takes from its own
//! bucket of the user as before, and tells the others every [`SYNC`] how many
//! sends each user made through it; they take as many from their buckets.
//!
//! Tolerance: every node's bucket of a user is charged with every send of theirs
//! on any node, at most one [`SYNC`] plus the bus's latency late. So the sustained
//! rate holds across nodes; only within that window can the user's sends on N
//! nodes add up to N bursts instead of one (debt is kept down to minus one burst,
//! so what they overspend there is paid back before they send again).

use std::collections::HashMap;
use std::mem;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use actix_web::web;

use crate::db::UserId;
use crate::limits::{Rate, RateLimiter};
use crate::live::bus::{Bus, Event};
use crate::metrics::Metrics;

/// How often a node tells the others what its users sent.
pub const SYNC: Duration = Duration::from_millis(200);
/// Users per event: the payload is limited.
const USERS_PER_EVENT: usize = 400;

pub struct SharedSends {
    limiter: RateLimiter<UserId>,
    /// Sends per user since the last sync; `None` while no other node can hear.
    consumed: Mutex<Option<HashMap<UserId, u32>>>,
}

impl SharedSends {
    pub fn new(rate: Rate) -> Self {
        Self {
            limiter: RateLimiter::new(rate),
            consumed: Mutex::new(None),
        }
    }

    /// Takes one send of `user`'s, or says how long until one is available.
    pub fn take(&self, user: UserId) -> Result<(), Duration> {
        self.limiter.take(user)?;
        if let Some(consumed) = self.consumed().as_mut() {
            *consumed.entry(user).or_default() += 1;
        }
        Ok(())
    }

    /// Charges what users sent through another node.
    pub fn drain(&self, sends: &[(UserId, u32)], metrics: &Metrics) {
        for &(user, count) in sends {
            self.limiter.drain(user, f64::from(count));
            metrics.sends_drained(u64::from(count));
        }
    }

    /// Starts telling the other nodes on `bus` what users send here (when there
    /// are other nodes).
    pub fn share(sends: web::Data<Self>, bus: web::Data<Bus>) {
        if !bus.is_shared() {
            return;
        }
        *sends.consumed() = Some(HashMap::new());
        tokio::spawn(async move {
            let mut sync = tokio::time::interval(SYNC);
            sync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                sync.tick().await;
                let consumed: Vec<_> = sends
                    .consumed()
                    .as_mut()
                    .map(mem::take)
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                for chunk in consumed.chunks(USERS_PER_EVENT) {
                    bus.publish(Event::Consumed {
                        sends: chunk.to_vec(),
                    });
                }
            }
        });
    }

    fn consumed(&self) -> std::sync::MutexGuard<'_, Option<HashMap<UserId, u32>>> {
        // Each update is one insert or swap: the map is whole after a panic.
        self.consumed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
