//! `POST /attachments`: what a curl-like upload gets back, what is sniffed from
//! the bytes, and the uploads that are refused.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{
    fetch, fetch_bytes, id, link, noise, png, post_upload, sha256_hex, spawn, upload, Multipart,
    Store,
};
use crate::helpers::{expect_error, keys, Backend};
use crate::{both_backends, every_backend_and_store};

async fn an_upload_is_stored_and_described(backend: Backend, store: Store) {
    let app = spawn(backend, store, |_| {}).await;
    let alice = app.signup("alice").await;
    let bytes = noise(5000);

    let attachment = upload(&app, &alice, "notes.bin", &bytes).await;
    assert_eq!(
        keys(&attachment),
        [
            "content_type",
            "height",
            "id",
            "name",
            "sha256",
            "size",
            "thumbnail_url",
            "url",
            "width"
        ]
    );
    let id = id(&attachment);
    assert!(
        id.len() >= 16
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)),
        "an opaque base64url id: {id}"
    );
    assert_eq!(attachment["name"], "notes.bin");
    assert_eq!(attachment["size"], bytes.len());
    assert_eq!(attachment["sha256"], sha256_hex(&bytes));
    assert_eq!(
        [
            &attachment["width"],
            &attachment["height"],
            &attachment["thumbnail_url"]
        ],
        [&json!(null), &json!(null), &json!(null)],
        "not an image: {attachment}"
    );
    let url = link(&attachment, "url");
    assert!(
        url.starts_with(&format!("/attachments/{id}?expires=")) && url.contains("&sig="),
        "{url}"
    );
    assert!(!app.store.keys().await.is_empty(), "stored before the 201");

    // The uploader gets the bytes back, by the signed link and with a token.
    assert_eq!(fetch_bytes(&app, &url).await, bytes);
    let response = app.get(&format!("/attachments/{id}"), &alice.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // Each upload is its own, even of the same bytes.
    let again = upload(&app, &alice, "notes.bin", &bytes).await;
    assert_ne!(again["id"], attachment["id"]);
    assert_eq!(again["sha256"], attachment["sha256"]);
}
every_backend_and_store!(an_upload_is_stored_and_described);

/// The content type comes from the bytes: a PNG named `x.txt` and declared
/// `text/plain` is a PNG, with its size and a JPEG thumbnail.
async fn the_content_type_is_sniffed_from_the_bytes(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let bytes = png(40, 30);
    let body = Multipart::default().file("x.txt", "text/plain", &bytes);
    let response = post_upload(&app, &alice.token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let attachment: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        [
            &attachment["name"],
            &attachment["content_type"],
            &attachment["width"],
            &attachment["height"]
        ],
        [&json!("x.txt"), &json!("image/png"), &json!(40), &json!(30)],
        "{attachment}"
    );
    let id = id(&attachment);
    let thumbnail = link(&attachment, "thumbnail_url");
    assert!(
        thumbnail.starts_with(&format!("/attachments/{id}/thumbnail?expires=")),
        "{thumbnail}"
    );

    let response = fetch(&app, &link(&attachment, "url")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "image/png");
    let response = fetch(&app, &thumbnail).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "image/jpeg");

    // Text declared as an image is not an image.
    let body = Multipart::default().file("fake.png", "image/png", b"just some text\n");
    let response = post_upload(&app, &alice.token, body).await;
    let status = response.status();
    let fake: serde_json::Value = response.json().await.unwrap();
    if status == StatusCode::CREATED {
        assert_ne!(fake["content_type"], "image/png", "{fake}");
        assert_eq!(fake["thumbnail_url"], json!(null), "{fake}");
    } else {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fake}");
        assert_eq!(fake["error"], "invalid_image", "{fake}");
    }
}
both_backends!(the_content_type_is_sniffed_from_the_bytes);

async fn badly_shaped_uploads_are_refused(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;

    let response = app
        .client
        .post(app.url("/attachments"))
        .header(CONTENT_TYPE, Multipart::content_type())
        .body(
            Multipart::default()
                .file("a.bin", "application/octet-stream", b"x")
                .finish(),
        )
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "missing_token",
        "no token",
    )
    .await;
    let response = app
        .request(Method::POST, "/attachments", "garbage")
        .header(CONTENT_TYPE, Multipart::content_type())
        .body(
            Multipart::default()
                .file("a.bin", "application/octet-stream", b"x")
                .finish(),
        )
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "a bad token",
    )
    .await;

    let response = app
        .request(Method::POST, "/attachments", &alice.token)
        .json(&json!({"file": "aGVsbG8="}))
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_upload",
        "JSON, not multipart",
    )
    .await;
    let response = app
        .request(Method::POST, "/attachments", &alice.token)
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(b"raw bytes".to_vec())
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_upload",
        "raw bytes",
    )
    .await;

    let other_part = Multipart::default().part(
        "form-data; name=\"photo\"; filename=\"a.png\"",
        Some("image/png"),
        &png(4, 4),
    );
    let response = post_upload(&app, &alice.token, other_part).await;
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_upload",
        "no `file` part",
    )
    .await;
    let response = post_upload(&app, &alice.token, Multipart::default()).await;
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_upload",
        "no part at all",
    )
    .await;
    let response = app
        .request(Method::POST, "/attachments", &alice.token)
        .header(CONTENT_TYPE, Multipart::content_type())
        .body(b"this is not multipart".to_vec())
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_upload",
        "a broken body",
    )
    .await;

    assert_eq!(
        app.store.keys().await,
        Vec::<String>::new(),
        "nothing stored"
    );
}
both_backends!(badly_shaped_uploads_are_refused);
