//! Storage: one pool type for both backends, and queries written once for both.
//!
//! Each query body is pasted into a `match` arm per backend by [`db_run!`], so diesel
//! type-checks it against PostgreSQL and SQLite alike (the Vaultwarden approach);
//! every query runs on a [`Handle`]: the pool, or a connection the caller holds.

pub mod attachments;
mod conn;
pub mod events;
mod json_column;
mod listen;
mod lock;
pub mod mentions;
pub mod messages;
pub mod mutes;
pub mod nodes;
pub mod push_subscriptions;
pub mod reactions;
pub mod receipts;
pub mod revoked_tokens;
pub mod rooms;
mod schema;
pub mod secrets;
pub mod stream;
pub mod users;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use futures_util::FutureExt;

pub use crate::domain::text::storable;
pub use crate::domain::{Action, Chat, Kind, MessageId, Role, RoomId, RoomKind, UserId};
pub(crate) use conn::db_run;
pub use conn::{Conn, DbConn, Handle, TransactionBody};
pub use listen::{Listener, Notification};
pub use lock::Lock;

type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// Applied to every SQLite connection: enforce foreign keys, wait instead of failing
/// when another connection writes, and let readers run beside the writer. `FULL`
/// makes each commit durable before it is acknowledged.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] PoolError),
    #[error("migrations: {0}")]
    Migration(String),
    #[error("{0}")]
    Setup(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Whether the database could not be reached or asked to be tried again, as
    /// opposed to refusing the query: no connection in time, none could be opened,
    /// the one in use was lost, the server is shutting down or starting up, or
    /// SQLite stayed locked past `busy_timeout`. The same request can succeed later.
    pub fn is_unavailable(&self) -> bool {
        use diesel_async::pooled_connection::PoolError as Backend;
        match self {
            Self::Pool(PoolError::Timeout(_) | PoolError::Closed) => true,
            Self::Pool(PoolError::Backend(Backend::ConnectionError(e))) => {
                !matches!(e, diesel::ConnectionError::InvalidConnectionUrl(_))
            }
            Self::Pool(PoolError::Backend(Backend::QueryError(e))) | Self::Query(e) => {
                query_unavailable(e)
            }
            _ => false,
        }
    }
}

/// Server messages that mean "not now" rather than "not this query". diesel does
/// not pass PostgreSQL's SQLSTATE on (57P01 admin_shutdown, 57P02 crash_shutdown,
/// 57P03 cannot_connect_now, 53300 too_many_connections), so they are told apart by
/// their (English, PostgreSQL's default) text; SQLite's are SQLITE_BUSY and
/// SQLITE_LOCKED.
const TRY_AGAIN_MESSAGES: [&str; 9] = [
    "terminating connection due to administrator command",
    "terminating connection because of crash of another server process",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "sorry, too many clients already",
    // `lock_timeout`: another node holds the stream's write lock (see `stream`).
    "canceling statement due to lock timeout",
    "database is locked",
    "database table is locked",
];

fn query_unavailable(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error as Query};
    match error {
        // A lost connection (tokio-postgres errors without a SQLSTATE end up here).
        Query::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection,
            _,
        ) => true,
        Query::DatabaseError(_, info) => {
            let message = info.message();
            TRY_AGAIN_MESSAGES
                .iter()
                .any(|known| message.starts_with(known))
        }
        // A transaction whose connection broke fails its rollback too.
        Query::RollbackErrorOnCommit {
            rollback_error,
            commit_error,
        } => query_unavailable(rollback_error) || query_unavailable(commit_error),
        _ => false,
    }
}

/// A connection pool for whichever backend `DATABASE_URL` names.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
    /// Set while the last attempt to get a connection failed to reach the database.
    down: Arc<AtomicBool>,
    /// `DATABASE_URL`, for connections outside the pool (see [`Db::listen`]).
    url: Arc<str>,
}

#[derive(Clone)]
pub enum Pools {
    Postgres(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// How long a request may wait for a pooled connection, and for a new one to open,
/// while the database answers: a burst of requests queues for a free connection.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// Checking that an idle connection still works; without a bound, a database that
/// stopped answering (but whose host still acknowledges packets) holds it forever.
const RECYCLE_WAIT: Duration = Duration::from_secs(5);
/// All three waits while the last attempt failed to reach the database: requests do
/// not queue behind an outage for the full wait, they get `unavailable` within this.
const POOL_WAIT_WHILE_DOWN: Duration = Duration::from_secs(1);

/// Where `DATABASE_URL` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Postgres(String),
    Sqlite(PathBuf),
}

/// Where files go when `ATTACHMENT_STORE` is not set: `attachments` beside the
/// SQLite file, or `data/attachments` for PostgreSQL.
pub fn default_attachment_dir(url: &str) -> PathBuf {
    match Location::parse(url) {
        Location::Sqlite(path) => path.parent().map_or_else(
            || PathBuf::from("attachments"),
            |dir| dir.join("attachments"),
        ),
        Location::Postgres(_) => PathBuf::from("data/attachments"),
    }
}

impl Location {
    pub fn parse(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres(url.to_owned())
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Self::Sqlite(PathBuf::from(path))
        }
    }
}

