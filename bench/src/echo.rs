//! The raw reference: an actix-ws echo server with no authentication and no
//! database. It greets each socket with a `ready` frame (so clients connect to it
//! exactly as to Parley), echoes text frames and answers pings. With `--broadcast`
//! it sends each text frame to every open socket instead, the sender's included:
//! fan-out with no hub, no JSON and no database.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use actix_ws::{Message, Session};
use anyhow::{Context, Result};
use tokio::process::Command;

use crate::child::Listening;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// Send each text frame to every open socket, not only back to its sender.
    #[arg(long)]
    broadcast: bool,
}

/// Every open socket by its number, for broadcasting; `None` when echoing.
#[derive(Clone, Default)]
struct Sockets(Option<Arc<Mutex<Registry>>>);

#[derive(Default)]
struct Registry {
    next: u64,
    open: Vec<(u64, Session)>,
}

impl Sockets {
    /// Registers a socket; returns its number.
    fn add(&self, session: &Session) -> u64 {
        let Some(registry) = &self.0 else { return 0 };
        let mut registry = registry.lock().unwrap_or_else(PoisonError::into_inner);
        let id = registry.next;
        registry.next += 1;
        registry.open.push((id, session.clone()));
        id
    }

    fn remove(&self, id: u64) {
        if let Some(registry) = &self.0 {
            let mut registry = registry.lock().unwrap_or_else(PoisonError::into_inner);
            registry.open.retain(|(open, _)| *open != id);
        }
    }

    /// Who a text frame from `session` goes to.
    fn audience(&self, session: &Session) -> Vec<Session> {
        match &self.0 {
            Some(registry) => {
                let registry = registry.lock().unwrap_or_else(PoisonError::into_inner);
                registry.open.iter().map(|(_, to)| to.clone()).collect()
            }
            None => vec![session.clone()],
        }
    }
}

/// Serves until the process is stopped.
pub fn serve(args: &Args) -> Result<()> {
    let sockets = if args.broadcast {
        Sockets(Some(Arc::default()))
    } else {
        Sockets(None)
    };
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(sockets.clone()))
                .route("/ws", web::get().to(echo))
        })
        .bind(args.bind)
        .with_context(|| format!("binding {}", args.bind))?;
        let address = server.addrs().first().copied().unwrap_or(args.bind);
        println!("Echo server listening on http://{address}");
        server.run().await.context("serving")
    })
}

async fn echo(
    req: HttpRequest,
    body: web::Payload,
    sockets: web::Data<Sockets>,
) -> actix_web::Result<HttpResponse> {
    let (response, mut session, mut frames) = actix_ws::handle(&req, body)?;
    let sockets = Sockets::clone(&sockets);
    actix_web::rt::spawn(async move {
        if session.text(r#"{"type":"ready"}"#).await.is_err() {
            return;
        }
        let id = sockets.add(&session);
        while let Some(Ok(frame)) = frames.recv().await {
            let answered = match frame {
                Message::Text(text) => {
                    // A socket that closed fails at once; its own task removes it.
                    for mut to in sockets.audience(&session) {
                        let _ = to.text(text.clone()).await;
                    }
                    Ok(())
                }
                Message::Ping(bytes) => session.pong(&bytes).await,
                Message::Close(reason) => {
                    sockets.remove(id);
                    let _ = session.close(reason).await;
                    return;
                }
                _ => Ok(()),
            };
            if answered.is_err() {
                break;
            }
        }
        sockets.remove(id);
        let _ = session.close(None).await;
    });
    Ok(response)
}

/// Starts this same binary as an echo server in a child process, so that its memory
/// is measured from /proc exactly like Parley's.
pub async fn start() -> Result<Listening> {
    spawn(&[]).await
}

/// The same, in broadcast mode.
pub async fn start_broadcast() -> Result<Listening> {
    spawn(&["--broadcast"]).await
}

async fn spawn(flags: &[&str]) -> Result<Listening> {
    let exe = std::env::current_exe().context("finding the bench binary")?;
    let mut command = Command::new(exe);
    command
        .args(["echo-server", "--bind", "127.0.0.1:0"])
        .args(flags);
    Listening::spawn(command).await
}
