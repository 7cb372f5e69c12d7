//! `POST /register`

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::openapi::{ErrorBody, Internal, Unreadable};
use super::users::UserView;
use super::Json;
use crate::client_address::ClientAddress;
use crate::context::AppContext;
use crate::db;
use crate::domain::{Password, Username};
use crate::error::Error;

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"username": "alice", "password": "correct horse"}))]
pub struct Registration {
    /// 3–32 characters from `A–Z a–z 0–9 _ . -`, unique ignoring letter case.
    #[schema(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9_.\-]+$")]
    username: String,
    /// 8–72 bytes.
    password: String,
}

/// Creates an account. Refused when the server's registration is closed, and
/// limited per client address (`REGISTER_RATE`/`REGISTER_BURST`).
#[utoipa::path(
    post,
    path = "/register",
    tag = "auth",
    responses(
        (status = 201, description = "The new user", body = UserView, example = json!({"id": 1, "username": "alice"})),
        Unreadable,
        (status = 403, description = "`registration_closed`: the server's `REGISTRATION` is `closed`; its operator creates accounts with `parley user add`", body = ErrorBody,
            example = json!({"error": "registration_closed", "message": "registration is closed on this server: ask its operator for an account"})),
        (status = 409, description = "`username_taken`", body = ErrorBody,
            example = json!({"error": "username_taken", "message": "that username is already taken"})),
        (status = 422, description = "`validation_failed`: the username or password breaks the rules (`field` says which)", body = ErrorBody,
            example = json!({"error": "validation_failed", "message": "username must be 3 to 32 characters long", "field": "username"})),
        (status = 429, description = "`rate_limited`: too many registrations from this client address (`REGISTER_RATE`/`REGISTER_BURST`); wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 5883 ms", "retry_after_ms": 5883})),
        Internal,
        (status = 503, description = "`server_busy`: too many passwords are being checked, or `unavailable`: the database cannot be reached for now; wait `retry_after_ms` (also `Retry-After`, in seconds)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again")),
            example = json!({"error": "server_busy", "message": "the server is busy: try again in 250 ms", "retry_after_ms": 250})),
    ),
)]
pub async fn register(
    ctx: web::Data<AppContext>,
    client: ClientAddress,
    body: Json<Registration>,
) -> Result<HttpResponse, Error> {
    let guard = &ctx.registration_guard;
    guard.check_open()?;
    let username = Username::parse(&body.username)?;
    let password = Password::parse(&body.password)?;
    // After validation, which costs nothing; before the hash, which does (even
    // for a name that turns out to be taken).
    guard.take(client.0)?;
    let password_hash = ctx.passwords.hash(password).await?;
    let user = db::users::insert(&ctx.db, &username, &password_hash)
        .await?
        .ok_or(Error::UsernameTaken)?;
    log::info!("user {} registered as {}", user.id, user.username);
    Ok(HttpResponse::Created().json(UserView::from(user)))
}
