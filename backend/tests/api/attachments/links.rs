//! Signed links: `url` and `thumbnail_url` work without a token for about 24
//! hours, and only exactly as signed.

use std::time::Duration;

use reqwest::StatusCode;

use super::{assert_serves, fetch, fetch_bytes, id, link, png, spawn, upload, Store};
use crate::both_backends;
use crate::helpers::{expect_error, wait_until, Backend};

/// `expires` and `sig` of a signed link.
fn parts(link: &str) -> (String, i64, String) {
    let (path, query) = link.split_once('?').expect("a query");
    let mut expires = None;
    let mut sig = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("expires", value)) => expires = Some(value.parse().expect("unix seconds")),
            Some(("sig", value)) => sig = Some(value.to_owned()),
            _ => panic!("unexpected query in {link}"),
        }
    }
    (
        path.to_owned(),
        expires.expect("expires"),
        sig.expect("sig"),
    )
}

/// `sig` with its first character changed to another base64url one.
fn tampered(sig: &str) -> String {
    let first = if sig.starts_with('A') { 'B' } else { 'A' };
    format!("{first}{}", &sig[1..])
}

async fn signed_links_work_without_a_token_and_only_as_signed(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let attachment = upload(&app, &alice, "photo.png", &png(30, 20)).await;
    let other = upload(&app, &alice, "other.png", &png(10, 10)).await;

    for field in ["url", "thumbnail_url"] {
        let signed = link(&attachment, field);
        let (path, expires, sig) = parts(&signed);
        let now = chrono::Utc::now().timestamp();
        assert!(
            (expires - now - 24 * 3600).abs() <= 3600,
            "{field} is valid for about 24 h: expires {expires}, now {now}"
        );
        if field == "url" {
            assert_serves(&app, &signed, &attachment).await;
        } else {
            fetch_bytes(&app, &signed).await;
        }

        let bad = [
            (
                "a tampered signature",
                format!("{path}?expires={expires}&sig={}", tampered(&sig)),
            ),
            (
                "a later expiry",
                format!("{path}?expires={}&sig={sig}", expires + 3600),
            ),
            (
                "another attachment's signature",
                format!(
                    "{}?{}",
                    path.replace(&id(&attachment), &id(&other)),
                    signed.split_once('?').unwrap().1
                ),
            ),
            (
                "an empty signature",
                format!("{path}?expires={expires}&sig="),
            ),
        ];
        for (what, url) in bad {
            let response = fetch(&app, &url).await;
            expect_error(response, StatusCode::FORBIDDEN, "invalid_link", what).await;
        }
        // Moving the expiry into the past breaks the signature too: refused
        // either way, and never served.
        let past = format!("{path}?expires={}&sig={sig}", now - 60);
        let response = fetch(&app, &past).await;
        let body = expect_forbidden(response, "an expiry moved into the past").await;
        assert!(
            ["invalid_link", "link_expired"].contains(&body["error"].as_str().unwrap_or_default()),
            "{body}"
        );
    }
}
both_backends!(signed_links_work_without_a_token_and_only_as_signed);

async fn expect_forbidden(response: reqwest::Response, what: &str) -> serde_json::Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {text}");
    serde_json::from_str(&text).expect("an error body is JSON")
}

/// With `ATTACHMENT_LINK_TTL` at one second, a link soon stops working and says
/// why; a token still opens the file.
async fn an_expired_link_is_refused(backend: Backend) {
    let app = spawn(backend, Store::Local, |config| {
        config.attachment_link_ttl = Duration::from_secs(1);
    })
    .await;
    let alice = app.signup("alice").await;
    let attachment = upload(&app, &alice, "photo.png", &png(8, 8)).await;
    let url = link(&attachment, "url");
    let (_, expires, _) = parts(&url);
    assert!(
        expires <= chrono::Utc::now().timestamp() + 3600,
        "expires {expires}, with a 1 s lifetime"
    );

    wait_until(Duration::from_secs(15), "the link expired", || async {
        fetch(&app, &url).await.status() == StatusCode::FORBIDDEN
    })
    .await;
    let response = fetch(&app, &url).await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "link_expired",
        "an expired link",
    )
    .await;
    let response = app
        .get(&format!("/attachments/{}", id(&attachment)), &alice.token)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "with a token");
}
both_backends!(an_expired_link_is_refused);
