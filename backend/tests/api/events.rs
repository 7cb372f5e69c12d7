//! `GET /events?after=&limit=`: the caller's stream over REST, page by page.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, expect_invalid, spawn_app, Backend, TestApp, TestUser};

async fn pages_through_the_callers_stream_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    // Bob and carol talk too, in between: none of it is alice's.
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            app.send_over_rest(&alice, bob.id, &format!("a{n}")).await["id"]
                .as_i64()
                .unwrap(),
        );
        app.send_over_rest(&bob, carol.id, &format!("private {n}"))
            .await;
        ids.push(
            app.send_over_rest(&bob, alice.id, &format!("b{n}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    app.send_over_rest(&carol, bob.id, "also private").await;
    let edit = app
        .request(
            Method::PATCH,
            &format!("/messages/{}", ids[0]),
            &alice.token,
        )
        .json(&json!({"content": "a0, edited"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), StatusCode::OK);

    let all = events(&app, &alice, "").await;
    assert_eq!(all["has_more"], false);
    let all = all["events"].as_array().unwrap().clone();
    assert_eq!(all.len(), 7, "six messages and an edit: {all:?}");
    let messages: Vec<&Value> = all.iter().filter(|e| e["type"] == "message").collect();
    let stream_ids: Vec<i64> = messages.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(stream_ids, ids);
    assert_eq!(all[6]["type"], "edited");
    assert_eq!(all[6]["message_id"], ids[0]);
    for event in &all {
        assert!(
            [event["sender_id"].clone(), event["recipient_id"].clone()].contains(&json!(alice.id)),
            "not alice's: {event}"
        );
        assert!(!event.to_string().contains("private"), "{event}");
    }

    // Pages of two follow each other without gaps or repeats.
    let mut after = 0;
    let mut paged = Vec::new();
    loop {
        let page = events(&app, &alice, &format!("after={after}&limit=2")).await;
        let rows = page["events"].as_array().unwrap();
        assert!(rows.len() <= 2);
        paged.extend(rows.iter().cloned());
        if let Some(last) = rows.last() {
            assert_eq!(page["cursor"], last["cursor"], "{page}");
        } else {
            assert_eq!(page["cursor"], after, "an empty page keeps the cursor");
        }
        after = page["cursor"].as_i64().unwrap();
        if page["has_more"] == false {
            break;
        }
        assert_eq!(rows.len(), 2, "a page with more after it is full");
        assert!(paged.len() <= all.len(), "paging does not end");
    }
    assert_eq!(paged, all);

    // Past the end: nothing, and the cursor stays put.
    let end = all[6]["cursor"].as_i64().unwrap();
    let page = events(&app, &alice, &format!("after={end}")).await;
    assert_eq!(
        page,
        json!({"events": [], "cursor": end, "has_more": false})
    );

    // Carol's stream has none of alice's conversation.
    let carols = events(&app, &carol, "limit=500").await;
    let carols = carols["events"].as_array().unwrap();
    assert_eq!(carols.len(), 4);
    assert!(carols
        .iter()
        .all(|e| e["sender_id"] != alice.id && e["recipient_id"] != alice.id));
}
both_backends!(pages_through_the_callers_stream_only);

/// `has_more` says whether anything follows: a page that happens to end exactly at
/// the end of the stream has nothing more.
async fn has_more_is_false_on_the_last_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    for n in 0..4 {
        app.send_over_rest(&alice, bob.id, &format!("m{n}")).await;
    }
    let first = events(&app, &bob, "limit=2").await;
    assert_eq!(first["has_more"], true);
    let cursor = first["cursor"].as_i64().unwrap();
    let last = events(&app, &bob, &format!("after={cursor}&limit=2")).await;
    assert_eq!(last["events"].as_array().unwrap().len(), 2);
    assert_eq!(last["has_more"], false, "nothing follows: {last}");
    let whole = events(&app, &bob, "limit=4").await;
    assert_eq!(whole["has_more"], false, "nothing follows: {whole}");
}
both_backends!(has_more_is_false_on_the_last_page);

async fn the_default_page_is_100_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut socket = app.connect(&alice).await;
    for n in 0..101 {
        socket
            .send_json(json!({"recipient_id": bob.id, "content": format!("m{n}")}))
            .await;
    }
    let mut last = 0;
    for _ in 0..101 {
        last = socket.next_of("ack").await["message_id"].as_i64().unwrap();
    }
    let page = events(&app, &bob, "").await;
    let rows = page["events"].as_array().unwrap();
    assert_eq!(rows.len(), 100);
    assert_eq!(page["has_more"], true);
    assert_eq!(rows[0]["content"], "m0");
    let rest = events(&app, &bob, &format!("after={}", page["cursor"])).await;
    assert_eq!(rest["events"].as_array().unwrap().len(), 1);
    assert_eq!(rest["events"][0]["content"], "m100");
    assert_eq!(rest["cursor"], last);
    assert_eq!(rest["has_more"], false);
}
both_backends!(the_default_page_is_100_events);

async fn events_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;

    let response = app.get("/events?after=-1", &alice.token).await;
    expect_invalid(response, "after", "after=-1").await;
    for limit in ["0", "501", "-5"] {
        let response = app
            .get(&format!("/events?limit={limit}"), &alice.token)
            .await;
        expect_invalid(response, "limit", limit).await;
    }
    for query in ["after=abc", "limit=ten", "after=1.5"] {
        let response = app.get(&format!("/events?{query}"), &alice.token).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_query", query).await;
    }
    for query in ["limit=1", "limit=500", "after=0", "after=123456"] {
        let response = app.get(&format!("/events?{query}"), &alice.token).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
    }

    app.expect_auth_required(Method::GET, "/events", None).await;
}
both_backends!(events_are_validated);

async fn events(app: &TestApp, user: &TestUser, query: &str) -> Value {
    let response = app.get(&format!("/events?{query}"), &user.token).await;
    assert_eq!(response.status(), StatusCode::OK, "?{query}");
    response.json().await.unwrap()
}
