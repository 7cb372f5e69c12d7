//! `/rooms`: public channels and private groups. Listing, creating, reading and
//! configuring rooms here; membership in [`members`], history and sending in
//! [`messages`].
//!
//! A private room does not exist for those outside it (404); a public room can be
//! seen by anyone, but only its members read and post (403 otherwise).

pub mod members;
pub mod messages;

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::events::stream_item;
use super::openapi::{
    ErrorBody, Internal, RoomNotFound, StreamItem, Unauthorized, Unavailable, Unreadable,
};
use super::Json;
use crate::auth::AuthUser;
use crate::config::MAX_HISTORY_LIMIT;
use crate::context::AppContext;
use crate::db::rooms::{Member, Room};
use crate::db::{self, Db, Role, RoomId, RoomKind, UserId};
use crate::domain::paging::{Limit, PageSize, SearchText};
use crate::domain::time::{now, utc};
use crate::error::Error;
use crate::messaging::rooms;

/// As `Search` documents them (a test in `api` compares them).
pub(crate) const PAGE_SIZE: PageSize = PageSize {
    default: 100,
    max: 200,
};
pub(crate) const MAX_SEARCH_CHARS: usize = 64;

/// A room as its viewer sees it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 1, "name": "general", "kind": "public", "owner_id": 1, "created_at": "2026-12-02T05:36:30.933Z", "member_count": 1, "joined": true, "role": "owner", "unread_count": 0, "mention_count": 0, "muted_until": null, "last_message": null, "history_limit": null}))]
pub struct RoomView {
    id: RoomId,
    name: String,
    kind: RoomKind,
    owner_id: UserId,
    created_at: DateTime<Utc>,
    member_count: i64,
    /// Whether the viewer is a member.
    joined: bool,
    /// The viewer's role, if a member.
    role: Option<Role>,
    /// Messages from others after the viewer's read marker.
    unread_count: i64,
    /// Of those, the ones that mention the viewer (`@username`).
    mention_count: i64,
    /// Until when the viewer muted the room; `null`: not muted.
    muted_until: Option<DateTime<Utc>>,
    /// The newest message, as the stream frame a socket gets; `null` when the viewer
    /// is not a member (who cannot read the room's history either).
    #[schema(value_type = Option<StreamItem>)]
    last_message: Option<Box<RawValue>>,
    /// `null`: the server's default.
    history_limit: Option<i64>,
}

impl RoomView {
    /// The views of `rooms` for `viewer`, in the same order, with five queries.
    async fn build(ctx: &AppContext, viewer: UserId, rooms: Vec<Room>) -> Result<Vec<Self>, Error> {
        let db = &ctx.db;
        let ids: Vec<RoomId> = rooms.iter().map(|room| room.id).collect();
        let members = db::rooms::member_counts(db, &ids).await?;
        let at = now();
        let mut muted = HashMap::new();
        let mut roles: HashMap<RoomId, Role> = HashMap::new();
        for member in db::rooms::memberships_of(db, viewer, &ids).await? {
            roles.insert(member.room_id, member.role);
            if let Some(until) = member.muted_until.filter(|&until| until > at) {
                muted.insert(member.room_id, until);
            }
        }
        let unread = db::rooms::unread_counts(db, viewer, &ids).await?;
        let mentions = db::mentions::unread_counts(db, viewer, &ids).await?;
        // Only members may read a room's messages.
        let last_ids: Vec<_> = rooms
            .iter()
            .filter(|room| roles.contains_key(&room.id))
            .filter_map(|room| room.last_message_id)
            .collect();
        let mut last: HashMap<_, _> = HashMap::new();
        for message in db::messages::find_many(db, &last_ids).await? {
            last.insert(message.id, stream_item(&message, &ctx.media.links)?);
        }
        Ok(rooms
            .into_iter()
            .map(|room| Self {
                member_count: members.get(&room.id).copied().unwrap_or(0),
                joined: roles.contains_key(&room.id),
                role: roles.get(&room.id).copied(),
                unread_count: unread.get(&room.id).copied().unwrap_or(0),
                mention_count: mentions.get(&room.id).copied().unwrap_or(0),
                muted_until: muted.get(&room.id).copied().map(utc),
                last_message: room.last_message_id.and_then(|id| last.remove(&id)),
                id: room.id,
                name: room.name,
                kind: room.kind,
                owner_id: room.owner_id,
                created_at: utc(room.created_at),
                history_limit: room.history_limit,
            })
            .collect())
    }

    async fn one(ctx: &AppContext, viewer: UserId, room: Room) -> Result<Self, Error> {
        Self::build(ctx, viewer, vec![room])
            .await?
            .pop()
            .ok_or(Error::Internal)
    }
}

