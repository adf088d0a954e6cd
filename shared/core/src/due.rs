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
mod tests {
    use super::*;

    async fn table(db: &Db) -> DueTable {
        for statement in create_table_sql("t_due")
            .split(";\n")
            .filter(|s| !s.trim().is_empty())
        {
            sqlx::query(statement).execute(db.pool()).await.unwrap();
        }
        DueTable::new(db.clone(), "t_due")
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    crate::both_engines!(
        a_mark_unless_pending_leaves_a_claimed_company_to_its_run,
        |db: Db| async move {
            let due = table(&db).await;
            due.mark_unless_pending("a", at(10)).await.unwrap();
            assert_eq!(due.due_at("a").await.unwrap(), Some(at(10)));
            let claims = due
                .claim(at(10), 10, Duration::from_secs(60))
                .await
                .unwrap();
            assert_eq!(claims.len(), 1);
            // Seen again while the run is under way: the claim stands, and the run's own
            // reschedule clears the row (a plain mark would have made it due once more).
            due.mark_unless_pending("a", at(11)).await.unwrap();
            assert_eq!(due.due_at("a").await.unwrap(), Some(at(70)));
            due.reschedule(&claims[0], None).await.unwrap();
            assert_eq!(due.due_at("a").await.unwrap(), None);
            let again = due
                .claim(at(12), 10, Duration::from_secs(60))
                .await
                .unwrap();
            assert!(again.is_empty());
            // With no row, it marks as usual.
            due.mark_unless_pending("a", at(13)).await.unwrap();
            assert_eq!(due.due_at("a").await.unwrap(), Some(at(13)));
        }
    );

    crate::both_engines!(
        marks_keep_the_earliest_time_and_claims_hold_the_company,
        |db: Db| async move {
            let due = table(&db).await;
            due.mark("a", at(10)).await.unwrap();
            due.mark("a", at(20)).await.unwrap();
            due.mark("b", at(30)).await.unwrap();
            assert_eq!(due.due_at("a").await.unwrap(), Some(at(10)));
            let hold = Duration::from_secs(5);
            assert!(due.claim(at(9), 10, hold).await.unwrap().is_empty());
            let claims = due.claim(at(10), 10, hold).await.unwrap();
            assert_eq!(claims.len(), 1);
            assert_eq!(claims[0].company_id, "a");
            // Held: not claimed again until the hold ends.
            assert!(due.claim(at(12), 10, hold).await.unwrap().is_empty());
            assert_eq!(due.claim(at(15), 10, hold).await.unwrap().len(), 1);
        }
    );

    crate::both_engines!(
        a_company_marked_during_its_run_is_claimed_again_at_once,
        |db: Db| async move {
            let due = table(&db).await;
            let hold = Duration::from_secs(30);
            due.mark("a", at(0)).await.unwrap();
            let claim = due.claim(at(0), 1, hold).await.unwrap().remove(0);
            // No mark during the run: a retry time alone is not taken early.
            due.reschedule(&claim, Some(at(20))).await.unwrap();
            assert_eq!(
                due.claim_again(&claim, at(22), at(10), hold).await.unwrap(),
                None
            );
            // A mark during the run (due at mark + debounce): claimed again at once.
            let claim = due.claim(at(20), 1, hold).await.unwrap().remove(0);
            due.mark("a", at(23)).await.unwrap();
            due.reschedule(&claim, None).await.unwrap();
            let again = due
                .claim_again(&claim, at(23), at(21), hold)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(again.version, claim.version + 1);
            // Held by that claim now: neither a poll nor another claim_again takes it.
            assert!(due.claim(at(22), 10, hold).await.unwrap().is_empty());
            assert_eq!(
                due.claim_again(&claim, at(24), at(22), hold).await.unwrap(),
                None
            );
        }
    );

    crate::both_engines!(
        a_mark_during_the_run_leaves_the_company_with_its_claimer,
        |db: Db| async move {
            let due = table(&db).await;
            let hold = Duration::from_secs(60);
            due.mark("a", at(0)).await.unwrap();
            let claim = due.claim(at(0), 1, hold).await.unwrap().remove(0);
            // Punches recorded during the run, their debounce over while it still runs.
            due.mark("a", at(2)).await.unwrap();
            assert!(due.claim(at(5), 10, hold).await.unwrap().is_empty());
            // The claimer takes it again before letting go: nobody else is ever offered it.
            let again = due
                .claim_again(&claim, at(6), at(6), hold)
                .await
                .unwrap()
                .expect("marked during the run");
            assert!(due.claim(at(7), 10, hold).await.unwrap().is_empty());
            // Marked again, not yet due when the run ends: let go, due at the mark's time.
            due.mark("a", at(10)).await.unwrap();
            assert_eq!(
                due.claim_again(&again, at(8), at(8), hold).await.unwrap(),
                None
            );
            due.reschedule(&again, None).await.unwrap();
            assert!(due.claim(at(9), 10, hold).await.unwrap().is_empty());
            assert_eq!(due.claim(at(10), 10, hold).await.unwrap().len(), 1);
        }
    );

    crate::both_engines!(
        a_claimer_that_crashed_lets_go_when_its_claim_ends,
        |db: Db| async move {
            let due = table(&db).await;
            let hold = Duration::from_secs(30);
            due.mark("a", at(0)).await.unwrap();
            assert_eq!(due.claim(at(0), 1, hold).await.unwrap().len(), 1);
            due.mark("a", at(1)).await.unwrap();
            // Never rescheduled: the company waits for the claim to end, then anyone takes it.
            assert!(due.claim(at(29), 10, hold).await.unwrap().is_empty());
            assert_eq!(due.claim(at(30), 10, hold).await.unwrap().len(), 1);
        }
    );

    crate::both_engines!(a_long_run_keeps_its_company_claimed, |db: Db| async move {
        let due = table(&db).await;
        let hold = Duration::from_secs(30);
        due.mark("a", at(0)).await.unwrap();
        let claim = due.claim(at(0), 1, hold).await.unwrap().remove(0);
        due.mark("a", at(1)).await.unwrap();
        due.keep("a", at(50)).await.unwrap();
        assert!(due.claim(at(40), 10, hold).await.unwrap().is_empty());
        // Let go of: keeping it does not claim it again.
        due.reschedule(&claim, None).await.unwrap();
        due.keep("a", at(90)).await.unwrap();
        assert_eq!(due.claim(at(41), 10, hold).await.unwrap().len(), 1);
    });

    crate::both_engines!(
        a_mark_during_the_run_survives_the_reschedule,
        |db: Db| async move {
            let due = table(&db).await;
            let hold = Duration::from_secs(60);
            due.mark("a", at(0)).await.unwrap();
            let claim = due.claim(at(0), 1, hold).await.unwrap().remove(0);
            due.mark("a", at(2)).await.unwrap();
            due.reschedule(&claim, None).await.unwrap();
            assert_eq!(due.due_at("a").await.unwrap(), Some(at(2)));
            // Without a newer mark the row goes, or moves to the time asked for.
            let claim = due.claim(at(2), 1, hold).await.unwrap().remove(0);
            due.reschedule(&claim, Some(at(40))).await.unwrap();
            assert_eq!(due.due_at("a").await.unwrap(), Some(at(40)));
            let claim = due.claim(at(40), 1, hold).await.unwrap().remove(0);
            due.reschedule(&claim, None).await.unwrap();
            assert_eq!(due.due_at("a").await.unwrap(), None);
        }
    );

    crate::both_engines!(two_claimers_never_share_a_company, |db: Db| async move {
        let due = table(&db).await;
        for i in 0..200 {
            due.mark(&format!("c{i:03}"), at(0)).await.unwrap();
        }
        let hold = Duration::from_secs(60);
        let (one, two) = tokio::join!(
            async {
                let mut got = Vec::new();
                for _ in 0..20 {
                    got.extend(due.claim(at(1), 7, hold).await.unwrap());
                }
                got
            },
            async {
                let mut got = Vec::new();
                for _ in 0..20 {
                    got.extend(due.claim(at(1), 7, hold).await.unwrap());
                }
                got
            }
        );
        let mut all: Vec<String> = one
            .iter()
            .chain(&two)
            .map(|c| c.company_id.clone())
            .collect();
        let claimed = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), claimed, "a company was claimed twice");
        assert_eq!(claimed, 200);
    });
}
