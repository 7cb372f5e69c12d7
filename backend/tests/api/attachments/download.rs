//! `GET /attachments/{id}`: the bytes, ranges, validators, and the headers that
//! keep a file from being run as a page.

use reqwest::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_RANGE, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, ETAG, IF_NONE_MATCH, RANGE,
};
use reqwest::{Response, StatusCode};

use super::{fetch, id, link, noise, png, post_upload, spawn, upload, Multipart, Store};
use crate::helpers::{Backend, TestApp, TestUser};
use crate::{both_backends, every_backend_and_store};

/// `GET /attachments/{id}` as `user`, with `header: value` if any.
async fn download(
    app: &TestApp,
    user: &TestUser,
    id: &str,
    header: Option<(reqwest::header::HeaderName, &str)>,
) -> Response {
    let mut request = app
        .client
        .get(app.url(&format!("/attachments/{id}")))
        .bearer_auth(&user.token);
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    request.send().await.expect("request")
}

fn header<'a>(response: &'a Response, name: &reqwest::header::HeaderName) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header: {:?}", response.headers()))
        .to_str()
        .expect("an ASCII header")
}

async fn a_download_has_the_bytes_ranges_and_validators(backend: Backend, store: Store) {
    let app = spawn(backend, store, |_| {}).await;
    let alice = app.signup("alice").await;
    let bytes = noise(1000);
    let attachment = upload(&app, &alice, "data.bin", &bytes).await;
    let id = id(&attachment);

    let response = download(&app, &alice, &id, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = header(&response, &ETAG).to_owned();
    assert!(header(&response, &CACHE_CONTROL).contains("private"));
    assert_eq!(header(&response, &ACCEPT_RANGES), "bytes");
    assert_eq!(
        header(&response, &"x-content-type-options".parse().unwrap()),
        "nosniff"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let response = download(&app, &alice, &id, Some((RANGE, "bytes=100-199"))).await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&response, &CONTENT_RANGE), "bytes 100-199/1000");
    assert_eq!(response.bytes().await.unwrap().as_ref(), &bytes[100..200]);
    let response = download(&app, &alice, &id, Some((RANGE, "bytes=990-"))).await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&response, &CONTENT_RANGE), "bytes 990-999/1000");
    assert_eq!(response.bytes().await.unwrap().as_ref(), &bytes[990..]);
    let response = download(&app, &alice, &id, Some((RANGE, "bytes=-10"))).await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.bytes().await.unwrap().as_ref(), &bytes[990..]);
    let response = download(&app, &alice, &id, Some((RANGE, "bytes=2000-2999"))).await;
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    let response = download(&app, &alice, &id, Some((IF_NONE_MATCH, &etag))).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert!(response.bytes().await.unwrap().is_empty());
    let response = download(
        &app,
        &alice,
        &id,
        Some((IF_NONE_MATCH, "\"something-else\"")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    // The signed link serves the same, with the same validator.
    let response = fetch(&app, &link(&attachment, "url")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, &ETAG), etag);
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
}
every_backend_and_store!(a_download_has_the_bytes_ranges_and_validators);

/// Raster images are shown inline; HTML, SVG and anything else is a download in
/// a sandbox, whatever it was declared as.
async fn only_raster_images_are_served_inline(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;

    let picture = upload(&app, &alice, "photo.png", &png(8, 8)).await;
    let response = fetch(&app, &link(&picture, "url")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, &CONTENT_TYPE), "image/png");
    let disposition = response
        .headers()
        .get(CONTENT_DISPOSITION)
        .map(|value| value.to_str().unwrap().to_owned());
    assert!(
        disposition
            .as_deref()
            .is_none_or(|d| d.starts_with("inline")),
        "{disposition:?}"
    );
    assert_eq!(
        header(&response, &"x-content-type-options".parse().unwrap()),
        "nosniff"
    );

    let html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    for (name, declared, bytes) in [
        ("page.html", "text/html", &html[..]),
        ("drawing.svg", "image/svg+xml", &svg[..]),
    ] {
        let body = Multipart::default().file(name, declared, bytes);
        let response = post_upload(&app, &alice.token, body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
        let attachment: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            attachment["thumbnail_url"],
            serde_json::Value::Null,
            "{name}"
        );
        for response in [
            fetch(&app, &link(&attachment, "url")).await,
            download(&app, &alice, &id(&attachment), None).await,
        ] {
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            assert!(
                header(&response, &CONTENT_DISPOSITION).starts_with("attachment"),
                "{name}: {:?}",
                response.headers()
            );
            assert!(
                header(&response, &CONTENT_SECURITY_POLICY).contains("sandbox"),
                "{name}"
            );
            assert_eq!(
                header(&response, &"x-content-type-options".parse().unwrap()),
                "nosniff"
            );
            assert_eq!(response.bytes().await.unwrap().as_ref(), bytes, "{name}");
        }
    }
}
both_backends!(only_raster_images_are_served_inline);

/// A file name with quotes, a semicolon, a backslash, a line break or non-ASCII
/// letters cannot break the header: it comes back as RFC 6266 `filename*`.
async fn hostile_file_names_are_encoded_for_the_header(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let hostile = "ré\"sumé\"; filename=evil.exe \\ 履歴.txt";
    let quoted = Multipart::default().file(hostile, "text/plain", b"plain text");
    let extended = Multipart::default().part(
        "form-data; name=\"file\"; filename*=UTF-8''two%0D%0Alines%22.txt",
        Some("text/plain"),
        b"plain text",
    );
    for (what, body) in [("quoted-string", quoted), ("filename*", extended)] {
        let response = post_upload(&app, &alice.token, body).await;
        let status = response.status();
        let attachment: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{what}: {attachment}");
        let name = attachment["name"].as_str().expect("a name").to_owned();
        if what == "quoted-string" {
            // As given, or cut to what follows a path separator.
            assert!(
                hostile.ends_with(&name) && name.ends_with("履歴.txt"),
                "{name}"
            );
        }
        let response = download(&app, &alice, &id(&attachment), None).await;
        assert_eq!(response.status(), StatusCode::OK, "{what}");
        let disposition = header(&response, &CONTENT_DISPOSITION).to_owned();
        assert!(
            disposition.starts_with("attachment"),
            "{what}: {disposition}"
        );
        let encoded = disposition
            .split("filename*=UTF-8''")
            .nth(1)
            .unwrap_or_else(|| panic!("{what}: no filename*: {disposition}"))
            .split(';')
            .next()
            .unwrap()
            .trim();
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"%!#$&+-.^_`|~".contains(&b)),
            "{what}: not an RFC 5987 value: {disposition}"
        );
        assert_eq!(percent_decode(encoded), name, "{what}: {disposition}");
        // A plain `filename=` fallback, if any, is one quoted ASCII string.
        if let Some(plain) = disposition.split("; filename=").nth(1) {
            let inner = plain
                .strip_prefix('"')
                .and_then(|rest| rest.split_once('"'))
                .map(|(inner, _)| inner)
                .unwrap_or_else(|| panic!("{what}: unquoted fallback: {disposition}"));
            assert!(
                inner
                    .bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'\\'),
                "{what}: {disposition}"
            );
        }
    }
}
both_backends!(hostile_file_names_are_encoded_for_the_header);

fn percent_decode(encoded: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = encoded.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' && tail.len() >= 2 {
            let hex = std::str::from_utf8(&tail[..2]).expect("hex");
            bytes.push(u8::from_str_radix(hex, 16).expect("a percent escape"));
            rest = &tail[2..];
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).expect("UTF-8")
}
