//! `POST /logout`: ends the token it is called with, and that token's sockets.

use actix_web::{web, HttpResponse};

use crate::auth::{AuthUser, Revocations};
use crate::db::Db;
use crate::error::Error;
use crate::ws::hub::Hub;

pub async fn logout(
    db: web::Data<Db>,
    hub: web::Data<Hub>,
    revocations: web::Data<Revocations>,
    caller: AuthUser,
) -> Result<HttpResponse, Error> {
    revocations
        .revoke(&db, &caller.token_id, caller.expires_at)
        .await?;
    hub.revoke(caller.id, &caller.token_id);
    Ok(HttpResponse::NoContent().finish())
}
