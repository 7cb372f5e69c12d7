//! Web Push: `GET /push/key` (the server's VAPID public key) and
//! `POST`/`DELETE /push/subscriptions`, where a browser says where its
//! notifications go. Pushes themselves are `messaging::notifications`'s.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::openapi::{ErrorBody, Internal, Unauthorized, Unavailable, Unreadable};
use super::{created_or_existing, Json};
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::{self, push_subscriptions::Subscription};
use crate::domain::time::now;
use crate::error::Error;
use crate::push::browser_keys;

/// Subscriptions one user keeps (one per browser); a new one past this replaces
/// their oldest.
const MAX_PER_USER: i64 = 10;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"public_key": "BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U"}))]
pub struct PushKey {
    /// The VAPID public key (an uncompressed P-256 point, base64url): the
    /// `applicationServerKey` of `pushManager.subscribe`.
    public_key: String,
}

/// The server's VAPID public key. No token needed.
#[utoipa::path(
    get,
    path = "/push/key",
    tag = "push",
    responses((status = 200, description = "The key", body = PushKey)),
)]
pub async fn key(ctx: web::Data<AppContext>) -> web::Json<PushKey> {
    web::Json(PushKey {
        public_key: ctx.push.public_key().to_owned(),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Keys {
    /// The browser's P-256 public key, base64url.
    p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    auth: String,
}

/// A `PushSubscription` as the browser's `toJSON()` gives it.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"endpoint": "https://fcm.googleapis.com/fcm/send/dpH5lCsTSSM:APA91bHq…", "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}}))]
pub struct NewSubscription {
    /// The push service's URL for this browser: `https`, on a host of
    /// `PUSH_ENDPOINT_ALLOWLIST`.
    #[schema(max_length = 1024)]
    endpoint: String,
    keys: Keys,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"endpoint": "https://fcm.googleapis.com/fcm/send/dpH5lCsTSSM:APA91bHq…"}))]
pub struct Unsubscribe {
    /// The endpoint of the subscription to take back.
    endpoint: String,
}

/// Where to push this user's notifications: one browser's subscription. Pushes
/// go out for direct messages and mentions while the user has no socket open,
/// except from muted chats.
#[utoipa::path(
    post,
    path = "/push/subscriptions",
    tag = "push",
    operation_id = "subscribe_to_push",
    request_body = NewSubscription,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored (a user keeps 10; the oldest goes)"),
        (status = 200, description = "Already stored as it is"),
        Unreadable,
        Unauthorized,
        (status = 422, description = "`push_endpoint_not_allowed`: not `https`, or not a push service on the allowlist; `validation_failed`: `keys` are not a P-256 key and a 16-byte secret", body = ErrorBody,
            example = json!({"error": "push_endpoint_not_allowed", "message": "push endpoints must be https URLs of an allowed push service"})),
        Internal,
        Unavailable,
    ),
)]
pub async fn subscribe(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    body: Json<NewSubscription>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner();
    if ctx.push.allowlist().check(&body.endpoint).is_none() {
        return Err(Error::PushEndpointNotAllowed);
    }
    if browser_keys(&body.keys.p256dh, &body.keys.auth).is_none() {
        return Err(Error::validation(
            "keys",
            "keys must hold a P-256 public key (p256dh) and a 16-byte secret (auth), base64url",
        ));
    }
    let subscription = Subscription {
        endpoint: body.endpoint,
        user_id: caller.id,
        p256dh: body.keys.p256dh,
        auth: body.keys.auth,
        created_at: now(),
    };
    let created = db::push_subscriptions::upsert(&ctx.db, &subscription).await?;
    if created {
        db::push_subscriptions::keep_newest(&ctx.db, caller.id, MAX_PER_USER).await?;
    }
    Ok(created_or_existing(created, serde_json::json!({})))
}

/// Stops pushing to one of your browsers (at logout, or when it unsubscribes).
#[utoipa::path(
    delete,
    path = "/push/subscriptions",
    tag = "push",
    operation_id = "unsubscribe_from_push",
    request_body = Unsubscribe,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Gone (or it was not yours, or not there)"),
        Unreadable,
        Unauthorized,
        Internal,
        Unavailable,
    ),
)]
pub async fn unsubscribe(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    body: Json<Unsubscribe>,
) -> Result<HttpResponse, Error> {
    db::push_subscriptions::delete(&ctx.db, caller.id, &body.endpoint).await?;
    Ok(HttpResponse::NoContent().finish())
}
