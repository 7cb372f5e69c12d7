//! `POST /logout`: ends the token it is called with, and that token's sockets on
//! every node.

use actix_web::{web, HttpResponse};

use super::openapi::{Internal, Unauthorized, Unavailable};
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::error::Error;
use crate::live::bus::Event;

/// Revokes the token it is called with and closes that token's sockets (code
/// 4401). Other tokens of the same user keep working.
#[utoipa::path(
    post,
    path = "/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Revoked"), Unauthorized, Internal, Unavailable),
)]
pub async fn logout(ctx: web::Data<AppContext>, caller: AuthUser) -> Result<HttpResponse, Error> {
    ctx.revocations
        .revoke(&ctx.db, &caller.token_id, caller.expires_at)
        .await?;
    ctx.hub.revoke(caller.id, &caller.token_id);
    ctx.bus.publish(Event::Revoked {
        user: caller.id,
        token_id: caller.token_id,
        expires_at: caller.expires_at,
    });
    Ok(HttpResponse::NoContent().finish())
}
