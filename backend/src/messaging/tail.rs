//! How this node hears of rows other nodes commit (PostgreSQL): a connection
//! listening for their announcements, and a poll in case one is missed. Each
//! wakes the [`Router`], which reads every row after the last it routed. The same
//! connection hears their ephemeral events (`live::bus`), applied by [`Remote`].

use std::time::Duration;

use actix_web::web;
use tokio::time::MissedTickBehavior;

use super::remote::Remote;
use super::router::Router;
use crate::db::{self, Db};

/// A catch-up this often even without announcements: a notification is lost
/// while the listening connection is down, and the poll bounds how late a row
/// can be then.
const POLL: Duration = Duration::from_secs(1);
/// Waits between attempts to listen again, doubling up to the last.
const RETRY: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
    Duration::from_secs(5),
];

/// Starts following the stream on `db`'s PostgreSQL; on SQLite, which one process
/// writes, there is nothing to follow.
pub fn follow(db: Db, router: web::Data<Router>, remote: Remote) {
    if !db.is_shared() {
        return;
    }
    tokio::spawn(run(db, router, remote));
}

async fn run(db: Db, router: web::Data<Router>, remote: Remote) {
    let mut failures = 0;
    loop {
        match db
            .listen(&[db::stream::COMMITTED, db::events::EVENTS])
            .await
        {
            Ok(Some(mut listener)) => {
                failures = 0;
                remote.resync().await;
                // The first tick, at once: whatever was announced while nobody
                // listened.
                let mut poll = tokio::time::interval(POLL);
                poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
                let lost = loop {
                    tokio::select! {
                        heard = listener.next() => match heard {
                            Ok(notification) if notification.channel == db::events::EVENTS => {
                                remote.apply(&router, &notification.payload).await;
                            }
                            Ok(notification) => {
                                if router.is_news(&notification.payload) {
                                    router.catch_up().await;
                                }
                            }
                            Err(e) => break e,
                        },
                        _ = poll.tick() => router.catch_up().await,
                    }
                };
                log::warn!("listening for other nodes' commits: {lost}; listening again");
            }
            Ok(None) => return,
            Err(e) => {
                log::warn!("cannot listen for other nodes' commits: {e}");
                router.catch_up().await;
            }
        }
        let wait = RETRY[failures.min(RETRY.len() - 1)];
        failures += 1;
        tokio::time::sleep(wait).await;
    }
}
