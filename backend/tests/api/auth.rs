use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, PASSWORD};

async fn register_then_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.register("alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["username"], "alice");

    let response = app.login("alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["user"]["username"], "alice");
}
both_backends!(register_then_login);
