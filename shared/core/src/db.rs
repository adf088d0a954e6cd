//! One database handle for both engines. `sqlx::Any` keeps a single code path: queries use `$N`
//! placeholders (which SQLite accepts too) and only portable column types (TEXT, BIGINT,
//! DOUBLE PRECISION), with instants stored as Unix milliseconds. On PostgreSQL a native pool
//! sits beside it for the few hot statements that bind arrays, which `Any` cannot.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AnyPool, Executor, PgPool};

/// Which server the URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine a database URL names, or an error naming the accepted schemes.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(DbError::UnsupportedUrl),
        }
    }
}

/// Storage failures, classified so that no caller inspects SQL error codes.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error("a row with this key exists already")]
    UniqueViolation,
    #[error("the database is busy; try again")]
    Busy,
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db_error) = &error {
            if db_error.is_unique_violation() {
                return Self::UniqueViolation;
            }
            // SQLITE_BUSY (5) / SQLITE_LOCKED (6), and PostgreSQL's serialization failure and
            // deadlock: the operation can simply be retried.
            if matches!(
                db_error.code().as_deref(),
                Some("5" | "6" | "40001" | "40P01")
            ) {
                return Self::Busy;
            }
        }
        Self::Other(error)
    }
}

/// A pool plus the engine it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    /// PostgreSQL only: the same database through sqlx's native driver.
    postgres: Option<PgPool>,
}

/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

impl Db {
    /// Opens a pool. SQLite files (and their folder) are created when missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        install_default_drivers();
        let engine = Engine::from_url(url)?;
        let url = match engine {
            Engine::Sqlite => sqlite_url_with_create(url)?,
            Engine::Postgres => url.to_owned(),
        };
        let budget = Budget::split(engine, max_connections);
        let options = AnyPoolOptions::new()
            .max_connections(budget.general)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // No ping before every acquire: it was a round trip per use of the pool. sqlx still
            // pings each connection when it goes back to the pool and closes one that does not
            // answer; a connection that breaks in between fails its query with an error (the
            // caller's operation fails and is retried on its own schedule); and the server's
            // health task queries the pool every few seconds.
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // WAL lets readers proceed while one writer writes; the busy timeout makes
                        // concurrent writers queue instead of failing at once.
                        let pragmas = format!(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;"
                        );
                        conn.execute(pragmas.as_str()).await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await?;
        let postgres = match engine {
            Engine::Postgres => Some(native_postgres(&url, budget.native)?),
            Engine::Sqlite => None,
        };
        Ok(Self {
            pool,
            engine,
            postgres,
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The native PostgreSQL pool (`None` on SQLite), for statements that bind arrays: a hot
    /// path that would otherwise send array literals for the server to parse.
    pub fn postgres(&self) -> Option<&PgPool> {
        self.postgres.as_ref()
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes can fail with
    /// SQLITE_BUSY without waiting when another writer committed in between.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, DbError> {
        let tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        if let Some(postgres) = &self.postgres {
            postgres.close().await;
        }
        self.pool.close().await;
    }
}

/// How a process's `max_connections` is shared between its pools. It is one budget, not one per
/// pool: PostgreSQL refuses connections beyond its own `max_connections` (100 by default), and
/// the operator sizes the server by the pods times this setting. Measured: two syncer replicas
/// opening twice their setting of 20 beside settings and matcher made PostgreSQL answer "too
/// many clients", and every pool waiting for a connection it could not open timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Budget {
    /// The `Any` pool every statement but ingest's bulk insert uses.
    general: u32,
    /// PostgreSQL's native pool (ingest's bulk insert): one statement a RecordPunches call, so a
    /// quarter of the budget carries many times the calls the general pool does.
    native: u32,
}

impl Budget {
    fn split(engine: Engine, max_connections: u32) -> Self {
        let total = max_connections.max(1);
        match engine {
            // A pool needs at least one connection: a budget of 1 lends the native pool its own.
            Engine::Postgres if total == 1 => Self {
                general: 1,
                native: 1,
            },
            Engine::Postgres => {
                let native = (total / 4).max(1);
                Self {
                    general: total - native,
                    native,
                }
            }
            Engine::Sqlite => Self {
                general: total,
                native: 0,
            },
        }
    }
}

/// How long a caller waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The native pool beside the `Any` one, from the same URL (so the same host, credentials and
/// TLS settings) and the same pool settings but its share of the connections. It opens its connections only when a
/// statement needs one: a service that never runs such a statement holds none.
fn native_postgres(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // As for the `Any` pool: no round trip before every use.
        .test_before_acquire(false)
        .connect_lazy_with(options);
    Ok(pool)
}

/// Adds `mode=rwc` so a missing SQLite file is created, and creates it (and its folder) first
/// with owner-only permissions: the files hold sealed tokens, employees' names and punch
/// locations. SQLite gives its `-wal` and `-shm` files the database file's permissions.
fn sqlite_url_with_create(url: &str) -> Result<String, DbError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory");
    if !in_memory && !path.is_empty() {
        create_private(std::path::Path::new(path))
            .map_err(|error| DbError::Other(sqlx::Error::Io(error)))?;
    }
    if query.split('&').any(|pair| pair.starts_with("mode=")) {
        return Ok(url.to_owned());
    }
    let separator = if query.is_empty() { "?" } else { "&" };
    Ok(format!("{url}{separator}mode=rwc"))
}

