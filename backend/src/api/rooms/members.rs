//! Who is in a room: joining and leaving (anyone, public rooms), adding and
//! removing (the owner, private groups), and the member list with online flags.
//! Every change goes through the writer, which stores it as a member event.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{visible, RoomView};
use crate::api::openapi::{
    ErrorBody, Internal, RoomNotFound, Unauthorized, Unavailable, Unreadable,
};
use crate::api::{created_or_existing, Json};
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::{self, Role, RoomId, UserId};
use crate::domain::time::utc;
use crate::error::Error;
use crate::messaging::rooms::MemberRequest;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"user_id": 2, "username": "bob", "role": "member", "joined_at": "2026-12-02T05:36:42.420Z", "online": false}))]
pub struct MemberView {
    user_id: UserId,
    username: String,
    role: Role,
    joined_at: DateTime<Utc>,
    online: bool,
}

/// 200 with the room; joining a room one is in changes nothing.
#[utoipa::path(
    post,
    path = "/rooms/{id}/join",
    tag = "rooms",
    operation_id = "join_room",
    params(("id" = i64, Path, description = "The room's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The room; a `joined` event goes to every member", body = RoomView,
            example = json!({"id": 1, "name": "general", "kind": "public", "owner_id": 1, "created_at": "2026-12-02T05:36:30.933Z", "member_count": 2, "joined": true, "role": "member", "unread_count": 0, "last_message": null, "history_limit": null})),
        Unreadable,
        Unauthorized,
        (status = 404, description = "`room_not_found`: no such room, or a private group (they cannot be joined)", body = ErrorBody,
            example = json!({"error": "room_not_found", "message": "no room with id 3"})),
        (status = 429, description = "`rate_limited`: over the `MEMBERSHIP_RATE`/`MEMBERSHIP_BURST` limit on joins, leaves and member changes; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 1000 ms", "retry_after_ms": 1000})),
        Internal,
        Unavailable,
    ),
)]
pub async fn join(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<RoomView>, Error> {
    let room = RoomId(id.into_inner());
    ctx.messaging
        .change_membership(room, caller.id, MemberRequest::Join)
        .await?;
    let (room, _) = visible(&ctx.db, room, caller.id).await?;
    Ok(web::Json(RoomView::one(&ctx, caller.id, room).await?))
}

/// 204; leaving a public room one is not in changes nothing.
#[utoipa::path(
    post,
    path = "/rooms/{id}/leave",
    tag = "rooms",
    operation_id = "leave_room",
    params(("id" = i64, Path, description = "The room's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Left (or was not in it); a `left` event goes to every member"),
        Unreadable,
        Unauthorized,
        RoomNotFound,
        (status = 429, description = "`rate_limited`: over the `MEMBERSHIP_RATE`/`MEMBERSHIP_BURST` limit on joins, leaves and member changes; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 1000 ms", "retry_after_ms": 1000})),
        Internal,
        Unavailable,
    ),
)]
pub async fn leave(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    ctx.messaging
        .change_membership(RoomId(id.into_inner()), caller.id, MemberRequest::Leave)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Members of a public room are listed to anyone; of a private one, to members.
#[utoipa::path(
    get,
    path = "/rooms/{id}/members",
    tag = "rooms",
    params(("id" = i64, Path, description = "The room's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The owner first, then in the order they joined", body = Vec<MemberView>,
            example = json!([{"user_id": 1, "username": "alice", "role": "owner", "joined_at": "2026-12-02T05:36:31.525Z", "online": false}, {"user_id": 2, "username": "bob", "role": "member", "joined_at": "2026-12-02T05:36:42.420Z", "online": false}])),
        Unreadable,
        Unauthorized,
        RoomNotFound,
        Internal,
        Unavailable,
    ),
)]
pub async fn list_members(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<MemberView>>, Error> {
    let (room, _) = visible(&ctx.db, RoomId(id.into_inner()), caller.id).await?;
    let members = db::rooms::members_with_names(&ctx.db, room.id).await?;
    Ok(web::Json(
        members
            .into_iter()
            .map(|(member, username)| MemberView {
                online: ctx.hub.is_online(member.user_id),
                user_id: member.user_id,
                username,
                role: member.role,
                joined_at: utc(member.joined_at),
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"user_id": 2}))]
pub struct NewMember {
    user_id: UserId,
}

/// 201 with the member; 200 if they already were one (nothing is stored).
#[utoipa::path(
    post,
    path = "/rooms/{id}/members",
    tag = "rooms",
    params(("id" = i64, Path, description = "The room's id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added; an `added` event goes to every member, the new one included", body = MemberView, example = json!({"user_id": 2, "username": "bob", "role": "member", "joined_at": "2026-12-02T05:36:42.420Z", "online": false})),
        (status = 200, description = "Already a member; nothing is stored", body = MemberView, example = json!({"user_id": 2, "username": "bob", "role": "member", "joined_at": "2026-12-02T05:36:42.420Z", "online": false})),
        Unreadable,
        Unauthorized,
        (status = 403, description = "`not_room_owner`", body = ErrorBody,
            example = json!({"error": "not_room_owner", "message": "only the room's owner can do that"})),
        (status = 404, description = "`room_not_found`, `user_not_found` (no such user) or `member_not_found` (removed again meanwhile)", body = ErrorBody,
            example = json!({"error": "user_not_found", "message": "no user with id 99"})),
        (status = 409, description = "`room_is_public`: people join public rooms themselves", body = ErrorBody,
            example = json!({"error": "room_is_public", "message": "people join and leave public rooms themselves"})),
        (status = 429, description = "`rate_limited`: over the `MEMBERSHIP_RATE`/`MEMBERSHIP_BURST` limit on joins, leaves and member changes; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 1000 ms", "retry_after_ms": 1000})),
        Internal,
        Unavailable,
    ),
)]
pub async fn add_member(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
    body: Json<NewMember>,
) -> Result<HttpResponse, Error> {
    let room = RoomId(id.into_inner());
    let user = body.user_id;
    let event = ctx
        .messaging
        .change_membership(room, caller.id, MemberRequest::Add(user))
        .await?;
    let (member, profile) = match (
        db::rooms::membership(&ctx.db, room, user).await?,
        db::users::find_profile(&ctx.db, user).await?,
    ) {
        (Some(member), Some(profile)) => (member, profile),
        // Removed again in the meantime.
        _ => return Err(Error::MemberNotFound(user.0)),
    };
    let view = MemberView {
        online: ctx.hub.is_online(user),
        user_id: user,
        username: profile.username,
        role: member.role,
        joined_at: utc(member.joined_at),
    };
    Ok(created_or_existing(event.is_some(), view))
}

