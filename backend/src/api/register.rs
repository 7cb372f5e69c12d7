//! `POST /register`

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::users::UserView;
use crate::auth::{Password, Passwords, Username};
use crate::db::{self, users::NewUser, Db};
use crate::error::Error;
use crate::messaging::now;

#[derive(Deserialize)]
pub struct Registration {
    username: String,
    password: String,
}

pub async fn register(
    db: web::Data<Db>,
    passwords: web::Data<Passwords>,
    body: web::Json<Registration>,
) -> Result<HttpResponse, Error> {
    let username = Username::parse(&body.username)?;
    let password = Password::parse(&body.password)?;
    let password_hash = passwords.hash(password).await?;
    let user = db::users::insert(
        &db,
        NewUser {
            username: username.as_str(),
            password_hash: &password_hash,
            created_at: now(),
        },
    )
    .await?
    .ok_or(Error::UsernameTaken)?;
    log::info!("user {} registered as {}", user.id, user.username);
    Ok(HttpResponse::Created().json(UserView::from(user)))
}
