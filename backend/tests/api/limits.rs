//! Rate limits: sending, editing and deleting (WebSocket and REST share one
//! budget per user), room creation and membership changes per user, sockets per
//! user, and failed logins (per username and per address).

use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app, spawn_app_with, wait_until, Backend, PASSWORD};

async fn sending_too_fast_is_refused_until_the_budget_refills(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.send_rate = 1.0;
        config.send_burst = 3.0;
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;

    for n in 0..3 {
        alice_socket
            .send_json(json!({"recipient_id": bob.id, "content": format!("m{n}"), "client_id": format!("c-{n}")}))
            .await;
        let ack = alice_socket.next_json().await;
        assert_eq!(ack["type"], "ack", "message {n} is within the burst: {ack}");
    }
    // A resend of a stored message counts too: it gets rate_limited, not its ack.
    alice_socket
        .send_json(json!({"recipient_id": bob.id, "content": "m0", "client_id": "c-0"}))
        .await;
    let error = alice_socket.next_json().await;
    assert_eq!(error["code"], "rate_limited", "{error}");
    assert_eq!(error["client_id"], "c-0", "{error}");
    alice_socket
        .send_json(json!({"recipient_id": bob.id, "content": "m3", "client_id": "c-4"}))
        .await;
    let error = alice_socket.next_json().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["code"], "rate_limited", "{error}");
    assert_eq!(error["client_id"], "c-4", "{error}");
    let wait = error["retry_after_ms"].as_u64().expect("retry_after_ms");
    assert!(wait > 0 && wait <= 1000, "retry_after_ms {wait}");

    // REST draws on the same budget.
    let response = app
        .request(Method::POST, &format!("/messages/{}", bob.id), &alice.token)
        .json(&json!({"content": "over REST"}))
        .send()
        .await
        .unwrap();
    let retry_after = retry_after(&response);
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    let body = expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "REST",
    )
    .await;
    assert!(body["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0));

    // Nothing refused was stored.
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    let contents: Vec<&str> = page
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["m0", "m1", "m2"]);

    // Others have their own budget.
    let mut bob_socket = app.connect(&bob).await;
    bob_socket
        .send_json(json!({"recipient_id": alice.id, "content": "not limited"}))
        .await;
    assert_eq!(bob_socket.next_of("ack").await["type"], "ack");

    // After the wait, alice may send again; the retry keeps its client_id.
    tokio::time::sleep(Duration::from_millis(wait + 50)).await;
    alice_socket
        .send_json(json!({"recipient_id": bob.id, "content": "m3", "client_id": "c-4"}))
        .await;
    let ack = alice_socket.next_of("ack").await;
    assert_eq!(ack["client_id"], "c-4");
    assert_eq!(ack["duplicate"], false);
}
both_backends!(sending_too_fast_is_refused_until_the_budget_refills);

async fn the_rest_limit_answers_429_with_retry_after(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.send_rate = 1.0;
        config.send_burst = 3.0;
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let send = |n: usize| {
        app.request(Method::POST, &format!("/messages/{}", bob.id), &alice.token)
            .json(&json!({"content": format!("m{n}"), "client_id": format!("c-{n}")}))
            .send()
    };
    for n in 0..3 {
        assert_eq!(send(n).await.unwrap().status(), StatusCode::CREATED);
    }
    let response = send(3).await.unwrap();
    assert!(retry_after(&response) >= 1);
    let body = expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "4th",
    )
    .await;
    let wait = body["retry_after_ms"].as_u64().expect("retry_after_ms");
    assert!(wait > 0 && wait <= 1000, "{body}");

    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(page.len(), 3);
    // The socket shares the budget.
    let mut socket = app.connect(&alice).await;
    let error = socket.send_message(bob.id, "via socket").await;
    assert_eq!(error["code"], "rate_limited", "{error}");
}
both_backends!(the_rest_limit_answers_429_with_retry_after);

async fn repeated_failed_logins_are_locked_out_per_username(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signup("alice").await;
    app.signup("bob").await;

    for attempt in 1..=5 {
        let response = app.login("alice", "wrong password").await;
        expect_error(
            response,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            &format!("attempt {attempt}"),
        )
        .await;
    }
    // Now even the right password waits, in any letter case.
    for username in ["alice", "ALICE"] {
        let response = app.login(username, PASSWORD).await;
        assert!(retry_after(&response) >= 1);
        let body = expect_error(
            response,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            username,
        )
        .await;
        assert!(
            body["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0),
            "{body}"
        );
    }

    // Another username is unaffected, failing or not.
    let response = app.login("bob", "wrong password").await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "bob",
    )
    .await;
    let response = app.login("bob", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let session: Value = response.json().await.unwrap();
    assert!(session["access_token"].is_string());
}
both_backends!(repeated_failed_logins_are_locked_out_per_username);

/// Guessing across many usernames from one address is limited too.
async fn many_failed_logins_from_one_address_are_locked_out(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signup("alice").await;
    // Two failures each for ten names: no single username reaches its limit.
    for n in 0..10 {
        for _ in 0..2 {
            let response = app.login(&format!("user{n}"), "wrong password").await;
            expect_error(
                response,
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "guess",
            )
            .await;
        }
    }
    let response = app.login("alice", PASSWORD).await;
    assert!(retry_after(&response) >= 1);
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "this address",
    )
    .await;
}
both_backends!(many_failed_logins_from_one_address_are_locked_out);

