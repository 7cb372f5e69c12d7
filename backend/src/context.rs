//! [`AppContext`]: everything a request handler or a socket task uses, built once
//! by [`crate::Application::build`] and handed to each as `web::Data<AppContext>`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;

use crate::auth::{Passwords, Revocations, TokenKeys, Tokens};
use crate::client_address::TrustedProxies;
use crate::db::Db;
use crate::limits::{LoginGuard, RegistrationGuard};
use crate::live::bus::Bus;
use crate::live::hub::Hub;
use crate::live::typing::Typing;
use crate::media::Media;
use crate::messaging::deliveries::Deliveries;
use crate::messaging::Messaging;
use crate::metrics::{Metrics, ScrapeToken};
use crate::push::Push;

pub struct AppContext {
    pub db: Db,
    /// Every open socket, by user.
    pub hub: web::Data<Hub>,
    pub typing: web::Data<Typing>,
    /// The single writer of the message stream.
    pub messaging: web::Data<Messaging>,
    /// `delivered` receipts, recorded in batches.
    pub deliveries: Deliveries,
    pub metrics: web::Data<Metrics>,
    pub scrape_token: ScrapeToken,
    pub tokens: Tokens,
    pub passwords: Passwords,
    pub revocations: web::Data<Revocations>,
    /// Ephemeral events to and from the other nodes.
    pub bus: web::Data<Bus>,
    pub token_keys: TokenKeys,
    pub login_guard: LoginGuard,
    pub registration_guard: RegistrationGuard,
    pub trusted_proxies: TrustedProxies,
    /// Uploaded files: their store, limits and links.
    pub media: web::Data<Media>,
    /// Web Push: the VAPID key and the allowed push services.
    pub push: Arc<Push>,
    /// A socket that sends nothing, not even a pong, for this long is closed.
    pub socket_idle_timeout: Duration,
}
