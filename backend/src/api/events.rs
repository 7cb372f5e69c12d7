//! `GET /events?after=&limit=`: the caller's stream over REST, the same frames a
//! socket replays, for clients without a socket.

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::auth::AuthUser;
use crate::db::{self, messages::Message, Db, MessageId};
use crate::error::Error;
use crate::ws::protocol::ServerFrame;

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 500;

#[derive(Deserialize)]
pub struct After {
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub struct Events {
    events: Vec<Box<RawValue>>,
    /// Pass as `after` to continue.
    cursor: MessageId,
    has_more: bool,
}

pub async fn events(
    db: web::Data<Db>,
    caller: AuthUser,
    query: web::Query<After>,
) -> Result<web::Json<Events>, Error> {
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(Error::validation(
            "after",
            "after must be a stream position (0 or more)",
        ));
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::validation(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    // One row more than asked tells whether there is more.
    let mut rows = db::messages::stream_for(&db, caller.id, MessageId(after), limit + 1).await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let cursor = rows.last().map_or(MessageId(after), |row| row.id);
    let events = rows.iter().map(stream_item).collect::<Result<_, _>>()?;
    Ok(web::Json(Events {
        events,
        cursor,
        has_more,
    }))
}

/// A stream row as JSON, the frame a socket would get for it.
pub fn stream_item(row: &Message) -> Result<Box<RawValue>, Error> {
    RawValue::from_string(ServerFrame::stream(row).to_json()).map_err(|e| {
        log::error!("encoding a stream row: {e}");
        Error::Internal
    })
}