impl Db {
    /// Opens the pool and applies any pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let pools = match Location::parse(url) {
            Location::Postgres(url) => {
                let mut config = ManagerConfig::default();
                config.custom_setup = Box::new(|url| open_postgres(url.to_owned()).boxed());
                let manager = AsyncDieselConnectionManager::new_with_config(url, config);
                Pools::Postgres(build_pool(manager, 16)?)
            }
            Location::Sqlite(path) => {
                create_parent_dir(&path)?;
                let mut config = ManagerConfig::default();
                config.custom_setup = Box::new(|url| open_sqlite(url.to_owned()).boxed());
                let url = path.to_string_lossy().into_owned();
                let manager = AsyncDieselConnectionManager::new_with_config(url, config);
                Pools::Sqlite(build_pool(manager, 8)?)
            }
        };
        let db = Self {
            pools,
            down: Arc::new(AtomicBool::new(false)),
            url: url.into(),
        };
        db.migrate().await?;
        Ok(db)
    }

    pub fn pools(&self) -> &Pools {
        &self.pools
    }

    fn url(&self) -> &str {
        &self.url
    }

    /// A pooled connection. While the database is known to be unreachable, waits
    /// at most [`POOL_WAIT_WHILE_DOWN`]; the first connection that works again ends
    /// that.
    pub async fn checkout<C>(&self, pool: &Pool<C>) -> Result<Object<C>>
    where
        C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
        AsyncDieselConnectionManager<C>: deadpool::managed::Manager<
            Type = C,
            Error = diesel_async::pooled_connection::PoolError,
        >,
    {
        let got = if self.down.load(Ordering::Relaxed) {
            let wait = Some(POOL_WAIT_WHILE_DOWN);
            let timeouts = deadpool::managed::Timeouts {
                wait,
                create: wait,
                recycle: wait,
            };
            pool.timeout_get(&timeouts).await
        } else {
            pool.get().await
        };
        match got {
            Ok(conn) => {
                self.down.store(false, Ordering::Relaxed);
                Ok(conn)
            }
            Err(e) => {
                let error = Error::Pool(e);
                if error.is_unavailable() {
                    self.down.store(true, Ordering::Relaxed);
                }
                Err(error)
            }
        }
    }

    /// Connections in the pool, lent out, and waited for.
    pub fn pool_status(&self) -> deadpool::Status {
        match &self.pools {
            Pools::Postgres(pool) => pool.status(),
            Pools::Sqlite(pool) => pool.status(),
        }
    }

    /// Whether other processes may write to this database (PostgreSQL: other
    /// nodes); SQLite is one process's.
    pub fn is_shared(&self) -> bool {
        matches!(self.pools, Pools::Postgres(_))
    }

    pub fn backend_name(&self) -> &'static str {
        match &self.pools {
            Pools::Postgres(_) => "PostgreSQL",
            Pools::Sqlite(_) => "SQLite",
        }
    }

    async fn migrate(&self) -> Result<()> {
        match &self.pools {
            Pools::Postgres(pool) => {
                // Nodes starting together on one database take turns: the first
                // migrates, the others then find nothing to do. The lock is the
                // session's of a connection of its own, released when it closes.
                let mut turn = open_postgres(self.url.to_string())
                    .await
                    .map_err(|e| Error::Migration(format!("connecting: {e}")))?;
                turn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                    .await?;
                run_migrations(self.checkout(pool).await?, POSTGRES_MIGRATIONS).await
            }
            Pools::Sqlite(pool) => {
                run_migrations(self.checkout(pool).await?, SQLITE_MIGRATIONS).await
            }
        }
    }

    /// Whether the database answers and has every migration this build knows.
    pub async fn is_ready(&self) -> Result<bool> {
        match &self.pools {
            Pools::Postgres(pool) => {
                is_migrated(self.checkout(pool).await?, POSTGRES_MIGRATIONS).await
            }
            Pools::Sqlite(pool) => is_migrated(self.checkout(pool).await?, SQLITE_MIGRATIONS).await,
        }
    }
}

fn build_pool<C>(manager: AsyncDieselConnectionManager<C>, size: usize) -> Result<Pool<C>>
where
    C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager,
{
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(POOL_WAIT))
        .recycle_timeout(Some(RECYCLE_WAIT))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| Error::Setup(format!("connection pool: {e}")))
}

/// The advisory lock key nodes take turns migrating under ("parlez" in ASCII).
const MIGRATION_LOCK: i64 = 0x7061_726c_657a;

