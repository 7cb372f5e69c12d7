//! `AuthUser`: a handler argument that only exists for a valid, unrevoked bearer
//! token of a user who still exists with the token's key.

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

// `context` sits just above `auth`: it gathers every service, this reads three.
use crate::context::AppContext;
use crate::db::UserId;
use crate::error::Error;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub token_id: String,
    /// The user's token key the token carries.
    pub key: String,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
}

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

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
                    .map(|token| token.trim().to_owned())
                    .ok_or(Error::InvalidToken)
            });
        let req = req.clone();
        Box::pin(async move { authenticate(&req, &token?).await })
    }
}

/// Checks a token from a header or, for the WebSocket, from the query string.
pub async fn authenticate(req: &HttpRequest, token: &str) -> Result<AuthUser, Error> {
    let Some(ctx) = req.app_data::<web::Data<AppContext>>() else {
        log::error!("AppContext is not registered as app data");
        return Err(Error::Internal);
    };
    let verified = ctx.tokens.verify(token)?;
    if ctx.revocations.is_revoked(&verified.token_id) {
        return Err(Error::InvalidToken);
    }
    ctx.token_keys
        .check(&ctx.db, verified.user, &verified.key)
        .await?;
    // For the access log line of this request.
    req.extensions_mut().insert(verified.user);
    Ok(AuthUser {
        id: verified.user,
        token_id: verified.token_id,
        key: verified.key,
        expires_at: verified.expires_at,
    })
}
