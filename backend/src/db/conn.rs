//! Where a query runs (Lemmy's `DbPool`, for two backends): every query takes an
//! `impl Into<Handle>`, which is either the pool (`&db`: the query checks out a
//! connection of its own) or a connection the caller holds (`&mut conn`), so that
//! several queries share one connection or one transaction.
//!
//! A query future dropped mid-flight on SQLite blocks its thread until the query
//! ends (diesel-async's `SyncConnectionWrapper`), which panics on a current-thread
//! runtime: holding a connection across queries does not change which futures can
//! be dropped, so whoever might drop one still runs it in a task of its own.

use std::future::Future;

use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncConnection, AsyncPgConnection, TransactionManager};

use super::{Db, Pools, Result, SqliteConn};

/// The pool, or a connection a caller holds.
pub enum Handle<'a> {
    Pool(&'a Db),
    Conn(Conn<'a>),
}

/// A borrowed connection of either backend; [`db_run!`] pastes a query into an arm
/// for each.
pub enum Conn<'a> {
    Postgres(&'a mut AsyncPgConnection),
    Sqlite(&'a mut SqliteConn),
}

/// A connection held for several queries: checked out of the pool (and returned to
/// it when dropped), or lent by whoever holds it (inside [`DbConn::transaction`]).
pub struct DbConn<'a>(Held<'a>);

enum Held<'a> {
    /// Boxed: a PostgreSQL connection is several times the size of the others.
    Postgres(Box<Object<AsyncPgConnection>>),
    Sqlite(Object<SqliteConn>),
    Lent(Conn<'a>),
}

impl<'a> From<&'a Db> for Handle<'a> {
    fn from(db: &'a Db) -> Self {
        Self::Pool(db)
    }
}

impl<'a, 'b: 'a> From<&'a mut DbConn<'b>> for Handle<'a> {
    fn from(conn: &'a mut DbConn<'b>) -> Self {
        Self::Conn(conn.conn())
    }
}

impl<'a> Handle<'a> {
    /// One connection for several queries: the one lent, or one from the pool.
    pub async fn hold(self) -> Result<DbConn<'a>> {
        match self {
            Self::Pool(db) => db.conn().await,
            Self::Conn(conn) => Ok(DbConn(Held::Lent(conn))),
        }
    }
}

impl Db {
    /// A connection of the pool, for several queries (see [`Db::checkout`]).
    pub async fn conn(&self) -> Result<DbConn<'static>> {
        Ok(DbConn(match self.pools() {
            Pools::Postgres(pool) => Held::Postgres(Box::new(self.checkout(pool).await?)),
            Pools::Sqlite(pool) => Held::Sqlite(self.checkout(pool).await?),
        }))
    }

    /// Runs `body` in a transaction on a connection of its own: committed when it
    /// returns `Ok`, rolled back otherwise.
    pub async fn transaction<R, F>(&self, body: F) -> Result<R>
    where
        for<'r> F: AsyncFnOnce(DbConn<'r>) -> Result<R>
            + TransactionBody<DbConn<'r>, Result<R>, Fut: Send>
            + Send,
        R: Send,
    {
        self.conn().await?.transaction(body).await
    }
}

impl DbConn<'_> {
    /// The connection itself, borrowed for one query.
    pub(super) fn conn(&mut self) -> Conn<'_> {
        match &mut self.0 {
            Held::Postgres(conn) => Conn::Postgres(conn),
            Held::Sqlite(conn) => Conn::Sqlite(conn),
            Held::Lent(Conn::Postgres(conn)) => Conn::Postgres(conn),
            Held::Lent(Conn::Sqlite(conn)) => Conn::Sqlite(conn),
        }
    }

    /// Runs `body` in a transaction on this connection (a savepoint inside
    /// another): committed when it returns `Ok`, rolled back otherwise. A
    /// transaction whose future is dropped is never committed: the pool discards a
    /// connection returned with one open.
    pub async fn transaction<R, F>(&mut self, body: F) -> Result<R>
    where
        for<'r> F: AsyncFnOnce(DbConn<'r>) -> Result<R>
            + TransactionBody<DbConn<'r>, Result<R>, Fut: Send>
            + Send,
        R: Send,
    {
        match self.conn() {
            Conn::Postgres(conn) => begin::<AsyncPgConnection>(conn).await?,
            Conn::Sqlite(conn) => begin_sqlite(conn).await?,
        }
        let outcome = body(DbConn(Held::Lent(self.conn()))).await;
        let ended = match (self.conn(), outcome.is_ok()) {
            (Conn::Postgres(conn), true) => commit::<AsyncPgConnection>(conn).await,
            (Conn::Sqlite(conn), true) => commit::<SqliteConn>(conn).await,
            (Conn::Postgres(conn), false) => rollback::<AsyncPgConnection>(conn).await,
            (Conn::Sqlite(conn), false) => rollback::<SqliteConn>(conn).await,
        };
        match (outcome, ended) {
            (outcome, Ok(())) => outcome,
            (Ok(_), Err(e)) => Err(e.into()),
            // The body's error, which likely caused the failed rollback, says more.
            (Err(e), Err(diesel::result::Error::BrokenTransactionManager)) => Err(e),
            (Err(_), Err(rollback)) => Err(rollback.into()),
        }
    }
}

