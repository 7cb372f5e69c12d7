//! Web Push (RFC 8030): notifications for users with no socket open, through the
//! push service of each of their browsers. Payloads are encrypted for the browser
//! (RFC 8291, `aes128gcm`) and signed with the server's VAPID key (RFC 8292), with
//! `web-push-native`; this module sends them, with no redirects, bounded time and
//! bounded retries. Who gets what is `messaging::notifications`'s to decide.

mod delivery;
mod endpoints;
mod keys;

use std::time::Duration;

use serde::Serialize;

pub use delivery::{browser_keys, Delivery};
pub use endpoints::Allowlist;
use keys::VapidKey;

use crate::db::push_subscriptions::Subscription;
use crate::db::Db;
use crate::domain::hex;

/// How the server pushes, from its configuration.
pub struct PushSettings {
    pub allowlist: Allowlist,
    pub previews: bool,
    /// The VAPID `sub`: the operator's contact.
    pub subject: String,
}

/// The server's end of Web Push.
pub struct Push {
    key: VapidKey,
    settings: PushSettings,
    client: reqwest::Client,
}

/// What one push says, as the service worker reads it (JSON, encrypted).
#[derive(Debug, Clone, Serialize)]
pub struct Payload {
    /// "alice", or "alice in general".
    pub title: String,
    /// The newest message's first words; without previews, how many came.
    pub body: String,
    /// The chat, as the web app names it: `user:ID` or `room:ID`.
    pub chat: String,
    /// How many messages this push stands for.
    pub count: u32,
}

impl Push {
    /// Loads the server's VAPID key pair from the database, making it on first use
    /// (every node of a deployment then signs with the same one).
    pub async fn start(db: &Db, settings: PushSettings) -> anyhow::Result<Self> {
        let key = VapidKey::load(db).await?;
        // Bounded: a push service that hangs holds one of a few delivery slots for
        // at most this long, and never follows a redirect to another host.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            key,
            settings,
            client,
        })
    }

    /// The VAPID public key, for `pushManager.subscribe`: an uncompressed P-256
    /// point, base64url.
    pub fn public_key(&self) -> &str {
        self.key.public()
    }

    pub fn allowlist(&self) -> &Allowlist {
        &self.settings.allowlist
    }

    pub fn previews(&self) -> bool {
        self.settings.previews
    }

    /// Sends `payload` to one subscription, retrying a busy or failing service a
    /// few times.
    pub async fn deliver(&self, subscription: &Subscription, payload: &Payload) -> Delivery {
        delivery::deliver(self, subscription, payload).await
    }
}

/// A short, unique-enough name for a subscription in the logs (never its URL,
/// which is a bearer capability).
fn log_name(endpoint: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(endpoint.as_bytes())[..6])
}
