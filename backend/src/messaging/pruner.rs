//! Keeps each room within its history limit. The writer names the rooms that got
//! new messages; this task deletes their oldest rows beyond the limit, a batch per
//! statement, in the background: never on the send path.

use std::collections::HashSet;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::db::{self, Db, RoomId};
use crate::media::sweeper::Sweeper;

/// Rooms waiting to be looked at; a room whose notice does not fit is named
/// again by its next message.
const QUEUE: usize = 1024;
/// Rows deleted per statement, so that no transaction holds locks for long.
const BATCH: i64 = 500;
/// Notices gathered between rounds: a busy room is looked at once per round.
const ROUND: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct Pruner(mpsc::Sender<RoomId>);

impl Pruner {
    /// Asks for `room` to be brought within its limit.
    pub fn notify(&self, room: RoomId) {
        let _ = self.0.try_send(room);
    }
}

/// Starts the task; rooms without a limit of their own keep `default_limit`.
pub fn start(db: Db, default_limit: i64, sweeper: Sweeper) -> Pruner {
    let (notices, queue) = mpsc::channel(QUEUE);
    tokio::spawn(run(db, default_limit, queue, sweeper));
    Pruner(notices)
}

async fn run(db: Db, default_limit: i64, mut queue: mpsc::Receiver<RoomId>, sweeper: Sweeper) {
    let mut notices = Vec::new();
    while queue.recv_many(&mut notices, QUEUE).await > 0 {
        let due: HashSet<RoomId> = notices.drain(..).collect();
        for room in due {
            prune(&db, room, default_limit, &sweeper).await;
        }
        tokio::time::sleep(ROUND).await;
    }
}

async fn prune(db: &Db, room: RoomId, default_limit: i64, sweeper: &Sweeper) {
    let limit = match db::rooms::find(db, room).await {
        Ok(Some(found)) => found.history_limit.unwrap_or(default_limit),
        Ok(None) => return,
        Err(e) => return log::warn!("room {room}: reading its history limit: {e}"),
    };
    loop {
        match db::messages::prune_room(db, room, limit, BATCH).await {
            Ok(0) => return,
            Ok(pruned) => {
                log::debug!("room {room}: pruned {pruned} rows beyond its limit");
                // Their files too, which the prune marked.
                sweeper.poke();
            }
            // An edit committed under the batch's feet; the room's next message
            // brings it back here.
            Err(e) => return log::warn!("room {room}: pruning its history: {e}"),
        }
    }
}
