//! `GET /asyncapi.json`: the WebSocket protocol as an AsyncAPI 3.0 document. Its
//! messages are the variants of [`ClientFrame`] and [`ServerFrame`], with the
//! schemas utoipa derives from those serde types, and it shares the OpenAPI
//! document's component schemas, so the two can never disagree.

use actix_web::HttpResponse;
use serde_json::{json, Map, Value};
use utoipa::openapi::{RefOr, Schema};
use utoipa::PartialSchema;

use super::openapi::{self, frame_type};
use crate::live::frames::{ClientFrame, ServerFrame};

const DESCRIPTION: &str = "The live side of Parley. Open `/ws?token=<access_token>` \
    (the token from `POST /login`; add `&since=<cursor>` to replay the stream after a \
    position). Every frame is a JSON text frame whose `type` says which message it is. \
    The server first replays what you missed, then sends `ready`, then live traffic. \
    Close codes: 1001 idle, 1002 protocol error, 1009 frame too large, 1011 the \
    stream could not be loaded, 1012 server restarting, 1013 client too slow, 4401 \
    token revoked or expired (log in again); after any but 4401, reconnect with \
    `since`. Prose, limits and an annotated session: docs/protocol.md.";

#[utoipa::path(
    get,
    path = "/asyncapi.json",
    tag = "meta",
    responses((status = 200, description = "The WebSocket protocol (AsyncAPI 3.0)", content_type = "application/json")),
)]
pub async fn asyncapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// The whole document. Message names are `<direction>.<type>`, e.g.
/// `client.message` and `server.ack`: both sides have a `message` frame.
pub fn document() -> Value {
    let openapi = openapi::document();
    let schemas = openapi
        .components
        .map(|components| to_value(&components.schemas))
        .unwrap_or_default();
    let client = messages("client", ClientFrame::schema());
    let server = messages("server", ServerFrame::schema());
    let refs = |messages: &Map<String, Value>| -> Vec<Value> {
        messages
            .keys()
            .map(|name| json!({"$ref": format!("#/channels/socket/messages/{}", escape(name))}))
            .collect()
    };
    let channel_messages: Map<String, Value> = client
        .keys()
        .chain(server.keys())
        .map(|name| {
            let target = format!("#/components/messages/{}", escape(name));
            (name.clone(), json!({"$ref": target}))
        })
        .collect();
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Parley WebSocket",
            "version": openapi.info.version,
            "description": DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "localhost:8080",
                "protocol": "ws",
                "description": "A server started with `cargo run`; use your own host \
                    (`wss` behind TLS).",
                "security": [{"$ref": "#/components/securitySchemes/token"}],
            },
        },
        "channels": {
            "socket": {
                "address": "/ws",
                "title": "A user's socket",
                "description": "One per open tab or device; every socket of a user \
                    gets the same frames.",
                "messages": channel_messages,
                "bindings": {"ws": {
                    "method": "GET",
                    "query": {
                        "type": "object",
                        "required": ["token"],
                        "properties": {
                            "token": {"type": "string", "description": "An access token from `POST /login`."},
                            "since": {"type": "integer", "minimum": 0, "description": "Replay the stream after this cursor before going live."},
                        },
                    },
                    "bindingVersion": "0.1.0",
                }},
            },
        },
        "operations": {
            "receiveClientFrames": {
                "action": "receive",
                "channel": {"$ref": "#/channels/socket"},
                "title": "Frames a client sends",
                "messages": refs(&client),
            },
            "sendServerFrames": {
                "action": "send",
                "channel": {"$ref": "#/channels/socket"},
                "title": "Frames the server sends",
                "messages": refs(&server),
            },
        },
        "components": {
            "schemas": schemas,
            "messages": client.into_iter().chain(server).collect::<Map<_, _>>(),
            "securitySchemes": {
                "token": {
                    "type": "httpApiKey",
                    "name": "token",
                    "in": "query",
                    "description": "The access token, as the `token` query parameter: \
                        browsers cannot set headers on a WebSocket.",
                },
            },
        },
    })
}

/// One message per variant of a `tag = "type"` frame enum.
fn messages(direction: &str, frames: RefOr<Schema>) -> Map<String, Value> {
    let RefOr::T(Schema::OneOf(frames)) = frames else {
        return Map::new();
    };
    frames
        .items
        .iter()
        .filter_map(|frame| {
            let kind = frame_type(frame)?;
            let mut payload = to_value(frame);
            let summary = payload
                .as_object_mut()
                .and_then(|object| object.remove("description"))
                // Doc comments arrive hard-wrapped.
                .and_then(|text| text.as_str().map(|text| text.replace('\n', " ")));
            let message = json!({
                "name": kind,
                "title": format!("{kind} ({direction})"),
                "summary": summary,
                "payload": payload,
            });
            Some((format!("{direction}.{kind}"), message))
        })
        .collect()
}

fn to_value(value: &impl serde::Serialize) -> Value {
    // utoipa's schema types are plain data: serialising them cannot fail.
    serde_json::to_value(value).unwrap_or_default()
}

/// A key as a JSON Pointer segment (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
