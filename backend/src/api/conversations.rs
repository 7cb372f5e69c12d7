//! `GET /conversations`: everyone the caller has exchanged messages with, most
//! recent first, with the last message and the unread count.

use std::collections::HashMap;

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::messages::MessageView;
use super::openapi::{Internal, Unauthorized, Unavailable};
use super::users::Contact;
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::{self, MessageId};
use crate::domain::time::{now, utc};
use crate::error::Error;
use crate::live::presence;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Conversation {
    peer: Contact,
    /// The newest message either way; a tombstone if it was deleted.
    last_message: Option<MessageView>,
    /// Messages from the peer the caller has not marked read, deleted ones not counted.
    unread_count: i64,
    /// Until when the caller muted the conversation; `null`: not muted.
    muted_until: Option<DateTime<Utc>>,
}

/// Everyone the caller has exchanged a message with, most recent first. Not paged.
#[utoipa::path(
    get,
    path = "/conversations",
    tag = "messages",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's conversations", body = Vec<Conversation>,
            example = json!([{"peer": {"id": 2, "username": "bob", "online": false, "last_seen": "2026-11-21T13:14:57.033Z"}, "last_message": {"id": 4, "sender_id": 1, "recipient_id": 2, "content": "How are you?", "client_id": "a-2", "created_at": "2026-11-21T13:14:56.031Z", "delivered": true, "delivered_at": "2026-11-21T13:14:56.033Z", "read_at": null, "edited_at": null, "deleted_at": null}, "unread_count": 0, "muted_until": null}])),
        Unauthorized,
        Internal,
        Unavailable,
    ),
)]
pub async fn list_conversations(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
) -> Result<web::Json<Vec<Conversation>>, Error> {
    let db = &ctx.db;
    let heads = db::messages::conversation_heads(db, caller.id).await?;
    let peer_ids: Vec<_> = heads.iter().map(|(peer, _)| *peer).collect();
    let last_ids: Vec<MessageId> = heads.iter().map(|(_, last)| *last).collect();
    let mut peers: HashMap<_, _> = db::users::find_profiles(db, &peer_ids)
        .await?
        .into_iter()
        .map(|profile| (profile.id, profile))
        .collect();
    let mut last_messages: HashMap<_, _> = db::messages::find_many(db, &last_ids)
        .await?
        .into_iter()
        .map(|message| (message.id, message))
        .collect();
    let unread = db::receipts::unread_counts(db, caller.id).await?;
    let muted = db::mutes::muted_peers(db, caller.id, now()).await?;
    let online = presence::online_among(db, &ctx.hub, &peer_ids).await;
    Ok(web::Json(
        heads
            .into_iter()
            .filter_map(|(peer, last)| {
                Some(Conversation {
                    peer: Contact::new(peers.remove(&peer)?, &online),
                    last_message: last_messages
                        .remove(&last)
                        .map(|message| MessageView::new(message, &ctx.media.links)),
                    unread_count: unread.get(&peer).copied().unwrap_or(0),
                    muted_until: muted.get(&peer).copied().map(utc),
                })
            })
            .collect(),
    ))
}
