//! Parley: a self-hosted real-time chat server.

pub mod accounts;
pub mod api;
pub mod app;
pub mod auth;
pub mod client_address;
pub mod config;
pub mod context;
pub mod db;
pub mod domain;
pub mod error;
pub mod headers;
pub mod limits;
pub mod live;
pub mod logging;
pub mod media;
pub mod messaging;
pub mod metrics;
pub mod push;
pub mod ws;

pub use app::{Application, StopHandle};
pub use config::Config;
