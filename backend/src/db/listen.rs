//! PostgreSQL's `LISTEN`: a connection of its own (not the pool's: it waits for
//! notifications between queries), through which other nodes' `NOTIFY`s arrive.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;

use super::{Db, Error, Pools, Result};

diesel::define_sql_function!(fn pg_notify(channel: diesel::sql_types::Text, payload: diesel::sql_types::Text));

/// Sends `payload` on `channel` to every connection listening there (when `conn`'s
/// transaction commits, if it is in one).
pub(super) async fn notify(
    conn: &mut AsyncPgConnection,
    channel: &str,
    payload: &str,
) -> diesel::QueryResult<usize> {
    diesel::select(pg_notify(channel, payload))
        .execute(conn)
        .await
}

/// How long opening the connection may take.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// A notification: its channel and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub channel: String,
    pub payload: String,
}

/// A connection listening on some channels.
pub struct Listener {
    conn: AsyncPgConnection,
}

impl Db {
    /// A new connection listening on `channels`; `None` on SQLite, which has one
    /// process and so nobody to hear from.
    pub async fn listen(&self, channels: &[&str]) -> Result<Option<Listener>> {
        let Pools::Postgres(_) = self.pools() else {
            return Ok(None);
        };
        let connect = AsyncPgConnection::establish(self.url());
        let mut conn = tokio::time::timeout(CONNECT_WAIT, connect)
            .await
            .map_err(|_| Error::Setup("listening: no connection in time".into()))?
            .map_err(|e| Error::Setup(format!("listening: {e}")))?;
        for channel in channels {
            // A channel is an identifier, not a value: it cannot be a bind
            // parameter. Ours are constants of the code.
            diesel::sql_query(format!("LISTEN {channel}"))
                .execute(&mut conn)
                .await?;
        }
        Ok(Some(Listener { conn }))
    }
}

impl Listener {
    /// The next notification; an error when the connection is lost (listen
    /// again: what was sent meanwhile is gone).
    pub async fn next(&mut self) -> Result<Notification> {
        let mut stream = std::pin::pin!(self.conn.notifications_stream());
        match stream.next().await {
            Some(Ok(notification)) => Ok(Notification {
                channel: notification.channel,
                payload: notification.payload,
            }),
            Some(Err(e)) => Err(e.into()),
            None => Err(Error::Setup("listening: the connection closed".into())),
        }
    }
}
