//! The upload ledger's writes: every state change of a punch after ingest, and the per-user
//! eligibility memory. Each change is its own committed statement, so a crash leaves every punch
//! in the last state that was true (design.md, "Exactly once").

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use kintai_core::db::{from_millis, to_millis};
use kintai_core::{Db, DbError};
use sqlx::Row;

use crate::model::{LedgerState, PunchRecord, PunchType};
use crate::store::{RECORD_COLUMNS, record_from_row};

/// The lease table, also used to fence the in-flight mark.
pub const LEASE_TABLE: &str = "syncer_leases";

/// The punches a run looks at: every synced-kind punch from `window_start` on (candidates and
/// the history that decides working days), plus every punch left in flight, however old.
pub async fn load(
    db: &Db,
    company_id: &str,
    window_start: DateTime<Utc>,
) -> Result<Vec<PunchRecord>, DbError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM punches WHERE company_id = $1 AND punch_type <> $2 \
         AND (punched_at >= $3 OR state = $4) ORDER BY user_id, punched_at, punch_id"
    );
    let rows = sqlx::query(&sql)
        .bind(company_id)
        .bind(PunchType::NotSynced.to_i64())
        .bind(to_millis(window_start))
        .bind(LedgerState::InFlight.as_str())
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(record_from_row).collect()
}

/// Punches of the company not synced (× 連携されません) from `from` on.
pub async fn count_not_synced(
    db: &Db,
    company_id: &str,
    from: DateTime<Utc>,
) -> Result<u32, DbError> {
    let count: i64 = sqlx::query(
        "SELECT COUNT(*) FROM punches WHERE company_id = $1 AND state = $2 AND punched_at >= $3",
    )
    .bind(company_id)
    .bind(LedgerState::NotSynced.as_str())
    .bind(to_millis(from))
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// Since when each user has been seen eligible without interruption.
pub async fn eligible_since(
    db: &Db,
    company_id: &str,
) -> Result<HashMap<String, DateTime<Utc>>, DbError> {
    let rows =
        sqlx::query("SELECT user_id, eligible_since FROM syncer_eligibility WHERE company_id = $1")
            .bind(company_id)
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, from_millis(row.try_get(1)?))))
        .collect()
}

