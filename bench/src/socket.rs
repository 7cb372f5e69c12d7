//! WebSocket clients: small buffers (one process holds 100,000 of them), a
//! chosen loopback source address, and a wait for `ready` before the socket counts
//! as connected.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{client_async_with_config, WebSocketStream};

use crate::stamp::Stamp;

pub type Socket = WebSocketStream<TcpStream>;

const READ_BUFFER_BYTES: usize = 4 * 1024;
const WRITE_BUFFER_BYTES: usize = 4 * 1024;
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Sockets are spread over 127.0.0.2 to 127.0.0.9, each with its own range of
/// ephemeral ports.
const SOURCE_ADDRESSES: usize = 8;

/// The source address for the `index`th socket.
pub fn source_address(index: usize) -> IpAddr {
    let offset = u8::try_from(index % SOURCE_ADDRESSES).unwrap_or(0);
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + offset))
}

/// Where `/ws` is served.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    server: SocketAddr,
}

impl Endpoint {
    /// The WebSocket endpoint of the server at `base` (an `http://IP:PORT` URL).
    pub fn new(base: &Url) -> Result<Self> {
        let host = base.host_str().context("the server URL has no host")?;
        let ip: Ipv4Addr = host
            .parse()
            .with_context(|| format!("the bench connects to an IPv4 address, not {host}"))?;
        let port = base
            .port_or_known_default()
            .context("the server URL has no port")?;
        Ok(Self {
            server: SocketAddr::new(IpAddr::V4(ip), port),
        })
    }

    /// Opens `/ws?token=…` from `source` and waits for `ready`.
    pub async fn connect(&self, token: &str, source: IpAddr) -> Result<Socket> {
        Ok(self.connect_since(token, source, None).await?.socket)
    }

    /// Opens `/ws?token=…[&since=…]` from `source` and waits for `ready`, keeping
    /// the frames replayed before it.
    pub async fn connect_since(
        &self,
        token: &str,
        source: IpAddr,
        since: Option<i64>,
    ) -> Result<Connected> {
        let tcp = TcpSocket::new_v4().context("creating a socket")?;
        tcp.bind(SocketAddr::new(source, 0))
            .with_context(|| format!("binding to {source}"))?;
        let stream = tcp
            .connect(self.server)
            .await
            .with_context(|| format!("connecting to {} from {source}", self.server))?;
        // Frames are small and latency is measured: no Nagle delays.
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        let mut url = format!("ws://{}/ws?token={token}", self.server);
        if let Some(since) = since {
            url.push_str(&format!("&since={since}"));
        }
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_BYTES)
            .write_buffer_size(WRITE_BUFFER_BYTES);
        let (mut socket, _) = client_async_with_config(url, stream, Some(config))
            .await
            .context("WebSocket handshake")?;
        let (replayed, cursor) = timeout(READY_TIMEOUT, wait_for_ready(&mut socket))
            .await
            .context("no ready frame within 30 s")??;
        Ok(Connected {
            socket,
            replayed,
            cursor,
        })
    }
}

/// A socket past its `ready` frame.
pub struct Connected {
    pub socket: Socket,
    /// The frames before `ready` (with `since`, the replay).
    pub replayed: Vec<Message>,
    /// The `ready` frame's cursor (none from the echo reference).
    pub cursor: Option<i64>,
}

async fn wait_for_ready(socket: &mut Socket) -> Result<(Vec<Message>, Option<i64>)> {
    let mut replayed = Vec::new();
    while let Some(message) = socket.next().await {
        let message = message?;
        match ServerFrame::parse(&message) {
            Some(ServerFrame::Ready { cursor }) => return Ok((replayed, cursor)),
            _ => replayed.push(message),
        }
    }
    bail!("the socket closed before ready")
}

/// How a socket the bench still wanted ended: the server's close code and reason,
/// or what broke it.
#[derive(Clone, Debug)]
pub struct Closed(String);

