//! Registration, login, request-body rejections, `GET /me` and the access token.

// Test code fails by panicking; the test bodies are plain `async fn`s run by
// `both_backends!`, so clippy's allow-*-in-tests does not reach them.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use parley::Application;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{
    expect_error, expect_invalid, keys, spawn_app, spawn_app_with, Backend, TestApp, JWT_SECRET,
    PASSWORD,
};

/// The server's request body limit.
const MAX_BODY_BYTES: usize = 64 * 1024;

async fn register_returns_the_new_user(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.register("Alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let alice: Value = response.json().await.unwrap();
    // Exactly these fields: no password hash, no timestamps.
    assert_eq!(keys(&alice), ["id", "username"]);
    assert_eq!(alice["username"], "Alice", "the letter case is kept");
    let alice_id = alice["id"].as_i64().expect("numeric id");
    assert!(alice_id > 0);

    let bob: Value = app.register("bob", PASSWORD).await.json().await.unwrap();
    assert_ne!(bob["id"].as_i64().expect("numeric id"), alice_id);
}

async fn a_username_is_taken_in_any_letter_case(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.register("Alice", PASSWORD).await.status(),
        StatusCode::CREATED
    );

    for taken in ["Alice", "alice", "ALICE", "aLiCe"] {
        let response = app.register(taken, "another password").await;
        expect_error(response, StatusCode::CONFLICT, "username_taken", taken).await;
    }
    // The refused registrations did not replace the first one's password.
    let response = app.login("alice", "another password").await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "the refused password",
    )
    .await;
    assert_eq!(app.login("Alice", PASSWORD).await.status(), StatusCode::OK);
}

async fn usernames_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let too_long = "x".repeat(33);
    for bad in [
        "",
        "ab",
        too_long.as_str(),
        "has space",
        " alice",
        "émile",
        "a/b",
        "<b>x</b>",
        "bob@home",
        "ééé",
    ] {
        let response = app.register(bad, PASSWORD).await;
        expect_invalid(response, "username", bad).await;
    }

    let longest = "y".repeat(32);
    for good in ["abc", longest.as_str(), "a.b-c_D9"] {
        let response = app.register(good, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{good}");
    }
}

/// bcrypt reads at most 72 bytes, so the limits are in bytes, not characters.
async fn passwords_are_8_to_72_bytes(backend: Backend) {
    let app = spawn_app(backend).await;
    let seven_bytes = "ééé1"; // 4 characters
    let seventy_three_bytes = format!("{}x", "é".repeat(36)); // 37 characters
    for (bad, what) in [
        ("", "empty"),
        ("1234567", "7 ASCII bytes"),
        (seven_bytes, "7 bytes"),
        (seventy_three_bytes.as_str(), "73 bytes"),
    ] {
        let response = app.register("alice", bad).await;
        expect_invalid(response, "password", what).await;
    }

    let eight_bytes = "éééé"; // 4 characters
    let seventy_two_bytes = "é".repeat(36);
    for (i, good) in ["12345678", eight_bytes, seventy_two_bytes.as_str()]
        .into_iter()
        .enumerate()
    {
        let name = format!("user{i}");
        let response = app.register(&name, good).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{good:?}");
        let response = app.login(&name, good).await;
        assert_eq!(response.status(), StatusCode::OK, "log in with {good:?}");
    }
}

/// A 72-byte password is used whole, and nothing longer is cut down to match it.
async fn a_72_byte_password_must_be_given_exactly(backend: Backend) {
    let app = spawn_app(backend).await;
    let password = format!("{}b", "a".repeat(71));
    assert_eq!(password.len(), 72);
    assert_eq!(
        app.register("alice", &password).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(app.login("alice", &password).await.status(), StatusCode::OK);

    let last_byte_differs = format!("{}c", "a".repeat(71));
    let one_byte_more = format!("{password}!");
    let much_longer = format!("{password}{}", "z".repeat(100));
    for (wrong, what) in [
        (last_byte_differs.as_str(), "the 72nd byte differs"),
        (
            one_byte_more.as_str(),
            "73 bytes starting with the password",
        ),
        (much_longer.as_str(), "172 bytes starting with the password"),
    ] {
        let response = app.login("alice", wrong).await;
        expect_error(
            response,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            what,
        )
        .await;
    }
}

async fn login_returns_a_bearer_token_for_the_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered: Value = app.register("alice", PASSWORD).await.json().await.unwrap();

    let response = app.login("alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let session: Value = response.json().await.unwrap();
    assert_eq!(
        keys(&session),
        ["access_token", "expires_in", "token_type", "user"]
    );
    assert_eq!(session["token_type"], "bearer");
    assert_eq!(session["expires_in"], 3600, "the tests' JWT_TTL");
    assert_eq!(keys(&session["user"]), ["id", "username"]);
    assert_eq!(session["user"], registered);

    // An HS256 token over the configured secret, for that user, living as long as
    // `expires_in` says.
    let token = session["access_token"].as_str().expect("token");
    let claims = decode(token, JWT_SECRET);
    assert_eq!(claims["sub"], registered["id"].to_string());
    let iat = claims["iat"].as_u64().expect("iat");
    let exp = claims["exp"].as_u64().expect("exp");
    assert_eq!(exp - iat, 3600);
    assert!(iat.abs_diff(now()) < 60, "iat is now");

    let me = app.get("/me", token).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.json::<Value>().await.unwrap(), registered);
}

