//! The WebSocket endpoint: `/ws?token=<JWT>[&since=<cursor>]`.

mod frame_guard;
mod session;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{dev, web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use tokio::time::Instant;

use crate::auth::authenticate;
use crate::context::AppContext;
use crate::db;
use crate::domain::paging::stream_position;
use crate::error::Error;
use crate::metrics::Limiter;
pub use session::TOKEN_ENDED;
use session::{Session, HARD_FRAME_LIMIT};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Connect {
    /// An access token from `POST /login` (browsers cannot send headers here).
    token: Option<String>,
    /// Replay the stream after this position before going live.
    #[param(minimum = 0)]
    since: Option<i64>,
}

/// Checks the token before the upgrade (401 otherwise), registers the socket, and
/// hands it to its own task; the 101 response goes back at once.
#[utoipa::path(
    get,
    path = "/ws",
    tag = "websocket",
    operation_id = "websocket",
    summary = "Opens the WebSocket: `/ws?token=<access_token>[&since=<cursor>]`.",
    params(Connect),
    security(("query_token" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol. From then on every frame is a JSON text frame: \
            the client sends `ClientFrame`s and the server `ServerFrame`s (see docs/protocol.md). A revoked or expired \
            token closes the socket with code 4401."),
        (status = 400, description = "Not a WebSocket upgrade request (no body in the error format), or `invalid_query` \
            (then an `ErrorBody`)"),
        (status = 401, description = "`missing_token` or `invalid_token`, checked before the upgrade", body = crate::error::responses::ErrorBody,
            example = json!({"error": "missing_token", "message": "missing bearer token: send `Authorization: Bearer <token>`"})),
        (status = 422, description = "`validation_failed`: `since` is negative", body = crate::error::responses::ErrorBody,
            example = json!({"error": "validation_failed", "message": "since must be a stream position (0 or more)", "field": "since"})),
        (status = 429, description = "`too_many_sockets`: the user already has `MAX_SOCKETS_PER_USER` sockets open; checked before the upgrade", body = crate::error::responses::ErrorBody,
            example = json!({"error": "too_many_sockets", "message": "too many open sockets for this user (at most 16): close one first"})),
        crate::error::responses::Internal,
        (status = 503, description = "`unavailable`: the database cannot be reached, checked before the upgrade; \
            try again after `retry_after_ms` (also `Retry-After`). Should it become unreachable while the socket \
            catches up, the socket is closed with 1013 (try again later).", body = crate::error::responses::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again")),
            example = json!({"error": "unavailable", "message": "the database is unavailable: try again in 1000 ms", "retry_after_ms": 1000})),
    ),
)]
pub async fn connect(
    req: HttpRequest,
    body: web::Payload,
    query: web::Query<Connect>,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, actix_web::Error> {
    let token = query.token.as_deref().ok_or(Error::MissingToken)?;
    let caller = authenticate(&req, token).await?;
    let since = query
        .since
        .map(|since| stream_position("since", since))
        .transpose()
        .map_err(Error::from)?;

    // Catch-up needs the database: an outage is answered before the upgrade (503)
    // rather than by closing the socket right after it.
    db::messages::latest_position(&ctx.db, caller.id)
        .await
        .map_err(Error::from)?;

    // Sizes are checked on each frame's header, before its payload is buffered.
    let mut guarded: dev::Payload = dev::Payload::Stream {
        payload: Box::pin(frame_guard::FrameGuard::new(body, HARD_FRAME_LIMIT)),
    };
    let body = web::Payload::from_request(&req, &mut guarded).await?;
    let (response, socket, frames) = actix_ws::handle(&req, body)?;
    let frames = frames
        .max_frame_size(HARD_FRAME_LIMIT)
        .aggregate_continuations()
        .max_continuation_size(HARD_FRAME_LIMIT);
    // Registered before the 101 goes out: past the cap, the upgrade is refused and
    // the response built by `handle` is dropped unsent.
    let registration = ctx
        .hub
        .register(caller.id, &caller.token_id)
        .map_err(|full| {
            ctx.metrics.rate_limited(Limiter::Sockets);
            Error::TooManySockets(full.0)
        })?;
    // A logout may have finished since the token was checked, before this socket
    // was registered for `hub.revoke` to find: close it as that would have.
    if ctx.revocations.is_revoked(&caller.token_id) {
        ctx.hub.revoke(caller.id, &caller.token_id);
    }
    // A token is valid through the second named by its `exp`.
    let token_expiry = instant_of(caller.expires_at.saturating_add(1));
    let session = Session::new(ctx, caller, registration.id, token_expiry, socket);
    actix_web::rt::spawn(session.run(frames, registration, since));
    Ok(response)
}

/// The monotonic instant of a Unix time in seconds.
fn instant_of(unix_seconds: u64) -> Instant {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let left = Duration::from_secs(unix_seconds).saturating_sub(now);
    Instant::now() + left
}
