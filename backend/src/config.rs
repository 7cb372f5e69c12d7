//! Runtime configuration: command-line flags, each backed by an environment variable
//! (a `.env` file in the working directory is read first).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The most messages a room may be set to keep.
pub const MAX_HISTORY_LIMIT: i64 = 1_000_000;

/// Parley: a self-hosted real-time chat server.
#[derive(Debug, Parser)]
#[command(
    name = "parley",
    version,
    about,
    long_about = None,
    after_help = "Every option can also be set in the environment or in a .env file.\n\
                  Logging is controlled by RUST_LOG (default: info; e.g. RUST_LOG=parley=debug)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the API, the WebSocket and the web app (what `parley` alone does).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage accounts (for a server with REGISTRATION=closed).
    #[command(subcommand)]
    User(UserCommand),
}

/// The password is read from standard input when it is not a terminal (one
/// line), else asked for twice without echo. Exit status: 0 done, 1 refused or
/// failed (the reason is printed), 2 bad usage.
#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add {
        /// 3-32 characters from A-Z a-z 0-9 _ . -
        name: String,
    },
    /// Set an account's password.
    Passwd {
        /// The account, in any letter case.
        name: String,
    },
}

/// The server's settings.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database: `postgres://user:pass@host/db` for PostgreSQL; a file path or
    /// `sqlite://path` for SQLite (its directory is created).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/parley.db",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub database_url: String,

    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// HS256 signing key for access tokens. When unset, a random 256-bit key is
    /// generated once and kept in the database, so tokens survive restarts.
    /// Set it in production (at least 32 bytes). An empty value counts as unset.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of an access token: seconds, or a number with s, m, h or d.
    #[arg(long, env = "JWT_TTL", default_value = "24h", value_parser = parse_duration)]
    pub jwt_ttl: Duration,

    /// bcrypt cost factor for password hashes (4-31; each step doubles the work).
    #[arg(long, env = "BCRYPT_COST", default_value_t = 12, value_parser = clap::value_parser!(u32).range(4..=31))]
    pub bcrypt_cost: u32,

    /// Directory of the single-page app served at `/`.
    #[arg(long, env = "FRONTEND_DIR", default_value = "frontend")]
    pub frontend_dir: PathBuf,

    /// Messages a user may send per second, over REST and WebSocket together.
    #[arg(long, env = "SEND_RATE", default_value_t = 10.0, value_parser = positive)]
    pub send_rate: f64,

    /// Messages a user may send at once before SEND_RATE applies.
    #[arg(long, env = "SEND_BURST", default_value_t = 30.0, value_parser = at_least_one)]
    pub send_burst: f64,

    /// Messages (and member events) a room keeps; older ones are pruned. A room's
    /// owner can set another limit for it.
    #[arg(long, env = "ROOM_HISTORY_LIMIT", default_value_t = 10_000,
          value_parser = clap::value_parser!(i64).range(1..=MAX_HISTORY_LIMIT))]
    pub room_history_limit: i64,

    /// On SIGTERM or SIGINT: how long to wait for sockets to be answered and
    /// closed (1012, "reconnect") and for queued writes to be stored.
    #[arg(long, env = "SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// A socket whose client has answered none of the server's pings for this long
    /// is closed (1001); pings go out every third of it. Only a pong to one of the
    /// server's own pings counts, so a client that stops reading times out even if
    /// it keeps sending.
    #[arg(long, env = "SOCKET_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub socket_idle_timeout: Duration,

    /// With several nodes on one PostgreSQL: a node that has not renewed its
    /// heartbeat for this long is taken for dead, and its users with no socket
    /// elsewhere are shown offline (within this plus a quarter of it).
    #[arg(long, env = "NODE_STALE_AFTER", default_value = "10s", value_parser = parse_duration)]
    pub node_stale_after: Duration,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "WORKERS")]
    pub workers: Option<usize>,

    /// Bearer token that `GET /metrics` requires. When unset (or empty), the
    /// metrics are open to anyone who reaches the server: then do not expose
    /// `/metrics` publicly.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Other origins whose web pages may call the REST API, comma-separated
    /// (`https://app.example.com,http://localhost:5173`). Unset: none (the web
    /// app is served from the same origin and needs no CORS).
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',', value_parser = origin)]
    pub cors_origins: Vec<String>,

    /// `open`: anyone may create an account with `POST /register`; `closed`: only
    /// the operator, with `parley user add <name>` (answers 403
    /// registration_closed). A private server should be closed.
    #[arg(long, env = "REGISTRATION", value_enum, default_value_t = Registration::Open)]
    pub registration: Registration,

    /// Accounts one client address may register per second (IPv6: per /64),
    /// once REGISTER_BURST is used up (0.17: about one per 6 s).
    #[arg(long, env = "REGISTER_RATE", default_value_t = 0.17, value_parser = positive)]
    pub register_rate: f64,

    /// Accounts one client address may register at once before REGISTER_RATE
    /// applies.
    #[arg(long, env = "REGISTER_BURST", default_value_t = 3.0, value_parser = at_least_one)]
    pub register_burst: f64,

    /// Rooms a user may create per second once ROOM_BURST is used up. Default:
    /// one per 10 s.
    #[arg(long, env = "ROOM_RATE", default_value_t = 0.1, value_parser = positive)]
    pub room_rate: f64,

    /// Rooms a user may create at once before ROOM_RATE applies.
    #[arg(long, env = "ROOM_BURST", default_value_t = 10.0, value_parser = at_least_one)]
    pub room_burst: f64,

    /// Joins, leaves, member additions and removals a user may make per second
    /// once MEMBERSHIP_BURST is used up.
    #[arg(long, env = "MEMBERSHIP_RATE", default_value_t = 1.0, value_parser = positive)]
    pub membership_rate: f64,

    /// Membership changes a user may make at once before MEMBERSHIP_RATE applies.
    #[arg(long, env = "MEMBERSHIP_BURST", default_value_t = 30.0, value_parser = at_least_one)]
    pub membership_burst: f64,

    /// WebSocket connections one user may hold open at once; past it the
    /// upgrade is refused with 429 too_many_sockets.
    #[arg(long, env = "MAX_SOCKETS_PER_USER", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_sockets_per_user: u32,

    /// Reverse proxies whose X-Forwarded-For (or, without it, Forwarded) header
    /// names the client, comma-separated CIDRs or addresses
    /// (`127.0.0.1,10.0.0.0/8`). The client is the rightmost address in it that is
    /// not one of these. Requests from other peers are taken at their TCP address,
    /// whatever their headers say. Unset: no proxy is trusted.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = crate::client_address::parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// `text` (one readable line per event) or `json` (one JSON object per line:
    /// ts, level, target, msg). RUST_LOG still chooses which lines.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Where uploaded files go: a directory, or `s3://bucket/prefix` for an
    /// S3-compatible bucket (with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_REGION, AWS_ENDPOINT_URL and AWS_ALLOW_HTTP=true for a plain-http
    /// endpoint). Default: `attachments` beside the SQLite file, or
    /// `data/attachments`. Several nodes need the bucket or a shared directory.
    #[arg(long, env = "ATTACHMENT_STORE")]
    pub attachment_store: Option<String>,

    /// The largest file one upload may be: bytes, or with KiB, MiB or GiB.
    #[arg(long, env = "ATTACHMENT_MAX_BYTES", default_value = "25MiB", value_parser = parse_bytes)]
    pub attachment_max_bytes: u64,

    /// The most bytes of files each user may keep.
    #[arg(long, env = "ATTACHMENT_QUOTA_BYTES", default_value = "1GiB", value_parser = parse_bytes)]
    pub attachment_quota_bytes: u64,

    /// An upload not sent in a message within this long is deleted.
    #[arg(long, env = "ATTACHMENT_UPLOAD_TTL", default_value = "24h", value_parser = parse_duration)]
    pub attachment_upload_ttl: Duration,

    /// How long the signed `url`s in frames and history work without a token.
    #[arg(long, env = "ATTACHMENT_LINK_TTL", default_value = "24h", value_parser = parse_duration)]
    pub attachment_link_ttl: Duration,

    /// The push services Web Push subscriptions may point at: host names, or
    /// `*.domain` for its subdomains, comma-separated. The server sends requests to
    /// these URLs on its own, so nothing else is accepted. Default: the services of
    /// Chrome, Firefox, Edge and Safari.
    #[arg(
        long,
        env = "PUSH_ENDPOINT_ALLOWLIST",
        value_delimiter = ',',
        default_value = "fcm.googleapis.com,updates.push.services.mozilla.com,*.notify.windows.com,web.push.apple.com"
    )]
    pub push_endpoint_allowlist: Vec<String>,

    /// Whether a push shows the message's first words (`false`: only who wrote and
    /// where; the push service then never sees any text, even encrypted).
    #[arg(long, env = "PUSH_PREVIEWS", default_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub push_previews: bool,

    /// The contact push services see in each push's VAPID signature: `mailto:` or
    /// an `https:` URL of the operator.
    #[arg(long, env = "PUSH_SUBJECT", default_value = "mailto:admin@localhost")]
    pub push_subject: String,

    /// For tests only: accept `http://` push endpoints (on the allowlist still).
    #[arg(long, env = "PUSH_ALLOW_HTTP", default_value = "false", hide = true,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub push_allow_http: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Registration {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `scheme://host[:port]`, as a browser sends it in `Origin`.