async fn login_ignores_the_letter_case_of_the_username(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered: Value = app.register("Alice", PASSWORD).await.json().await.unwrap();

    for spelling in ["Alice", "alice", "ALICE"] {
        let response = app.login(spelling, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "{spelling}");
        let session: Value = response.json().await.unwrap();
        assert_eq!(
            session["user"], registered,
            "the stored spelling comes back"
        );
    }
}

/// Telling the two apart would reveal which usernames exist.
async fn wrong_password_and_unknown_user_get_the_same_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signup("alice").await;

    let wrong_password = app.login("alice", "not the password").await;
    let wrong_password = expect_error(
        wrong_password,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong password",
    )
    .await;
    let unknown_user = app.login("mallory", PASSWORD).await;
    let unknown_user = expect_error(
        unknown_user,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "unknown user",
    )
    .await;
    assert_eq!(wrong_password, unknown_user);
}

async fn malformed_json_is_a_400(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/register", "/login"] {
        for body in ["{", r#"{"username": "alice""#, "not json", "", "{'a': 1}"] {
            let response = post_raw(&app, path, Some("application/json"), body).await;
            let what = format!("{path} {body:?}");
            expect_error(response, StatusCode::BAD_REQUEST, "malformed_json", &what).await;
        }
    }
}

async fn json_of_the_wrong_shape_is_a_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let bodies = [
        json!({"username": "alice"}),
        json!({"password": PASSWORD}),
        json!({}),
        json!({"username": 5, "password": PASSWORD}),
        json!({"username": "alice", "password": null}),
        json!({"username": ["alice"], "password": PASSWORD}),
        json!(null),
        json!("alice"),
        json!([]),
    ];
    for path in ["/register", "/login"] {
        for body in &bodies {
            let response = app.post_json(path, body).await;
            let what = format!("{path} {body}");
            expect_error(response, StatusCode::BAD_REQUEST, "invalid_body", &what).await;
        }
    }
}

async fn a_body_must_be_sent_as_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"username": "alice", "password": PASSWORD}).to_string();
    for path in ["/register", "/login"] {
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            None,
        ] {
            let response = post_raw(&app, path, content_type, &body).await;
            let what = format!("{path} with {content_type:?}");
            expect_error(
                response,
                StatusCode::BAD_REQUEST,
                "unsupported_content_type",
                &what,
            )
            .await;
        }
    }

    let response = post_raw(
        &app,
        "/register",
        Some("application/json; charset=utf-8"),
        &body,
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED, "a charset is fine");
}

async fn a_body_over_64_kib_is_refused_unread(backend: Backend) {
    let app = spawn_app(backend).await;

    // Exactly at the limit the body is read, and then its password is too long.
    let response = post_raw(
        &app,
        "/register",
        Some("application/json"),
        &registration_of_size(MAX_BODY_BYTES),
    )
    .await;
    expect_invalid(response, "password", "a body of exactly 64 KiB").await;

    for path in ["/register", "/login"] {
        let response = post_raw(
            &app,
            path,
            Some("application/json"),
            &registration_of_size(MAX_BODY_BYTES + 1),
        )
        .await;
        expect_error(
            response,
            StatusCode::BAD_REQUEST,
            "payload_too_large",
            &format!("{path}: 64 KiB + 1"),
        )
        .await;
    }
}

async fn me_returns_the_caller(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("Alice").await;
    app.signup("bob").await;

    let response = app.get("/me", &alice.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me, json!({"id": alice.id, "username": "Alice"}));

    // The scheme's letter case does not matter (RFC 9110).
    let response = me_with(&app, Some(&format!("bearer {}", alice.token))).await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn me_needs_a_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = me_with(&app, None).await;
    let challenge = response.headers().get("www-authenticate").cloned();
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "missing_token",
        "no Authorization",
    )
    .await;
    assert_eq!(challenge.expect("a WWW-Authenticate header"), "Bearer");
}

