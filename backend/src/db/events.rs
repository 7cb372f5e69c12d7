//! The channel ephemeral events cross nodes on (typing, receipts, revocations,
//! presence): PostgreSQL's `NOTIFY`, never stored. On SQLite one process serves
//! the database, so there is nobody to tell.

use super::{Db, Pools, Result};

/// The channel events go out on (the stream has its own, `stream::COMMITTED`).
pub const EVENTS: &str = "parley_events";
/// PostgreSQL refuses payloads of 8000 bytes or more.
pub const MAX_PAYLOAD: usize = 7900;

/// Sends `payloads` on [`EVENTS`], in order, on one connection (so listeners hear
/// them in that order).
pub async fn publish(db: &Db, payloads: &[String]) -> Result<()> {
    let Pools::Postgres(pool) = db.pools() else {
        return Ok(());
    };
    let mut conn = db.checkout(pool).await?;
    for payload in payloads {
        super::listen::notify(&mut conn, EVENTS, payload).await?;
    }
    Ok(())
}
