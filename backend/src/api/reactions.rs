//! `PUT`/`DELETE /messages/{id}/reactions/{emoji}`: setting and taking back one's
//! reaction to a message, as the socket's `react` frame does.

use actix_web::web;
use serde::Serialize;

use super::openapi::{ErrorBody, Internal, Unauthorized, Unavailable, Unreadable};
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::MessageId;
use crate::domain::ReactionCount;
use crate::error::Error;

/// A message's reactions after the change.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"message_id": 5, "reactions": [{"emoji": "👍", "count": 2, "user_ids": [2, 1]}]}))]
pub struct MessageReactions {
    message_id: MessageId,
    /// In the order each emoji was first used; `user_ids`: the first 50, `count`
    /// exact.
    reactions: Vec<ReactionCount>,
}

/// Sets (`on`) or takes back the caller's reaction.
async fn react(
    ctx: &AppContext,
    caller: &AuthUser,
    path: (i64, String),
    on: bool,
) -> Result<web::Json<MessageReactions>, Error> {
    let (id, emoji) = path;
    let message = ctx
        .messaging
        .react(caller.id, MessageId(id), &emoji, on)
        .await?;
    Ok(web::Json(MessageReactions {
        message_id: message.id,
        reactions: message.reactions().0,
    }))
}

/// Reacts to a message of a chat you are in. Idempotent: reacting again with the
/// same emoji changes nothing (and sends no frame).
#[utoipa::path(
    put,
    path = "/messages/{id}/reactions/{emoji}",
    tag = "messages",
    operation_id = "add_reaction",
    params(
        ("id" = i64, Path, description = "The message's id"),
        ("emoji" = String, Path, description = "One emoji, URL-encoded (👍 is `%F0%9F%91%8D`)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message's reactions now; every socket that sees the message got a `reaction` frame if anything changed", body = MessageReactions),
        Unreadable,
        Unauthorized,
        (status = 404, description = "`message_not_found`: not a message of a chat you are in", body = ErrorBody,
            example = json!({"error": "message_not_found", "message": "no message with id 99"})),
        (status = 409, description = "`message_deleted`", body = ErrorBody,
            example = json!({"error": "message_deleted", "message": "the message was deleted"})),
        (status = 422, description = "`invalid_emoji`: not exactly one emoji; `too_many_reactions`: the message has 20 different emoji already", body = ErrorBody,
            example = json!({"error": "invalid_emoji", "message": "a reaction is exactly one emoji"})),
        (status = 429, description = "`rate_limited`: reactions share the `SEND_RATE`/`SEND_BURST` allowance with sends; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 100 ms", "retry_after_ms": 100})),
        Internal,
        Unavailable,
    ),
)]
pub async fn add_reaction(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    path: web::Path<(i64, String)>,
) -> Result<web::Json<MessageReactions>, Error> {
    react(&ctx, &caller, path.into_inner(), true).await
}

/// Takes back your reaction. Idempotent: taking back what is not set changes
/// nothing.
#[utoipa::path(
    delete,
    path = "/messages/{id}/reactions/{emoji}",
    tag = "messages",
    operation_id = "remove_reaction",
    params(
        ("id" = i64, Path, description = "The message's id"),
        ("emoji" = String, Path, description = "One emoji, URL-encoded"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message's reactions now", body = MessageReactions),
        Unreadable,
        Unauthorized,
        (status = 404, description = "`message_not_found`", body = ErrorBody),
        (status = 409, description = "`message_deleted`", body = ErrorBody),
        (status = 422, description = "`invalid_emoji`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        Internal,
        Unavailable,
    ),
)]
pub async fn remove_reaction(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    path: web::Path<(i64, String)>,
) -> Result<web::Json<MessageReactions>, Error> {
    react(&ctx, &caller, path.into_inner(), false).await
}
