//! Builds the server from a [`Config`]: database, secrets, shared state and routes.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_files::Files;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Logger};
use actix_web::{web, App, HttpMessage, HttpServer};
use futures_util::future;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::auth::{random_hex, Passwords, Revocations, TokenKeys, Tokens};
use crate::client_address::{ClientAddress, TrustedProxies};
use crate::config::{Config, Registration};
use crate::context::AppContext;
use crate::db::{self, Db, UserId};
use crate::error::Error;
use crate::limits::{LoginGuard, Rate, RegistrationGuard};
use crate::live::bus::Bus;
use crate::live::hub::Hub;
use crate::live::presence::heartbeat;
use crate::live::typing::Typing;
use crate::media::links::Links;
use crate::media::store::Store;
use crate::media::{Limits, Media};
use crate::messaging::deliveries::Deliveries;
use crate::messaging::notifications::Notifications;
use crate::messaging::{AfterCommit, Capacity, Messaging, Remote, Router, UserRates};
use crate::metrics::{Metrics, ScrapeToken};
use crate::push::{Allowlist, Push, PushSettings};

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    hub: web::Data<Hub>,
    messaging: web::Data<Messaging>,
    shutdown_grace: Duration,
    signals: StopSignals,
    stop: StopHandle,
    /// Held until `run` has stored the last write.
    lock: db::Lock,
}

/// Starts the same shutdown as SIGTERM, from within the process (tests use it to
/// restart a server over the same database).
#[derive(Clone, Default)]
pub struct StopHandle(Arc<Notify>);

impl StopHandle {
    pub fn stop(&self) {
        // Kept as a permit if `run` is not waiting yet.
        self.0.notify_one();
    }
}

impl Application {
    /// Locks (SQLite), connects to and migrates the database, then binds
    /// `config.bind`.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let lock = db::Lock::acquire(&config.database_url)?;
        let db = Db::connect(&config.database_url).await?;
        log::info!("using {}", db.backend_name());
        let secret = jwt_secret(&db, config.jwt_secret).await?;
        let database_id = db::secrets::get_or_insert(&db, "database_id", random_secret).await?;

        let revocations = web::Data::new(Revocations::load(&db).await?);
        let max_sockets = usize::try_from(config.max_sockets_per_user).unwrap_or(usize::MAX);
        let hub = web::Data::new(Hub::new(max_sockets));
        let typing = web::Data::new(Typing::default());
        let metrics = web::Data::new(Metrics::default());
        let scrape_token = ScrapeToken::new(config.metrics_token);
        if !scrape_token.is_required() {
            log::info!("METRICS_TOKEN is not set: /metrics is open to anyone who reaches it");
        }
        let rates = UserRates {
            send: Rate {
                per_second: config.send_rate,
                burst: config.send_burst,
            },
            room_create: Rate {
                per_second: config.room_rate,
                burst: config.room_burst,
            },
            membership: Rate {
                per_second: config.membership_rate,
                burst: config.membership_burst,
            },
        };
        let capacity = Capacity::default();
        let store_spec = config.attachment_store.clone().unwrap_or_else(|| {
            db::default_attachment_dir(&config.database_url)
                .display()
                .to_string()
        });
        let store = Store::open(&store_spec)
            .map_err(|e| anyhow::anyhow!("ATTACHMENT_STORE {store_spec}: {e}"))?;
        let links = Links::new(secret.as_bytes(), config.attachment_link_ttl);
        let media = web::Data::new(Media::start(
            db.clone(),
            store,
            links.clone(),
            Limits {
                max_bytes: config.attachment_max_bytes,
                quota_bytes: config.attachment_quota_bytes,
                upload_ttl: config.attachment_upload_ttl,
            },
        ));
        let newest = db::stream::newest(&db).await?;
        let router = web::Data::new(Router::new(
            db.clone(),
            hub.clone(),
            typing.clone(),
            metrics.clone(),
            capacity.rooms,
            newest,
            links,
        ));
        let bus = web::Data::new(Bus::start(db.clone(), router.node(), metrics.clone()));
        // Registered before the first socket, whose user is written under it.
        db::nodes::beat(&db, bus.node()).await?;
        heartbeat::start(
            db.clone(),
            hub.clone(),
            bus.clone(),
            config.node_stale_after,
        );
        let push = Arc::new(
            Push::start(
                &db,
                PushSettings {
                    allowlist: Allowlist::new(
                        &config.push_endpoint_allowlist,
                        config.push_allow_http,
                    ),
                    previews: config.push_previews,
                    subject: config.push_subject.clone(),
                },
            )
            .await?,
        );
        let messaging = web::Data::new(Messaging::start(
            db.clone(),
            router.clone(),
            rates,
            config.room_history_limit,
            metrics.clone(),
            capacity,
            AfterCommit {
                sweeper: media.sweeper.clone(),
                notifications: Notifications::start(db.clone(), hub.clone(), Some(push.clone())),
            },
        ));
        messaging.share_sends(bus.clone());
        let remote = Remote {
            db: db.clone(),
            hub: hub.clone(),
            typing: typing.clone(),
            bus: bus.clone(),
            revocations: revocations.clone(),
            messaging: messaging.clone(),
        };
        crate::messaging::follow(db.clone(), router.clone(), remote);
        let deliveries = Deliveries::start(db.clone(), hub.clone(), bus.clone(), metrics.clone());
        let login_guard = LoginGuard::new(metrics.clone());
        let registration_guard = RegistrationGuard::new(
            config.registration == Registration::Open,
            Rate {
                per_second: config.register_rate,
                burst: config.register_burst,
            },
            metrics.clone(),
        );
        if config.registration == Registration::Closed {
            log::info!("REGISTRATION=closed: accounts are created with `parley user add`");
        }
        if !config.trusted_proxies.is_empty() {
            log::info!(
                "client addresses of requests from {:?} are read from X-Forwarded-For or Forwarded",
                config.trusted_proxies
            );
        }
        let context = web::Data::new(AppContext {
            db,
            hub: hub.clone(),
            typing,
            messaging: messaging.clone(),
            deliveries,
            metrics,
            scrape_token,
            tokens: Tokens::new(secret.as_bytes(), database_id, config.jwt_ttl),
            passwords: Passwords::start(config.bcrypt_cost)?,
            revocations,
            bus,
            token_keys: TokenKeys::default(),
            login_guard,
            registration_guard,
            trusted_proxies: TrustedProxies::new(config.trusted_proxies),
            socket_idle_timeout: config.socket_idle_timeout,
            media,
            push,
        });
        let frontend = config.frontend_dir;
        if !frontend.join("index.html").is_file() {
            log::warn!(
                "{} has no index.html: the web app will not be served (set FRONTEND_DIR)",
                frontend.display()
            );
        }
        // `Files` logs an error per worker for a missing directory; the warning
        // above already said it.
        let serve_files = frontend.is_dir();

