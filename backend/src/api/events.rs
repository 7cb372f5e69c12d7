//! `GET /events?after=&limit=`: the caller's stream over REST, the same frames a
//! socket replays, for clients without a socket.

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::openapi::{ErrorBody, Internal, StreamItem, Unauthorized, Unavailable, Unreadable};
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::{self, messages::Message, MessageId};
use crate::domain::paging::{stream_position, Limit, PageSize};
use crate::error::Error;
use crate::live::frames::ServerFrame;
use crate::media::links::Links;

/// As `After` documents it (a test in `api` compares them).
pub(super) const PAGE_SIZE: PageSize = PageSize {
    default: 100,
    max: 500,
};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct After {
    /// The last stream position you have (default 0).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Events {
    #[schema(value_type = Vec<StreamItem>)]
    events: Vec<Box<RawValue>>,
    /// Pass as `after` to continue.
    cursor: MessageId,
    has_more: bool,
}

/// The caller's stream after a cursor, the frames a socket replays, for clients
/// without a socket. Reading events does not mark messages delivered.
#[utoipa::path(
    get,
    path = "/events",
    tag = "messages",
    params(After),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the stream; pass `cursor` as the next `after`", body = Events,
            example = json!({"events": [{"type": "message", "cursor": 5, "id": 5, "sender_id": 1, "recipient_id": 2, "content": "Lunch at one?", "client_id": "a-3", "created_at": "2026-11-21T13:15:18.212Z", "edited_at": "2026-11-21T13:15:18.242Z", "deleted_at": null}, {"type": "edited", "cursor": 7, "message_id": 5, "sender_id": 1, "recipient_id": 2, "content": "Lunch at one?", "edited_at": "2026-11-21T13:15:18.242Z"}, {"type": "deleted", "cursor": 8, "message_id": 4, "sender_id": 1, "recipient_id": 2, "deleted_at": "2026-11-21T13:15:18.256Z"}], "cursor": 8, "has_more": false})),
        Unreadable,
        Unauthorized,
        (status = 422, description = "`validation_failed`: `after` is negative or `limit` is out of range", body = ErrorBody,
            example = json!({"error": "validation_failed", "message": "limit must be between 1 and 500", "field": "limit"})),
        Internal,
        Unavailable,
    ),
)]
pub async fn events(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    query: web::Query<After>,
) -> Result<web::Json<Events>, Error> {
    let after = stream_position("after", query.after.unwrap_or(0))?;
    let limit = Limit::parse(query.limit, PAGE_SIZE)?;
    // One row more than asked tells whether there is more.
    let mut rows = db::messages::stream_for(&ctx.db, caller.id, after, limit.get() + 1).await?;
    let has_more = rows.len() > limit.count();
    rows.truncate(limit.count());
    let cursor = rows.last().map_or(after, |row| row.id);
    let events = rows
        .iter()
        .map(|row| stream_item(row, &ctx.media.links))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Events {
        events,
        cursor,
        has_more,
    }))
}

/// A stream row as JSON, the frame a socket would get for it.
pub fn stream_item(row: &Message, links: &Links) -> Result<Box<RawValue>, Error> {
    RawValue::from_string(ServerFrame::stream(row, links).to_json()).map_err(|e| {
        log::error!("encoding a stream row: {e}");
        Error::Internal
    })
}
