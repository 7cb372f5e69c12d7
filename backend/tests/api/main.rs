//! Integration tests: each starts a real server over a fresh database and talks to
//! it over HTTP and WebSocket, once on SQLite and once on PostgreSQL.

mod helpers;
mod postgres;

mod auth;
mod history;
mod routing;
mod users;
mod websocket;