impl Closed {
    /// What `frames.next()` gave instead of a frame the bench reads on: a close
    /// frame, an error or the end of the stream.
    pub fn of(end: Option<Result<Message, tungstenite::Error>>) -> Self {
        Self(match end {
            Some(Ok(Message::Close(Some(frame)))) => {
                format!("close {} \"{}\"", u16::from(frame.code), frame.reason)
            }
            Some(Ok(Message::Close(None))) => "close without a code".to_owned(),
            Some(Ok(other)) => format!("unexpected {other:?}"),
            Some(Err(e)) => format!("failed: {e}"),
            None => "ended without a close frame".to_owned(),
        })
    }
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hands each frame to `on_frame` until `stop` changes, then closes the socket.
/// `Some` when the socket closed or failed first.
pub async fn read_until_stopped(
    mut socket: Socket,
    mut stop: watch::Receiver<bool>,
    mut on_frame: impl FnMut(&Message),
) -> Option<Closed> {
    let closed = loop {
        tokio::select! {
            _ = stop.changed() => break None,
            frame = socket.next() => match frame {
                Some(Ok(message)) if !message.is_close() => on_frame(&message),
                end => break Some(Closed::of(end)),
            },
        }
    };
    let _ = socket.send(Message::Close(None)).await;
    closed
}

/// Whom a `message` frame is for.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum Recipient {
    #[serde(rename = "recipient_id")]
    User(i64),
    #[serde(rename = "room_id")]
    Room(i64),
}

#[derive(Serialize)]
struct MessageFrame<'a> {
    r#type: &'static str,
    #[serde(flatten)]
    to: Recipient,
    content: &'a str,
    client_id: &'a str,
}

/// A `message` frame that carries `stamp` in its client id and its content.
pub fn message_frame(to: Recipient, stamp: &Stamp) -> Result<Message> {
    let frame = serde_json::to_string(&MessageFrame {
        r#type: "message",
        to,
        content: &stamp.content(),
        client_id: &stamp.client_id(),
    })
    .context("encoding a message frame")?;
    Ok(Message::text(frame))
}

/// The server frames the bench looks at; the others are read and ignored.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Ready {
        cursor: Option<i64>,
    },
    Ack {
        client_id: Option<String>,
        duplicate: bool,
    },
    Message {
        /// The stream position (none from the echo reference).
        cursor: Option<i64>,
        content: String,
        /// Set on room messages.
        room_id: Option<i64>,
    },
    Error {
        code: String,
        client_id: Option<String>,
    },
    #[serde(other)]
    Other,
}

impl ServerFrame {
    pub fn parse(message: &Message) -> Option<Self> {
        match message {
            Message::Text(text) => serde_json::from_str(text.as_str()).ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_names_its_code_and_reason() {
        use tungstenite::protocol::frame::coding::CloseCode;
        use tungstenite::protocol::CloseFrame;
        let close = Message::Close(Some(CloseFrame {
            code: CloseCode::Again,
            reason: "too slow".into(),
        }));
        assert_eq!(
            Closed::of(Some(Ok(close))).to_string(),
            r#"close 1013 "too slow""#
        );
        assert_eq!(Closed::of(None).to_string(), "ended without a close frame");
    }

    #[test]
    fn message_frames_name_their_recipient() {
        let stamp = Stamp {
            pair: 1,
            seq: 2,
            sent_nanos: 3,
        };
        let text = |to| match message_frame(to, &stamp).unwrap() {
            Message::Text(text) => text.as_str().to_owned(),
            other => panic!("not a text frame: {other:?}"),
        };
        let tail = format!(r#""content":"{}","client_id":"1-2-3"}}"#, stamp.content());
        assert_eq!(
            text(Recipient::User(5)),
            format!(r#"{{"type":"message","recipient_id":5,{tail}"#)
        );
        assert_eq!(
            text(Recipient::Room(7)),
            format!(r#"{{"type":"message","room_id":7,{tail}"#)
        );
    }
}
