//! The WebSocket endpoint: `/ws?token=<JWT>`.

pub mod hub;
pub mod protocol;
mod session;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::auth::Tokens;
use crate::db::{self, Db};
use crate::error::Error;
use hub::Hub;
use session::{Session, HARD_FRAME_LIMIT};

#[derive(Deserialize)]
pub struct Connect {
    token: Option<String>,
}

/// Checks the token before the upgrade (401 otherwise), registers the socket, and
/// hands it to its own task; the 101 response goes back at once.
pub async fn connect(
    req: HttpRequest,
    body: web::Payload,
    query: web::Query<Connect>,
    db: web::Data<Db>,
    hub: web::Data<Hub>,
    tokens: web::Data<Tokens>,
) -> Result<HttpResponse, actix_web::Error> {
    let token = query.token.as_deref().ok_or(Error::MissingToken)?;
    let user = tokens.verify(token)?;
    // A token can outlive its user's row (a database reset with a fixed JWT_SECRET).
    if db::users::find_profile(&db, user)
        .await
        .map_err(Error::from)?
        .is_none()
    {
        return Err(Error::InvalidToken.into());
    }

    let (response, socket, frames) = actix_ws::handle(&req, body)?;
    let frames = frames
        .max_frame_size(HARD_FRAME_LIMIT)
        .aggregate_continuations()
        .max_continuation_size(HARD_FRAME_LIMIT);
    let (connection, inbox) = hub.register(user);
    let session = Session {
        db: db.get_ref().clone(),
        hub: hub.clone(),
        user,
        connection,
        socket,
    };
    actix_web::rt::spawn(session.run(frames, inbox));
    Ok(response)
}