/// Creates the missing folders (0700) and the empty database file (0600; SQLite takes an empty
/// file for an empty database). An existing file is left as it is, with a warning when others
/// may read it.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        crate::files::create_private_dir(parent)?;
        // A folder made by an older install or restored from a backup keeps its mode.
        crate::files::warn_if_folder_open(parent);
    }
    match crate::files::create_private_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            if crate::files::readable_by_others(path) {
                let file = crate::files::shell_word(path);
                tracing::warn!(
                    path = %path.display(),
                    "the database file is readable by other users; it holds sealed tokens and personal data: chmod 600 {file} {file}-wal {file}-shm"
                );
            }
            Ok(())
        }
        Err(error) => Err(error),
    }
}

impl FromStr for Engine {
    type Err = DbError;
    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Self::from_url(url)
    }
}

/// Milliseconds since the Unix epoch, the storage form of every instant.
pub fn to_millis(instant: chrono::DateTime<chrono::Utc>) -> i64 {
    instant.timestamp_millis()
}

/// The instant a stored millisecond count stands for; the epoch for out-of-range values.
pub fn from_millis(millis: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pools_share_one_connection_budget() {
        for total in [1, 2, 5, 10, 20, 100] {
            let budget = Budget::split(Engine::Postgres, total);
            assert!(
                budget.general >= 1 && budget.native >= 1,
                "{total}: {budget:?}"
            );
            // A budget of one still needs a connection in each pool.
            assert_eq!(budget.general + budget.native, total.max(2), "{total}");
        }
        assert_eq!(
            Budget::split(Engine::Postgres, 20),
            Budget {
                general: 15,
                native: 5
            }
        );
        assert_eq!(Budget::split(Engine::Sqlite, 10).general, 10);
    }

    #[tokio::test]
    async fn a_postgres_handle_opens_no_more_than_its_budget() {
        let Some(test_db) = crate::testing::TestDb::postgres().await else {
            return;
        };
        let db = Db::connect(&test_db.url, 20).await.unwrap();
        let native = db.postgres().expect("a native pool on PostgreSQL");
        assert_eq!(
            db.pool().options().get_max_connections() + native.options().get_max_connections(),
            20
        );
        db.close().await;
    }

    #[test]
    fn engine_follows_the_url_scheme() {
        assert_eq!(Engine::from_url("sqlite://x.db").unwrap(), Engine::Sqlite);
        assert_eq!(
            Engine::from_url("postgres://u@h/db").unwrap(),
            Engine::Postgres
        );
        assert_eq!(
            Engine::from_url("postgresql://u@h/db").unwrap(),
            Engine::Postgres
        );
        assert!(Engine::from_url("mysql://u@h/db").is_err());
        assert!(Engine::from_url("").is_err());
    }

    #[test]
    fn sqlite_urls_create_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub/k.db");
        let url = format!("sqlite://{}", file.display());
        assert_eq!(
            sqlite_url_with_create(&url).unwrap(),
            format!("{url}?mode=rwc")
        );
        assert!(file.parent().unwrap().is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode();
            assert_eq!(mode(&file) & 0o777, 0o600);
            assert_eq!(mode(file.parent().unwrap()) & 0o777, 0o700);
        }
        assert_eq!(
            sqlite_url_with_create("sqlite::memory:?mode=memory").unwrap(),
            "sqlite::memory:?mode=memory"
        );
    }
}
