//! The raw reference: an actix-ws echo server with no authentication and no
//! database. It greets each socket with a `ready` frame (so clients connect to it
//! exactly as to Parley), echoes text frames and answers pings.

use std::net::SocketAddr;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use actix_ws::Message;
use anyhow::{Context, Result};
use tokio::process::Command;

use crate::child::Listening;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
}

/// Serves until the process is stopped.
pub fn serve(args: &Args) -> Result<()> {
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(|| App::new().route("/ws", web::get().to(echo)))
            .bind(args.bind)
            .with_context(|| format!("binding {}", args.bind))?;
        let address = server.addrs().first().copied().unwrap_or(args.bind);
        println!("Echo server listening on http://{address}");
        server.run().await.context("serving")
    })
}

async fn echo(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, mut session, mut frames) = actix_ws::handle(&req, body)?;
    actix_web::rt::spawn(async move {
        if session.text(r#"{"type":"ready"}"#).await.is_err() {
            return;
        }
        while let Some(Ok(frame)) = frames.recv().await {
            let answered = match frame {
                Message::Text(text) => session.text(text).await,
                Message::Ping(bytes) => session.pong(&bytes).await,
                Message::Close(reason) => {
                    let _ = session.close(reason).await;
                    return;
                }
                _ => Ok(()),
            };
            if answered.is_err() {
                return;
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}

/// Starts this same binary as an echo server in a child process, so that its memory
/// is measured from /proc exactly like Parley's.
pub async fn start() -> Result<Listening> {
    let exe = std::env::current_exe().context("finding the bench binary")?;
    let mut command = Command::new(exe);
    command.args(["echo-server", "--bind", "127.0.0.1:0"]);
    Listening::spawn(command).await
}