async fn me_refuses_a_malformed_authorization(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let basic_with_token = format!("Basic {}", alice.token);
    let no_scheme = alice.token.clone();
    for header in [
        "Bearer garbage",
        "Bearer ",
        "Bearer a.b.c",
        "Basic YWxpY2U6cGFzc3dvcmQ=",
        basic_with_token.as_str(),
        no_scheme.as_str(),
    ] {
        let response = me_with(&app, Some(header)).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", header).await;
    }
}

/// A token crafted here with the server's secret works, so each refusal below is
/// down to the one thing that differs.
async fn me_refuses_forged_and_expired_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let aud = audience(&alice.token);
    let key = claim(&alice.token, "key");
    let bob = app.signup("bob").await;
    let sub = alice.id.to_string();
    let now = now();

    let genuine = sign(
        JWT_SECRET,
        &json!({"aud": aud, "jti": "test-token", "key": key, "sub": sub, "iat": now, "exp": now + 600}),
    );
    let response = app.get("/me", &genuine).await;
    assert_eq!(response.status(), StatusCode::OK, "the control token");

    let other_secret = "another secret, also long enough for HS256";
    let forged = [
        (
            sign(
                other_secret,
                &json!({"aud": aud, "jti": "test-token", "key": key, "sub": sub, "iat": now, "exp": now + 600}),
            ),
            "signed with another secret",
        ),
        (
            // Well past the server's 5 s leeway.
            sign(
                JWT_SECRET,
                &json!({"aud": aud, "jti": "test-token", "key": key, "sub": sub, "iat": now - 7200, "exp": now - 3600}),
            ),
            "expired",
        ),
        (
            sign(
                JWT_SECRET,
                &json!({"aud": aud, "jti": "test-token", "key": key, "sub": sub, "iat": now}),
            ),
            "without exp",
        ),
        (
            sign(
                JWT_SECRET,
                &json!({"aud": aud, "jti": "test-token", "sub": sub, "iat": now, "exp": now + 600}),
            ),
            "without the user's token key",
        ),
        (
            sign(
                JWT_SECRET,
                &json!({"aud": aud, "jti": "test-token", "key": "0123", "sub": sub, "iat": now, "exp": now + 600}),
            ),
            "with another token key",
        ),
        (
            sign(
                JWT_SECRET,
                &json!({"aud": aud, "jti": "test-token", "key": key, "sub": "alice", "iat": now, "exp": now + 600}),
            ),
            "a non-numeric subject",
        ),
        (
            sign_with(
                Algorithm::HS512,
                JWT_SECRET,
                &json!({"aud": aud, "jti": "test-token", "key": key, "sub": sub, "iat": now, "exp": now + 600}),
            ),
            "HS512 instead of HS256",
        ),
        (
            // Bob's claims under the signature of Alice's genuine token.
            with_signature_of(
                &sign(
                    other_secret,
                    &json!({"aud": aud, "jti": "test-token", "key": key, "sub": bob.id.to_string(), "iat": now, "exp": now + 600}),
                ),
                &genuine,
            ),
            "claims changed after signing",
        ),
    ];
    for (token, what) in forged {
        let response = app.get("/me", &token).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", what).await;
    }
}

/// A database reset with a fixed JWT_SECRET: the new database's users reuse the old
/// ids, but the old tokens do not pass for them.
async fn a_token_only_works_on_the_database_that_issued_it(backend: Backend) {
    let old = spawn_app(backend).await;
    let old_alice = old.signup("alice").await;
    let new = spawn_app(backend).await;
    let mallory = new.signup("mallory").await;
    assert_eq!(mallory.id, old_alice.id);
    let response = new.get("/me", &old_alice.token).await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "a token from another database",
    )
    .await;
    let url = format!("ws://127.0.0.1:{}/ws?token={}", new.port, old_alice.token);
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
}

/// A valid signature for a user that is not (or no longer) in the database.
async fn me_refuses_a_token_for_a_missing_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let aud = audience(&alice.token);
    let key = claim(&alice.token, "key");
    let now = now();
    let token = sign(
        JWT_SECRET,
        &json!({"aud": aud, "jti": "test-token", "key": key, "sub": (alice.id + 1000).to_string(), "iat": now, "exp": now + 600}),
    );
    let response = app.get("/me", &token).await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "unknown user id",
    )
    .await;
}

async fn a_generated_jwt_secret_survives_a_restart(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.jwt_secret = None).await;
    let alice = app.signup("alice").await;
    assert_eq!(app.get("/me", &alice.token).await.status(), StatusCode::OK);

    let restarted = app.start_again().await;
    let response = restarted.get("/me", &alice.token).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the token outlives the server"
    );
    assert_eq!(response.json::<Value>().await.unwrap()["id"], alice.id);

    // The key is random per database, not built in: another database's server, with
    // a user of the same id, does not accept the token.
    let other = spawn_app_with(backend, |config| config.jwt_secret = None).await;
    let other_alice = other.signup("alice").await;
    assert_eq!(other_alice.id, alice.id);
    let response = other.get("/me", &alice.token).await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "another database's key",
    )
    .await;
}

