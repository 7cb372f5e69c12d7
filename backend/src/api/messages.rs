//! `GET /messages/{user_id}`: a page of the conversation with one user.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::db::{self, messages::Message, Db, MessageId, UserId};
use crate::error::Error;
use crate::messaging::utc;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

#[derive(Deserialize)]
pub struct Page {
    /// Only messages older than this id.
    before: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub struct MessageView {
    id: MessageId,
    sender_id: UserId,
    recipient_id: UserId,
    content: String,
    created_at: DateTime<Utc>,
    delivered: bool,
}

impl From<Message> for MessageView {
    fn from(message: Message) -> Self {
        Self {
            id: message.id,
            sender_id: message.sender_id,
            recipient_id: message.recipient_id,
            content: message.content,
            created_at: utc(message.created_at),
            delivered: message.delivered_at.is_some(),
        }
    }
}

pub async fn conversation(
    db: web::Data<Db>,
    caller: AuthUser,
    peer: web::Path<i64>,
    page: web::Query<Page>,
) -> Result<web::Json<Vec<MessageView>>, Error> {
    let limit = page.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::validation(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    if page.before.is_some_and(|before| before < 1) {
        return Err(Error::validation(
            "before",
            "before must be a positive message id",
        ));
    }
    let peer = UserId(peer.into_inner());
    if db::users::find_profile(&db, peer).await?.is_none() {
        return Err(Error::UserNotFound(peer.0));
    }
    let messages =
        db::messages::page_conversation(&db, caller.id, peer, page.before.map(MessageId), limit)
            .await?;
    Ok(web::Json(
        messages.into_iter().map(MessageView::from).collect(),
    ))
}
