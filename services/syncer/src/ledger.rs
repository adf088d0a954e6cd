//! The upload ledger's company-wide reads and writes: what a run loads, the plan's held/pending
//! decisions, the per-user eligibility memory, expiry, operators' retries and the undelivered
//! count. The per-punch changes of the send phase are in `punch_ledger.rs`. Each change is its own
//! committed statement, so a crash leaves every punch in the last state that was true
//! (design.md, "Exactly once").

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use kintai_core::db::{from_millis, to_millis};
use kintai_core::{Db, DbError};
use kintai_i18n::Text;
use sqlx::Row;

use crate::model::{LedgerState, PunchRecord, PunchType};
use crate::store::{RECORD_COLUMNS, record_from_row};
use crate::working_day::LOOKBACK;

/// The lease table, also used to fence the in-flight mark.
pub const LEASE_TABLE: &str = "syncer_leases";

/// The punches a run looks at: the candidates (held or pending from `window_start` on, and every
/// punch left in flight, however old) and, for the candidates' users, the punches before them
/// that decide their working days ([`LOOKBACK`] back). A company whose history is long but
/// settled costs one indexed read of its few open punches.
pub async fn load(
    db: &Db,
    company_id: &str,
    window_start: DateTime<Utc>,
) -> Result<Vec<PunchRecord>, DbError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM punches WHERE company_id = $1 AND punch_type <> $2 \
         AND ((state IN ($3, $4) AND punched_at >= $5) OR state = $6)"
    );
    let rows = sqlx::query(&sql)
        .bind(company_id)
        .bind(PunchType::NotSynced.to_i64())
        .bind(LedgerState::Held.as_str())
        .bind(LedgerState::Pending.as_str())
        .bind(to_millis(window_start))
        .bind(LedgerState::InFlight.as_str())
        .fetch_all(db.pool())
        .await?;
    let mut records: Vec<PunchRecord> =
        rows.iter().map(record_from_row).collect::<Result<_, _>>()?;
    let (Some(first), Some(last)) = (
        records.iter().map(|r| r.punch.punched_at).min(),
        records.iter().map(|r| r.punch.punched_at).max(),
    ) else {
        return Ok(records);
    };
    let mut users: Vec<&str> = records.iter().map(|r| r.punch.user_id.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let mut history = Vec::new();
    for chunk in users.chunks(USERS_PER_QUERY) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 9)).collect();
        let users_in = placeholders.join(", ");
        // Between the first and the last candidate: every settled punch. Before the first:
        // only each user's latest 出勤 within LOOKBACK, the one punch that decides the working
        // day of the 退勤 and breaks after it (working_day.rs). Reading the whole 48 hours
        // instead made every run's start grow with the company's recent punches: at full
        // rate, thousands per run.
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM punches p WHERE company_id = $1 AND punch_type <> $2 \
             AND state NOT IN ($3, $4, $5) AND user_id IN ({users_in}) AND punched_at <= $7 \
             AND (punched_at >= $6 OR (punch_type = {clock_in} \
             AND punched_at = (SELECT MAX(q.punched_at) FROM punches q \
             WHERE q.company_id = p.company_id AND q.user_id = p.user_id \
             AND q.punch_type = {clock_in} AND q.state NOT IN ($3, $4, $5) \
             AND q.punched_at >= $8 AND q.punched_at < $6)))",
            clock_in = PunchType::ClockIn.to_i64(),
        );
        let mut query = sqlx::query(&sql)
            .bind(company_id)
            .bind(PunchType::NotSynced.to_i64())
            .bind(LedgerState::Held.as_str())
            .bind(LedgerState::Pending.as_str())
            .bind(LedgerState::InFlight.as_str())
            .bind(to_millis(first))
            .bind(to_millis(last))
            .bind(to_millis(first - LOOKBACK));
        for user in chunk {
            query = query.bind(*user);
        }
        for row in query.fetch_all(db.pool()).await? {
            history.push(record_from_row(&row)?);
        }
    }
    records.extend(history);
    Ok(records)
}

/// Users per `IN (...)` of the history read.
const USERS_PER_QUERY: usize = 500;

