//! Storage: one pool type for both backends, and queries written once for both.
//!
//! Each query body is pasted into a `match` arm per backend by [`db_run!`], so diesel
//! type-checks it against PostgreSQL and SQLite alike (the Vaultwarden approach).

mod ids;
mod kind;
mod lock;
pub mod messages;
pub mod revoked_tokens;
pub mod rooms;
mod schema;
pub mod secrets;
pub mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Pool, PoolError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use futures_util::FutureExt;

pub use ids::{Chat, MessageId, RoomId, UserId};
pub use kind::{Action, Kind, Role, RoomKind};
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

/// Whether both backends can store and look up `text`: PostgreSQL's `text` cannot
/// hold U+0000 (SQLite's can), and a query binding it fails. Text to be stored is
/// refused before it gets here; lookups by such text find nothing.
pub fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// A connection pool for whichever backend `DATABASE_URL` names.
#[derive(Clone)]
pub enum Db {
    Postgres(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// Runs one query body on a pooled connection of whichever backend `$db` is.
macro_rules! db_run {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Postgres(pool) => {
                let mut $conn = pool.get().await?;
                let $conn = &mut *$conn;
                $body
            }
            $crate::db::Db::Sqlite(pool) => {
                let mut $conn = pool.get().await?;
                let $conn = &mut *$conn;
                $body
            }
        }
    };
}
pub(crate) use db_run;

/// Where `DATABASE_URL` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Postgres(String),
    Sqlite(PathBuf),
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
        let db = match Location::parse(url) {
            Location::Postgres(url) => {
                let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
                Self::Postgres(build_pool(manager, 16)?)
            }
            Location::Sqlite(path) => {
                create_parent_dir(&path)?;
                let mut config = ManagerConfig::default();
                config.custom_setup = Box::new(|url| open_sqlite(url.to_owned()).boxed());
                let url = path.to_string_lossy().into_owned();
                let manager = AsyncDieselConnectionManager::new_with_config(url, config);
                Self::Sqlite(build_pool(manager, 8)?)
            }
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Connections in the pool, lent out, and waited for.
    pub fn pool_status(&self) -> deadpool::Status {
        match self {
            Self::Postgres(pool) => pool.status(),
            Self::Sqlite(pool) => pool.status(),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "PostgreSQL",
            Self::Sqlite(_) => "SQLite",
        }
    }

    async fn migrate(&self) -> Result<()> {
        match self {
            Self::Postgres(pool) => run_migrations(pool.get().await?, POSTGRES_MIGRATIONS).await,
            Self::Sqlite(pool) => run_migrations(pool.get().await?, SQLITE_MIGRATIONS).await,
        }
    }

    /// Whether the database answers and has every migration this build knows.
    pub async fn is_ready(&self) -> Result<bool> {
        match self {
            Self::Postgres(pool) => is_migrated(pool.get().await?, POSTGRES_MIGRATIONS).await,
            Self::Sqlite(pool) => is_migrated(pool.get().await?, SQLITE_MIGRATIONS).await,
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
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(10)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| Error::Setup(format!("connection pool: {e}")))
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
