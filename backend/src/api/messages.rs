//! `/messages`: a page of the conversation with one user (`GET /messages/{user_id}`),
//! sending over REST (`POST /messages/{user_id}`), and editing or deleting one's own
//! message (`PATCH`/`DELETE /messages/{message_id}`).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::db::messages::{Change, Message};
use crate::db::{self, Chat, Db, MessageId, RoomId, UserId};
use crate::error::Error;
use crate::messaging::Messaging;
use crate::ws::protocol::utc;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

#[derive(Deserialize)]
pub struct Page {
    /// Only messages older than this id.
    before: Option<i64>,
    limit: Option<i64>,
}

impl Page {
    /// The position to page back from and the page size, checked.
    pub fn bounds(&self) -> Result<(Option<MessageId>, i64), Error> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::validation(
                "limit",
                format!("limit must be between 1 and {MAX_PAGE}"),
            ));
        }
        if self.before.is_some_and(|before| before < 1) {
            return Err(Error::validation(
                "before",
                "before must be a positive message id",
            ));
        }
        Ok((self.before.map(MessageId), limit))
    }
}

/// A message as REST shows it. Direct messages have a `recipient_id`, room
/// messages a `room_id`.
#[derive(Serialize)]
pub struct MessageView {
    id: MessageId,
    sender_id: UserId,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    room_id: Option<RoomId>,
    content: String,
    client_id: Option<String>,
    created_at: DateTime<Utc>,
    delivered: bool,
    delivered_at: Option<DateTime<Utc>>,
    read_at: Option<DateTime<Utc>>,
    edited_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<Message> for MessageView {
    fn from(message: Message) -> Self {
        Self {
            id: message.id,
            sender_id: message.sender_id,
            recipient_id: message.recipient_id,
            room_id: message.room_id,
            content: message.content,
            client_id: message.client_id,
            created_at: utc(message.created_at),
            delivered: message.delivered_at.is_some(),
            delivered_at: message.delivered_at.map(utc),
            read_at: message.read_at.map(utc),
            edited_at: message.edited_at.map(utc),
            deleted_at: message.deleted_at.map(utc),
        }
    }
}

pub async fn conversation(
    db: web::Data<Db>,
    caller: AuthUser,
    peer: web::Path<i64>,
    page: web::Query<Page>,
) -> Result<web::Json<Vec<MessageView>>, Error> {
    let (before, limit) = page.bounds()?;
    let peer = UserId(peer.into_inner());
    if db::users::find_profile(&db, peer).await?.is_none() {
        return Err(Error::UserNotFound(peer.0));
    }
    let messages = db::messages::page_conversation(&db, caller.id, peer, before, limit).await?;
    Ok(web::Json(
        messages.into_iter().map(MessageView::from).collect(),
    ))
}

#[derive(Deserialize)]
pub struct NewMessage {
    pub content: String,
    pub client_id: Option<String>,
}

/// 201 with the stored message; 200 with the original when `client_id` was used
/// before (nothing new is stored or sent).
pub async fn send(
    messaging: web::Data<Messaging>,
    caller: AuthUser,
    recipient: web::Path<i64>,
    body: web::Json<NewMessage>,
) -> Result<HttpResponse, Error> {
    let NewMessage { content, client_id } = body.into_inner();
    let recipient = UserId(recipient.into_inner());
    let sent = messaging
        .send(
            caller.id,
            None,
            Chat::Direct(recipient),
            &content,
            client_id,
        )
        .await?;
    let mut response = if sent.duplicate {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    let mut view = MessageView::from(sent.message);
    // The recipient's socket records the delivery a moment later.
    view.delivered |= sent.delivered;
    Ok(response.json(view))
}

#[derive(Deserialize)]
pub struct Edit {
    content: String,
}

pub async fn edit(
    messaging: web::Data<Messaging>,
    caller: AuthUser,
    id: web::Path<i64>,
    body: web::Json<Edit>,
) -> Result<web::Json<MessageView>, Error> {
    let change = Change::Edit(body.into_inner().content);
    let message = messaging
        .change(caller.id, MessageId(id.into_inner()), change)
        .await?;
    Ok(web::Json(message.into()))
}

/// Leaves a tombstone: the row stays, its content is cleared.
pub async fn delete(
    messaging: web::Data<Messaging>,
    caller: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<MessageView>, Error> {
    let message = messaging
        .change(caller.id, MessageId(id.into_inner()), Change::Delete)
        .await?;
    Ok(web::Json(message.into()))
}
