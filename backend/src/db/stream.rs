//! The `messages` table as a log that several nodes append to and read.
//!
//! Ids come from a sequence, drawn before commit, and transactions commit in any
//! order: on its own, "every row after my cursor" could skip a row committed late
//! with a smaller id. So every transaction that adds rows first takes
//! [`lock_for_writes`], a transaction-scoped lock that PostgreSQL releases only
//! after the commit is visible, and only then draws its ids. Id order is then
//! commit order across every node: once a row is visible, every row with a smaller
//! id that will ever exist is visible too. (The sequence hands out one id at a time:
//! `BIGSERIAL`'s default `CACHE 1`.) On SQLite one process writes, through one
//! writer, so the order holds without a lock.

use diesel::dsl::max;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable};
use diesel_async::RunQueryDsl;

use super::messages::Message;
use super::schema::messages;
use super::{db_run, Conn, DbConn, Handle, MessageId, Result, RoomId};

/// The advisory lock key of stream writes (any constant; "parley" in ASCII).
const WRITE_LOCK: i64 = 0x7061_726c_6579;

/// The channel a committed batch announces its newest id on.
pub const COMMITTED: &str = "parley_stream";

diesel::define_sql_function!(fn pg_advisory_xact_lock(key: BigInt));

/// Takes the stream's write lock for the rest of `conn`'s transaction (PostgreSQL;
/// SQLite has one writer).
pub async fn lock_for_writes(conn: &mut DbConn<'_>) -> Result<()> {
    if let Conn::Postgres(conn) = conn.conn() {
        diesel::select(pg_advisory_xact_lock(WRITE_LOCK))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Tells every listening node, when `conn`'s transaction commits, that the stream
/// grew: `payload` says how far (PostgreSQL; on SQLite nobody else listens).
pub async fn announce(conn: &mut DbConn<'_>, payload: &str) -> Result<()> {
    if let Conn::Postgres(conn) = conn.conn() {
        super::listen::notify(conn, COMMITTED, payload).await?;
    }
    Ok(())
}

/// The rooms with member events after `after`, and the newest id of all: what
/// other nodes changed since this one last looked, read under the write lock so
/// that nothing can commit in between. One round trip (PostgreSQL only: with
/// SQLite there are no other nodes).
pub async fn since(conn: &mut DbConn<'_>, after: MessageId) -> Result<Changes> {
    let Conn::Postgres(conn) = conn.conn() else {
        return Err(super::Error::Setup(
            "stream::since is for PostgreSQL".into(),
        ));
    };
    let found: Found = diesel::sql_query(
        "SELECT (SELECT max(id) FROM messages) AS newest, \
         array(SELECT DISTINCT room_id FROM messages \
               WHERE id > $1 AND kind IN ('joined', 'left', 'added', 'removed')) AS rooms",
    )
    .bind::<BigInt, _>(after.0)
    .get_result(conn)
    .await?;
    Ok(Changes {
        rooms: found.rooms.into_iter().map(RoomId).collect(),
        newest: MessageId(found.newest.unwrap_or(0)),
    })
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Nullable<BigInt>)]
    newest: Option<i64>,
    #[diesel(sql_type = Array<BigInt>)]
    rooms: Vec<i64>,
}

/// What [`since`] found.
#[derive(Debug)]
pub struct Changes {
    pub rooms: Vec<RoomId>,
    pub newest: MessageId,
}

/// The newest id in the stream (0 when it is empty).
pub async fn newest(db: impl Into<Handle<'_>>) -> Result<MessageId> {
    let newest: Option<MessageId> = db_run!(db, |conn| {
        messages::table.select(max(messages::id)).first(conn).await
    })?;
    Ok(newest.unwrap_or(MessageId(0)))
}

/// Up to `limit` rows after `after` and before `before` (if given), in id order.
pub async fn rows(
    db: impl Into<Handle<'_>>,
    after: MessageId,
    before: Option<MessageId>,
    limit: i64,
) -> Result<Vec<Message>> {
    let before = before.unwrap_or(MessageId(i64::MAX));
    Ok(db_run!(db, |conn| {
        messages::table
            .filter(messages::id.gt(after))
            .filter(messages::id.lt(before))
            .order(messages::id)
            .limit(limit)
            .select(Message::as_select())
            .load(conn)
            .await
    })?)
}
