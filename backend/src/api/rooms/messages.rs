//! A room's history (`GET /rooms/{id}/messages`) and sending to it over REST
//! (`POST /rooms/{id}/messages`). History items are the frames a socket gets.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::value::RawValue;

use super::visible;
use crate::api::events::stream_item;
use crate::api::messages::{holding_anchor, NewMessage, Page};
use crate::api::openapi::{
    BadPage, ErrorBody, Internal, NotAMember, RoomNotFound, StreamItem, Unauthorized, Unavailable,
    Unreadable,
};
use crate::api::Json;
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::messages::Window;
use crate::db::{self, Chat, MessageId, RoomId};
use crate::error::Error;

#[derive(Serialize, utoipa::ToSchema)]
pub struct History {
    /// Messages and member events, oldest first.
    #[schema(value_type = Vec<StreamItem>)]
    items: Vec<Box<RawValue>>,
    /// Nothing older is kept: stop paging.
    end_of_history: bool,
    /// Older items existed, but the room's history limit removed them.
    history_pruned: bool,
}

/// Members only: a public room is readable once joined.
#[utoipa::path(
    get,
    path = "/rooms/{id}/messages",
    tag = "rooms",
    operation_id = "room_history",
    params(("id" = i64, Path, description = "The room's id"), Page),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, oldest first: messages (deleted ones as tombstones) and member events", body = History,
            example = json!({"items": [{"type": "member", "cursor": 2, "id": 2, "room_id": 1, "user_id": 2, "action": "joined", "created_at": "2026-12-02T05:36:31.442Z"}, {"type": "message", "cursor": 3, "id": 3, "sender_id": 1, "room_id": 1, "content": "Welcome, everyone!", "client_id": "a-r1", "created_at": "2026-12-02T05:36:31.499Z", "edited_at": null, "deleted_at": null}], "end_of_history": false, "history_pruned": false})),
        Unreadable,
        Unauthorized,
        NotAMember,
        RoomNotFound,
        BadPage,
        Internal,
        Unavailable,
    ),
)]
pub async fn history(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
    page: web::Query<Page>,
) -> Result<web::Json<History>, Error> {
    let (window, limit) = page.window()?;
    let (room, member) = visible(&ctx.db, RoomId(id.into_inner()), caller.id).await?;
    if member.is_none() {
        return Err(Error::NotAMember);
    }
    let rows = db::messages::page_room(&ctx.db, room.id, window, limit.get()).await?;
    let rows = holding_anchor(rows, window)?;
    // Whether anything older is left: one row before the page's first.
    let first = match (rows.first(), window) {
        (Some(row), _) => Some(row.id),
        (None, Window::Before(before)) => before,
        (None, Window::After(_) | Window::Around(_)) => None,
    };
    let older = db::messages::page_room(&ctx.db, room.id, Window::Before(first), 1).await?;
    let end_of_history = older.is_empty();
    Ok(web::Json(History {
        items: rows
            .iter()
            .map(|row| stream_item(row, &ctx.media.links))
            .collect::<Result<_, _>>()?,
        end_of_history,
        history_pruned: end_of_history && room.pruned_before > MessageId(0),
    }))
}

/// 201 with the message; 200 with the original when `client_id` was used before.
#[utoipa::path(
    post,
    path = "/rooms/{id}/messages",
    tag = "rooms",
    operation_id = "send_to_room",
    params(("id" = i64, Path, description = "The room's id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored and sent to every member's sockets: the `message` stream frame", body = StreamItem, example = json!({"type": "message", "cursor": 3, "id": 3, "sender_id": 1, "room_id": 1, "content": "Welcome, everyone!", "client_id": "a-r1", "created_at": "2026-12-02T05:36:31.499Z", "edited_at": null, "deleted_at": null})),
        (status = 200, description = "A message of yours with this `client_id` was already stored: the original", body = StreamItem, example = json!({"type": "message", "cursor": 3, "id": 3, "sender_id": 1, "room_id": 1, "content": "Welcome, everyone!", "client_id": "a-r1", "created_at": "2026-12-02T05:36:31.499Z", "edited_at": null, "deleted_at": null})),
        Unreadable,
        Unauthorized,
        NotAMember,
        RoomNotFound,
        (status = 422, description = "`validation_failed`: `content` or `client_id` breaks the rules", body = ErrorBody,
            example = json!({"error": "validation_failed", "message": "content must not be empty", "field": "content"})),
        (status = 429, description = "`rate_limited`: over the `SEND_RATE`/`SEND_BURST` limit; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 200 ms", "retry_after_ms": 200})),
        Internal,
        Unavailable,
    ),
)]
pub async fn send(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
    body: Json<NewMessage>,
) -> Result<HttpResponse, Error> {
    let room = Chat::Room(RoomId(id.into_inner()));
    body.into_inner()
        .send(&ctx, caller.id, room, |sent| {
            stream_item(&sent.message, &ctx.media.links)
        })
        .await
}