/// Applied to every PostgreSQL connection of the pool. A node that stops mid-batch
/// (hung, or cut off from the database without its connection closing) must not
/// hold the stream's write lock for long: its transaction is ended after
/// `idle_in_transaction_session_timeout`, and a writer waiting for the lock gives
/// up after `lock_timeout` (its batch is answered `unavailable`, to be retried).
const POSTGRES_SETTINGS: &str =
    "SET lock_timeout = '5s'; SET idle_in_transaction_session_timeout = '15s';";

async fn open_postgres(url: String) -> diesel::ConnectionResult<AsyncPgConnection> {
    let mut conn = AsyncPgConnection::establish(&url).await?;
    conn.batch_execute(POSTGRES_SETTINGS)
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

async fn open_sqlite(path: String) -> diesel::ConnectionResult<SqliteConn> {
    let mut conn = SqliteConn::establish(&path).await?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

fn create_parent_dir(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|e| Error::Setup(format!("cannot create {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}

/// Asks the migration table, on a blocking thread like the migrations themselves.
async fn is_migrated<C, B>(conn: C, migrations: EmbeddedMigrations) -> Result<bool>
where
    C: AsyncConnection<Backend = B> + Send + 'static,
    AsyncMigrationHarness<C>: MigrationHarness<B>,
    B: diesel::backend::Backend,
{
    tokio::task::spawn_blocking(move || {
        AsyncMigrationHarness::new(conn)
            .has_pending_migration(migrations)
            .map(|pending| !pending)
            .map_err(|e| Error::Migration(e.to_string()))
    })
    .await
    .map_err(|e| Error::Migration(e.to_string()))?
}

/// Migrations use diesel's synchronous harness, so they run on a blocking thread.
async fn run_migrations<C, B>(conn: C, migrations: EmbeddedMigrations) -> Result<()>
where
    C: AsyncConnection<Backend = B> + Send + 'static,
    AsyncMigrationHarness<C>: MigrationHarness<B>,
    B: diesel::backend::Backend,
{
    tokio::task::spawn_blocking(move || {
        let mut harness = AsyncMigrationHarness::new(conn);
        harness
            .run_pending_migrations(migrations)
            .map(|_| ())
            .map_err(|e| Error::Migration(e.to_string()))
    })
    .await
    .map_err(|e| Error::Migration(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::{Connection, RunQueryDsl};

    #[test]
    fn a_locked_sqlite_file_is_unavailable_and_a_broken_query_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locked.db");
        let path = path.to_str().unwrap();
        let mut holder = SqliteConnection::establish(path).unwrap();
        diesel::sql_query("CREATE TABLE t (x INTEGER)")
            .execute(&mut holder)
            .unwrap();
        diesel::sql_query("BEGIN IMMEDIATE")
            .execute(&mut holder)
            .unwrap();

        // What a writer gets once `busy_timeout` runs out (0 here, not to wait).
        let mut writer = SqliteConnection::establish(path).unwrap();
        diesel::sql_query("PRAGMA busy_timeout = 0")
            .execute(&mut writer)
            .unwrap();
        let busy = diesel::sql_query("INSERT INTO t VALUES (1)")
            .execute(&mut writer)
            .unwrap_err();
        assert!(Error::Query(busy).is_unavailable());

        let broken = diesel::sql_query("SELECT * FROM no_such_table")
            .execute(&mut writer)
            .unwrap_err();
        assert!(!Error::Query(broken).is_unavailable());
        assert!(!Error::Query(diesel::result::Error::NotFound).is_unavailable());
        assert!(!Error::Migration("x".into()).is_unavailable());
    }

    #[test]
    fn pool_timeouts_and_failed_connects_are_unavailable() {
        use deadpool::managed::TimeoutType;
        use diesel_async::pooled_connection::PoolError as Backend;
        assert!(Error::Pool(PoolError::Timeout(TimeoutType::Wait)).is_unavailable());
        assert!(Error::Pool(PoolError::Timeout(TimeoutType::Create)).is_unavailable());
        let refused = diesel::ConnectionError::BadConnection("connection refused".into());
        assert!(
            Error::Pool(PoolError::Backend(Backend::ConnectionError(refused))).is_unavailable()
        );
        let lost = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UnableToSendCommand,
            Box::new("connection closed".to_owned()),
        );
        assert!(Error::Query(lost).is_unavailable());
    }

    #[test]
    fn urls_select_the_backend() {
        assert_eq!(
            Location::parse("postgres://u@h/db"),
            Location::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            Location::parse("postgresql://h/db"),
            Location::Postgres("postgresql://h/db".into())
        );
        assert_eq!(
            Location::parse("sqlite://data/parley.db"),
            Location::Sqlite("data/parley.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/parley.db"),
            Location::Sqlite("/var/lib/parley.db".into())
        );
        assert_eq!(
            Location::parse("chat.db"),
            Location::Sqlite("chat.db".into())
        );
    }
}
