//! Starting the Parley server for the bench, with its limits out of the way.

use std::path::Path;

use anyhow::Result;
use tokio::process::Command;

use crate::accounts::random_word;
use crate::child::Listening;
use crate::target::Server;

/// How the bench starts the Parley server.
pub(crate) struct Parley<'a> {
    pub(crate) binary: &'a Path,
    pub(crate) bcrypt_cost: u32,
    /// The server's ATTACHMENT_STORE.
    pub(crate) attachment_store: &'a Path,
}

impl Parley<'_> {
    /// Starts the server on `database_url` for the bench to use, with the send,
    /// registration, room, socket and storage quota limits out of the way; stops it
    /// after `work`. Fails if the server does not start, or exits by itself before
    /// it is stopped.
    pub(crate) async fn serve(
        &self,
        database_url: &str,
        work: impl AsyncFnOnce(&Server),
    ) -> Result<()> {
        let mut command = Command::new(self.binary);
        command
            .env("DATABASE_URL", database_url)
            .env("BIND", "127.0.0.1:0")
            .env("SEND_RATE", "1000000")
            .env("SEND_BURST", "1000000")
            // Every bench user registers from 127.0.0.1, and the connections
            // scenario holds hundreds of sockets per user.
            .env("REGISTER_RATE", "1000000")
            .env("REGISTER_BURST", "1000000")
            .env("ROOM_RATE", "1000000")
            .env("ROOM_BURST", "1000000")
            .env("MEMBERSHIP_RATE", "1000000")
            .env("MEMBERSHIP_BURST", "1000000")
            .env("MAX_SOCKETS_PER_USER", "1000000")
            .env("ATTACHMENT_STORE", self.attachment_store)
            // The uploads scenario stores gigabytes for a few users.
            .env("ATTACHMENT_QUOTA_BYTES", (1u64 << 40).to_string())
            .env("RUST_LOG", "warn")
            .env("JWT_SECRET", random_word(48))
            .env("BCRYPT_COST", self.bcrypt_cost.to_string());
        eprintln!("starting {} on {database_url}…", self.binary.display());
        let process = Listening::spawn(command).await?;
        let server = Server::new(&process.url, Some(process.pid))?;
        work(&server).await;
        process.stop().await
    }
}