        let listener = TcpListener::bind(config.bind)?;
        let port = listener.local_addr()?.port();
        let cors_origins = config.cors_origins;
        let mut server = HttpServer::new(move || {
            // The last `wrap` is the outermost: every response, even a CORS
            // preflight answered early, gets the hardening headers.
            let app = App::new()
                .wrap(from_fn(crate::api::body_deadline))
                .wrap(from_fn(crate::headers::static_files))
                .wrap(crate::headers::cors(&cors_origins))
                .wrap(access_log())
                .wrap(from_fn(crate::metrics::http::track))
                .wrap(crate::headers::hardening())
                .app_data(context.clone())
                .configure(crate::api::routes);
            let not_found =
                web::to(|| async { Err::<actix_web::HttpResponse, _>(Error::RouteNotFound) });
            if serve_files {
                app.service(
                    Files::new("/", &frontend)
                        .index_file("index.html")
                        .default_handler(not_found),
                )
            } else {
                app.default_service(not_found)
            }
        })
        // Chat frames are small and answered at once: without this, Nagle's
        // algorithm holds an ack behind the previous unacknowledged frame until the
        // client's delayed ACK (tens of milliseconds).
        .tcp_nodelay(true)
        // `run` handles SIGTERM and SIGINT itself, to close sockets first.
        .disable_signals()
        // Past `run`'s own deadline, so that `run` sees (and says) when
        // connections were still open and are cut off.
        .shutdown_timeout(config.shutdown_grace.as_secs() + 1)
        .listen(listener)?;
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            hub,
            messaging,
            shutdown_grace: config.shutdown_grace,
            signals: StopSignals::listen()?,
            stop: StopHandle::default(),
            lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops this server as SIGTERM would, once it runs.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Serves until SIGTERM, SIGINT or [`StopHandle::stop`], then shuts down
    /// within the grace period: stops accepting, answers what sockets already
    /// sent and asks them to reconnect (1012), and waits for every queued write to
    /// be stored. Returns as soon as that is done; the SQLite lock is released
    /// then.
    pub async fn run(self) -> std::io::Result<()> {
        let Self {
            mut server,
            hub,
            messaging,
            shutdown_grace: grace,
            mut signals,
            stop,
            lock,
            ..
        } = self;
        tokio::select! {
            stopped = &mut server => return stopped,
            () = signals.recv() => {}
            () = stop.0.notified() => {}
        }
        log::info!("shutting down: closing sockets and finishing writes (at most {grace:?})");
        let deadline = Instant::now() + grace;
        hub.restart();
        // `stop` only sends the command: `server` carries it out (stop
        // accepting, close idle connections, wait for the rest), and only while
        // it is polled, so both are awaited together. It ends as soon as every
        // connection has closed (workers look once a second).
        let stopped = future::join(server.handle().stop(true), server);
        if tokio::time::timeout_at(deadline, stopped).await.is_err() {
            log::warn!("connections still open after {grace:?}: dropping them");
        }
        // Sockets queue their last writes before they close, so this covers
        // them. Past the deadline (connections were cut off) the writer still
        // gets a moment to show whether it is behind.
        let flush_deadline = deadline.max(Instant::now() + FINAL_FLUSH);
        match tokio::time::timeout_at(flush_deadline, messaging.flush()).await {
            Ok(Ok(())) => log::info!("every queued write is stored; bye"),
            Ok(Err(_)) => log::error!("the message writer failed while shutting down"),
            Err(_) => log::error!("queued writes were still waiting after {grace:?}"),
        }
        drop(lock);
        Ok(())
    }
}

/// How long the writer gets to report that it is drained when the grace period
/// is already over.
const FINAL_FLUSH: Duration = Duration::from_secs(1);

/// SIGTERM (what orchestrators send) and SIGINT (Ctrl-C), listened for from
/// `build` on: one that arrives before `run` is polled must not kill the process
/// (their default action) but stop it like any other.
#[cfg(unix)]
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn listen() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// One line per request, naming the client's address as the limits see it (see
/// [`ClientAddress`]; actix's own `%{r}a` would believe any header) and the
/// signed-in user (`user=-` for anonymous or refused requests). The query string
/// is left out: `/ws?token=` carries a bearer token, which must not end up in logs.
fn access_log() -> Logger {
    Logger::new(r#"%{client}xi "%{method}xi %U" %s %b %Dms user=%{user}xo"#)
        .custom_request_replace("client", |req| {
            ClientAddress::of_service(req)
                .0
                .map_or_else(|| "-".to_owned(), |address| address.to_string())
        })
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
