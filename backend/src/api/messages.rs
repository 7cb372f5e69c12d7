//! `/messages`: a page of the conversation with one user (`GET /messages/{user_id}`),
//! sending over REST (`POST /messages/{user_id}`), and editing or deleting one's own
//! message (`PATCH`/`DELETE /messages/{message_id}`).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::openapi::{BadPage, ErrorBody, Internal, Unauthorized, Unavailable, Unreadable};
use super::{created_or_existing, Json};
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::messages::Message;
use crate::db::messages::Window;
use crate::db::{self, Chat, MessageId, RoomId, UserId};
use crate::domain::paging::{Limit, PageSize};
use crate::domain::time::utc;
use crate::domain::{Quote, ReactionCount};
use crate::error::Error;
use crate::media::links::Links;
use crate::media::view::AttachmentView;
use crate::messaging::{Change, Draft, Sent};

/// As `Page` documents it (a test in `api` compares them).
pub(super) const PAGE_SIZE: PageSize = PageSize {
    default: 50,
    max: 200,
};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Only messages older than this id (the newest of them). Without
    /// `before`, `after` or `around`: the newest messages.
    #[param(minimum = 1)]
    before: Option<i64>,
    /// Only messages newer than this id (the oldest of them), to page forward.
    #[param(minimum = 0)]
    after: Option<i64>,
    /// The page with this message in the middle (to jump to it): about half the
    /// page older, half newer. `404 message_not_found` if it is not in this chat.
    #[param(minimum = 1)]
    around: Option<i64>,
    /// 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

impl Page {
    /// Which rows the page holds and how many, checked.
    pub fn window(&self) -> Result<(Window, Limit), Error> {
        let limit = Limit::parse(self.limit, PAGE_SIZE)?;
        let positive = |field: &'static str, id: i64, least: i64| {
            if id < least {
                return Err(Error::validation(
                    field,
                    format!("{field} must be a message id"),
                ));
            }
            Ok(MessageId(id))
        };
        let window = match (self.before, self.after, self.around) {
            (None, None, None) => Window::Before(None),
            (Some(before), None, None) => Window::Before(Some(positive("before", before, 1)?)),
            (None, Some(after), None) => Window::After(positive("after", after, 0)?),
            (None, None, Some(around)) => Window::Around(positive("around", around, 1)?),
            _ => {
                return Err(Error::validation(
                    "before",
                    "name at most one of before, after and around",
                ))
            }
        };
        Ok((window, limit))
    }
}

/// `page`, unless it was to be around a message it does not hold (not one of
/// this chat's).
pub fn holding_anchor(page: Vec<Message>, window: Window) -> Result<Vec<Message>, Error> {
    match window {
        Window::Around(id) if !page.iter().any(|row| row.id == id) => {
            Err(Error::MessageNotFound(id.0))
        }
        _ => Ok(page),
    }
}

/// A message as REST shows it. Direct messages have a `recipient_id`, room
/// messages a `room_id`.
#[derive(Serialize, utoipa::ToSchema)]
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
    /// The files it carries, with signed links; `[]` for none and once deleted.
    attachments: Vec<AttachmentView>,
    /// The message it answers, as it reads now; `null` if it is not a reply.
    reply_to: Option<Quote>,
    /// Its reactions, in the order each emoji was first used; `[]` for none
    /// and once deleted.
    reactions: Vec<ReactionCount>,
}

