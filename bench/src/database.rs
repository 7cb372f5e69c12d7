//! Direct access to the server's PostgreSQL database: settings, row counts, and the
//! connections the seeding and the insert ceiling use.

use anyhow::{Context, Result};
use tokio_postgres::{Client, NoTls};

pub async fn connect(url: &str) -> Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("database connection: {e}");
        }
    });
    Ok(client)
}

/// The value of a server setting, as `SHOW` prints it.
pub async fn setting(client: &Client, name: &str) -> Result<String> {
    let row = client
        .query_one("SELECT current_setting($1)", &[&name])
        .await
        .with_context(|| format!("reading the setting {name}"))?;
    Ok(row.get(0))
}

/// Messages (not edit or delete events) stored from these senders.
pub async fn messages_sent_by(client: &Client, senders: &[i64]) -> Result<i64> {
    let row = client
        .query_one(
            "SELECT count(*) FROM messages WHERE kind = 'message' AND sender_id = ANY($1)",
            &[&senders],
        )
        .await
        .context("counting stored messages")?;
    Ok(row.get(0))
}
