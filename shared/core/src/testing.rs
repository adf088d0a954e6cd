//! Fresh databases for tests, on both engines. SQLite: a file in a temporary folder. PostgreSQL
//! (when `KINTAI_TEST_POSTGRES_URL` names a server): a new database per test, dropped afterwards.
//! `cargo xtask test` sets the variable when a server answers; a skipped case says so on stderr
//! and in the xtask's skip log, since it passes and libtest cannot tell it from one that ran.

use std::io::Write as _;

use crate::db::Db;

/// The variable naming the PostgreSQL server for tests, e.g. `postgres://postgres@127.0.0.1:5432/test`.
/// Unset or empty: the PostgreSQL cases are skipped.
pub const POSTGRES_URL_VAR: &str = "KINTAI_TEST_POSTGRES_URL";
/// `off` skips the PostgreSQL cases even when a URL is set.
pub const POSTGRES_SWITCH_VAR: &str = "KINTAI_TEST_POSTGRES";
/// A file `cargo xtask test` names, to which each skipped case appends a line (package, test
/// binary, test, reason; tab-separated) for its summary.
pub const SKIP_LOG_VAR: &str = "KINTAI_TEST_SKIP_LOG";

/// The PostgreSQL server the tests create their databases on, or why there is none.
pub fn postgres_url() -> Result<String, String> {
    if let Ok(switch) = std::env::var(POSTGRES_SWITCH_VAR)
        && ["off", "0", "false", "no"]
            .iter()
            .any(|off| switch.trim().eq_ignore_ascii_case(off))
    {
        return Err(format!("{POSTGRES_SWITCH_VAR}={switch}"));
    }
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Ok(url),
        Ok(_) => Err(format!("{POSTGRES_URL_VAR} is empty")),
        Err(_) => Err(format!("{POSTGRES_URL_VAR} is not set")),
    }
}

/// Says on stderr, and in the skip log when there is one, that this PostgreSQL case is skipped.
fn report_skip(reason: &str) {
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("an unnamed test");
    eprintln!("SKIPPED postgres {test}: {reason}");
    let Some(log) = std::env::var_os(SKIP_LOG_VAR).filter(|log| !log.is_empty()) else {
        return;
    };
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "?".to_owned());
    let line = format!("{package}\t{}\t{test}\t{reason}\n", test_binary());
    // One append of one short line: concurrent tests' lines do not interleave.
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(error) = written {
        eprintln!(
            "cannot add to the skip log {}: {error}",
            log.to_string_lossy()
        );
    }
}

/// The test binary's target name: `storage` for `target/debug/deps/storage-0123abcd`.
fn test_binary() -> String {
    let stem = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.file_stem()?.to_string_lossy().into_owned()))
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem,
    }
}

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
    /// A fresh database, or `None` (after saying so) for PostgreSQL when no server is configured.
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
        let admin_url = match postgres_url() {
            Ok(url) => url,
            Err(reason) => {
                report_skip(&reason);
                return None;
            }
        };
        let name = format!("kintai_test_{}", rand::random::<u64>());
        let admin = Db::connect(&admin_url, 1).await.unwrap_or_else(|error| {
            panic!(
                "connect to the PostgreSQL test server named by {POSTGRES_URL_VAR}: {error} \
                 (set {POSTGRES_SWITCH_VAR}=off to skip the PostgreSQL cases)"
            )
        });
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

/// Runs a storage test body on SQLite and, when configured, on PostgreSQL. The cases are named
/// `NAME::sqlite` and `NAME::postgres`: `cargo xtask test` counts the engines by those names.
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