/// Remembers who is eligible now: new users from `now`, users no longer eligible forgotten
/// (so switching a user off and on again starts a new period).
pub async fn save_eligibility(
    db: &Db,
    company_id: &str,
    eligible: &HashSet<String>,
    known: &HashMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let gone: Vec<&String> = known.keys().filter(|u| !eligible.contains(*u)).collect();
    let new: Vec<&String> = eligible
        .iter()
        .filter(|u| !known.contains_key(*u))
        .collect();
    if gone.is_empty() && new.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    for user_id in gone {
        sqlx::query("DELETE FROM syncer_eligibility WHERE company_id = $1 AND user_id = $2")
            .bind(company_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    for user_id in new {
        sqlx::query(
            "INSERT INTO syncer_eligibility (company_id, user_id, eligible_since) VALUES ($1, $2, $3) \
             ON CONFLICT (company_id, user_id) DO NOTHING",
        )
        .bind(company_id)
        .bind(user_id)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A planned state of a not-yet-sent punch.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedState {
    pub punch_id: String,
    pub state: LedgerState,
    pub reason: String,
    pub working_day: NaiveDate,
}

/// Writes held/pending decisions in one transaction. Only punches still held or pending are
/// touched, so a concurrent state change is never overwritten. Punches sharing state, reason
/// and day are written by one statement: a run over a month of punches costs a few round
/// trips, not one per punch.
pub async fn apply_plan(
    db: &Db,
    company_id: &str,
    changes: &[PlannedState],
) -> Result<(), DbError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut groups: HashMap<(LedgerState, &str, NaiveDate), Vec<&str>> = HashMap::new();
    for change in changes {
        groups
            .entry((change.state, change.reason.as_str(), change.working_day))
            .or_default()
            .push(change.punch_id.as_str());
    }
    let mut tx = db.begin_write().await?;
    for ((state, reason, working_day), ids) in groups {
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 7)).collect();
            let sql = format!(
                "UPDATE punches SET state = $1, reason = $2, working_day = $3 \
                 WHERE company_id = $4 AND state IN ($5, $6) AND punch_id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql)
                .bind(state.as_str())
                .bind(reason)
                .bind(working_day.to_string())
                .bind(company_id)
                .bind(LedgerState::Held.as_str())
                .bind(LedgerState::Pending.as_str());
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Commits "in flight" just before the POST, fenced by the lease: it succeeds only while
/// `holder` still holds the company's lease and the punch is still pending. `false` means
/// the POST must not happen.
pub async fn mark_in_flight(
    db: &Db,
    company_id: &str,
    punch_id: &str,
    employee_key: &str,
    working_day: NaiveDate,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    // The lease's expiry is on the machine's clock (kintai_core::lease), not the test clock.
    let lease_now = Utc::now().timestamp_millis();
    let updated = sqlx::query(&format!(
        "UPDATE punches SET state = $1, attempts = attempts + 1, employee_key = $2, \
         working_day = $3, in_flight_at = $4, \
         reason = 'sent to KING OF TIME; waiting for its answer (verified by reading the day back if none comes)' \
         WHERE company_id = $5 AND punch_id = $6 AND state = $7 \
         AND EXISTS (SELECT 1 FROM {LEASE_TABLE} WHERE company_id = $5 AND holder = $8 AND expires_at > $9)"
    ))
    .bind(LedgerState::InFlight.as_str())
    .bind(employee_key)
    .bind(working_day.to_string())
    .bind(to_millis(now))
    .bind(company_id)
    .bind(punch_id)
    .bind(LedgerState::Pending.as_str())
    .bind(holder)
    .bind(lease_now)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// In flight → sent: KING OF TIME confirmed it (201, or found when reading the day back).
pub async fn mark_sent(
    db: &Db,
    company_id: &str,
    punch_id: &str,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE punches SET state = $1, reason = '', sent_at = $2 \
         WHERE company_id = $3 AND punch_id = $4 AND state = $5",
    )
    .bind(LedgerState::Sent.as_str())
    .bind(to_millis(at))
    .bind(company_id)
    .bind(punch_id)
    .bind(LedgerState::InFlight.as_str())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// In flight → `state` (pending, held or failed) when KING OF TIME certainly does not have it.
pub async fn mark_not_stored(
    db: &Db,
    company_id: &str,
    punch_id: &str,
    state: LedgerState,
    reason: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE punches SET state = $1, reason = $2 \
         WHERE company_id = $3 AND punch_id = $4 AND state = $5",
    )
    .bind(state.as_str())
    .bind(reason)
    .bind(company_id)
    .bind(punch_id)
    .bind(LedgerState::InFlight.as_str())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Leaves an unconfirmed punch in flight with a reason an admin understands.
pub async fn note_in_flight(
    db: &Db,
    company_id: &str,
    punch_id: &str,
    reason: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE punches SET reason = $1 WHERE company_id = $2 AND punch_id = $3 AND state = $4",
    )
    .bind(reason)
    .bind(company_id)
    .bind(punch_id)
    .bind(LedgerState::InFlight.as_str())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Other punches already confirmed with the same employee, day, second and type: a read-back
/// match counts for this punch only beyond those.
pub async fn count_sent_alike(
    db: &Db,
    company_id: &str,
    record: &PunchRecord,
    employee_key: &str,
    working_day: NaiveDate,
) -> Result<usize, DbError> {
    let second = record.punch.punched_at.timestamp() * 1000;
    let count: i64 = sqlx::query(
        "SELECT COUNT(*) FROM punches WHERE company_id = $1 AND state = $2 AND employee_key = $3 \
         AND working_day = $4 AND punch_type = $5 AND punched_at >= $6 AND punched_at < $7 \
         AND punch_id <> $8",
    )
    .bind(company_id)
    .bind(LedgerState::Sent.as_str())
    .bind(employee_key)
    .bind(working_day.to_string())
    .bind(record.punch_type.to_i64())
    .bind(second)
    .bind(second + 1000)
    .bind(&record.punch.punch_id)
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// Pending punches become held (e.g. after KING OF TIME rejected the token mid-run).
pub async fn hold_pending(db: &Db, company_id: &str, reason: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE punches SET state = $1, reason = $2 WHERE company_id = $3 AND state = $4")
        .bind(LedgerState::Held.as_str())
        .bind(reason)
        .bind(company_id)
        .bind(LedgerState::Pending.as_str())
        .execute(db.pool())
        .await?;
    Ok(())
}