async fn begin<C: AsyncConnection>(conn: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::begin_transaction(conn).await
}

/// Our transactions write: on SQLite each takes the write lock at `BEGIN`, waiting
/// for it as `busy_timeout` says. A deferred one that read first could not take it
/// after another connection wrote (`SQLITE_BUSY` at once, whatever the timeout).
async fn begin_sqlite(conn: &mut SqliteConn) -> diesel::QueryResult<()> {
    let immediate = conn.spawn_blocking(|conn| {
        diesel::connection::AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE")
    });
    match immediate.await {
        // Inside another: a savepoint.
        Err(diesel::result::Error::AlreadyInTransaction) => begin::<SqliteConn>(conn).await,
        begun => begun,
    }
}

async fn commit<C: AsyncConnection>(conn: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::commit_transaction(conn).await
}

async fn rollback<C: AsyncConnection>(conn: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::rollback_transaction(conn).await
}

/// An async closure whose future can be named, to require it be `Send` for every
/// lifetime of the connection it is given (diesel-async's `AsyncFunc`, which it
/// does not export).
pub trait TransactionBody<T, R>:
    AsyncFnOnce(T) -> R + FnOnce(T) -> <Self as TransactionBody<T, R>>::Fut
{
    type Fut: Future<Output = R>;
}

impl<F, T, Fut, R> TransactionBody<T, R> for F
where
    F: AsyncFnOnce(T) -> R + FnOnce(T) -> Fut,
    Fut: Future<Output = R>,
{
    type Fut = Fut;
}

/// Runs one query body on the connection `$handle` names (see [`Handle`]), in an
/// arm per backend.
macro_rules! db_run {
    ($handle:expr, |$conn:ident| $body:expr) => {{
        let handle: $crate::db::Handle<'_> = $handle.into();
        let mut held = handle.hold().await?;
        match held.conn() {
            $crate::db::Conn::Postgres($conn) => $body,
            $crate::db::Conn::Sqlite($conn) => $body,
        }
    }};
}
pub(crate) use db_run;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::secrets;

    async fn sqlite() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("t.db").to_string_lossy().into_owned();
        let db = Db::connect(&url).await.unwrap();
        (dir, db)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_commits_on_ok_and_rolls_back_on_err() {
        let (_dir, db) = sqlite().await;
        let names = ["kept", "dropped"];
        // Borrows from outside the body, and runs in a task of its own (Send).
        let task = {
            let db = db.clone();
            tokio::spawn(async move {
                let kept = db
                    .transaction(async |mut conn| {
                        secrets::get_or_insert(&mut conn, names[0], || "1".into()).await?;
                        secrets::get_or_insert(&mut conn, names[0], || "2".into()).await
                    })
                    .await;
                let dropped: Result<String> = db
                    .transaction(async |mut conn| {
                        secrets::get_or_insert(&mut conn, names[1], || "1".into()).await?;
                        Err(crate::db::Error::Setup("no".into()))
                    })
                    .await;
                (kept, dropped)
            })
        };
        let (kept, dropped) = task.await.unwrap();
        assert_eq!(kept.unwrap(), "1");
        assert!(dropped.is_err());
        let mut conn = db.conn().await.unwrap();
        let again = secrets::get_or_insert(&mut conn, "dropped", || "3".into());
        assert_eq!(again.await.unwrap(), "3");
    }
}
