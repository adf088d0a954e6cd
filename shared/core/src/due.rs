//! Per-company "due" times in the database: the work queue of prompt runs (design.md, "Prompt
//! delivery"). Whatever makes a company need a run (punches recorded, a retry time, a directory
//! change) marks it due; a dispatcher in every replica claims due companies and runs them under
//! the company's lease, so replicas share the work and none is lost when one crashes.
//!
//! A row is `(company_id, due_at, version, claimed_until)`. Marking keeps the earliest due time
//! and bumps the version. Claiming sets `claimed_until` (and moves `due_at` to the same time, so
//! that a mark during the run brings it back to the mark's own time), one statement for a batch:
//! PostgreSQL skips rows another replica is claiming (`FOR UPDATE SKIP LOCKED`); SQLite has one
//! writer at a time. Nobody claims a row while its claim lasts, however it was marked since: a
//! busy company's marks arrive every second, and when they could hand it to a second replica,
//! that one only found the lease taken and both waited (the saturation bench lost a tenth of the
//! budget to it). A crashed claimer's company comes back when its claim ends. After its run a
//! claimer takes the company again at once when it was marked meanwhile, or lets go of it,
//! rescheduling or clearing the row only if its version is unchanged: a mark made during the run
//! is never lost.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::db::{Db, DbError, Engine, to_millis};

/// The SQL that creates a due table; each service puts it in its own migrations.
pub fn create_table_sql(table: &str) -> String {
    format!(
        "CREATE TABLE {table} (company_id TEXT PRIMARY KEY, due_at BIGINT NOT NULL, version BIGINT NOT NULL, claimed_until BIGINT);\n\
         CREATE INDEX {table}_by_time ON {table} (due_at);\n"
    )
}

/// A due table of one service.
#[derive(Clone, Debug)]
pub struct DueTable {
    db: Db,
    table: &'static str,
}

/// A claimed company: run it, then [`DueTable::reschedule`] with this version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub company_id: String,
    pub version: i64,
}

impl DueTable {
    pub fn new(db: Db, table: &'static str) -> Self {
        Self { db, table }
    }

