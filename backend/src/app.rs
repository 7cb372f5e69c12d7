//! Builds the server from a [`Config`]: database, secrets, shared state and routes.

use std::net::TcpListener;
use std::time::Duration;

use actix_files::Files;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Logger};
use actix_web::{web, App, HttpMessage, HttpServer};

use crate::auth::{random_hex, Passwords, Revocations, TokenKeys, Tokens};
use crate::config::Config;
use crate::db::{self, Db, UserId};
use crate::error::Error;
use crate::limits::{LoginGuard, Rate};
use crate::messaging::Messaging;
use crate::metrics::{Metrics, ScrapeToken};
use crate::ws::deliveries::Deliveries;
use crate::ws::hub::Hub;
use crate::ws::typing::Typing;
use crate::ws::Heartbeat;

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    hub: web::Data<Hub>,
    messaging: web::Data<Messaging>,
    shutdown_grace: Duration,
}

impl Application {
    /// Connects to and migrates the database, then binds `config.bind`.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = Db::connect(&config.database_url).await?;
        log::info!("using {}", db.backend_name());
        let secret = jwt_secret(&db, config.jwt_secret).await?;
        let database_id = db::secrets::get_or_insert(&db, "database_id", random_secret).await?;

        let revocations = web::Data::new(Revocations::load(&db).await?);
        let hub = web::Data::new(Hub::default());
        let typing = web::Data::new(Typing::default());
        let metrics = web::Data::new(Metrics::default());
        let scrape_token = web::Data::new(ScrapeToken::new(config.metrics_token));
        if !scrape_token.is_required() {
            log::info!("METRICS_TOKEN is not set: /metrics is open to anyone who reaches it");
        }
        let send_rate = Rate {
            per_second: config.send_rate,
            burst: config.send_burst,
        };
        let messaging = web::Data::new(Messaging::start(
            db.clone(),
            hub.clone(),
            typing.clone(),
            send_rate,
            config.room_history_limit,
            metrics.clone(),
        ));
        let deliveries =
            web::Data::new(Deliveries::start(db.clone(), hub.clone(), metrics.clone()));
        let login_guard = web::Data::new(LoginGuard::new(metrics.clone()));
        let db = web::Data::new(db);
        let tokens = web::Data::new(Tokens::new(secret.as_bytes(), database_id, config.jwt_ttl));
        let passwords = web::Data::new(Passwords::start(config.bcrypt_cost)?);
        let token_keys = web::Data::new(TokenKeys::default());
        let heartbeat = web::Data::new(Heartbeat::new(config.socket_idle_timeout));
        let frontend = config.frontend_dir;
        if !frontend.join("index.html").is_file() {
            log::warn!(
                "{} has no index.html: the web app will not be served (set FRONTEND_DIR)",
                frontend.display()
            );
        }

        let listener = TcpListener::bind(config.bind)?;
        let port = listener.local_addr()?.port();
        let (app_hub, app_messaging) = (hub.clone(), messaging.clone());
        let cors_origins = config.cors_origins;
        let mut server = HttpServer::new(move || {
            // The last `wrap` is the outermost: every response, even a CORS
            // preflight answered early, gets the hardening headers.
            App::new()
                .wrap(from_fn(crate::api::body_deadline))
                .wrap(from_fn(crate::headers::static_files))
                .wrap(crate::headers::cors(&cors_origins))
                .wrap(access_log())
                .wrap(from_fn(crate::metrics::http::track))
                .wrap(crate::headers::hardening())
                .app_data(db.clone())
                .app_data(hub.clone())
                .app_data(tokens.clone())
                .app_data(passwords.clone())
                .app_data(revocations.clone())
                .app_data(token_keys.clone())
                .app_data(heartbeat.clone())
                .app_data(typing.clone())
                .app_data(messaging.clone())
                .app_data(deliveries.clone())
                .app_data(login_guard.clone())
                .app_data(metrics.clone())
                .app_data(scrape_token.clone())
                .configure(crate::api::routes)
                .service(
                    Files::new("/", &frontend)
                        .index_file("index.html")
                        .default_handler(web::to(|| async {
                            Err::<actix_web::HttpResponse, _>(Error::RouteNotFound)
                        })),
                )
        })
        // Chat frames are small and answered at once: without this, Nagle's
        // algorithm holds an ack behind the previous unacknowledged frame until the
        // client's delayed ACK (tens of milliseconds).
        .tcp_nodelay(true)
        // `run` handles SIGTERM and SIGINT itself, to close sockets first.
        .disable_signals()
        .shutdown_timeout(config.shutdown_grace.as_secs().max(1))
        .listen(listener)?;
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            hub: app_hub,
            messaging: app_messaging,
            shutdown_grace: config.shutdown_grace,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then shuts down within the grace period:
    /// stops accepting, answers what sockets already sent and asks them to
    /// reconnect (1012), and waits for every queued write to be stored.
    pub async fn run(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let mut server = self.server;
        tokio::select! {
            stopped = &mut server => return stopped,
            () = stop_signal() => {}
        }
        let grace = self.shutdown_grace;
        log::info!("shutting down: closing sockets and finishing writes (at most {grace:?})");
        let deadline = tokio::time::Instant::now() + grace;
        self.hub.restart();
        let stopped = async {
            handle.stop(true).await;
            let _ = server.await;
        };
        if tokio::time::timeout_at(deadline, stopped).await.is_err() {
            log::warn!("connections still open after {grace:?}: dropping them");
        }
        match tokio::time::timeout_at(deadline, self.messaging.flush()).await {
            Ok(Ok(())) => log::info!("every queued write is stored; bye"),
            Ok(Err(_)) => log::error!("the message writer failed while shutting down"),
            Err(_) => log::error!("queued writes were still waiting after {grace:?}"),
        }
        Ok(())
    }
}

/// Resolves on SIGTERM (what orchestrators send) or SIGINT (Ctrl-C).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            },
            Err(e) => {
                log::warn!("cannot listen for SIGTERM ({e}); stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// One line per request, naming the signed-in user (`user=-` for anonymous or
/// refused requests). The query string is left out: `/ws?token=` carries a
/// bearer token, which must not end up in logs.
fn access_log() -> Logger {
    Logger::new(r#"%a "%{method}xi %U" %s %b %Dms user=%{user}xo"#)
        .custom_request_replace("method", |req| req.method().to_string())
        .custom_response_replace("user", |res| {
            res.request()
                .extensions()
                .get::<UserId>()
                .map_or_else(|| "-".to_owned(), UserId::to_string)
        })
}

/// The configured secret, or one generated once and kept in the database.
async fn jwt_secret(db: &Db, configured: Option<String>) -> anyhow::Result<String> {
    match configured.filter(|secret| !secret.is_empty()) {
        Some(secret) if secret.len() >= 32 => Ok(secret),
        Some(_) => anyhow::bail!("JWT_SECRET must be at least 32 bytes long"),
        None => {
            log::warn!(
                "JWT_SECRET is not set: using a generated key stored in the database. \
                 Set JWT_SECRET in production."
            );
            Ok(db::secrets::get_or_insert(db, "jwt_secret", random_secret).await?)
        }
    }
}

/// 256 random bits, hex-encoded.
fn random_secret() -> String {
    random_hex(32)
}
