//! The limits on uploads: the size of one file (known from `Content-Length` or
//! counted while streaming), each user's storage quota, and the send rate.

use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{id, noise, post_upload, send_frame, send_rest, spawn, upload, Multipart, Store};
use crate::helpers::{expect_error, Backend, TestApp, TestUser};
use crate::{both_backends, every_backend_and_store};

const MAX: u64 = 4096;

/// An answer read off a raw connection: its status and body.
struct RawAnswer {
    status: u16,
    body: String,
}

/// Sends `head` and then `body` on a connection of its own (stopping quietly if
/// the server closes it), and reads the answer.
async fn raw_request(app: &TestApp, head: String, body: &[u8]) -> RawAnswer {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connect");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    for chunk in body.chunks(1024) {
        if stream.write_all(chunk).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
            if complete(&answer) {
                break;
            }
        }
    })
    .await;
    assert!(
        read.is_ok() || complete(&answer),
        "no answer within 10 s: {}",
        String::from_utf8_lossy(&answer)
    );
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text}"));
    RawAnswer {
        status,
        body: body.to_owned(),
    }
}

/// Whether `answer` holds a whole response with a `Content-Length` body.
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .is_some_and(|length| body.len() >= length)
}

fn upload_head(user: &TestUser, length: Option<u64>) -> String {
    let length = match length {
        Some(length) => format!("Content-Length: {length}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".into(),
    };
    format!(
        "POST /attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: {}\r\n{length}\r\n",
        user.token,
        Multipart::content_type()
    )
}

fn assert_too_large(answer: &RawAnswer, what: &str) {
    assert_eq!(answer.status, 413, "{what}: {}", answer.body);
    let body: serde_json::Value = serde_json::from_str(&answer.body)
        .unwrap_or_else(|_| panic!("{what}: a JSON error: {}", answer.body));
    assert_eq!(body["error"], "attachment_too_large", "{what}: {body}");
}

async fn a_file_over_the_size_limit_is_refused_and_not_kept(backend: Backend, store: Store) {
    let app = spawn(backend, store, |config| config.attachment_max_bytes = MAX).await;
    let alice = app.signup("alice").await;

    upload(&app, &alice, "fits.bin", &noise(MAX as usize / 2)).await;
    let kept = app.store.keys().await;
    let too_large = Multipart::default().file(
        "big.bin",
        "application/octet-stream",
        &noise(4 * MAX as usize),
    );
    let response = post_upload(&app, &alice.token, too_large).await;
    expect_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "attachment_too_large",
        "with a length",
    )
    .await;

    // Sent in chunks, without a length: counted while it streams.
    let body = Multipart::default()
        .file(
            "big.bin",
            "application/octet-stream",
            &noise(4 * MAX as usize),
        )
        .finish();
    let mut chunked = Vec::new();
    for chunk in body.chunks(1000) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_request(&app, upload_head(&alice, None), &chunked).await;
    assert_too_large(&answer, "chunked");

    assert_eq!(
        app.store.keys().await,
        kept,
        "nothing of the refused files is kept"
    );
}
every_backend_and_store!(a_file_over_the_size_limit_is_refused_and_not_kept);

/// A declared length over the limit is answered at once: the test sends the
/// head and 1 KiB of a body declared as 100 MiB, and reads the 413.
async fn a_declared_length_over_the_limit_is_refused_before_the_body(backend: Backend) {
    let app = spawn(backend, Store::Local, |config| {
        config.attachment_max_bytes = MAX
    })
    .await;
    let alice = app.signup("alice").await;
    let start = Multipart::default()
        .file("huge.bin", "application/octet-stream", &noise(1024))
        .finish();
    let answer = raw_request(&app, upload_head(&alice, Some(100 << 20)), &start[..1024]).await;
    assert_too_large(&answer, "declared 100 MiB");
}
both_backends!(a_declared_length_over_the_limit_is_refused_before_the_body);

async fn each_user_has_a_storage_quota(backend: Backend) {
    let app = spawn(backend, Store::Local, |config| {
        config.attachment_quota_bytes = 3000
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;

    let first = upload(&app, &alice, "first.bin", &noise(2000)).await;
    let body = Multipart::default().file("second.bin", "application/octet-stream", &noise(2000));
    let response = post_upload(&app, &alice.token, body).await;
    expect_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "quota_exceeded",
        "over the quota",
    )
    .await;
    upload(&app, &bob, "bobs.bin", &noise(2000)).await;
    upload(&app, &alice, "small.bin", &noise(500)).await;

    // Deleting the message that carries a file frees its space.
    let path = format!("/messages/{}", bob.id);
    let response = send_rest(&app, &alice, &path, "", &[id(&first)], "q-1").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let message: serde_json::Value = response.json().await.unwrap();
    let response = app
        .call(
            &alice,
            Method::DELETE,
            &format!("/messages/{}", message["id"]),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    upload(&app, &alice, "second.bin", &noise(2000)).await;
}
both_backends!(each_user_has_a_storage_quota);

async fn uploads_count_against_the_send_rate(backend: Backend) {
    let app = spawn(backend, Store::Local, |config| {
        // One upload back every 100 s: the fourth comes long before.
        config.send_rate = 0.01;
        config.send_burst = 3.0;
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    for n in 0..3 {
        upload(&app, &alice, &format!("f{n}.bin"), &noise(10)).await;
    }
    let body = Multipart::default().file("f3.bin", "application/octet-stream", &noise(10));
    let response = post_upload(&app, &alice.token, body).await;
    assert!(
        response.headers().contains_key(RETRY_AFTER),
        "{:?}",
        response.headers()
    );
    let error = expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "upload 4",
    )
    .await;
    assert!(
        error["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0),
        "{error}"
    );

    // One allowance: a message is refused now too.
    let mut socket = app.connect(&alice).await;
    let error = send_frame(
        &mut socket,
        json!({"recipient_id": bob.id}),
        "hi",
        &[],
        "m-1",
    )
    .await;
    assert_eq!(error["code"], "rate_limited", "{error}");
}
both_backends!(uploads_count_against_the_send_rate);
