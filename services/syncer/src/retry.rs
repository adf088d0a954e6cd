//! RetryPunches: an operator puts FAILED punches back into the queue. A punch that was posted
//! before goes back "in flight" — KING OF TIME may hold it after all — so the next run reads the
//! employee's day back and posts it again only when KING OF TIME does not have it.
//!
//! Naming a closed (締め) working day also puts back the punches the pre-flight held for that
//! day's closing, and lets them through it once (`closed_day_override`): KING OF TIME stores a
//! punch into a closed day and cannot take it back, so only an operator decides that.

use chrono::{DateTime, NaiveDate, Utc};
use kintai_core::db::to_millis;
use kintai_core::{Db, DbError};
use kintai_i18n::Text;
use sqlx::Row;

use crate::day_store::day_text;
use crate::model::LedgerState;

/// Ids per statement.
const CHUNK: usize = 500;

/// What became of one punch an operator named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeued {
    Requeued,
    NotFound,
    /// Not failed: nothing changed.
    NotFailed(LedgerState),
}

/// Who asked, and when; and the closed day they chose to send into, if any.
#[derive(Debug, Clone)]
pub struct RetryRequest<'a> {
    pub requested_by: &'a str,
    pub at: DateTime<Utc>,
    pub closed_day: Option<NaiveDate>,
}

fn reason(request: &RetryRequest<'_>) -> Text {
    match request.closed_day {
        None => Text::new("punch-retry-requested").arg("requested_by", request.requested_by),
        Some(day) => Text::new("punch-retry-closed-day")
            .arg("requested_by", request.requested_by)
            .arg("day", day_text(day)),
    }
}

/// Requeues the named punches that are failed; answers for each id in input order.
pub async fn requeue_ids(
    db: &Db,
    company_id: &str,
    punch_ids: &[String],
    request: &RetryRequest<'_>,
) -> Result<Vec<(String, Requeued)>, DbError> {
    let mut requeued = std::collections::HashSet::new();
    let mut tx = db.begin_write().await?;
    let (update, next) = update_sql(request);
    for chunk in punch_ids.chunks(CHUNK) {
        let ids = placeholders(next, chunk.len());
        let sql = format!("{update} AND punch_id IN ({ids}) RETURNING punch_id");
        let mut query = bind_update(sqlx::query(&sql), company_id, request);
        for id in chunk {
            query = query.bind(id.as_str());
        }
        for row in query.fetch_all(&mut *tx).await? {
            requeued.insert(row.try_get::<String, _>(0)?);
        }
    }
    let mut states = std::collections::HashMap::new();
    for chunk in punch_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT punch_id, state FROM punches WHERE company_id = $1 AND punch_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(company_id);
        for id in chunk {
            query = query.bind(id.as_str());
        }
        for row in query.fetch_all(&mut *tx).await? {
            let state: String = row.try_get(1)?;
            states.insert(row.try_get::<String, _>(0)?, state);
        }
    }
    tx.commit().await?;
    Ok(punch_ids
        .iter()
        .map(|id| {
            let outcome = if requeued.contains(id) {
                Requeued::Requeued
            } else {
                match states.get(id).and_then(|state| LedgerState::parse(state)) {
                    Some(state) => Requeued::NotFailed(state),
                    None => Requeued::NotFound,
                }
            };
            (id.clone(), outcome)
        })
        .collect())
}

/// Requeues every failed punch of the company punched in `from..until`; answers their ids.
pub async fn requeue_range(
    db: &Db,
    company_id: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    request: &RetryRequest<'_>,
) -> Result<Vec<String>, DbError> {
    let (update, next) = update_sql(request);
    let sql = format!(
        "{update} AND punched_at >= ${next} AND punched_at < ${} RETURNING punch_id",
        next + 1
    );
    let rows = bind_update(sqlx::query(&sql), company_id, request)
        .bind(to_millis(from))
        .bind(to_millis(until))
        .fetch_all(db.pool())
        .await?;
    let mut ids = rows
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort();
    Ok(ids)
}

/// Failed (or held for the named closed day) → in flight (posted before: verify first) or
/// pending (never posted), with who asked; and the first placeholder number after its own.
/// Each placeholder is bound once, in number order (see [`bind_update`]).
fn update_sql(request: &RetryRequest<'_>) -> (&'static str, usize) {
    if request.closed_day.is_none() {
        return (
            concat!(
                "UPDATE punches SET state = CASE WHEN employee_key <> '' THEN $1 ELSE $2 END, ",
                "reason = $3, next_attempt_at = NULL, failures = 0, retry_requested_by = $4, ",
                "retry_requested_at = $5 WHERE company_id = $6 AND state = $7"
            ),
            8,
        );
    }
    (
        concat!(
            "UPDATE punches SET state = CASE WHEN employee_key <> '' THEN $1 ELSE $2 END, ",
            "reason = $3, next_attempt_at = NULL, failures = 0, retry_requested_by = $4, ",
            "retry_requested_at = $5, closed_day_override = CASE WHEN working_day = $6 THEN $7 ",
            "ELSE closed_day_override END WHERE company_id = $8 AND (state = $9 OR (state = $10 ",
            "AND working_day = $11 AND reason = $12))"
        ),
        13,
    )
}

fn bind_update<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    company_id: &'q str,
    request: &RetryRequest<'_>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let query = query
        .bind(LedgerState::InFlight.as_str())
        .bind(LedgerState::Pending.as_str())
        .bind(reason(request).to_stored())
        .bind(request.requested_by.to_owned())
        .bind(to_millis(request.at));
    match request.closed_day {
        None => query.bind(company_id).bind(LedgerState::Failed.as_str()),
        Some(day) => query
            .bind(day_text(day))
            .bind(day_text(day))
            .bind(company_id)
            .bind(LedgerState::Failed.as_str())
            .bind(LedgerState::Held.as_str())
            .bind(day_text(day))
            .bind(crate::preflight::day_closed(day).text.to_stored()),
    }
}

fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