/// When the company's open punches (pending, or awaiting read-back) may be tried next: `None`
/// when it has none; a punch without a retry time counts as "now".
pub async fn next_open_attempt(
    db: &Db,
    company_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbError> {
    let row = sqlx::query(
        "SELECT COUNT(*), MIN(COALESCE(next_attempt_at, $1)) FROM punches \
         WHERE company_id = $2 AND state IN ($3, $4)",
    )
    .bind(to_millis(now))
    .bind(company_id)
    .bind(LedgerState::Pending.as_str())
    .bind(LedgerState::InFlight.as_str())
    .fetch_one(db.pool())
    .await?;
    let open: i64 = row.try_get(0)?;
    if open == 0 {
        return Ok(None);
    }
    let earliest: Option<i64> = row.try_get(1)?;
    Ok(Some(earliest.map_or(now, from_millis)))
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
    /// The reason as stored ([`Text::to_stored`]).
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

/// Other punches already confirmed with the same employee, day, second and type, of any
/// company: a read-back match counts for this punch only beyond those. Any company, because two
/// companies registered with one KING OF TIME token share its employees, and one company's punch
/// must not be credited to the other's identical one (`punches_by_employee_day`).
pub async fn count_sent_alike(
    db: &Db,
    company_id: &str,
    record: &PunchRecord,
    employee_key: &str,
    working_day: NaiveDate,
) -> Result<usize, DbError> {
    let second = record.punch.punched_at.timestamp() * 1000;
    let count: i64 = sqlx::query(
        "SELECT COUNT(*) FROM punches WHERE employee_key = $1 AND working_day = $2 \
         AND state = $3 AND punch_type = $4 AND punched_at >= $5 AND punched_at < $6 \
         AND NOT (company_id = $7 AND punch_id = $8)",
    )
    .bind(employee_key)
    .bind(working_day.to_string())
    .bind(LedgerState::Sent.as_str())
    .bind(record.punch_type.to_i64())
    .bind(second)
    .bind(second + 1000)
    .bind(company_id)
    .bind(&record.punch.punch_id)
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// Pending punches become held (e.g. after KING OF TIME rejected the token mid-run).
pub async fn hold_pending(db: &Db, company_id: &str, reason: &Text) -> Result<(), DbError> {
    sqlx::query("UPDATE punches SET state = $1, reason = $2 WHERE company_id = $3 AND state = $4")
        .bind(LedgerState::Held.as_str())
        .bind(reason.to_stored())
        .bind(company_id)
        .bind(LedgerState::Pending.as_str())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Punches the pre-flight could not clear yet (their day's closing unreadable now) wait until
/// `until`, with the reason: a held or pending one as pending (so the dispatcher comes back
/// then), one in flight stays in flight — its POST's outcome is still to be read.
pub async fn wait_for_preflight(
    db: &Db,
    company_id: &str,
    waits: &[crate::preflight::Waiting],
) -> Result<(), DbError> {
    for wait in waits {
        sqlx::query(
            "UPDATE punches SET state = CASE WHEN state = $1 THEN $2 ELSE $3 END, reason = $4, \
             next_attempt_at = $5, working_day = CASE WHEN state = $6 THEN working_day ELSE $7 \
             END WHERE company_id = $8 AND punch_id = $9 AND state IN ($10, $11, $12)",
        )
        .bind(LedgerState::InFlight.as_str())
        .bind(LedgerState::InFlight.as_str())
        .bind(LedgerState::Pending.as_str())
        .bind(wait.reason.to_stored())
        .bind(to_millis(wait.until))
        .bind(LedgerState::InFlight.as_str())
        .bind(wait.working_day.format("%Y-%m-%d").to_string())
        .bind(company_id)
        .bind(&wait.punch_id)
        .bind(LedgerState::Held.as_str())
        .bind(LedgerState::Pending.as_str())
        .bind(LedgerState::InFlight.as_str())
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// Held or pending punches older than `cutoff` (the start of the previous JST month) will never
/// be sent: they become expired, with the reason.
pub async fn expire_older(
    db: &Db,
    company_id: &str,
    cutoff: DateTime<Utc>,
    reason: &Text,
) -> Result<u64, DbError> {
    let expired = sqlx::query(
        "UPDATE punches SET state = $1, reason = $2, next_attempt_at = NULL \
         WHERE company_id = $3 AND state IN ($4, $5) AND punched_at < $6",
    )
    .bind(LedgerState::Expired.as_str())
    .bind(reason.to_stored())
    .bind(company_id)
    .bind(LedgerState::Held.as_str())
    .bind(LedgerState::Pending.as_str())
    .bind(to_millis(cutoff))
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(expired)
}

/// Punches KING OF TIME should have by now but does not (pending, or awaiting read-back) that
/// were received before `received_before`.
pub async fn count_undelivered(
    db: &Db,
    company_id: &str,
    received_before: DateTime<Utc>,
) -> Result<u32, DbError> {
    let count: i64 = sqlx::query(
        "SELECT COUNT(*) FROM punches WHERE company_id = $1 AND state IN ($2, $3) \
         AND received_at < $4",
    )
    .bind(company_id)
    .bind(LedgerState::Pending.as_str())
    .bind(LedgerState::InFlight.as_str())
    .bind(to_millis(received_before))
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// Remembers the settings revision a run of the company planned on.
pub async fn save_seen(db: &Db, company_id: &str, revision: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO syncer_seen (company_id, revision) VALUES ($1, $2) \
         ON CONFLICT (company_id) DO UPDATE SET revision = excluded.revision",
    )
    .bind(company_id)
    .bind(revision)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The settings revision each company's last run planned on.
pub async fn seen_revisions(db: &Db) -> Result<HashMap<String, i64>, DbError> {
    let rows = sqlx::query("SELECT company_id, revision FROM syncer_seen")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}
