//! SQLite's write-ahead log, checkpointed by a task of its own instead of by whichever statement
//! commits when the log passes 1,000 pages (SQLite's default `wal_autocheckpoint`).
//!
//! Why: a checkpoint copies the log's pages into the database file and syncs both; run at
//! commit, it is paid by the request that happened to commit then. Measured with the ingest
//! bench (`cargo bench -p kintai-syncer --bench ingest`, 100,000 rows a side): commits that
//! ran checkpoints took ~60 ms of a ~75 ms RecordPunches call, and which side of the bench paid
//! them depended only on which went first — swapping the order turned a 0.35 ratio into 2.6.
//! With the checkpoint off the request path both sides commit in the time their writes take.
//!
//! The task runs `PRAGMA wal_checkpoint(PASSIVE)` every [`INTERVAL`]: passive, so it never waits
//! for readers or blocks writers; the next writer after a complete checkpoint starts the log
//! over, as with automatic checkpoints. A log with nothing new costs a lock check.

use std::time::Duration;

use sqlx::AnyPool;

use crate::task::AbortOnDrop;

/// How often the log is checkpointed. Under sustained ingest (~20,000 punches/s) the log grows
/// a few MB between two ticks, about what 1,000-page automatic checkpoints allow.
pub(crate) const INTERVAL: Duration = Duration::from_millis(500);

/// The statement every connection of a pool with a checkpointer runs first: no checkpoint at
/// commit.
pub(crate) const NO_AUTOCHECKPOINT: &str = "PRAGMA wal_autocheckpoint = 0;";

/// Checkpoints `pool`'s database until dropped or until the pool is closed.
pub(crate) fn spawn(pool: AnyPool) -> AbortOnDrop<()> {
    AbortOnDrop(tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                Ok(_) => failing = false,
                // Said once per run of failures: the log grows until a checkpoint succeeds
                // (reads stay correct, the -wal file just gets larger).
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(%error, "SQLite WAL checkpoint failed; retrying every {INTERVAL:?}");
                }
                Err(_) => {}
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use crate::Db;

    /// The database file only grows when a checkpoint copies the log into it: with automatic
    /// checkpoints off, it grows only if the task runs.
    #[tokio::test]
    async fn committed_pages_reach_the_database_file_without_a_checkpoint_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let db = Db::connect(&format!("sqlite://{}", path.display()), 2)
            .await
            .unwrap();
        let (setting,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(setting, 0, "commits must not checkpoint");
        sqlx::query("CREATE TABLE filler (body TEXT NOT NULL)")
            .execute(db.pool())
            .await
            .unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        // ~8 MB in one commit: 2,000 pages, twice what SQLite checkpoints at by default.
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
             INSERT INTO filler SELECT printf('%.4000d', i) FROM n",
        )
        .execute(db.pool())
        .await
        .unwrap();
        let deadline = tokio::time::Instant::now() + 10 * super::INTERVAL;
        let mut size = before;
        while size < before + 8_000_000 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(super::INTERVAL / 5).await;
            size = std::fs::metadata(&path).unwrap().len();
        }
        assert!(
            size >= before + 8_000_000,
            "the database file stayed at {size} bytes (from {before}): no checkpoint ran"
        );
        db.close().await;
    }
}
