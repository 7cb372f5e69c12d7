//! `AuthUser`: a handler argument that only exists for a valid, unrevoked bearer
//! token.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};

use super::{Revocations, Tokens};
use crate::db::UserId;
use crate::error::Error;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub token_id: String,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
}

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .ok_or(Error::MissingToken)
            .and_then(|value| {
                value
                    .to_str()
                    .ok()
                    .and_then(|v| {
                        v.strip_prefix("Bearer ")
                            .or_else(|| v.strip_prefix("bearer "))
                    })
                    .ok_or(Error::InvalidToken)
            });
        ready(token.and_then(|token| authenticate(req, token.trim())))
    }
}

/// Checks a token from a header or, for the WebSocket, from the query string.
pub fn authenticate(req: &HttpRequest, token: &str) -> Result<AuthUser, Error> {
    let (Some(tokens), Some(revocations)) = (
        req.app_data::<web::Data<Tokens>>(),
        req.app_data::<web::Data<Revocations>>(),
    ) else {
        log::error!("Tokens and Revocations are not registered as app data");
        return Err(Error::Internal);
    };
    let verified = tokens.verify(token)?;
    if revocations.is_revoked(&verified.token_id) {
        return Err(Error::InvalidToken);
    }
    // For the access log line of this request.
    req.extensions_mut().insert(verified.user);
    Ok(AuthUser {
        id: verified.user,
        token_id: verified.token_id,
        expires_at: verified.expires_at,
    })
}
