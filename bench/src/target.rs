//! The Parley server under test: its REST API, its WebSocket endpoint and, when
//! known, its process.

use anyhow::Result;

use crate::api::Api;
use crate::socket::Endpoint;

/// Flags that point a scenario at a server that is already running.
#[derive(clap::Args, Debug)]
pub struct Target {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The server's process id, for its CPU time and memory (from /proc).
    #[arg(long)]
    pub server_pid: Option<u32>,
}

impl Target {
    pub fn server(&self) -> Result<Server> {
        Server::new(&self.url, self.server_pid)
    }
}

pub struct Server {
    pub api: Api,
    pub endpoint: Endpoint,
    /// Where `dm`'s receivers connect: the same server, or another node of the
    /// same deployment.
    pub receivers: Endpoint,
    pub pid: Option<u32>,
}

impl Server {
    pub fn new(url: &str, pid: Option<u32>) -> Result<Self> {
        let api = Api::new(url)?;
        let endpoint = Endpoint::new(api.base())?;
        Ok(Self {
            api,
            endpoint,
            receivers: endpoint,
            pid,
        })
    }
}