/// The owner removes anyone from a private group, and anyone may remove
/// themselves, which is leaving (204).
#[utoipa::path(
    delete,
    path = "/rooms/{id}/members/{user_id}",
    tag = "rooms",
    params(
        ("id" = i64, Path, description = "The room's id"),
        ("user_id" = i64, Path, description = "The member to remove"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed; a `removed` event goes to every member and to the removed user"),
        Unreadable,
        Unauthorized,
        (status = 403, description = "`not_room_owner`", body = ErrorBody,
            example = json!({"error": "not_room_owner", "message": "only the room's owner can do that"})),
        (status = 404, description = "`room_not_found` or `member_not_found`", body = ErrorBody,
            example = json!({"error": "member_not_found", "message": "user 3 is not a member of the room"})),
        (status = 409, description = "`room_is_public`: removing someone else from a public room", body = ErrorBody,
            example = json!({"error": "room_is_public", "message": "people join and leave public rooms themselves"})),
        (status = 429, description = "`rate_limited`: over the `MEMBERSHIP_RATE`/`MEMBERSHIP_BURST` limit on joins, leaves and member changes; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 1000 ms", "retry_after_ms": 1000})),
        Internal,
        Unavailable,
    ),
)]
pub async fn remove_member(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let (room, user) = path.into_inner();
    ctx.messaging
        .change_membership(RoomId(room), caller.id, MemberRequest::Remove(UserId(user)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
