//! The load scenarios, each runnable alone against a running server.

pub mod answers;
pub mod connections;
pub mod dm;
pub mod history;
pub mod login_storm;
pub mod rooms;
pub mod uploads;
