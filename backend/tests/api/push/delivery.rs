//! Who gets pushed, once, with what: direct messages and mentions for users with
//! no socket open, coalesced, never from a muted chat; gone and failing endpoints.
//! To show that a push did not come, a later one that must come is awaited and
//! the pushes before it counted.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{answer_with, app_with_push, new_subscription, pushes, received, subscribe};
use crate::both_backends;
use crate::cluster::spawn_cluster_with;
use crate::helpers::{wait_until, Backend, TestApp, TestUser};

async fn send(app: &TestApp, from: &TestUser, to: &TestUser, content: &str) {
    app.send_over_rest(from, to.id, content).await;
}

/// Waits until `user` is offline everywhere (their last socket has closed).
async fn offline(app: &TestApp, viewer: &TestUser, user: &TestUser) {
    wait_until(Duration::from_secs(10), "offline", || async {
        app.listed_user(viewer, user.id).await["online"] == false
    })
    .await;
}

async fn a_direct_message_to_someone_away_is_pushed_once_and_decrypts(backend: Backend) {
    let app = app_with_push(backend, true).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let (phone, laptop) = (new_subscription().await, new_subscription().await);
    subscribe(&app, &bob, &phone).await;
    subscribe(&app, &bob, &laptop).await;

    send(&app, &alice, &bob, "lunch at noon?").await;
    for browser in [&phone, &laptop] {
        let got = pushes(browser, 1).await;
        assert_eq!(
            got[0],
            json!({"title": "alice", "body": "lunch at noon?", "chat": format!("user:{}", alice.id), "count": 1})
        );
    }
    // A burst is one push: the next window's five messages come as one.
    for n in 1..=5 {
        send(&app, &alice, &bob, &format!("burst {n}")).await;
    }
    let got = pushes(&phone, 2).await;
    assert_eq!(got[1]["count"], 5, "{got:?}");
    assert_eq!(got[1]["body"], "burst 5 (and 4 more)");
    // And nothing more: a later message is the third push.
    tokio::time::sleep(Duration::from_secs(3)).await;
    send(&app, &alice, &bob, "later").await;
    let got = pushes(&phone, 3).await;
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[2]["body"], "later");
}

async fn no_push_while_online_muted_or_not_mentioned(backend: Backend) {
    let app = app_with_push(backend, true).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let browser = new_subscription().await;
    subscribe(&app, &bob, &browser).await;
    let room = app.create_room(&alice, "general", "public").await;
    app.join_room(&bob, room).await;

    // Online: the socket shows it.
    let socket = app.connect(&bob).await;
    send(&app, &alice, &bob, "while online").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    socket.close().await;
    offline(&app, &alice, &bob).await;
    // Muted: carol's messages never push.
    let mute = format!("/conversations/{}/mute", carol.id);
    let response = app
        .call(
            &bob,
            Method::PUT,
            &mute,
            Some(json!({"until": "9999-12-31T23:59:59Z"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    send(&app, &carol, &bob, "muted").await;
    // A room message that does not mention bob, and one that does but is his own.
    let path = format!("/rooms/{room}/messages");
    app.call(
        &alice,
        Method::POST,
        &path,
        Some(json!({"content": "hello all"})),
    )
    .await;
    app.call(
        &bob,
        Method::POST,
        &path,
        Some(json!({"content": "@alice hi"})),
    )
    .await;
    // The sentinel: a mention of bob, which must push.
    app.call(
        &alice,
        Method::POST,
        &path,
        Some(json!({"content": "@bob look"})),
    )
    .await;
    let got = pushes(&browser, 1).await;
    assert_eq!(got.len(), 1, "only the mention: {got:?}");
    assert_eq!(got[0]["title"], "alice in general");
    assert_eq!(got[0]["chat"], format!("room:{room}"));
    assert_eq!(got[0]["body"], "@bob look");
}

async fn gone_subscriptions_are_forgotten_and_failures_retried_then_dropped(backend: Backend) {
    let app = app_with_push(backend, false).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let (gone, failing, working) = (
        new_subscription().await,
        new_subscription().await,
        new_subscription().await,
    );
    for browser in [&gone, &failing, &working] {
        subscribe(&app, &bob, browser).await;
    }
    answer_with(&gone, 410, 1).await;
    answer_with(&failing, 500, 10).await;
    send(&app, &alice, &bob, "secret plans").await;
    // Without previews, no text at all.
    let got = pushes(&working, 1).await;
    assert_eq!(got[0]["body"], "New message");
    wait_until(Duration::from_secs(20), "three tries", || async {
        received(&failing).await["attempts"] == 3
    })
    .await;
    // The next message: the gone one is not tried again, the failing one is.
    tokio::time::sleep(Duration::from_secs(3)).await;
    send(&app, &alice, &bob, "more").await;
    pushes(&working, 2).await;
    assert_eq!(received(&gone).await["attempts"], 1, "forgotten after 410");
    wait_until(
        Duration::from_secs(20),
        "the failing one tried again",
        || async { received(&failing).await["attempts"].as_i64().unwrap() > 3 },
    )
    .await;
}

both_backends!(
    a_direct_message_to_someone_away_is_pushed_once_and_decrypts,
    no_push_while_online_muted_or_not_mentioned,
    gone_subscriptions_are_forgotten_and_failures_retried_then_dropped,
);

/// Three nodes: a message through any of them is pushed once, not once per node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_nodes_push_each_message_once() {
    super::service();
    let cluster = spawn_cluster_with(3, |config| {
        config.push_endpoint_allowlist = vec!["127.0.0.1".into()];
        config.push_allow_http = true;
    })
    .await;
    let alice = cluster.signup("alice", 0).await;
    let bob = cluster.signup("bob", 1).await;
    let browser = new_subscription().await;
    subscribe(cluster.node(2), &bob, &browser).await;
    send(cluster.node(1), &alice, &bob, "one").await;
    assert_eq!(pushes(&browser, 1).await[0]["body"], "one");
    tokio::time::sleep(Duration::from_secs(3)).await;
    send(cluster.node(2), &alice, &bob, "two").await;
    let got = pushes(&browser, 2).await;
    assert_eq!(got.len(), 2, "once each: {got:?}");
    assert_eq!(got[1]["body"], "two");
}
