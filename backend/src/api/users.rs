//! `GET /me` and `GET /users`.

use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::db::{self, users::Profile, Db, UserId};
use crate::error::Error;
use crate::ws::hub::Hub;

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

#[derive(Serialize)]
pub struct Contact {
    id: UserId,
    username: String,
    online: bool,
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
            .map(|user| Contact {
                online: hub.is_online(user.id),
                id: user.id,
                username: user.username,
            })
            .collect(),
    ))
}
