//! `GET /openapi.json`: the OpenAPI 3.1 description of this API, generated from the
//! handlers' `#[utoipa::path]` annotations and the DTOs they use. The paths come
//! from the same list that registers the routes (see [`super::routes`]).

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoResponses, Modify, OpenApi, PartialSchema, ToSchema};

pub use crate::error::Body as ErrorBody;
use crate::ws::protocol::{ClientFrame, ServerFrame};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parley",
        description = "A self-hosted real-time chat server: a JSON REST API and a \
            WebSocket (`/ws`). Every error has the `ErrorBody` shape; match on its \
            `error` code. Any path answers other methods with `405 method_not_allowed` \
            and unknown paths get `404 not_found`.",
    ),
    modifiers(&Security),
    components(schemas(ErrorBody, StreamItem, ServerFrame, ClientFrame)),
    tags(
        (name = "health", description = "For orchestrators; no token."),
        (name = "auth", description = "Accounts and access tokens."),
        (name = "users", description = "Who is there, and who is online."),
        (name = "messages", description = "Direct messages and the caller's stream."),
        (name = "rooms", description = "Public channels and private groups."),
        (name = "websocket", description = "The live connection; see docs/protocol.md."),
        (name = "meta", description = "About the server itself."),
    ),
)]
struct Description;

/// The whole document: the description above and every registered endpoint.
pub fn document() -> utoipa::openapi::OpenApi {
    Description::openapi().merge_from(super::Endpoints::openapi())
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json")),
)]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// The security schemes the operations' `security(...)` name.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An `access_token` from `POST /login`: `Authorization: Bearer <token>`.",
                    ))
                    .build(),
            ),
        );
        // Browsers cannot set headers on a WebSocket upgrade.
        components.add_security_scheme(
            "query_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "The same access token, as the `token` query parameter (`/ws` only).",
            ))),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`METRICS_TOKEN`, when the server sets one (not a user's token).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The frame types the stream holds; the others are notices about it.
const STREAM_FRAMES: [&str; 4] = ["message", "edited", "deleted", "member"];

/// One item of a user's or a room's stream, exactly the frame a socket gets for it:
/// the `message`, `edited`, `deleted` and `member` variants of [`ServerFrame`].
pub struct StreamItem;

impl PartialSchema for StreamItem {
    fn schema() -> RefOr<Schema> {
        let mut schema = ServerFrame::schema();
        if let RefOr::T(Schema::OneOf(frames)) = &mut schema {
            frames
                .items
                .retain(|frame| frame_type(frame).is_some_and(|t| STREAM_FRAMES.contains(&t)));
            frames.description = Some(
                "A stream item: a `message` (as it reads now), `edited`, `deleted` or \
                 `member` frame, told apart by `type`. `cursor` is its stream position."
                    .into(),
            );
        }
        schema
    }
}

impl ToSchema for StreamItem {}

/// The `type` tag of a frame's schema.
pub(super) fn frame_type(frame: &RefOr<Schema>) -> Option<&str> {
    let RefOr::T(Schema::Object(object)) = frame else {
        return None;
    };
    let RefOr::T(Schema::Object(tag)) = object.properties.get("type")? else {
        return None;
    };
    tag.enum_values.as_ref()?.first()?.as_str()
}

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
