//! `POST /login`: exchanges a username and password for an access token.

use actix_web::{web, HttpRequest};
use serde::{Deserialize, Serialize};

use super::users::UserView;
use crate::auth::{Passwords, Tokens};
use crate::db::{self, users::Profile, Db};
use crate::error::Error;
use crate::limits::LoginGuard;

#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub struct Session {
    access_token: String,
    token_type: &'static str,
    /// Seconds until the token expires.
    expires_in: u64,
    user: UserView,
}

pub async fn login(
    req: HttpRequest,
    db: web::Data<Db>,
    passwords: web::Data<Passwords>,
    tokens: web::Data<Tokens>,
    guard: web::Data<LoginGuard>,
    body: web::Json<Credentials>,
) -> Result<web::Json<Session>, Error> {
    let Credentials { username, password } = body.into_inner();
    // The direct peer: behind a proxy, all clients share its address.
    let address = req.peer_addr().map(|peer| peer.ip());
    if let Some(wait) = guard.blocked(&username, address) {
        return Err(Error::RateLimited(wait));
    }
    let user = db::users::find_by_username(&db, &username).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    // Unknown users are checked against a decoy hash: same answer, same time.
    if !passwords.verify(password, hash).await? {
        guard.failed(&username, address);
        return Err(Error::InvalidCredentials);
    }
    let user = user.ok_or(Error::InvalidCredentials)?;
    Ok(web::Json(Session {
        access_token: tokens.issue(user.id)?,
        token_type: "bearer",
        expires_in: tokens.ttl().as_secs(),
        user: UserView::from(Profile {
            id: user.id,
            username: user.username,
            last_seen_at: user.last_seen_at,
        }),
    }))
}