/// A client that waits as long as `Retry-After` says is let in: the header is the
/// wait rounded up, never down.
async fn retry_after_is_never_shorter_than_the_wait(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signup("alice").await;
    for _ in 0..5 {
        let response = app.login("alice", "wrong password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = app.login("alice", PASSWORD).await;
    let header = retry_after(&response);
    let body = expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "locked",
    )
    .await;
    let wait_ms = body["retry_after_ms"].as_u64().expect("retry_after_ms");
    assert!(
        header * 1000 >= wait_ms,
        "Retry-After: {header} s, but the wait is {wait_ms} ms"
    );
}
both_backends!(retry_after_is_never_shorter_than_the_wait);

/// bcrypt runs on one blocking thread per core with a short queue; logins beyond it
/// are turned away at once with 503 and Retry-After instead of piling up.
async fn a_login_storm_beyond_the_bcrypt_queue_gets_503(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.bcrypt_cost = 10).await;
    app.signup("alice").await;

    let logins = (0..40).map(|_| app.login("alice", PASSWORD));
    let responses = futures_util::future::join_all(logins).await;
    let mut busy = 0;
    for response in responses {
        match response.status() {
            StatusCode::OK => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(retry_after(&response), 1);
                let body = expect_error(
                    response,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "server_busy",
                    "a login beyond the queue",
                )
                .await;
                assert_eq!(body["retry_after_ms"], 1000, "{body}");
            }
            status => panic!("a login in the storm got {status}"),
        }
    }
    // Two cores here: at most 2 running + 8 waiting are admitted.
    assert!(busy >= 30, "only {busy} of 40 logins were turned away");
    // The storm passes and logins work again.
    assert_eq!(app.login("alice", PASSWORD).await.status(), StatusCode::OK);
}

both_backends!(a_login_storm_beyond_the_bcrypt_queue_gets_503);

/// Usernames longer than any valid one are not looked up and do not count per
/// username (unique 60 KB names once filled the limiter's memory); they are invalid
/// credentials, limited per address.
async fn overlong_usernames_count_per_address_only(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signup("alice").await;
    let long = "a".repeat(33);
    // The longest valid name is looked up as usual, and fails as usual.
    let response = app.login(&"b".repeat(32), "wrong password").await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "32",
    )
    .await;
    for n in 0..19 {
        let name = format!("{n}{}", "x".repeat(60_000));
        let response = app.login(&name, PASSWORD).await;
        expect_error(
            response,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "long",
        )
        .await;
    }
    // 20 failures from this address: the address limit, not a username's, stops
    // the next attempt, whatever its name.
    let response = app.login(&long, PASSWORD).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "21st",
    )
    .await;
    let response = app.login("alice", PASSWORD).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "alice",
    )
    .await;
}
both_backends!(overlong_usernames_count_per_address_only);

