//! `GET /users`: everyone else, by name, with a prefix search and who is online.

// Test code fails by panicking; the test bodies are plain `async fn`s run by
// `both_backends!`, so clippy's allow-*-in-tests does not reach them.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{
    expect_invalid, keys, spawn_app, spawn_app_with, wait_until, Backend, TestApp, TestUser,
};

/// How long a presence change may take to show.
const PRESENCE_WAIT: Duration = Duration::from_secs(5);

async fn users_lists_everyone_else_by_name(backend: Backend) {
    let app = spawn_app(backend).await;
    // Registered out of order, with capitals that a case-sensitive sort would put
    // first ("Carol" < "alice" in ASCII).
    let dave = app.signup("dave").await;
    let carol = app.signup("Carol").await;
    let alice = app.signup("alice").await;
    let erin = app.signup("Erin").await;
    let bob = app.signup("bob").await;

    let response = list(&app, &carol, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let users: Vec<Value> = response.json().await.unwrap();
    for user in &users {
        assert_eq!(
            keys(user),
            ["id", "last_seen", "online", "username"],
            "{user}"
        );
    }
    let listed: Vec<(i64, &str)> = users
        .iter()
        .map(|u| {
            (
                u["id"].as_i64().expect("id"),
                u["username"].as_str().expect("name"),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (alice.id, "alice"),
            (bob.id, "bob"),
            (dave.id, "dave"),
            (erin.id, "Erin"),
        ],
        "never the caller, sorted ignoring letter case"
    );

    assert_eq!(
        names(&app, &alice, None).await,
        ["bob", "Carol", "dave", "Erin"]
    );
}

/// PostgreSQL orders text by the database's collation, and the usual non-C ones
/// (en_US, the `postgres` Docker image's default; ICU) weigh punctuation differently
/// from SQLite. The list must come in one order whatever the database.
async fn the_order_does_not_depend_on_the_database_collation(backend: Backend) {
    let app = match backend {
        Backend::Sqlite => spawn_app(backend).await,
        Backend::Postgres => {
            let url = database_with_icu_collation("en-US").await;
            spawn_app_with(backend, |config| config.database_url = url).await
        }
    };
    let viewer = app.signup("viewer").await;
    let registered = ["abb", "a_c", "a-d", "Abc", "a.b", "a9z", "aaa"];
    for name in registered {
        app.signup(name).await;
    }

    let mut expected = registered.to_vec();
    expected.sort_by_key(|name| name.to_lowercase());
    assert_eq!(
        names(&app, &viewer, None).await,
        expected,
        "ordered by the lower-cased name's bytes, as on SQLite"
    );
}

async fn a_lone_user_sees_nobody(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    assert!(names(&app, &alice, None).await.is_empty());
}

async fn q_filters_by_prefix_in_any_letter_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let viewer = app.signup("viewer").await;
    for name in ["alice", "Alfred", "ALBERT", "bob", "malia", "xal"] {
        app.signup(name).await;
    }

    for q in ["al", "AL", "Al", "aL"] {
        assert_eq!(
            names(&app, &viewer, Some(q)).await,
            ["ALBERT", "Alfred", "alice"],
            "q={q}: only names starting with it"
        );
    }
    assert_eq!(names(&app, &viewer, Some("ALI")).await, ["alice"]);
    assert_eq!(names(&app, &viewer, Some("alice")).await, ["alice"]);
    assert!(names(&app, &viewer, Some("alicex")).await.is_empty());
    assert!(names(&app, &viewer, Some("lia")).await.is_empty());
    // An empty q is no filter.
    assert_eq!(names(&app, &viewer, Some("")).await.len(), 6);
}

async fn q_never_lists_the_caller(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    app.signup("albert").await;
    assert_eq!(names(&app, &alice, Some("al")).await, ["albert"]);
    assert!(names(&app, &alice, Some("alice")).await.is_empty());
}

/// `%` and `_` are LIKE wildcards in SQL; in `q` they are just characters.
async fn q_matches_like_wildcards_literally(backend: Backend) {
    let app = spawn_app(backend).await;
    let viewer = app.signup("viewer").await;
    for name in ["a_c", "abc", "axc", "_sam"] {
        app.signup(name).await;
    }

    assert_eq!(names(&app, &viewer, Some("a_")).await, ["a_c"]);
    assert_eq!(names(&app, &viewer, Some("_")).await, ["_sam"]);
    for q in ["%", "a%", "%c", "_%", "\\", "a\\_"] {
        assert!(
            names(&app, &viewer, Some(q)).await.is_empty(),
            "q={q} matches no username"
        );
    }
}

async fn q_is_at_most_32_characters(backend: Backend) {
    let app = spawn_app(backend).await;
    let viewer = app.signup("viewer").await;
    let longest = "x".repeat(32);
    app.signup(&longest).await;

    assert_eq!(
        names(&app, &viewer, Some(&longest)).await,
        [longest.as_str()]
    );

    let response = list(&app, &viewer, Some(&"x".repeat(33))).await;
    expect_invalid(response, "q", "").await;
}

async fn online_follows_the_users_sockets(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    assert!(!online(&app, &alice, &bob).await);
    assert!(!online(&app, &alice, &carol).await);

    // The socket is registered before the upgrade is answered.
    let first = app.connect(&bob).await;
    assert!(online(&app, &alice, &bob).await);
    assert!(!online(&app, &alice, &carol).await, "only bob is online");

    let second = app.connect(&bob).await;
    // The server unregisters a socket (and, for the last one, records the user
    // offline) before it answers the close: no wait is needed to see a wrong drop.
    first.close().await;
    assert!(
        online(&app, &alice, &bob).await,
        "online while any socket is open"
    );

    second.close().await;
    wait_for_online(&app, &alice, &bob, false).await;

    let again = app.connect(&bob).await;
    assert!(
        online(&app, &alice, &bob).await,
        "online again on reconnect"
    );
    again.close().await;
    wait_for_online(&app, &alice, &bob, false).await;
}

async fn users_needs_a_valid_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signup("alice").await;

    app.expect_auth_required(Method::GET, "/users", None).await;
}