async fn a_jwt_secret_shorter_than_32_bytes_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    // Its database, without it (a server holds a SQLite database for itself).
    app.stop().await;
    for short in ["k".to_owned(), "k".repeat(31)] {
        let mut config = app.config.clone();
        config.jwt_secret = Some(short.clone());
        let Err(error) = Application::build(config).await else {
            panic!("a {}-byte JWT_SECRET was accepted", short.len());
        };
        assert!(error.to_string().contains("JWT_SECRET"), "{error}");
    }

    // 32 bytes is enough, and it is the key tokens are signed with.
    let secret = "k".repeat(32);
    let app = spawn_app_with(backend, |config| config.jwt_secret = Some(secret.clone())).await;
    let alice = app.signup("alice").await;
    assert_eq!(decode(&alice.token, &secret)["sub"], alice.id.to_string());
}

/// Compose passes an unset variable as an empty one.
async fn an_empty_jwt_secret_counts_as_unset(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.jwt_secret = Some(String::new())).await;
    let alice = app.signup("alice").await;
    let aud = audience(&alice.token);
    let key = claim(&alice.token, "key");
    let restarted = app.start_again().await;
    let response = restarted.get("/me", &alice.token).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the stored generated key"
    );

    // Not an empty HMAC key: a token signed with one is refused.
    let now = now();
    let forged = sign(
        "",
        &json!({"aud": aud, "jti": "test-token", "key": key, "sub": alice.id.to_string(), "iat": now, "exp": now + 600}),
    );
    let response = restarted.get("/me", &forged).await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "signed with an empty key",
    )
    .await;
}

both_backends!(
    register_returns_the_new_user,
    a_username_is_taken_in_any_letter_case,
    usernames_are_validated,
    passwords_are_8_to_72_bytes,
    a_72_byte_password_must_be_given_exactly,
    login_returns_a_bearer_token_for_the_user,
    login_ignores_the_letter_case_of_the_username,
    wrong_password_and_unknown_user_get_the_same_answer,
    malformed_json_is_a_400,
    json_of_the_wrong_shape_is_a_400,
    a_body_must_be_sent_as_json,
    a_body_over_64_kib_is_refused_unread,
    me_returns_the_caller,
    me_needs_a_token,
    me_refuses_a_malformed_authorization,
    me_refuses_forged_and_expired_tokens,
    me_refuses_a_token_for_a_missing_user,
    a_token_only_works_on_the_database_that_issued_it,
    a_generated_jwt_secret_survives_a_restart,
    a_jwt_secret_shorter_than_32_bytes_is_refused,
    an_empty_jwt_secret_counts_as_unset,
);

async fn post_raw(app: &TestApp, path: &str, content_type: Option<&str>, body: &str) -> Response {
    let mut request = app.client.post(app.url(path)).body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request.send().await.expect("request")
}

async fn me_with(app: &TestApp, authorization: Option<&str>) -> Response {
    let mut request = app.client.get(app.url("/me"));
    if let Some(authorization) = authorization {
        request = request.header("Authorization", authorization);
    }
    request.send().await.expect("request")
}

/// A well-formed registration body of exactly `size` bytes (a long password).
fn registration_of_size(size: usize) -> String {
    let (start, end) = (r#"{"username":"alice","password":""#, r#""}"#);
    let body = format!("{start}{}{end}", "p".repeat(size - start.len() - end.len()));
    assert_eq!(body.len(), size);
    body
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// The audience of a token the server issued: the id of its database.
fn audience(token: &str) -> String {
    claim(token, "aud")
}

/// A string claim of `token`, read without checking it.
pub fn claim(token: &str, name: &str) -> String {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode(token)
        .expect("decode a token")
        .claims;
    claims[name].as_str().expect("a string claim").to_owned()
}

fn sign(secret: &str, claims: &Value) -> String {
    sign_with(Algorithm::HS256, secret, claims)
}

fn sign_with(algorithm: Algorithm, secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign a token")
}

/// The claims of an HS256 token signed with `secret` (any audience).
fn decode(token: &str, secret: &str) -> Value {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .expect("a valid HS256 token")
    .claims
}

/// `token`'s signature over another token's header and claims.
fn with_signature_of(other: &str, token: &str) -> String {
    let (signed, _) = other.rsplit_once('.').expect("a JWT");
    let (_, signature) = token.rsplit_once('.').expect("a JWT");
    format!("{signed}.{signature}")
}
