//! The in-memory real-time core: who is connected (the hub), the frames they are
//! sent, presence, read receipts and typing leases. It stores nothing but a user's
//! `last_seen` (presence); it imports only `domain` and `db`. The writer and the
//! REST handlers route through it; sockets read from it.

pub mod bus;
pub mod frames;
pub mod hub;
pub mod presence;
pub mod receipts;
pub mod typing;
