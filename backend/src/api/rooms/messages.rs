//! A room's history (`GET /rooms/{id}/messages`) and sending to it over REST
//! (`POST /rooms/{id}/messages`). History items are the frames a socket gets.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::value::RawValue;

use super::visible;
use crate::api::events::stream_item;
use crate::api::messages::{NewMessage, Page};
use crate::auth::AuthUser;
use crate::db::{self, Chat, Db, MessageId, RoomId};
use crate::error::Error;
use crate::messaging::Messaging;

#[derive(Serialize)]
pub struct History {
    /// Messages and member events, oldest first.
    items: Vec<Box<RawValue>>,
    /// Nothing older is kept: stop paging.
    end_of_history: bool,
    /// Older items existed, but the room's history limit removed them.
    history_pruned: bool,
}

/// Members only: a public room is readable once joined.
pub async fn history(
    db: web::Data<Db>,
    caller: AuthUser,
    id: web::Path<i64>,
    page: web::Query<Page>,
) -> Result<web::Json<History>, Error> {
    let (before, limit) = page.bounds()?;
    let (room, member) = visible(&db, RoomId(id.into_inner()), caller.id).await?;
    if member.is_none() {
        return Err(Error::NotAMember);
    }
    // One row more than asked tells whether the page is the last.
    let mut rows = db::messages::page_room(&db, room.id, before, limit + 1).await?;
    let end_of_history = rows.len() <= limit as usize;
    if !end_of_history {
        rows.remove(0);
    }
    Ok(web::Json(History {
        items: rows.iter().map(stream_item).collect::<Result<_, _>>()?,
        end_of_history,
        history_pruned: end_of_history && room.pruned_before > MessageId(0),
    }))
}

/// 201 with the message; 200 with the original when `client_id` was used before.
pub async fn send(
    messaging: web::Data<Messaging>,
    caller: AuthUser,
    id: web::Path<i64>,
    body: web::Json<NewMessage>,
) -> Result<HttpResponse, Error> {
    let NewMessage { content, client_id } = body.into_inner();
    let room = Chat::Room(RoomId(id.into_inner()));
    let sent = messaging
        .send(caller.id, None, room, &content, client_id)
        .await?;
    let mut response = if sent.duplicate {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    Ok(response.json(stream_item(&sent.message)?))
}