fn origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let uri: actix_web::http::Uri = text
        .parse()
        .map_err(|_| format!("`{text}` is not an origin like https://chat.example.com"))?;
    let bare = uri.path_and_query().is_none_or(|path| path == "/");
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) if bare && !text.ends_with('/') => Ok(text.to_owned()),
        _ => Err(format!(
            "`{text}` is not an origin like https://chat.example.com (scheme and host, \
             no path or trailing slash)"
        )),
    }
}

fn positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

fn at_least_one(text: &str) -> Result<f64, String> {
    positive(text).and_then(|value| {
        if value >= 1.0 {
            Ok(value)
        } else {
            Err(format!(
                "`{text}` is less than 1: nothing could ever be sent"
            ))
        }
    })
}

/// `1048576`, `512KiB`, `25MiB`, `1GiB` (also `K`, `M`, `G`: binary all the same).
fn parse_bytes(text: &str) -> Result<u64, String> {
    with_unit(
        text,
        "a size like 1048576, 25MiB or 1GiB",
        |unit| match unit.trim() {
            "" | "B" => Ok(1),
            "K" | "KiB" => Ok(1 << 10),
            "M" | "MiB" => Ok(1 << 20),
            "G" | "GiB" => Ok(1 << 30),
            other => Err(format!("unknown unit `{other}` (use KiB, MiB or GiB)")),
        },
    )
}

