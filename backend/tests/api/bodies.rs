//! Request bodies: every endpoint that takes one takes a JSON object and nothing
//! else. serde would fill a struct from an array by position (`["alice", "pw"]`
//! registers alice); that is refused like any other wrong shape.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app, Backend};
use crate::openapi::{document, operations};

/// What the document says each endpoint with a body takes: its example.
fn body_example<'a>(doc: &'a Value, operation: &'a Value) -> &'a Value {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(target) => doc.pointer(target.trim_start_matches('#')).unwrap(),
        None => schema,
    };
    assert!(schema["example"].is_object(), "{schema}");
    &schema["example"]
}

async fn only_a_json_object_is_a_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    app.signup("bob").await;
    let room = app.create_room(&alice, "lobby", "public").await;
    let doc = document(&app).await;

    let mut tried = BTreeSet::new();
    for (method, path, operation) in operations(&doc) {
        // Uploads take multipart forms, tested in `attachments`.
        if operation["requestBody"]["content"]
            .get("application/json")
            .is_none()
        {
            continue;
        }
        tried.insert(format!("{method} {path}"));
        let example = body_example(&doc, operation);
        let by_position = Value::Array(example.as_object().unwrap().values().cloned().collect());
        let url = path.replace("{id}", &room.to_string());
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();

        for body in [
            by_position,
            json!([]),
            json!([{}]),
            json!("alice"),
            json!(12),
            json!(-1.5),
            json!(true),
            json!(null),
        ] {
            let response = app
                .request(method.clone(), &url, &alice.token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let what = format!("{method} {url} {body}");
            let error =
                expect_error(response, StatusCode::BAD_REQUEST, "invalid_body", &what).await;
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .contains("expected a JSON object"),
                "{what}: {error}"
            );
        }

        // The same values as an object get past the body: whatever the endpoint
        // then answers, it is not about the body's shape.
        let response = app
            .request(method.clone(), &url, &alice.token)
            .json(example)
            .send()
            .await
            .unwrap();
        assert_ne!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{method} {url} {example}: {}",
            response.text().await.unwrap()
        );
    }

    // Every endpoint with a body was tried (a document without request bodies
    // would make this test pass on nothing).
    let expected: BTreeSet<String> = [
        "post /register",
        "post /login",
        "post /messages/{id}",
        "patch /messages/{id}",
        "post /rooms",
        "patch /rooms/{id}",
        "post /rooms/{id}/members",
        "post /rooms/{id}/messages",
        "put /rooms/{id}/mute",
        "put /conversations/{id}/mute",
        "post /push/subscriptions",
        "delete /push/subscriptions",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert!(tried.is_superset(&expected), "{tried:?}");
}
both_backends!(only_a_json_object_is_a_body);
