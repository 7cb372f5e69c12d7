//! The in-memory real-time core: who is connected (the hub), the frames they are
//! sent, and typing leases. Nothing here is stored; it imports only `domain` and
//! `db` rows. The writer and the REST handlers route through it; sockets read
//! from it.

pub mod frames;
pub mod hub;
pub mod typing;
