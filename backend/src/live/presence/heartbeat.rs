//! Nodes that die (a crash, `kill -9`) say nothing: their users would stay online
//! forever. So each node (PostgreSQL) renews its heartbeat every [`interval`] of
//! the staleness bound, and sweeps the nodes silent for longer than the bound:
//! their users with no socket elsewhere are announced offline. A user whose last
//! node dies is shown offline within the bound plus one interval.

use std::time::Duration;

use actix_web::web;
use tokio::time::MissedTickBehavior;

use super::super::bus::Bus;
use super::super::hub::Hub;
use super::went_offline;
use crate::db::{self, Db};

/// How often a node beats, for a staleness bound of `stale`: a few beats may be
/// late (a busy database, a pause) before the node counts as dead.
pub fn interval(stale: Duration) -> Duration {
    stale / 4
}

/// Registers this node and starts its heartbeat and sweep (PostgreSQL only).
pub fn start(db: Db, hub: web::Data<Hub>, bus: web::Data<Bus>, stale: Duration) {
    if !db.is_shared() {
        return;
    }
    tokio::spawn(run(db, hub, bus, stale));
}

async fn run(db: Db, hub: web::Data<Hub>, bus: web::Data<Bus>, stale: Duration) {
    let mut beat = tokio::time::interval(interval(stale));
    beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        beat.tick().await;
        match db::nodes::beat(&db, bus.node()).await {
            Ok(true) => {}
            // New, or swept while silent: its users are written (again). Who came
            // online in the meantime was announced already, or will be now.
            Ok(false) => {
                let users = hub.users();
                if !users.is_empty() {
                    if let Err(e) = db::nodes::joined(&db, bus.node(), &users).await {
                        log::error!("writing this node's users again: {e}");
                    }
                }
            }
            Err(e) => {
                log::warn!("renewing this node's heartbeat: {e}");
                continue;
            }
        }
        match db::nodes::sweep(&db, stale).await {
            Ok(gone) => {
                for user in gone {
                    log::info!("user {user}: their last node stopped answering");
                    went_offline(&db, &hub, &bus, user).await;
                }
            }
            Err(e) => log::warn!("sweeping silent nodes: {e}"),
        }
    }
}
