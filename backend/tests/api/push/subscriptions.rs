//! `GET /push/key` and `POST`/`DELETE /push/subscriptions`: what a browser may
//! subscribe with, and the endpoints the server refuses to send to (SSRF).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{app_with_push, new_subscription};
use crate::both_backends;
use crate::helpers::{expect_error, expect_invalid, spawn_app, Backend};

async fn subscriptions_are_checked_then_kept(backend: Backend) {
    let app = app_with_push(backend, true).await;
    let alice = app.signup("alice").await;

    // The key needs no token: an uncompressed P-256 point, base64url.
    let response = app.client.get(app.url("/push/key")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let key: Value = response.json().await.unwrap();
    let key = key["public_key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 87, "65 bytes, base64url: {key}");
    assert!(key.starts_with('B'), "0x04 first: uncompressed");
    // The same on the next start: it is kept with the data.
    let again = app.start_again().await;
    let response = again
        .client
        .get(again.url("/push/key"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["public_key"], key);
    let app = again;

    let subscription = new_subscription().await;
    let path = "/push/subscriptions";
    let response = app
        .call(&alice, Method::POST, path, Some(subscription.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = app
        .call(&alice, Method::POST, path, Some(subscription.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "already stored");

    let mut bad_keys = subscription.clone();
    bad_keys["keys"]["auth"] = json!("c2hvcnQ");
    let response = app.call(&alice, Method::POST, path, Some(bad_keys)).await;
    expect_invalid(response, "keys", "an auth secret of 5 bytes").await;
    let mut bad_keys = subscription.clone();
    bad_keys["keys"]["p256dh"] = json!("bm90IGEga2V5");
    let response = app.call(&alice, Method::POST, path, Some(bad_keys)).await;
    expect_invalid(response, "keys", "not a point").await;
    let response = app
        .call(&alice, Method::POST, path, Some(json!({"endpoint": "x"})))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "no keys");

    let response = app
        .call(
            &alice,
            Method::DELETE,
            path,
            Some(json!({"endpoint": subscription["endpoint"]})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    app.expect_auth_required(Method::POST, path, Some(&subscription))
        .await;
    app.expect_auth_required(Method::DELETE, path, Some(&json!({"endpoint": "x"})))
        .await;
}

async fn only_allowed_push_services_over_https(backend: Backend) {
    // The default allowlist, and no plain http.
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let keys = new_subscription().await["keys"].clone();
    for endpoint in [
        // The stand-in itself: plain http is for tests that say so.
        format!("{}/push/x", super::service()),
        "https://127.0.0.1/push".into(),
        "https://169.254.169.254/latest/meta-data".into(),
        "https://fcm.googleapis.com.evil.example/x".into(),
        "https://evil.example/?fcm.googleapis.com".into(),
        "https://user@fcm.googleapis.com/x".into(),
        "ftp://fcm.googleapis.com/x".into(),
        "not a url".into(),
        format!("https://fcm.googleapis.com/{}", "a".repeat(2000)),
    ] {
        let body = json!({"endpoint": endpoint, "keys": keys});
        let response = app
            .call(&alice, Method::POST, "/push/subscriptions", Some(body))
            .await;
        expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "push_endpoint_not_allowed",
            &endpoint,
        )
        .await;
    }
    let body = json!({"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys});
    let response = app
        .call(&alice, Method::POST, "/push/subscriptions", Some(body))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "a real push service"
    );
}

both_backends!(
    subscriptions_are_checked_then_kept,
    only_allowed_push_services_over_https,
);