impl MessageView {
    pub fn new(message: Message, links: &Links) -> Self {
        Self {
            attachments: links.views(&message.attachments()),
            reply_to: message.quote(),
            reactions: message.reactions().0,
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

/// One page of the conversation with user `id`, oldest first, deleted messages
/// as tombstones: the newest `limit` messages below `before`, the oldest above
/// `after`, or those around `around`.
#[utoipa::path(
    get,
    path = "/messages/{id}",
    tag = "messages",
    params(("id" = i64, Path, description = "The other user's id"), Page),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of messages, oldest first", body = Vec<MessageView>,
            example = json!([{"id": 2, "sender_id": 2, "recipient_id": 1, "content": "Hi Alice, I was away.", "client_id": "b-1", "created_at": "2026-11-21T13:14:54.024Z", "delivered": true, "delivered_at": "2026-11-21T13:14:54.030Z", "read_at": "2026-11-21T13:14:55.530Z", "edited_at": null, "deleted_at": null}])),
        Unreadable,
        Unauthorized,
        (status = 404, description = "`user_not_found`; `message_not_found`: `around` names no message of this conversation", body = ErrorBody,
            example = json!({"error": "user_not_found", "message": "no user with id 99"})),
        BadPage,
        Internal,
        Unavailable,
    ),
)]
pub async fn conversation(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    peer: web::Path<i64>,
    page: web::Query<Page>,
) -> Result<web::Json<Vec<MessageView>>, Error> {
    let (window, limit) = page.window()?;
    let peer = UserId(peer.into_inner());
    if db::users::find_profile(&ctx.db, peer).await?.is_none() {
        return Err(Error::UserNotFound(peer.0));
    }
    let messages =
        db::messages::page_conversation(&ctx.db, caller.id, peer, window, limit.get()).await?;
    let messages = holding_anchor(messages, window)?;
    Ok(web::Json(
        messages
            .into_iter()
            .map(|message| MessageView::new(message, &ctx.media.links))
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"content": "Lunch at noon?", "client_id": "a-3"}))]
pub struct NewMessage {
    /// Trimmed; 1–4000 characters, no NUL (U+0000). May be empty (or left out)
    /// when the message carries attachments.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub content: String,
    /// Ids of files you uploaded (`POST /attachments`) and have not sent yet:
    /// 1 to 10, each once.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub attachments: Vec<String>,
    /// 1–64 characters, no NUL, unique among your messages: makes the request safe
    /// to retry.
    #[schema(min_length = 1, max_length = 64)]
    pub client_id: Option<String>,
    /// The message this one answers: a message of the same chat, not deleted
    /// (else `422 reply_target_not_found`).
    #[schema(minimum = 1)]
    pub reply_to: Option<i64>,
}

impl NewMessage {
    /// Sends this to `chat` and answers as REST does: 201 with the stored message,
    /// or 200 with the original when `client_id` was used before (nothing new is
    /// stored or sent). `view` shapes the message as the endpoint shows it.
    pub async fn send<V: Serialize>(
        self,
        ctx: &AppContext,
        sender: UserId,
        chat: Chat,
        view: impl FnOnce(Sent) -> Result<V, Error>,
    ) -> Result<HttpResponse, Error> {
        let sent = ctx
            .messaging
            .send(
                sender,
                None,
                chat,
                Draft {
                    content: self.content,
                    client_id: self.client_id,
                    attachments: self.attachments,
                    reply_to: self.reply_to.map(MessageId),
                },
            )
            .await?;
        let created = !sent.duplicate;
        Ok(created_or_existing(created, view(sent)?))
    }
}

/// 201 with the stored message; 200 with the original when `client_id` was used
/// before (nothing new is stored or sent).
#[utoipa::path(
    post,
    path = "/messages/{id}",
    tag = "messages",
    operation_id = "send_message",
    params(("id" = i64, Path, description = "The recipient's user id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored and sent to the recipient's and your sockets", body = MessageView, example = json!({"id": 5, "sender_id": 1, "recipient_id": 2, "content": "Lunch at noon?", "client_id": "a-3", "created_at": "2026-11-21T13:15:18.212Z", "delivered": false, "delivered_at": null, "read_at": null, "edited_at": null, "deleted_at": null})),
        (status = 200, description = "A message of yours with this `client_id` was already stored: the original; nothing new is stored or sent", body = MessageView, example = json!({"id": 5, "sender_id": 1, "recipient_id": 2, "content": "Lunch at noon?", "client_id": "a-3", "created_at": "2026-11-21T13:15:18.212Z", "delivered": false, "delivered_at": null, "read_at": null, "edited_at": null, "deleted_at": null})),
        Unreadable,
        Unauthorized,
        (status = 404, description = "`user_not_found`", body = ErrorBody,
            example = json!({"error": "user_not_found", "message": "no user with id 99"})),
        (status = 422, description = "`validation_failed`: `content` or `client_id` breaks the rules; `invalid_attachment`; `reply_target_not_found`: `reply_to` is not a message of this conversation, or it was deleted", body = ErrorBody,
            example = json!({"error": "validation_failed", "message": "content must be at most 4000 characters", "field": "content"})),
        (status = 429, description = "`rate_limited`: over the `SEND_RATE`/`SEND_BURST` limit, shared with the WebSocket; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 200 ms", "retry_after_ms": 200})),
        Internal,
        Unavailable,
    ),
)]
pub async fn send(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    recipient: web::Path<i64>,
    body: Json<NewMessage>,
) -> Result<HttpResponse, Error> {
    let recipient = Chat::Direct(UserId(recipient.into_inner()));
    let body = body.into_inner();
    body.send(&ctx, caller.id, recipient, |sent| {
        let mut view = MessageView::new(sent.message, &ctx.media.links);
        // The recipient's socket records the delivery a moment later.
        view.delivered |= sent.delivered;
        Ok(view)
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"content": "Lunch at one?"}))]
pub struct Edit {
    /// The new text, under the same rules as a send.
    #[schema(min_length = 1, max_length = 4000)]
    content: String,
}