/// Edits and deletes draw on the send budget.
async fn edits_and_deletes_share_the_send_budget(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.send_rate = 0.01;
        config.send_burst = 3.0;
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let message = app.send_over_rest(&alice, bob.id, "first").await;
    let path = format!("/messages/{}", message["id"]);
    let edit = app
        .request(Method::PATCH, &path, &alice.token)
        .json(&json!({"content": "second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), StatusCode::OK);
    let delete = app
        .request(Method::DELETE, &path, &alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::OK);
    // The budget of 3 is spent: a 4th change of any kind waits.
    let edit = app
        .request(Method::PATCH, &path, &alice.token)
        .json(&json!({"content": "third"}))
        .send()
        .await
        .unwrap();
    assert!(retry_after(&edit) >= 1);
    expect_error(edit, StatusCode::TOO_MANY_REQUESTS, "rate_limited", "edit").await;
    let delete = app
        .request(Method::DELETE, &path, &alice.token)
        .send()
        .await
        .unwrap();
    expect_error(
        delete,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "delete",
    )
    .await;
    let send = app
        .request(Method::POST, &format!("/messages/{}", bob.id), &alice.token)
        .json(&json!({"content": "more"}))
        .send()
        .await
        .unwrap();
    expect_error(send, StatusCode::TOO_MANY_REQUESTS, "rate_limited", "send").await;
    // Bob's budget is his own.
    let reply = app.send_over_rest(&bob, alice.id, "reply").await;
    assert_eq!(reply["content"], "reply");
}
both_backends!(edits_and_deletes_share_the_send_budget);

async fn room_creation_is_limited_per_user(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.room_rate = 0.01;
        config.room_burst = 2.0;
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let create = |user: &str, name: String| {
        app.request(Method::POST, "/rooms", user)
            .json(&json!({"name": name, "kind": "public"}))
            .send()
    };
    for n in 0..2 {
        let response = create(&alice.token, format!("room{n}")).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let response = create(&alice.token, "room2".into()).await.unwrap();
    assert!(retry_after(&response) >= 1);
    let body = expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "3rd",
    )
    .await;
    assert!(
        body["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0),
        "{body}"
    );
    let response = create(&bob.token, "bobs".into()).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // Nothing refused was stored.
    let rooms: Vec<Value> = app.get("/rooms", &bob.token).await.json().await.unwrap();
    let mut names: Vec<&str> = rooms.iter().map(|r| r["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["bobs", "room0", "room1"]);
}
both_backends!(room_creation_is_limited_per_user);

/// Joins, leaves, additions and removals share one budget per user.
async fn membership_changes_are_limited_per_user(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.membership_rate = 0.01;
        config.membership_burst = 3.0;
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let public = app.create_room(&alice, "lobby", "public").await;
    let group = app.create_room(&alice, "group", "private").await;
    let status = |response: Response| response.status();
    let join = |token: &str| {
        app.request(Method::POST, &format!("/rooms/{public}/join"), token)
            .send()
    };
    let leave = |token: &str| {
        app.request(Method::POST, &format!("/rooms/{public}/leave"), token)
            .send()
    };
    assert_eq!(status(join(&bob.token).await.unwrap()), StatusCode::OK);
    assert_eq!(
        status(leave(&bob.token).await.unwrap()),
        StatusCode::NO_CONTENT
    );
    assert_eq!(status(join(&bob.token).await.unwrap()), StatusCode::OK);
    let response = leave(&bob.token).await.unwrap();
    assert!(retry_after(&response) >= 1);
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "bob's 4th",
    )
    .await;
    // Bob is still in the room: the refused leave changed nothing.
    let room = app.listed_room(&bob, public).await.expect("listed");
    assert_eq!(room["joined"], true, "{room}");

    // The owner's additions and removals count against the owner.
    let add = |token: &str, who: i64| {
        app.request(Method::POST, &format!("/rooms/{group}/members"), token)
            .json(&json!({"user_id": who}))
            .send()
    };
    let remove = |token: &str, who: i64| {
        app.request(
            Method::DELETE,
            &format!("/rooms/{group}/members/{who}"),
            token,
        )
        .send()
    };
    assert_eq!(
        status(add(&alice.token, bob.id).await.unwrap()),
        StatusCode::CREATED
    );
    assert_eq!(
        status(add(&alice.token, carol.id).await.unwrap()),
        StatusCode::CREATED
    );
    assert_eq!(
        status(remove(&alice.token, carol.id).await.unwrap()),
        StatusCode::NO_CONTENT
    );
    let response = remove(&alice.token, bob.id).await.unwrap();
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "alice's 4th",
    )
    .await;
    // Carol's own budget is untouched.
    assert_eq!(status(join(&carol.token).await.unwrap()), StatusCode::OK);
}
both_backends!(membership_changes_are_limited_per_user);

/// Past MAX_SOCKETS_PER_USER the upgrade is refused before switching protocols;
/// a closed socket frees its place. The cap is in memory: one backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_per_user_are_capped() {
    let app = spawn_app_with(Backend::Sqlite, |config| config.max_sockets_per_user = 3).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(app.connect(&alice).await);
    }
    let refused = app
        .client
        .get(app.url(&format!("/ws?token={}", alice.token)))
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    expect_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_sockets",
        "4th",
    )
    .await;
    // The same for a second token of the same user: the cap is per user.
    let again = app.log_in("alice").await;
    assert_eq!(
        app.upgrade_status(&again.token).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Others are not affected.
    let _bob_socket = app.connect(&bob).await;
    // The sockets that are open still work.
    let ack = sockets[0].send_message(bob.id, "still here").await;
    assert_eq!(ack["type"], "ack", "{ack}");

    sockets.pop().expect("a socket").close().await;
    wait_until(
        Duration::from_secs(10),
        "a closed socket frees its place",
        || async { app.upgrade_status(&again.token).await == StatusCode::SWITCHING_PROTOCOLS },
    )
    .await;
}

/// Upgrades racing for the last places: never more than the cap get through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_upgrades_never_pass_the_cap() {
    let app = spawn_app_with(Backend::Sqlite, |config| config.max_sockets_per_user = 5).await;
    let alice = app.signup("alice").await;
    let attempts = (0..40).map(|_| app.try_connect(&alice.token));
    let results = futures_util::future::join_all(attempts).await;
    let mut open = Vec::new();
    for result in results {
        match result {
            Ok(socket) => open.push(socket),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status().as_u16(), 429);
            }
            Err(other) => panic!("unexpected websocket error: {other}"),
        }
    }
    assert_eq!(open.len(), 5, "sockets open at once");
}

/// The `Retry-After` header in whole seconds.
fn retry_after(response: &Response) -> u64 {
    response
        .headers()
        .get(RETRY_AFTER)
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds")
}
