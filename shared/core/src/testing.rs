//! Fresh databases for tests, on both engines. SQLite: a file in a temporary folder. PostgreSQL
//! (when `KINTAI_TEST_POSTGRES_URL` is set): a new database per test, dropped afterwards.

use crate::db::Db;

/// The variable naming the PostgreSQL server for tests, e.g. `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_URL_VAR: &str = "KINTAI_TEST_POSTGRES_URL";

/// A database that exists for one test.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

/// The engines a storage test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestEngine {
    Sqlite,
    Postgres,
}

impl TestDb {
    /// A fresh database, or `None` (after saying so on stderr) for PostgreSQL when no server is
    /// configured.
    pub async fn new(engine: TestEngine) -> Option<Self> {
        match engine {
            TestEngine::Sqlite => Some(Self::sqlite().await),
            TestEngine::Postgres => Self::postgres().await,
        }
    }

    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Db::connect(&url, 5).await.expect("open SQLite");
        Self {
            db,
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!("SKIPPED: PostgreSQL case ({POSTGRES_URL_VAR} is not set)");
            return None;
        };
        let name = format!("kintai_test_{}", rand::random::<u64>());
        let admin = Db::connect(&admin_url, 1)
            .await
            .expect("connect to the PostgreSQL test server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(admin.pool())
            .await
            .expect("create test database");
        admin.close().await;
        let url = replace_database(&admin_url, &name);
        let db = Db::connect(&url, 5)
            .await
            .expect("connect to the test database");
        Some(Self {
            db,
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    /// Closes the pool and drops a PostgreSQL database. Call at the end of the test.
    pub async fn finish(self) {
        self.db.close().await;
        if let Cleanup::Postgres { admin_url, name } = self.cleanup
            && let Ok(admin) = Db::connect(&admin_url, 1).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(admin.pool())
                .await;
            admin.close().await;
        }
    }
}

/// The URL with its database name replaced.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = match base.rfind('/') {
        Some(slash) if slash > "postgres://".len() => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{prefix}/{database}?{query}"),
        None => format!("{prefix}/{database}"),
    }
}

/// Runs a storage test body on SQLite and, when configured, on PostgreSQL.
///
/// ```ignore
/// both_engines!(users_round_trip, |db: Db| async move { ... });
/// ```
#[macro_export]
macro_rules! both_engines {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let test_db = $crate::testing::TestDb::sqlite().await;
                ($body)(test_db.db.clone()).await;
                test_db.finish().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(test_db) = $crate::testing::TestDb::postgres().await else {
                    return;
                };
                ($body)(test_db.db.clone()).await;
                test_db.finish().await;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database(
                "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
                "x"
            ),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(
            replace_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
