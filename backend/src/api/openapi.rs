//! `GET /openapi.json`: the OpenAPI 3.1 description of this API, generated from the
//! handlers' `#[utoipa::path]` annotations and the DTOs they use. The paths come
//! from the same list that registers the routes (see [`super::routes`]).

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

pub use crate::error::responses::*;
use crate::live::frames::{ClientFrame, ServerFrame};

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
        (name = "push", description = "Web Push notifications for browsers with no tab open."),
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
