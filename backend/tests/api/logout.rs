//! `POST /logout` and token expiry: an ended token stops working on REST and the
//! WebSocket, and its open sockets are closed with 4401.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app, spawn_app_with, Backend, Socket, TestApp};

/// The close code for a revoked or expired token.
const TOKEN_ENDED: u16 = 4401;
const CLOSE_WAIT: Duration = Duration::from_secs(5);

async fn logout_ends_the_token_and_its_sockets_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    // The same user on a second device, with its own token.
    let laptop = app.log_in("alice").await;
    let mut phone_one = app.connect(&alice).await;
    let mut phone_two = app.connect(&alice).await;
    let mut laptop_socket = app.connect(&laptop).await;

    let response = logout(&app, &alice.token).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());

    for socket in [&mut phone_one, &mut phone_two] {
        assert_eq!(close(socket).await, (TOKEN_ENDED, "token revoked".into()));
    }
    let response = app.get("/me", &alice.token).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", "/me").await;
    let response = app.get("/users", &alice.token).await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "/users",
    )
    .await;
    assert_eq!(
        app.upgrade_status(&alice.token).await,
        StatusCode::UNAUTHORIZED
    );
    // Logging out twice is logging out with a dead token.
    let response = logout(&app, &alice.token).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", "again").await;

    // The laptop's token and socket are untouched.
    assert_eq!(app.get("/me", &laptop.token).await.status(), StatusCode::OK);
    let ack = laptop_socket.send_message(bob.id, "still here").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(
        app.upgrade_status(&laptop.token).await,
        StatusCode::SWITCHING_PROTOCOLS
    );
    // And alice can log in again.
    let again = app.log_in("alice").await;
    assert_eq!(app.get("/me", &again.token).await.status(), StatusCode::OK);
}
both_backends!(logout_ends_the_token_and_its_sockets_only);

async fn logout_needs_a_valid_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signup("alice").await;
    app.expect_auth_required(Method::POST, "/logout", None)
        .await;
}
both_backends!(logout_needs_a_valid_token);

async fn a_revoked_token_stays_revoked_after_a_restart(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let laptop = app.log_in("alice").await;
    assert_eq!(
        logout(&app, &alice.token).await.status(),
        StatusCode::NO_CONTENT
    );

    let restarted = app.start_again().await;
    let response = restarted.get("/me", &alice.token).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", "/me").await;
    assert_eq!(
        restarted.upgrade_status(&alice.token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        restarted.get("/me", &laptop.token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        restarted.upgrade_status(&laptop.token).await,
        StatusCode::SWITCHING_PROTOCOLS
    );
}
both_backends!(a_revoked_token_stays_revoked_after_a_restart);

/// A socket being opened while its token is logged out ends up closed too: the
/// upgrade is either refused or the socket gets 4401.
async fn logout_racing_a_connect_leaves_no_socket_open(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signup("alice").await;
    let bob = app.signup("bob").await;
    for round in 0..30 {
        let device = app.log_in("alice").await;
        let (socket, logged_out) =
            tokio::join!(app.try_connect(&device.token), logout(&app, &device.token));
        assert_eq!(logged_out.status(), StatusCode::NO_CONTENT);
        match socket {
            Ok(mut socket) => {
                let closed = tokio::time::timeout(
                    CLOSE_WAIT,
                    socket.next_close(CLOSE_WAIT + Duration::from_secs(1)),
                )
                .await;
                if let Ok(close) = closed {
                    assert_eq!(close.map(|c| u16::from(c.code)), Some(TOKEN_ENDED));
                    continue;
                }
                let ack = socket.send_message(bob.id, "after logout").await;
                panic!(
                    "round {round}: the socket of a logged-out token is still open \
                     {CLOSE_WAIT:?} later, and sending on it gets {ack}"
                );
            }
            Err(WsError::Http(response)) => assert_eq!(response.status().as_u16(), 401),
            Err(other) => panic!("unexpected websocket error: {other}"),
        }
    }
}
both_backends!(logout_racing_a_connect_leaves_no_socket_open);

async fn an_expired_token_closes_its_socket(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.jwt_ttl = Duration::from_secs(2)).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let issued = Instant::now();
    let mut socket = app.connect(&alice).await;
    // Still open and working before expiry.
    assert_eq!(socket.send_message(bob.id, "quick").await["type"], "ack");

    assert_eq!(
        close(&mut socket).await,
        (TOKEN_ENDED, "token expired".into())
    );
    let lived = issued.elapsed();
    assert!(
        lived < Duration::from_secs(4),
        "closed {lived:?} after login"
    );
}
both_backends!(an_expired_token_closes_its_socket);

/// Once the server has closed a socket because its token expired, the token is
/// expired everywhere: REST and a new upgrade refuse it too.
async fn an_expired_token_is_refused_once_its_socket_closed(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.jwt_ttl = Duration::from_secs(2)).await;
    let alice = app.signup("alice").await;
    let mut socket = app.connect(&alice).await;
    assert_eq!(
        close(&mut socket).await,
        (TOKEN_ENDED, "token expired".into())
    );

    let response = app.get("/me", &alice.token).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", "/me").await;
    assert_eq!(
        app.upgrade_status(&alice.token).await,
        StatusCode::UNAUTHORIZED
    );
}
both_backends!(an_expired_token_is_refused_once_its_socket_closed);

async fn logout(app: &TestApp, token: &str) -> reqwest::Response {
    app.request(Method::POST, "/logout", token)
        .send()
        .await
        .unwrap()
}

/// The close code and reason the server ends `socket` with.
async fn close(socket: &mut Socket) -> (u16, String) {
    let frame = socket
        .next_close(CLOSE_WAIT)
        .await
        .expect("a close frame with a code");
    (u16::from(frame.code), frame.reason.to_string())
}
