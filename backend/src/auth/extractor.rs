//! `AuthUser`: a handler argument that only exists for a valid bearer token.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use super::Tokens;
use crate::db::UserId;
use crate::error::Error;

#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: UserId,
}

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, Error> {
    let tokens = req.app_data::<web::Data<Tokens>>().ok_or_else(|| {
        log::error!("Tokens are not registered as app data");
        Error::Internal
    })?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(Error::MissingToken)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or(Error::InvalidToken)?;
    Ok(AuthUser {
        id: tokens.verify(token.trim())?,
    })
}
