//! Sending one push: encrypt and sign with `web-push-native`, POST with reqwest,
//! read the push service's answer. A service that is busy or failing (429, 5xx,
//! no answer in time) is tried again after a pause, at most [`ATTEMPTS`] times in
//! all; one that says the subscription is gone (404, 410) makes us forget it.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use web_push_native::p256::PublicKey;
use web_push_native::{Auth, WebPushBuilder};

use super::{log_name, Payload, Push};
use crate::db::push_subscriptions::Subscription;

/// Tries per push, the first included.
const ATTEMPTS: u32 = 3;
/// The pause before the second try; it doubles for each one after.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause a service's `Retry-After` may ask for.
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// How long a push service keeps a push for a browser that is offline (`TTL`),
/// and how long its VAPID signature is valid (at most 24 h, RFC 8292).
const VALID_FOR: Duration = Duration::from_secs(12 * 60 * 60);

/// How a push went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The push service took it.
    Delivered,
    /// The subscription is gone (404, 410): forget it.
    Gone,
    /// Refused, or still failing after every try: dropped.
    Failed,
}

/// A subscription's keys, as the browser gave them, if they are keys.
pub fn browser_keys(p256dh: &str, auth: &str) -> Option<(PublicKey, Auth)> {
    let public = URL_SAFE_NO_PAD.decode(p256dh.trim_end_matches('=')).ok()?;
    let public = PublicKey::from_sec1_bytes(&public).ok()?;
    let auth = URL_SAFE_NO_PAD.decode(auth.trim_end_matches('=')).ok()?;
    if auth.len() != 16 {
        return None;
    }
    let mut secret = Auth::default();
    secret.copy_from_slice(&auth);
    Some((public, secret))
}

pub async fn deliver(push: &Push, subscription: &Subscription, payload: &Payload) -> Delivery {
    let name = log_name(&subscription.endpoint);
    let Some(request) = request(push, subscription, payload) else {
        log::warn!("push subscription {name}: its endpoint or keys cannot be used");
        return Delivery::Gone;
    };
    let mut pause = FIRST_PAUSE;
    for attempt in 1..=ATTEMPTS {
        let Some(this_try) = request.try_clone() else {
            return Delivery::Failed;
        };
        let wait = match push.client.execute(this_try).await {
            Ok(response) if response.status().is_success() => return Delivery::Delivered,
            Ok(response)
                if matches!(response.status(), StatusCode::NOT_FOUND | StatusCode::GONE) =>
            {
                log::info!("push subscription {name} is gone ({})", response.status());
                return Delivery::Gone;
            }
            Ok(response) if is_passing(response.status()) => {
                log::warn!(
                    "push subscription {name}: {} (try {attempt})",
                    response.status()
                );
                retry_after(&response).unwrap_or(pause)
            }
            Ok(response) => {
                log::warn!(
                    "push subscription {name}: refused with {}",
                    response.status()
                );
                return Delivery::Failed;
            }
            Err(e) => {
                log::warn!("push subscription {name}: {e} (try {attempt})");
                pause
            }
        };
        if attempt < ATTEMPTS {
            tokio::time::sleep(wait.min(MAX_PAUSE)).await;
            pause *= 2;
        }
    }
    log::warn!("push subscription {name}: given up after {ATTEMPTS} tries");
    Delivery::Failed
}

/// A failure worth another try: the service is busy or failing.
fn is_passing(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds = response.headers().get(reqwest::header::RETRY_AFTER)?;
    Some(Duration::from_secs(
        seconds.to_str().ok()?.trim().parse().ok()?,
    ))
}

/// The encrypted, signed request; `None` if the subscription's endpoint is no
/// longer allowed or its keys do not read.
fn request(
    push: &Push,
    subscription: &Subscription,
    payload: &Payload,
) -> Option<reqwest::Request> {
    // Checked again: the allowlist may have changed since it was stored.
    let url = push.allowlist().check(&subscription.endpoint)?;
    let (public, auth) = browser_keys(&subscription.p256dh, &subscription.auth)?;
    let endpoint = url.as_str().parse().ok()?;
    // Plain strings and numbers: serialising cannot fail.
    let body = serde_json::to_vec(payload).ok()?;
    let request = WebPushBuilder::new(endpoint, public, auth)
        .with_valid_duration(VALID_FOR)
        .build(body)
        .ok()?;
    let mut request = reqwest::Request::try_from(request).ok()?;
    let vapid = push
        .key
        .authorization(&url, VALID_FOR, &push.settings.subject)?;
    request
        .headers_mut()
        .insert(reqwest::header::AUTHORIZATION, vapid.parse().ok()?);
    Some(request)
}
