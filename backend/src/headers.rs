//! Response headers that are policy rather than content: browser hardening on
//! every response, a Content-Security-Policy and caching rules on static files,
//! and CORS for the origins that `CORS_ORIGINS` lists.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{Condition, DefaultHeaders, Next};

/// The web app and Swagger UI at `/docs` run only their own files: no inline
/// script or `<style>`, no other origin (styles they set through `el.style` are
/// not inline markup and stay allowed). `connect-src 'self'` covers the
/// same-origin WebSocket too (CSP Level 3); `ws:`/`wss:` would let an injected
/// script reach any host. `data:` images: Swagger UI's CSS icons; `blob:`: the
/// web app's previews of files being sent.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'";

/// Headers every response gets. `no-referrer`: nothing in the app links out on
/// purpose, and URLs such as `/ws?token=` must not leak to another site.
pub fn hardening() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
}

/// On static files (what no API route matched): the Content-Security-Policy,
/// and `Cache-Control: no-cache`. No file name in `frontend/` carries a content
/// hash, so none may be cached without asking; actix-files' ETag and
/// Last-Modified make that question a cheap 304, and a new release loads at once.
pub async fn static_files(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    // The file service at `/` matches everything with the pattern "".
    let is_static = res
        .request()
        .match_pattern()
        .is_none_or(|pattern| pattern.is_empty());
    if is_static {
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(POLICY),
        );
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
    }
    Ok(res)
}

/// CORS for `origins`, or none at all (the app is same-origin) when it is empty.
/// A listed origin may call the API with a bearer token; any other gets no
/// `Access-Control-Allow-Origin`, so its browser withholds the answer.
pub fn cors(origins: &[String]) -> Condition<Cors> {
    let cors = origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(3600);
    Condition::new(!origins.is_empty(), cors)
}