/// The room, if `viewer` may see it, and their membership.
pub async fn visible(db: &Db, id: RoomId, viewer: UserId) -> Result<(Room, Option<Member>), Error> {
    let room = db::rooms::find(db, id)
        .await?
        .ok_or(Error::RoomNotFound(id.0))?;
    let member = db::rooms::membership(db, id, viewer).await?;
    if !rooms::may_see(room.kind, member.is_some()) {
        return Err(Error::RoomNotFound(id.0));
    }
    Ok((room, member))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Search {
    /// Only rooms whose name contains this (any letter case).
    #[param(max_length = 64)]
    q: Option<String>,
    /// Only the rooms the caller is in.
    #[serde(default)]
    joined: bool,
    /// 1–200 (default 100).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// Every public room and the private groups the caller is in, most recently
/// active first.
#[utoipa::path(
    get,
    path = "/rooms",
    tag = "rooms",
    params(Search),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rooms the caller can see", body = Vec<RoomView>,
            example = json!([{"id": 3, "name": "Lunch crew", "kind": "private", "owner_id": 1, "created_at": "2026-12-02T05:36:31.525Z", "member_count": 2, "joined": true, "role": "member", "unread_count": 0, "mention_count": 0, "muted_until": null, "last_message": null, "history_limit": null}])),
        Unreadable,
        Unauthorized,
        (status = 422, description = "`validation_failed`: `q` over 64 characters or `limit` out of range", body = ErrorBody,
            example = json!({"error": "validation_failed", "message": "limit must be between 1 and 200", "field": "limit"})),
        Internal,
        Unavailable,
    ),
)]
pub async fn list_rooms(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    search: web::Query<Search>,
) -> Result<web::Json<Vec<RoomView>>, Error> {
    let q = SearchText::parse(search.q.as_deref(), MAX_SEARCH_CHARS)?;
    let limit = Limit::parse(search.limit, PAGE_SIZE)?;
    let q = q.as_ref().map(SearchText::as_str);
    let rooms = db::rooms::visible_to(&ctx.db, caller.id, search.joined, q, limit.get()).await?;
    Ok(web::Json(RoomView::build(&ctx, caller.id, rooms).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "general", "kind": "public"}))]
pub struct NewRoom {
    /// 1–64 characters, trimmed, no NUL (U+0000); a public room's name is unique.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    kind: RoomKind,
}

/// 201 with the room; the creator is its owner and first member.
#[utoipa::path(
    post,
    path = "/rooms",
    tag = "rooms",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new room; a `joined` event is stored", body = RoomView, example = json!({"id": 1, "name": "general", "kind": "public", "owner_id": 1, "created_at": "2026-12-02T05:36:30.933Z", "member_count": 1, "joined": true, "role": "owner", "unread_count": 0, "mention_count": 0, "muted_until": null, "last_message": null, "history_limit": null})),
        Unreadable,
        Unauthorized,
        (status = 409, description = "`room_name_taken`: a public room with that name exists", body = ErrorBody,
            example = json!({"error": "room_name_taken", "message": "a public room with that name already exists"})),
        (status = 422, description = "`validation_failed`: `name` is empty, too long or holds a NUL", body = ErrorBody,
            example = json!({"error": "validation_failed", "message": "name must be 1 to 64 characters", "field": "name"})),
        (status = 429, description = "`rate_limited`: over the `ROOM_RATE`/`ROOM_BURST` limit on rooms created; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 10000 ms", "retry_after_ms": 10000})),
        Internal,
        Unavailable,
    ),
)]
pub async fn create_room(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    body: Json<NewRoom>,
) -> Result<HttpResponse, Error> {
    let room = ctx
        .messaging
        .create_room(caller.id, &body.name, body.kind)
        .await?;
    Ok(HttpResponse::Created().json(RoomView::one(&ctx, caller.id, room).await?))
}

/// One room.
#[utoipa::path(
    get,
    path = "/rooms/{id}",
    tag = "rooms",
    params(("id" = i64, Path, description = "The room's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The room", body = RoomView, example = json!({"id": 1, "name": "general", "kind": "public", "owner_id": 1, "created_at": "2026-12-02T05:36:30.933Z", "member_count": 1, "joined": true, "role": "owner", "unread_count": 0, "mention_count": 0, "muted_until": null, "last_message": null, "history_limit": null})),
        Unreadable,
        Unauthorized,
        RoomNotFound,
        Internal,
        Unavailable,
    ),
)]
pub async fn get_room(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<RoomView>, Error> {
    let (room, _) = visible(&ctx.db, RoomId(id.into_inner()), caller.id).await?;
    Ok(web::Json(RoomView::one(&ctx, caller.id, room).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"history_limit": 1000}))]
pub struct Settings {
    /// 1–1,000,000 messages kept. Absent: unchanged; `null`: the server's default.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, required = false, minimum = 1, maximum = 1000000)]
    history_limit: Option<Option<i64>>,
}

/// A field that is present, even as `null`.
fn present<'de, D: Deserializer<'de>>(field: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(field).map(Some)
}

/// The owner changes the room's settings (its history limit).
#[utoipa::path(
    patch,
    path = "/rooms/{id}",
    tag = "rooms",
    params(("id" = i64, Path, description = "The room's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The room with its new settings", body = RoomView),
        Unreadable,
        Unauthorized,
        (status = 403, description = "`not_room_owner`", body = ErrorBody,
            example = json!({"error": "not_room_owner", "message": "only the room's owner can do that"})),
        RoomNotFound,
        (status = 422, description = "`validation_failed`: `history_limit` out of range", body = ErrorBody,
            example = json!({"error": "validation_failed", "message": "history_limit must be between 1 and 1000000, or null", "field": "history_limit"})),
        Internal,
        Unavailable,
    ),
)]
pub async fn update_room(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
    body: Json<Settings>,
) -> Result<web::Json<RoomView>, Error> {
    let (mut room, _) = visible(&ctx.db, RoomId(id.into_inner()), caller.id).await?;
    if !rooms::manages(room.owner_id, caller.id) {
        return Err(Error::NotRoomOwner);
    }
    if let Some(limit) = body.history_limit {
        if limit.is_some_and(|limit| !(1..=MAX_HISTORY_LIMIT).contains(&limit)) {
            return Err(Error::validation(
                "history_limit",
                format!("history_limit must be between 1 and {MAX_HISTORY_LIMIT}, or null"),
            ));
        }
        room = db::rooms::set_history_limit(&ctx.db, room.id, limit).await?;
        ctx.messaging.history_limit_changed(room.id);
    }
    Ok(web::Json(RoomView::one(&ctx, caller.id, room).await?))
}
