//! `POST /login`: exchanges a username and password for an access token.

use actix_web::web;
use serde::{Deserialize, Serialize};

use super::openapi::{ErrorBody, Internal, Unreadable};
use super::users::UserView;
use super::Json;
use crate::client_address::ClientAddress;
use crate::context::AppContext;
use crate::db::{self, users::Profile};
use crate::domain::Username;
use crate::error::Error;

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"username": "alice", "password": "correct horse"}))]
pub struct Credentials {
    /// Any letter case.
    username: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <access_token>`, or as `/ws?token=`.
    access_token: String,
    #[schema(example = "bearer")]
    token_type: &'static str,
    /// Seconds until the token expires.
    expires_in: u64,
    user: UserView,
}

/// Exchanges a username and password for an access token. Failed logins are
/// limited per username and per client address.
#[utoipa::path(
    post,
    path = "/login",
    tag = "auth",
    responses(
        (status = 200, description = "A new token with its own id", body = Session,
            example = json!({"access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiYXVkIjoiYWY2ZWYwMDYyM2NiZDkwYTk5MzVhZjE4MjhmMWM5YTlmMmYzMjc3ZjZkNTcyNjU4N2FhZjU1YjM4NjNjZGNhZiIsImp0aSI6IjRkNjAyYjk1M2EyMGM0MjE0ZDkzNmU2N2MyODM4NDE2IiwiaWF0IjoxNzk1MjY2ODg0LCJleHAiOjE3OTUzNTMyODR9.QuynIcvxy1Pp4aYNQzw6WP0lN-2YfNG9SrUslE1ilPw", "token_type": "bearer", "expires_in": 86400, "user": {"id": 1, "username": "alice"}})),
        Unreadable,
        (status = 401, description = "`invalid_credentials`", body = ErrorBody,
            example = json!({"error": "invalid_credentials", "message": "invalid username or password"})),
        (status = 429, description = "`rate_limited`: too many failed logins for this username or address; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 29000 ms", "retry_after_ms": 29000})),
        Internal,
        (status = 503, description = "`server_busy`: too many passwords are being checked, or `unavailable`: the database cannot be reached for now; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again")),
            example = json!({"error": "server_busy", "message": "the server is busy: try again in 250 ms", "retry_after_ms": 250})),
    ),
)]
pub async fn login(
    client: ClientAddress,
    ctx: web::Data<AppContext>,
    body: Json<Credentials>,
) -> Result<web::Json<Session>, Error> {
    let Credentials { username, password } = body.into_inner();
    let address = client.0;
    let guard = &ctx.login_guard;
    // A name longer than any username is nobody's: it is not looked up, and it
    // counts against the address only, so made-up long names cannot fill the
    // per-username limiter.
    if username.len() > Username::MAX_BYTES {
        if let Some(wait) = guard.blocked(None, address) {
            return Err(Error::RateLimited(wait));
        }
        guard.failed(None, address);
        return Err(Error::InvalidCredentials);
    }
    if let Some(wait) = guard.blocked(Some(&username), address) {
        return Err(Error::RateLimited(wait));
    }
    let user = db::users::find_by_username(&ctx.db, &username).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    // Unknown users are checked against a decoy hash: same answer, same time.
    if !ctx.passwords.verify(password, hash).await? {
        guard.failed(Some(&username), address);
        return Err(Error::InvalidCredentials);
    }
    let user = user.ok_or(Error::InvalidCredentials)?;
    Ok(web::Json(Session {
        access_token: ctx.tokens.issue(user.id, &user.token_key)?,
        token_type: "bearer",
        expires_in: ctx.tokens.ttl().as_secs(),
        user: UserView::from(Profile {
            id: user.id,
            username: user.username,
            last_seen_at: user.last_seen_at,
        }),
    }))
}
