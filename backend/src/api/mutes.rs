//! `PUT /conversations/{user_id}/mute` and `PUT /rooms/{id}/mute`: silencing a
//! chat's notifications until a time. Every socket of the caller, on every
//! node, gets a `muted` frame, so all their devices agree.

use actix_web::web;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use super::openapi::{ErrorBody, Internal, Unauthorized, Unavailable, Unreadable};
use super::rooms::visible;
use super::Json;
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::{self, Chat, RoomId, UserId};
use crate::domain::time::{now, utc};
use crate::error::Error;
use crate::live::bus::Event;
use crate::live::frames::ServerFrame;
use crate::live::hub::Outbound;

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"until": "2026-12-05T08:00:00Z"}))]
pub struct Mute {
    /// Until when (in the future); `null` unmutes. For "until I unmute", a far
    /// date: the web app sends `9999-12-31T23:59:59Z`. Required.
    // Without a default: `{}` is refused, not read as "unmute".
    #[serde(deserialize_with = "Option::deserialize")]
    #[schema(required = true)]
    until: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"muted_until": "2026-12-05T08:00:00Z"}))]
pub struct Muted {
    /// Until when the chat is muted; `null`: not muted.
    muted_until: Option<DateTime<Utc>>,
}

impl Mute {
    fn until(&self) -> Result<Option<chrono::NaiveDateTime>, Error> {
        // Stored, and shown, to the millisecond like every time.
        let until = self.until.map(|until| until.naive_utc().trunc_subsecs(3));
        if until.is_some_and(|until| until <= now()) {
            return Err(Error::validation("until", "until must be in the future"));
        }
        Ok(until)
    }
}

/// Mutes or unmutes a direct conversation: its messages still count as unread
/// but notify no device (no system notification, no Web Push).
#[utoipa::path(
    put,
    path = "/conversations/{id}/mute",
    tag = "messages",
    operation_id = "mute_conversation",
    params(("id" = i64, Path, description = "The other user's id")),
    request_body = Mute,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Muted (or unmuted); every socket of yours got a `muted` frame", body = Muted),
        Unreadable,
        Unauthorized,
        (status = 404, description = "`user_not_found`", body = ErrorBody,
            example = json!({"error": "user_not_found", "message": "no user with id 99"})),
        (status = 422, description = "`validation_failed`: `until` is not in the future, or the user is you", body = ErrorBody,
            example = json!({"error": "validation_failed", "message": "until must be in the future", "field": "until"})),
        Internal,
        Unavailable,
    ),
)]
pub async fn mute_conversation(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    peer: web::Path<i64>,
    body: Json<Mute>,
) -> Result<web::Json<Muted>, Error> {
    let until = body.until()?;
    let peer = UserId(peer.into_inner());
    if peer == caller.id {
        return Err(Error::validation("id", "you cannot mute yourself"));
    }
    if db::users::find_profile(&ctx.db, peer).await?.is_none() {
        return Err(Error::UserNotFound(peer.0));
    }
    db::mutes::set(&ctx.db, caller.id, Chat::Direct(peer), until).await?;
    Ok(web::Json(announce(
        &ctx,
        caller.id,
        Chat::Direct(peer),
        until,
    )))
}

/// Mutes or unmutes a room you are in: its messages, mentions of you included,
/// still count as unread but notify no device. Leaving the room forgets it.
#[utoipa::path(
    put,
    path = "/rooms/{id}/mute",
    tag = "rooms",
    operation_id = "mute_room",
    params(("id" = i64, Path, description = "The room's id")),
    request_body = Mute,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Muted (or unmuted); every socket of yours got a `muted` frame", body = Muted),
        Unreadable,
        Unauthorized,
        (status = 403, description = "`not_a_member`", body = ErrorBody,
            example = json!({"error": "not_a_member", "message": "join the room first"})),
        (status = 404, description = "`room_not_found`", body = ErrorBody,
            example = json!({"error": "room_not_found", "message": "no room with id 99"})),
        (status = 422, description = "`validation_failed`: `until` is not in the future", body = ErrorBody),
        Internal,
        Unavailable,
    ),
)]
pub async fn mute_room(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    room: web::Path<i64>,
    body: Json<Mute>,
) -> Result<web::Json<Muted>, Error> {
    let until = body.until()?;
    let (room, _) = visible(&ctx.db, RoomId(room.into_inner()), caller.id).await?;
    let chat = Chat::Room(room.id);
    if !db::mutes::set(&ctx.db, caller.id, chat, until).await? {
        return Err(Error::NotAMember);
    }
    Ok(web::Json(announce(&ctx, caller.id, chat, until)))
}

/// Tells every socket of `user`, on every node, that `chat` is muted `until`.
fn announce(
    ctx: &AppContext,
    user: UserId,
    chat: Chat,
    until: Option<chrono::NaiveDateTime>,
) -> Muted {
    let muted_until = until.map(utc);
    let frame = ServerFrame::Muted {
        peer_id: chat.recipient(),
        room_id: chat.room(),
        until: muted_until,
    }
    .to_json();
    ctx.bus.publish(Event::Notice {
        users: vec![user],
        room: None,
        frame: frame.clone(),
    });
    ctx.hub.route(user, None, &Outbound::notice(frame));
    Muted { muted_until }
}
