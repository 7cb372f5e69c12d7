//! How big each measurement is: the full run, or tiny for --smoke.

use std::time::Duration;

use super::Args;
use crate::references::db;
use crate::scenarios::dm::Idle;
use crate::scenarios::{connections, history, login_storm, rooms, uploads};

/// How big each measurement is.
pub(super) struct Sizes {
    pub(super) bcrypt_cost: u32,
    pub(super) ceiling_time: Duration,
    pub(super) db: db::Plan,
    pub(super) pairs: usize,
    pub(super) window: usize,
    pub(super) dm_time: Duration,
    pub(super) idle: Idle,
    pub(super) rooms: rooms::Plan,
    pub(super) history: history::Plan,
    pub(super) storm: login_storm::Plan,
    pub(super) connections: connections::Plan,
    pub(super) uploads: uploads::Plan,
}

impl Sizes {
    fn full() -> Self {
        Self {
            bcrypt_cost: 12,
            ceiling_time: Duration::from_secs(5),
            db: db::Plan {
                connections: 16,
                duration: Duration::from_secs(10),
                batch: 256,
            },
            pairs: 64,
            window: 32,
            dm_time: Duration::from_secs(20),
            idle: Idle {
                sockets: 10_000,
                users: 200,
            },
            rooms: rooms::Plan {
                members: 200,
                messages: 5_000,
                window: 32,
            },
            history: history::Plan {
                messages: 1_000_000,
                rate: 1000.0,
                duration: Duration::from_secs(10),
            },
            storm: login_storm::Plan {
                users: 16,
                loops: 8,
                duration: Duration::from_secs(20),
                pairs: 16,
                rate: 1000.0,
            },
            connections: connections::Plan {
                connections: 100_000,
                users: 200,
                hold: Duration::from_secs(300),
                in_flight: 200,
            },
            uploads: uploads::Plan {
                uploads: 50,
                size: 10 << 20,
                users: 25,
                background: 50,
                background_rate: 1024.0 * 1024.0,
                pairs: 64,
                window: 32,
                duration: Duration::from_secs(20),
            },
        }
    }

    pub(super) fn smoke() -> Self {
        let seconds = Duration::from_secs(2);
        Self {
            bcrypt_cost: 4,
            ceiling_time: Duration::from_secs(1),
            db: db::Plan {
                connections: 16,
                duration: seconds,
                batch: 256,
            },
            pairs: 4,
            window: 8,
            dm_time: seconds,
            idle: Idle {
                sockets: 50,
                users: 5,
            },
            rooms: rooms::Plan {
                members: 20,
                messages: 500,
                window: 8,
            },
            history: history::Plan {
                messages: 5_000,
                rate: 200.0,
                duration: seconds,
            },
            storm: login_storm::Plan {
                users: 2,
                loops: 2,
                duration: seconds,
                pairs: 2,
                rate: 100.0,
            },
            connections: connections::Plan {
                connections: 50,
                users: 5,
                hold: seconds,
                in_flight: 50,
            },
            uploads: uploads::Plan {
                uploads: 4,
                size: 64 << 10,
                users: 2,
                background: 4,
                background_rate: 64.0 * 1024.0,
                pairs: 4,
                window: 8,
                duration: seconds,
            },
        }
    }

    pub(super) fn for_args(args: &Args) -> Self {
        let mut sizes = if args.smoke {
            Self::smoke()
        } else {
            Self::full()
        };
        if let Some(cost) = args.bcrypt_cost {
            sizes.bcrypt_cost = cost;
        }
        if let Some(connections) = args.connections {
            sizes.connections.connections = connections;
        }
        if let Some(hold) = args.hold {
            sizes.connections.hold = Duration::from_secs(hold);
        }
        sizes
    }
}
