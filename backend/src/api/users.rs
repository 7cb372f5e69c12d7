//! `GET /me` and `GET /users`.

use std::collections::HashSet;

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::openapi::{ErrorBody, Internal, Unauthorized, Unavailable, Unreadable};
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::{self, users::Profile, UserId};
use crate::domain::paging::SearchText;
use crate::domain::time::utc;
use crate::domain::Username;
use crate::error::Error;
use crate::live::presence;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 1, "username": "alice"}))]
pub struct UserView {
    id: UserId,
    username: String,
}

impl From<Profile> for UserView {
    fn from(profile: Profile) -> Self {
        Self {
            id: profile.id,
            username: profile.username,
        }
    }
}

/// A user with their presence: `last_seen` is when their last socket closed, and
/// is left out (null) while they are online.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 2, "username": "bob", "online": false, "last_seen": "2026-11-21T13:14:57.033Z"}))]
pub struct Contact {
    id: UserId,
    username: String,
    /// Whether they have at least one open WebSocket.
    online: bool,
    last_seen: Option<DateTime<Utc>>,
}

impl Contact {
    /// `online`: the users with a socket (see `presence::online_among`).
    pub fn new(profile: Profile, online: &HashSet<UserId>) -> Self {
        let online = online.contains(&profile.id);
        Self {
            id: profile.id,
            username: profile.username,
            online,
            last_seen: profile.last_seen_at.filter(|_| !online).map(utc),
        }
    }
}

/// No username is longer; as `Search` documents it (a test in `api` compares them).
pub(super) const MAX_SEARCH_CHARS: usize = Username::MAX_BYTES;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Search {
    /// Only usernames starting with this (any letter case).
    #[param(max_length = 32)]
    q: Option<String>,
}

/// The user the token belongs to.
#[utoipa::path(
    get,
    path = "/me",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = UserView),
        Unauthorized,
        Internal,
        Unavailable,
    ),
)]
pub async fn me(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
) -> Result<web::Json<UserView>, Error> {
    let profile = db::users::find_profile(&ctx.db, caller.id)
        .await?
        .ok_or(Error::InvalidToken)?;
    Ok(web::Json(profile.into()))
}

/// Every user except the caller, ordered by name ignoring case.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    params(Search),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The other users, with presence", body = Vec<Contact>,
            example = json!([{"id": 2, "username": "bob", "online": false, "last_seen": null}])),
        Unreadable,
        Unauthorized,
        (status = 422, description = "`validation_failed`: `q` is over 32 characters", body = ErrorBody,
            example = json!({"error": "validation_failed", "message": "q must be at most 32 characters", "field": "q"})),
        Internal,
        Unavailable,
    ),
)]
pub async fn list_users(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    search: web::Query<Search>,
) -> Result<web::Json<Vec<Contact>>, Error> {
    let prefix = SearchText::parse(search.q.as_deref(), MAX_SEARCH_CHARS)?;
    let prefix = prefix.as_ref().map(SearchText::as_str);
    let users = db::users::list_others(&ctx.db, caller.id, prefix).await?;
    let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
    let online = presence::online_among(&ctx.db, &ctx.hub, &ids).await;
    Ok(web::Json(
        users
            .into_iter()
            .map(|user| Contact::new(user, &online))
            .collect(),
    ))
}
