//! Each service owns its schema: an ordered list of migrations with one SQL text per engine,
//! applied at start-up. The applied versions live in `<service>_schema_migrations`, so services
//! sharing one database never see each other's history.

use sqlx::Row;

use crate::db::{Db, DbError, Engine};

/// One step of a service's schema.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Strictly increasing, starting at 1.
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migration {version} ({name}) failed: {source}")]
    Step {
        version: i64,
        name: &'static str,
        #[source]
        source: DbError,
    },
    #[error(
        "the database has migration {0} of this service, which this build does not know; refusing to run an older build against a newer schema"
    )]
    UnknownVersion(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for MigrateError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(error.into())
    }
}

/// Applies the migrations not yet applied, each in its own transaction. Safe to call from
/// several processes at once: SQLite serialises on `BEGIN IMMEDIATE`, PostgreSQL on an advisory
/// lock taken inside the transaction.
pub async fn migrate(db: &Db, service: &str, migrations: &[Migration]) -> Result<(), MigrateError> {
    let table = format!("{service}_schema_migrations");
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {table} (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
    );
    if db.engine() == Engine::Postgres {
        // CREATE TABLE IF NOT EXISTS can still race on PostgreSQL's catalog; the lock avoids it.
        let mut tx = db.begin_write().await?;
        lock_postgres(&mut tx, service).await?;
        sqlx::query(&create).execute(&mut *tx).await?;
        tx.commit().await?;
    } else {
        sqlx::query(&create).execute(db.pool()).await?;
    }

    let known_max = migrations.iter().map(|m| m.version).max().unwrap_or(0);
    for migration in migrations {
        let mut tx = db.begin_write().await?;
        if db.engine() == Engine::Postgres {
            lock_postgres(&mut tx, service).await?;
        }
        let applied_max: i64 =
            sqlx::query(&format!("SELECT COALESCE(MAX(version), 0) FROM {table}"))
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        if applied_max > known_max {
            return Err(MigrateError::UnknownVersion(applied_max));
        }
        let done = sqlx::query(&format!("SELECT 1 FROM {table} WHERE version = $1"))
            .bind(migration.version)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if done {
            continue;
        }
        let sql = match db.engine() {
            Engine::Sqlite => migration.sqlite,
            Engine::Postgres => migration.postgres,
        };
        let step = |source: sqlx::Error| MigrateError::Step {
            version: migration.version,
            name: migration.name,
            source: source.into(),
        };
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(step)?;
        sqlx::query(&format!(
            "INSERT INTO {table} (version, name, applied_at) VALUES ($1, $2, $3)"
        ))
        .bind(migration.version)
        .bind(migration.name)
        .bind(chrono::Utc::now().timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(step)?;
        tx.commit().await?;
        tracing::info!(
            service,
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    Ok(())
}

async fn lock_postgres(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    service: &str,
) -> Result<(), sqlx::Error> {
    // hashtext gives a stable 32-bit key per service name. The lock function returns void, which
    // the Any driver cannot decode, so it is called in FROM and a plain integer is selected.
    sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))")
        .bind(format!("kintai-migrate-{service}"))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
