//! `GET /openapi.json`: a well-formed OpenAPI 3.1 document that describes every
//! route the server registers, and only those.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub async fn document(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every `(method, path, operation)` in the document.
pub fn operations(doc: &Value) -> Vec<(&str, &str, &Value)> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item is an object");
            item.iter()
                .filter(|(method, _)| METHODS.contains(&method.as_str()))
                .map(move |(method, operation)| (method.as_str(), path.as_str(), operation))
        })
        .collect()
}

/// Every `$ref` anywhere in `value`.
fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get("$ref") {
                found.push(target);
            }
            object.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

/// Every `$ref` in `doc` points at something in `doc`.
fn every_ref_resolves(doc: &Value) {
    let mut targets = Vec::new();
    refs(doc, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{target} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
}

async fn the_document_is_well_formed_openapi_3_1(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = document(&app).await;

    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "openapi: {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    every_ref_resolves(&doc);

    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    let mut operation_ids = BTreeSet::new();
    for (method, path, operation) in operations(&doc) {
        let what = format!("{method} {path}");
        let responses = operation["responses"].as_object().expect(&what);
        assert!(!responses.is_empty(), "{what} has no responses");
        for (status, response) in responses {
            assert!(response["description"].is_string(), "{what} {status}");
        }
        let id = operation["operationId"].as_str().expect(&what);
        assert!(
            operation_ids.insert(id),
            "{what}: operationId {id} is taken"
        );
        // Every `{name}` in the path is a required path parameter.
        for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
            let params = operation["parameters"].as_array().expect(&what);
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                "{what}: no path parameter {name}"
            );
        }
        for requirement in operation["security"].as_array().into_iter().flatten() {
            for scheme in requirement.as_object().unwrap().keys() {
                assert!(schemes.contains_key(scheme), "{what}: no scheme {scheme}");
            }
        }
    }

    // Query strings are described too.
    for (path, method, names) in [
        ("/events", "get", ["after", "limit"]),
        ("/messages/{id}", "get", ["before", "limit"]),
        ("/ws", "get", ["token", "since"]),
    ] {
        let params = doc["paths"][path][method]["parameters"].as_array().unwrap();
        for name in names {
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "query"),
                "{method} {path}: no query parameter {name}"
            );
        }
    }

    // The stream's frames are described, not left as free-form JSON.
    let stream = &doc["components"]["schemas"]["StreamItem"]["oneOf"];
    let types: BTreeSet<_> = stream
        .as_array()
        .expect("StreamItem is a oneOf")
        .iter()
        .map(|frame| frame["properties"]["type"]["enum"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["deleted", "edited", "member", "message"])
    );
    for field in ["error", "message", "field", "retry_after_ms"] {
        let schema = &doc["components"]["schemas"]["ErrorBody"]["properties"][field];
        assert!(schema.is_object(), "ErrorBody.{field}");
    }
}
both_backends!(the_document_is_well_formed_openapi_3_1);

/// `parley::api::ROUTES` comes from the list that registers the routes; here the
/// document must hold exactly those, and the running server must answer each of
/// them with a status its operation documents.
async fn every_registered_route_is_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = document(&app).await;

    let registered: BTreeSet<(&str, &str)> = parley::api::ROUTES.iter().copied().collect();
    assert_eq!(registered.len(), parley::api::ROUTES.len(), "a route twice");
    let documented: BTreeSet<(&str, &str)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
    let unregistered: Vec<_> = documented.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "documented, not served: {unregistered:?}"
    );

    for &(method, path) in parley::api::ROUTES {
        let operation = &doc["paths"][path][method];
        // Ids in the path are 1: nothing exists, nothing is changed.
        let concrete: String = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "1"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let verb = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .client
            .request(verb, app.url(&concrete))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let what = format!("{method} {path} -> {status} {body}");
        assert!(
            !matches!(
                body["error"].as_str(),
                Some("not_found" | "method_not_allowed")
            ),
            "{what}: not served"
        );
        assert!(
            operation["responses"][status.as_str()].is_object(),
            "{what}: status not documented"
        );
        // Without a token, exactly the operations that need one say 401.
        let needs_token = operation["security"]
            .as_array()
            .is_some_and(|any_of| !any_of.iter().any(|r| r.as_object().unwrap().is_empty()));
        assert_eq!(
            status == StatusCode::UNAUTHORIZED,
            needs_token,
            "{what}: security is {}",
            operation["security"]
        );
    }
}
both_backends!(every_registered_route_is_documented);

/// `/asyncapi.json` names one message per frame type each way, on the `/ws`
/// channel, and its schemas resolve. (e2e/asyncapi.test.mjs validates it against
/// the AsyncAPI 3.0 schema and real frames against it.)
async fn the_asyncapi_document_describes_every_frame(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(app.url("/asyncapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["channels"]["socket"]["address"], "/ws");
    every_ref_resolves(&doc);

    let messages: BTreeSet<&str> = doc["components"]["messages"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let client = ["message", "react", "read", "typing"].map(|t| format!("client.{t}"));
    let server = [
        "ack",
        "deleted",
        "delivered",
        "edited",
        "error",
        "member",
        "message",
        "muted",
        "presence",
        "reaction",
        "read",
        "ready",
        "typing",
    ]
    .map(|t| format!("server.{t}"));
    let expected: BTreeSet<&str> = client.iter().chain(&server).map(String::as_str).collect();
    assert_eq!(messages, expected);
    for name in messages {
        let message = &doc["components"]["messages"][name];
        let kind = name.split_once('.').unwrap().1;
        assert_eq!(message["name"], kind);
        assert_eq!(message["payload"]["properties"]["type"]["enum"][0], kind);
        assert!(message["summary"].is_string(), "{name} has no summary");
    }
}
both_backends!(the_asyncapi_document_describes_every_frame);