    /// The company needs a run at `at` at the latest (an earlier due time is kept).
    pub async fn mark(&self, company_id: &str, at: DateTime<Utc>) -> Result<(), DbError> {
        let table = self.table;
        sqlx::query(&format!(
            "INSERT INTO {table} (company_id, due_at, version) VALUES ($1, $2, 1) \
             ON CONFLICT (company_id) DO UPDATE SET \
             due_at = CASE WHEN excluded.due_at < {table}.due_at THEN excluded.due_at ELSE {table}.due_at END, \
             version = {table}.version + 1"
        ))
        .bind(company_id)
        .bind(to_millis(at))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The company needs a run at `at`, unless it already has one coming: due, deferred, or
    /// claimed by a run under way. Nothing changes then, not even the version, so the run under
    /// way clears its row as usual. For a watcher that compares state again later anyway: a
    /// change the run under way did not see is marked by the watcher's next look.
    pub async fn mark_unless_pending(
        &self,
        company_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let table = self.table;
        sqlx::query(&format!(
            "INSERT INTO {table} (company_id, due_at, version) VALUES ($1, $2, 1) \
             ON CONFLICT (company_id) DO NOTHING"
        ))
        .bind(company_id)
        .bind(to_millis(at))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Claims up to `limit` companies due at `now`, holding them for `hold`.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        hold: Duration,
    ) -> Result<Vec<Claim>, DbError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let table = self.table;
        let skip_locked = match self.db.engine() {
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let hold_until = now + chrono::TimeDelta::from_std(hold).unwrap_or_default();
        let rows = sqlx::query(&format!(
            "UPDATE {table} SET due_at = $1, claimed_until = $1 WHERE company_id IN \
             (SELECT company_id FROM {table} WHERE due_at <= $2 \
              AND (claimed_until IS NULL OR claimed_until <= $2) \
              ORDER BY due_at LIMIT $3{skip_locked}) \
             RETURNING company_id, version"
        ))
        .bind(to_millis(hold_until))
        .bind(to_millis(now))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Claim {
                    company_id: row.try_get(0)?,
                    version: row.try_get(1)?,
                })
            })
            .collect()
    }

    /// Claims `claim`'s company again right after its run, before letting go of it, if it was
    /// marked since (its version moved) and is due by `due_by`, holding it for `hold`: punches
    /// recorded during a run go right after it, without waiting for a poll or moving to another
    /// replica. A row only rescheduled for a retry (same version) is left alone, as is one
    /// another claimer took after this claim was let go or expired (due at the end of its
    /// hold). On PostgreSQL a concurrent claimer's row lock is waited for and the row
    /// re-checked, so the company is never claimed twice.
    pub async fn claim_again(
        &self,
        claim: &Claim,
        due_by: DateTime<Utc>,
        now: DateTime<Utc>,
        hold: Duration,
    ) -> Result<Option<Claim>, DbError> {
        let table = self.table;
        let hold_until = now + chrono::TimeDelta::from_std(hold).unwrap_or_default();
        let row = sqlx::query(&format!(
            "UPDATE {table} SET due_at = $1, claimed_until = $1 \
             WHERE company_id = $2 AND version <> $3 AND due_at <= $4 \
             RETURNING company_id, version"
        ))
        .bind(to_millis(hold_until))
        .bind(&claim.company_id)
        .bind(claim.version)
        .bind(to_millis(due_by))
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            Ok(Claim {
                company_id: row.try_get(0)?,
                version: row.try_get(1)?,
            })
        })
        .transpose()
    }

    /// Extends the claim of a company whose run is still under way to `until`: a run may last
    /// longer than a hold (a long backlog, paced), and another replica must not be offered the
    /// company meanwhile. A company let go of already (no claim) is left alone.
    pub async fn keep(&self, company_id: &str, until: DateTime<Utc>) -> Result<(), DbError> {
        let table = self.table;
        sqlx::query(&format!(
            "UPDATE {table} SET claimed_until = $1 \
             WHERE company_id = $2 AND claimed_until IS NOT NULL AND claimed_until < $1"
        ))
        .bind(to_millis(until))
        .bind(company_id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// After a claimed run, letting go of the company: due again at `next`, or not due (`None`).
    /// A mark made since the claim wins: its row is kept (with the earlier of both times).
    pub async fn reschedule(
        &self,
        claim: &Claim,
        next: Option<DateTime<Utc>>,
    ) -> Result<(), DbError> {
        let table = self.table;
        match next {
            Some(at) => {
                sqlx::query(&format!(
                    "UPDATE {table} SET due_at = CASE WHEN version = $1 OR $2 < due_at THEN $2 ELSE due_at END, \
                     claimed_until = NULL WHERE company_id = $3"
                ))
                .bind(claim.version)
                .bind(to_millis(at))
                .bind(&claim.company_id)
                .execute(self.db.pool())
                .await?;
            }
            None => {
                let deleted = sqlx::query(&format!(
                    "DELETE FROM {table} WHERE company_id = $1 AND version = $2"
                ))
                .bind(&claim.company_id)
                .bind(claim.version)
                .execute(self.db.pool())
                .await?
                .rows_affected();
                if deleted == 0 {
                    // Marked since: due at its mark's time, for any claimer.
                    sqlx::query(&format!(
                        "UPDATE {table} SET claimed_until = NULL WHERE company_id = $1"
                    ))
                    .bind(&claim.company_id)
                    .execute(self.db.pool())
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// When the company is due, if it is.
    pub async fn due_at(&self, company_id: &str) -> Result<Option<DateTime<Utc>>, DbError> {
        let row = sqlx::query(&format!(
            "SELECT due_at FROM {} WHERE company_id = $1",
            self.table
        ))
        .bind(company_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| Ok(crate::db::from_millis(row.try_get(0)?)))
            .transpose()
    }
}

#[cfg(test)]
mod tests;