/// Edits one of your messages (`id` is a message id here); both sides get an
/// `edited` frame.
#[utoipa::path(
    patch,
    path = "/messages/{id}",
    tag = "messages",
    operation_id = "edit_message",
    params(("id" = i64, Path, description = "The message's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message as it reads now", body = MessageView,
            example = json!({"id": 5, "sender_id": 1, "recipient_id": 2, "content": "Lunch at one?", "client_id": "a-3", "created_at": "2026-11-21T13:15:18.212Z", "delivered": false, "delivered_at": null, "read_at": null, "edited_at": "2026-11-21T13:15:18.242Z", "deleted_at": null})),
        Unreadable,
        Unauthorized,
        (status = 403, description = "`forbidden`: only the sender may edit", body = ErrorBody,
            example = json!({"error": "forbidden", "message": "only the sender can change a message"})),
        (status = 404, description = "`message_not_found`: not a message in your conversations or rooms", body = ErrorBody,
            example = json!({"error": "message_not_found", "message": "no message with id 99"})),
        (status = 409, description = "`message_deleted`", body = ErrorBody,
            example = json!({"error": "message_deleted", "message": "the message was deleted"})),
        (status = 422, description = "`validation_failed`: `content` breaks the rules", body = ErrorBody),
        (status = 429, description = "`rate_limited`: edits and deletes share the `SEND_RATE`/`SEND_BURST` allowance with sends; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 100 ms", "retry_after_ms": 100})),
        Internal,
        Unavailable,
    ),
)]
pub async fn edit(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
    body: Json<Edit>,
) -> Result<web::Json<MessageView>, Error> {
    let change = Change::Edit(body.into_inner().content);
    let message = ctx
        .messaging
        .change(caller.id, MessageId(id.into_inner()), change)
        .await?;
    Ok(web::Json(MessageView::new(message, &ctx.media.links)))
}

/// Leaves a tombstone: the row stays, its content is cleared. Deleting again
/// returns the same tombstone and changes nothing.
#[utoipa::path(
    delete,
    path = "/messages/{id}",
    tag = "messages",
    operation_id = "delete_message",
    params(("id" = i64, Path, description = "The message's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tombstone", body = MessageView,
            example = json!({"id": 4, "sender_id": 1, "recipient_id": 2, "content": "", "client_id": "a-2", "created_at": "2026-11-21T13:14:56.031Z", "delivered": true, "delivered_at": "2026-11-21T13:14:56.033Z", "read_at": null, "edited_at": null, "deleted_at": "2026-11-21T13:15:18.256Z"})),
        Unreadable,
        Unauthorized,
        (status = 403, description = "`forbidden`: only the sender may delete", body = ErrorBody,
            example = json!({"error": "forbidden", "message": "only the sender can change a message"})),
        (status = 404, description = "`message_not_found`", body = ErrorBody,
            example = json!({"error": "message_not_found", "message": "no message with id 99"})),
        (status = 429, description = "`rate_limited`: edits and deletes share the `SEND_RATE`/`SEND_BURST` allowance with sends; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 100 ms", "retry_after_ms": 100})),
        Internal,
        Unavailable,
    ),
)]
pub async fn delete(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<MessageView>, Error> {
    let message = ctx
        .messaging
        .change(caller.id, MessageId(id.into_inner()), Change::Delete)
        .await?;
    Ok(web::Json(MessageView::new(message, &ctx.media.links)))
}
