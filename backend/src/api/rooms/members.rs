//! Who is in a room: joining and leaving (anyone, public rooms), adding and
//! removing (the owner, private groups), and the member list with online flags.
//! Every change goes through the writer, which stores it as a member event.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{visible, RoomView};
use crate::auth::AuthUser;
use crate::db::{self, Db, Role, RoomId, UserId};
use crate::error::Error;
use crate::messaging::rooms::MemberRequest;
use crate::messaging::Messaging;
use crate::ws::hub::Hub;
use crate::ws::protocol::utc;

#[derive(Serialize)]
pub struct MemberView {
    user_id: UserId,
    username: String,
    role: Role,
    joined_at: DateTime<Utc>,
    online: bool,
}

/// 200 with the room; joining a room one is in changes nothing.
pub async fn join(
    db: web::Data<Db>,
    messaging: web::Data<Messaging>,
    caller: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<RoomView>, Error> {
    let room = RoomId(id.into_inner());
    messaging
        .change_membership(room, caller.id, MemberRequest::Join)
        .await?;
    let (room, _) = visible(&db, room, caller.id).await?;
    Ok(web::Json(RoomView::one(&db, caller.id, room).await?))
}

/// 204; leaving a public room one is not in changes nothing.
pub async fn leave(
    messaging: web::Data<Messaging>,
    caller: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    messaging
        .change_membership(RoomId(id.into_inner()), caller.id, MemberRequest::Leave)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Members of a public room are listed to anyone; of a private one, to members.
pub async fn list_members(
    db: web::Data<Db>,
    hub: web::Data<Hub>,
    caller: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<MemberView>>, Error> {
    let (room, _) = visible(&db, RoomId(id.into_inner()), caller.id).await?;
    let members = db::rooms::members_with_names(&db, room.id).await?;
    Ok(web::Json(
        members
            .into_iter()
            .map(|(member, username)| MemberView {
                online: hub.is_online(member.user_id),
                user_id: member.user_id,
                username,
                role: member.role,
                joined_at: utc(member.joined_at),
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct NewMember {
    user_id: UserId,
}

/// 201 with the member; 200 if they already were one (nothing is stored).
pub async fn add_member(
    db: web::Data<Db>,
    hub: web::Data<Hub>,
    messaging: web::Data<Messaging>,
    caller: AuthUser,
    id: web::Path<i64>,
    body: web::Json<NewMember>,
) -> Result<HttpResponse, Error> {
    let room = RoomId(id.into_inner());
    let user = body.user_id;
    let event = messaging
        .change_membership(room, caller.id, MemberRequest::Add(user))
        .await?;
    let (member, profile) = match (
        db::rooms::membership(&db, room, user).await?,
        db::users::find_profile(&db, user).await?,
    ) {
        (Some(member), Some(profile)) => (member, profile),
        // Removed again in the meantime.
        _ => return Err(Error::MemberNotFound(user.0)),
    };
    let view = MemberView {
        online: hub.is_online(user),
        user_id: user,
        username: profile.username,
        role: member.role,
        joined_at: utc(member.joined_at),
    };
    Ok(match event {
        Some(_) => HttpResponse::Created().json(view),
        None => HttpResponse::Ok().json(view),
    })
}

/// The owner removes anyone from a private group, and anyone may remove
/// themselves, which is leaving (204).
pub async fn remove_member(
    messaging: web::Data<Messaging>,
    caller: AuthUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let (room, user) = path.into_inner();
    messaging
        .change_membership(RoomId(room), caller.id, MemberRequest::Remove(UserId(user)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
