//! Integration tests: each starts a real server over a fresh database and talks to
//! it over HTTP and WebSocket, once on SQLite and once on PostgreSQL.

// Test bodies are plain `async fn`s wrapped by `both_backends!`, which clippy's
// allow-*-in-tests settings do not see as tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod postgres;
mod process;
mod s3;
mod server_log;

mod attachments;
mod auth;
mod batching;
mod bodies;
mod cluster;
mod conversations;
mod database_lock;
mod edits;
mod events;
mod failures;
mod frame_limits;
mod headers;
mod history;
mod identity;
mod limits;
mod logout;
mod logs;
mod mentions;
mod metrics;
mod mutes;
mod nodes;
mod nul_text;
mod openapi;
mod operations;
mod outage;
mod presence;
mod proxies;
mod push;
mod reactions;
mod receipts;
mod registration;
mod replies;
mod rest_send;
mod room_stream;
mod rooms;
mod routing;
mod shutdown;
mod stream;
mod timeouts;
mod typing;
mod users;
mod websocket;
