//! The REST calls the bench makes, in the shapes the README documents.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use reqwest::header::RETRY_AFTER;
use reqwest::multipart::{Form, Part};
use reqwest::{RequestBuilder, Response, StatusCode, Url};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

/// Any one request may take this long before the bench gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Setup requests (register, login) retry a busy server (503) this many times.
const BUSY_RETRIES: u32 = 600;
/// The pause after a 503 without `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Url,
}

#[derive(Serialize)]
struct Credentials<'a> {
    username: &'a str,
    password: &'a str,
}

#[derive(Deserialize)]
pub struct Session {
    pub access_token: String,
    pub user: Profile,
}

/// What `POST /attachments` answers, as far as the bench checks it.
#[derive(Deserialize)]
pub struct Uploaded {
    pub size: u64,
    pub sha256: String,
}

#[derive(Deserialize)]
pub struct Profile {
    pub id: i64,
}

#[derive(Serialize)]
struct NewRoom<'a> {
    name: &'a str,
    kind: &'a str,
}

#[derive(Deserialize)]
struct RoomView {
    id: i64,
}

/// How one login attempt ended.
pub enum Login {
    LoggedIn,
    /// 503: the server's password queue is full; try again after this long.
    Busy(Duration),
    Refused(StatusCode),
}

impl Api {
    pub fn new(base: &str) -> Result<Self> {
        let base = Url::parse(base).with_context(|| format!("the server URL {base}"))?;
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("building the HTTP client")?;
        Ok(Self { http, base })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `POST /register`; returns the new user's id.
    pub async fn register(&self, username: &str, password: &str) -> Result<i64> {
        let url = self.url("register")?;
        let credentials = Credentials { username, password };
        let response = self
            .admitted(|| self.http.post(url.clone()).json(&credentials))
            .await?;
        let profile: Profile = expect_json(response, StatusCode::CREATED)
            .await
            .with_context(|| format!("registering {username}"))?;
        Ok(profile.id)
    }

    /// `POST /login`, retrying while the server is busy.
    pub async fn login(&self, username: &str, password: &str) -> Result<Session> {
        let url = self.url("login")?;
        let credentials = Credentials { username, password };
        let response = self
            .admitted(|| self.http.post(url.clone()).json(&credentials))
            .await?;
        expect_json(response, StatusCode::OK)
            .await
            .with_context(|| format!("logging in as {username}"))
    }

    /// One `POST /login`, however it ends.
    pub async fn try_login(&self, username: &str, password: &str) -> Result<Login> {
        let response = self
            .http
            .post(self.url("login")?)
            .json(&Credentials { username, password })
            .send()
            .await
            .context("POST /login")?;
        let outcome = match response.status() {
            StatusCode::OK => Login::LoggedIn,
            StatusCode::SERVICE_UNAVAILABLE => Login::Busy(retry_after(&response)),
            status => Login::Refused(status),
        };
        // Reading the body to its end lets the connection go back to the pool.
        response.bytes().await.context("reading a login answer")?;
        Ok(outcome)
    }

    /// `POST /rooms` for a public room; returns its id.
    pub async fn create_public_room(&self, token: &str, name: &str) -> Result<i64> {
        let room = NewRoom {
            name,
            kind: "public",
        };
        let response = self
            .http
            .post(self.url("rooms")?)
            .bearer_auth(token)
            .json(&room)
            .send()
            .await
            .context("POST /rooms")?;
        let view: RoomView = expect_json(response, StatusCode::CREATED)
            .await
            .with_context(|| format!("creating the room {name}"))?;
        Ok(view.id)
    }

    /// `POST /rooms/{id}/join`.
    pub async fn join_room(&self, token: &str, room: i64) -> Result<()> {
        let response = self
            .http
            .post(self.url(&format!("rooms/{room}/join"))?)
            .bearer_auth(token)
            .send()
            .await
            .context("POST /rooms/{id}/join")?;
        let _: IgnoredAny = expect_json(response, StatusCode::OK)
            .await
            .with_context(|| format!("joining room {room}"))?;
        Ok(())
    }

    /// `POST /attachments` with `file` as the form's one part, allowed `timeout`
    /// (a paced upload takes as long as its pace says).
    pub async fn upload(&self, token: &str, file: Part, timeout: Duration) -> Result<Uploaded> {
        let response = self
            .http
            .post(self.url("attachments")?)
            .bearer_auth(token)
            .multipart(Form::new().part("file", file))
            .timeout(timeout)
            .send()
            .await
            .context("POST /attachments")?;
        expect_json(response, StatusCode::CREATED)
            .await
            .context("uploading")
    }

    /// `GET /messages/{peer}?limit=…[&before=…]`; returns how many messages the page
    /// holds.
    pub async fn history_page(
        &self,
        token: &str,
        peer: i64,
        before: Option<i64>,
        limit: usize,
    ) -> Result<usize> {
        let mut url = self.url(&format!("messages/{peer}"))?;
        url.query_pairs_mut()
            .append_pair("limit", &limit.to_string());
        if let Some(before) = before {
            url.query_pairs_mut()
                .append_pair("before", &before.to_string());
        }
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .context("GET /messages")?;
        let page: Vec<IgnoredAny> = expect_json(response, StatusCode::OK).await?;
        Ok(page.len())
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .with_context(|| format!("joining {path} to {}", self.base))
    }

    /// Sends the request, again after `Retry-After` for as long as the server answers
    /// 503.
    async fn admitted(&self, request: impl Fn() -> RequestBuilder) -> Result<Response> {
        for _ in 0..BUSY_RETRIES {
            let response = request().send().await.context("sending a request")?;
            if response.status() != StatusCode::SERVICE_UNAVAILABLE {
                return Ok(response);
            }
            tokio::time::sleep(retry_after(&response)).await;
        }
        bail!("the server stayed busy (503) through {BUSY_RETRIES} attempts")
    }
}

/// `Retry-After` in whole seconds, or a short pause when it is missing.
fn retry_after(response: &Response) -> Duration {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
        .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs)
}

async fn expect_json<T: DeserializeOwned>(response: Response, expected: StatusCode) -> Result<T> {
    let status = response.status();
    if status != expected {
        let body = response.text().await.unwrap_or_default();
        bail!("expected {expected}, got {status}: {body}");
    }
    response.json().await.context("reading a JSON answer")
}
