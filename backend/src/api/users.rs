//! `GET /me` and `GET /users`.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::db::{self, users::Profile, Db, UserId};
use crate::error::Error;
use crate::ws::hub::Hub;
use crate::ws::protocol::utc;

#[derive(Serialize)]
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
#[derive(Serialize)]
pub struct Contact {
    id: UserId,
    username: String,
    online: bool,
    last_seen: Option<DateTime<Utc>>,
}

impl Contact {
    pub fn new(profile: Profile, hub: &Hub) -> Self {
        let online = hub.is_online(profile.id);
        Self {
            id: profile.id,
            username: profile.username,
            online,
            last_seen: profile.last_seen_at.filter(|_| !online).map(utc),
        }
    }
}

#[derive(Deserialize)]
pub struct Search {
    /// Only usernames starting with this (any letter case).
    q: Option<String>,
}

pub async fn me(db: web::Data<Db>, caller: AuthUser) -> Result<web::Json<UserView>, Error> {
    let profile = db::users::find_profile(&db, caller.id)
        .await?
        .ok_or(Error::InvalidToken)?;
    Ok(web::Json(profile.into()))
}

pub async fn list_users(
    db: web::Data<Db>,
    hub: web::Data<Hub>,
    caller: AuthUser,
    search: web::Query<Search>,
) -> Result<web::Json<Vec<Contact>>, Error> {
    let prefix = search.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if prefix.is_some_and(|q| q.chars().count() > 32) {
        return Err(Error::validation("q", "q must be at most 32 characters"));
    }
    let users = db::users::list_others(&db, caller.id, prefix).await?;
    Ok(web::Json(
        users
            .into_iter()
            .map(|user| Contact::new(user, &hub))
            .collect(),
    ))
}
