//! Policy headers: hardening on every response, CSP and revalidation on static
//! files, CORS only for configured origins.

use reqwest::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_SECURITY_POLICY, ETAG, IF_NONE_MATCH,
};
use reqwest::{Method, StatusCode};

use crate::both_backends;
use crate::helpers::{spawn_app, spawn_app_with, Backend};

const LISTED: &str = "https://app.example.com";

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap())
}

async fn every_response_is_hardened(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/",
        "/styles.css",
        "/docs/",
        "/healthz",
        "/me",
        "/no-such-file",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            header(&response, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header(&response, "referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
    }
}

async fn static_files_get_a_strict_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    let policy = header(&page, CONTENT_SECURITY_POLICY.as_str())
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(policy.contains("style-src 'self';"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");

    // Swagger UI at /docs runs under the same policy (e2e/api-docs.test.mjs
    // checks the browser reports no violation there).
    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(
        header(&docs, CONTENT_SECURITY_POLICY.as_str()),
        Some(policy.as_str())
    );

    let api = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(header(&api, CONTENT_SECURITY_POLICY.as_str()), None);
}

async fn static_files_are_revalidated(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/", "/js/main.js", "/docs/vendor/swagger-ui-bundle.js"] {
        let first = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&first, CACHE_CONTROL.as_str()),
            Some("no-cache"),
            "{path}"
        );
        let etag = header(&first, ETAG.as_str()).unwrap().to_owned();

        let again = app
            .client
            .get(app.url(path))
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(
            header(&again, CACHE_CONTROL.as_str()),
            Some("no-cache"),
            "{path}"
        );
    }
    let api = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(header(&api, CACHE_CONTROL.as_str()), None);
}

fn preflight(app: &crate::helpers::TestApp, origin: &str) -> reqwest::RequestBuilder {
    app.client
        .request(Method::OPTIONS, app.url("/rooms"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
}

async fn cors_is_off_by_default(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = preflight(&app, LISTED).send().await.unwrap();
    assert_eq!(
        header(&response, ACCESS_CONTROL_ALLOW_ORIGIN.as_str()),
        None
    );
    let request = app.client.get(app.url("/healthz"));
    assert_eq!(allowed_origin(request, LISTED).await, None);
}

async fn cors_allows_only_listed_origins(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.cors_origins = vec!["http://localhost:5173".into(), LISTED.into()];
    })
    .await;

    let allowed = preflight(&app, LISTED).send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(
        header(&allowed, ACCESS_CONTROL_ALLOW_ORIGIN.as_str()),
        Some(LISTED)
    );
    let headers = header(&allowed, "access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    let methods = header(&allowed, "access-control-allow-methods").unwrap();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );

    let refused = preflight(&app, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(header(&refused, ACCESS_CONTROL_ALLOW_ORIGIN.as_str()), None);

    // Actual requests: the listed origin may read the answer; any other (or the
    // app's own page) is served as before, without the header.
    let user = app.signup("alice").await;
    let me = || app.request(Method::GET, "/me", &user.token);
    assert_eq!(allowed_origin(me(), LISTED).await.as_deref(), Some(LISTED));
    assert_eq!(allowed_origin(me(), "https://evil.example").await, None);
}

/// Sends `request` from a page of `origin`; it must succeed. The origin the
/// answer lets read it, if any.
async fn allowed_origin(request: reqwest::RequestBuilder, origin: &str) -> Option<String> {
    let response = request.header("origin", origin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    header(&response, ACCESS_CONTROL_ALLOW_ORIGIN.as_str()).map(str::to_owned)
}

both_backends!(
    every_response_is_hardened,
    static_files_get_a_strict_policy,
    static_files_are_revalidated,
    cors_is_off_by_default,
    cors_allows_only_listed_origins,
);