both_backends!(
    users_lists_everyone_else_by_name,
    the_order_does_not_depend_on_the_database_collation,
    a_lone_user_sees_nobody,
    q_filters_by_prefix_in_any_letter_case,
    q_never_lists_the_caller,
    q_matches_like_wildcards_literally,
    q_is_at_most_32_characters,
    online_follows_the_users_sockets,
    users_needs_a_valid_token,
);

async fn list(app: &TestApp, viewer: &TestUser, q: Option<&str>) -> Response {
    let mut request = app.client.get(app.url("/users")).bearer_auth(&viewer.token);
    if let Some(q) = q {
        request = request.query(&[("q", q)]);
    }
    request.send().await.expect("request")
}

/// The usernames `viewer` is shown, in order.
async fn names(app: &TestApp, viewer: &TestUser, q: Option<&str>) -> Vec<String> {
    let response = list(app, viewer, q).await;
    assert_eq!(response.status(), StatusCode::OK, "q={q:?}");
    let users: Vec<Value> = response.json().await.expect("json");
    users
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_owned())
        .collect()
}

/// Whether `viewer` sees `user` online.
async fn online(app: &TestApp, viewer: &TestUser, user: &TestUser) -> bool {
    app.listed_user(viewer, user.id).await["online"]
        .as_bool()
        .expect("online is a boolean")
}

async fn wait_for_online(app: &TestApp, viewer: &TestUser, user: &TestUser, expected: bool) {
    let what = format!("user {} still shows online={}", user.id, !expected);
    wait_until(PRESENCE_WAIT, &what, || async {
        online(app, viewer, user).await == expected
    })
    .await;
}

/// A fresh, migrated-on-start PostgreSQL database whose default collation is the ICU
/// `locale` (PostgreSQL 15+ built with ICU).
async fn database_with_icu_collation(locale: &str) -> String {
    let plain = crate::postgres::fresh_database().await;
    let (server, plain_name) = plain.rsplit_once('/').expect("a database URL");
    let name = format!("{plain_name}_icu");
    let mut admin = AsyncPgConnection::establish(&format!("{server}/postgres"))
        .await
        .expect("connect to the test server");
    diesel::sql_query(format!(
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' \
         LOCALE_PROVIDER icu ICU_LOCALE '{locale}' LOCALE 'C'"
    ))
    .execute(&mut admin)
    .await
    .expect("create a database with an ICU collation");
    format!("{server}/{name}")
}