/// `90`, `90s`, `15m`, `24h`, `7d`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let seconds = with_unit(
        text,
        "a duration like 3600, 90m or 24h",
        |unit| match unit {
            "" | "s" => Ok(1),
            "m" => Ok(60),
            "h" => Ok(3600),
            "d" => Ok(86_400),
            _ => Err(format!("unknown unit `{unit}` (use s, m, h or d)")),
        },
    )?;
    Ok(Duration::from_secs(seconds))
}

/// A positive whole number followed by a unit, as `unit` scales it; `like` says
/// what was expected.
fn with_unit(
    text: &str,
    like: &str,
    unit: impl Fn(&str) -> Result<u64, String>,
) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not {like}"))?;
    match number.checked_mul(unit(suffix)?) {
        Some(0) | None => Err(format!("`{text}` is out of range")),
        Some(total) => Ok(total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("3600"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
    }

    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(
            origin(" https://a.example "),
            Ok("https://a.example".into())
        );
        assert_eq!(
            origin("http://localhost:5173"),
            Ok("http://localhost:5173".into())
        );
        for bad in [
            "",
            "a.example",
            "https://a.example/",
            "https://a.example/x",
            "ftp://a",
        ] {
            assert!(origin(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("25MiB"), Ok(25 << 20));
        assert_eq!(parse_bytes("512K"), Ok(512 << 10));
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        for bad in ["", "0", "MiB", "5 TB", "-1", "1.5M"] {
            assert!(parse_bytes(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn bad_durations_are_rejected() {
        for bad in ["", "h", "0", "5w", "-1", "1.5h", "99999999999999999999"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }
}
