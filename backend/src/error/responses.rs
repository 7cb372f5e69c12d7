//! The error answers operations share, as the OpenAPI document describes them;
//! every one has the [`ErrorBody`] shape.

use utoipa::IntoResponses;

pub use super::Body as ErrorBody;

/// `400`: the request could not be read.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "The body, query or path could not be read: `malformed_json`, \
        `invalid_body`, `unsupported_content_type`, `payload_too_large` (over 64 KiB), \
        `body_timeout` (the body did not arrive within 10 s), \
        `invalid_query` or `invalid_path`.",
    example = json!({"error": "malformed_json", "message": "request body is not valid JSON: expected value at line 1 column 1"}),
)]
pub struct Unreadable(pub ErrorBody<'static>);

/// `401` for the endpoints that need a token.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "`missing_token` or `invalid_token` (expired, revoked, or its user is \
        gone). Comes with `WWW-Authenticate: Bearer`.",
    example = json!({"error": "invalid_token", "message": "the access token is invalid or expired; log in again"}),
)]
pub struct Unauthorized(pub ErrorBody<'static>);

/// `500`, which any endpoint that reads the database can answer.
#[derive(IntoResponses)]
#[response(
    status = 500,
    description = "`internal_error`: the cause is logged, not sent.",
    example = json!({"error": "internal_error", "message": "the server could not complete the request"}),
)]
pub struct Internal(pub ErrorBody<'static>);

/// `503`, which any endpoint that reads the database answers while it cannot be
/// reached (down, restarting, out of connections).
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "`unavailable`: the database cannot be reached for now; nothing was \
        done. Try again after `retry_after_ms` (also `Retry-After`, in seconds).",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again")),
    example = json!({"error": "unavailable", "message": "the database is unavailable: try again in 1000 ms", "retry_after_ms": 1000}),
)]
pub struct Unavailable(pub ErrorBody<'static>);

/// `404` for a room the caller may not see: private groups do not exist for
/// outsiders.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "`room_not_found`: no such room, or a private group you are not in",
    example = json!({"error": "room_not_found", "message": "no room with id 3"}),
)]
pub struct RoomNotFound(pub ErrorBody<'static>);

/// `403` for reading or posting in a public room before joining it.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "`not_a_member`: join the room first",
    example = json!({"error": "not_a_member", "message": "join the room first"}),
)]
pub struct NotAMember(pub ErrorBody<'static>);

/// `422` for a history page's `before` or `limit`.
#[derive(IntoResponses)]
#[response(
    status = 422,
    description = "`validation_failed`: `before` or `limit` out of range",
    example = json!({"error": "validation_failed", "message": "limit must be between 1 and 200", "field": "limit"}),
)]
pub struct BadPage(pub ErrorBody<'static>);
