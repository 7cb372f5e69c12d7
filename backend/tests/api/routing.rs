//! What is served besides the API: the web app, and JSON answers for unknown paths
//! and wrong methods.

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};

async fn serves_the_web_app(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap().starts_with("text/html")));
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"type="module""#), "{page}");
}
both_backends!(serves_the_web_app);

async fn unknown_paths_and_methods_get_json_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(app.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");

    for (method, path, allowed) in [
        (reqwest::Method::GET, "/register", "POST"),
        (reqwest::Method::GET, "/login", "POST"),
        (reqwest::Method::DELETE, "/me", "GET"),
        (reqwest::Method::POST, "/users", "GET"),
        (
            reqwest::Method::PUT,
            "/messages/1",
            "GET, POST, PATCH, DELETE",
        ),
        (reqwest::Method::TRACE, "/rooms/1/members", "GET, POST"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        // RFC 9110: a 405 names the methods the resource has.
        assert_eq!(
            response.headers().get("allow").map(|v| v.to_str().unwrap()),
            Some(allowed),
            "{method} {path}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "method_not_allowed", "{method} {path}");
    }
}
both_backends!(unknown_paths_and_methods_get_json_errors);
