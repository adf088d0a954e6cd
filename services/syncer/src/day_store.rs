//! The day check's storage (`syncer_days`, `syncer_day_checks`, `punches.day_checked`): which
//! days need a check, our punches of those days, the verdicts, and the pages of ListDays.
//! Working days are stored as `YYYY-MM-DD`, so text order is date order on both engines.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use kintai_core::db::{from_millis, to_millis};
use kintai_core::{Db, DbError};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::day_verdict::{KotPunch, OurPunch, Verdict};
use crate::model::{LedgerState, PunchType};

/// Users per `IN (...)` list.
pub(crate) const USERS_PER_QUERY: usize = 500;

pub(crate) fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A user's working day and the employee it was sent to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserDay {
    pub user_id: String,
    pub day: NaiveDate,
}

/// Days that got a sent punch no check has looked at since, from `oldest` on, with the
/// employee each went to.
pub async fn unchecked_sent_days(
    db: &Db,
    company_id: &str,
    oldest: NaiveDate,
) -> Result<Vec<(UserDay, String)>, DbError> {
    let rows = sqlx::query(
        "SELECT DISTINCT user_id, working_day, employee_key FROM punches \
         WHERE company_id = $1 AND state = $2 AND day_checked = 0 AND working_day >= $3",
    )
    .bind(company_id)
    .bind(LedgerState::Sent.as_str())
    .bind(day_text(oldest))
    .fetch_all(db.pool())
    .await?;
    let mut days = Vec::new();
    for row in rows {
        let (user_id, day, key): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if let Some(day) = parse_day(&day) {
            days.push((UserDay { user_id, day }, key));
        }
    }
    Ok(days)
}

/// Every (user, employee) we posted to for working days from `from` on.
pub async fn posted_employees(
    db: &Db,
    company_id: &str,
    from: NaiveDate,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query(
        "SELECT DISTINCT user_id, employee_key FROM punches WHERE company_id = $1 \
         AND state IN ($2, $3) AND working_day >= $4 AND employee_key <> ''",
    )
    .bind(company_id)
    .bind(LedgerState::Sent.as_str())
    .bind(LedgerState::InFlight.as_str())
    .bind(day_text(from))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

/// The JST day of the company's last whole-month check.
pub async fn month_checked_on(db: &Db, company_id: &str) -> Result<Option<NaiveDate>, DbError> {
    let row = sqlx::query("SELECT month_checked_on FROM syncer_day_checks WHERE company_id = $1")
        .bind(company_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .map(|row| row.try_get::<String, _>(0))
        .transpose()?
        .and_then(|text| parse_day(&text)))
}

/// Our punches (every synced type, any state) of these users on working days in
/// `start..=end`, by user-day.
pub async fn our_punches(
    db: &Db,
    company_id: &str,
    users: &[&str],
    start: NaiveDate,
    end: NaiveDate,
) -> Result<HashMap<UserDay, Vec<OurPunch>>, DbError> {
    let mut by_day: HashMap<UserDay, Vec<OurPunch>> = HashMap::new();
    for chunk in users.chunks(USERS_PER_QUERY) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 5)).collect();
        let sql = format!(
            "SELECT punch_id, user_id, working_day, punch_type, punched_at, state, employee_key \
             FROM punches WHERE company_id = $1 AND punch_type <> $2 AND working_day >= $3 \
             AND working_day <= $4 AND user_id IN ({}) ORDER BY punched_at, punch_id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(company_id)
            .bind(PunchType::NotSynced.to_i64())
            .bind(day_text(start))
            .bind(day_text(end));
        for user in chunk {
            query = query.bind(*user);
        }
        for row in query.fetch_all(db.pool()).await? {
            let (Some(day), Some(punch_type), Some(state)) = (
                parse_day(&row.try_get::<String, _>(2)?),
                PunchType::from_i64(row.try_get(3)?),
                LedgerState::parse(&row.try_get::<String, _>(5)?),
            ) else {
                continue;
            };
            let user_id: String = row.try_get(1)?;
            by_day
                .entry(UserDay { user_id, day })
                .or_default()
                .push(OurPunch {
                    punch_id: row.try_get(0)?,
                    punch_type,
                    punched_at: from_millis(row.try_get(4)?),
                    state,
                    employee_key: row.try_get(6)?,
                });
        }
    }
    Ok(by_day)
}

/// One stored verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct DayRow {
    pub user_id: String,
    pub day: NaiveDate,
    pub employee_key: String,
    pub verdict: Verdict,
    /// A stored kintai-i18n text.
    pub reason: String,
    pub kot_punches: Vec<KotPunch>,
    pub checked_at: DateTime<Utc>,
}

/// Stores the verdicts, marks the sent punches they looked at as checked and, for a whole-month
/// check, the day it ran: one transaction.
pub async fn save(
    db: &Db,
    company_id: &str,
    rows: &[DayRow],
    checked_punch_ids: &[String],
    month_checked_on: Option<NaiveDate>,
) -> Result<(), DbError> {
    let mut tx = db.pool().begin().await?;
    for row in rows {
        let kot = serde_json::to_string(&row.kot_punches).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO syncer_days (company_id, user_id, working_day, employee_key, verdict, \
             reason, kot_punches, checked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (company_id, user_id, working_day) DO UPDATE SET \
             employee_key = excluded.employee_key, verdict = excluded.verdict, \
             reason = excluded.reason, kot_punches = excluded.kot_punches, \
             checked_at = excluded.checked_at",
        )
        .bind(company_id)
        .bind(row.user_id.as_str())
        .bind(day_text(row.day))
        .bind(row.employee_key.as_str())
        .bind(row.verdict.as_str())
        .bind(row.reason.as_str())
        .bind(kot)
        .bind(to_millis(row.checked_at))
        .execute(&mut *tx)
        .await?;
    }
    for chunk in checked_punch_ids.chunks(USERS_PER_QUERY) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "UPDATE punches SET day_checked = 1 WHERE company_id = $1 AND punch_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(company_id);
        for id in chunk {
            query = query.bind(id.as_str());
        }
        query.execute(&mut *tx).await?;
    }
    if let Some(day) = month_checked_on {
        sqlx::query(
            "INSERT INTO syncer_day_checks (company_id, month_checked_on) VALUES ($1, $2) \
             ON CONFLICT (company_id) DO UPDATE SET month_checked_on = excluded.month_checked_on",
        )
        .bind(company_id)
        .bind(day_text(day))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// User-days from `from` on whose stored verdict is KING OF TIME's エラー勤務: one row per user
/// and working day, so a day counts once per user linked to the employee. A later check that
/// finds the day fixed overwrites the verdict, and the count drops with it.
pub async fn count_kot_error_days(
    db: &Db,
    company_id: &str,
    from: NaiveDate,
) -> Result<u32, DbError> {
    let count: i64 = sqlx::query(
        "SELECT COUNT(*) FROM syncer_days WHERE company_id = $1 AND verdict = $2 \
         AND working_day >= $3",
    )
    .bind(company_id)
    .bind(Verdict::KotErrorDay.as_str())
    .bind(day_text(from))
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// 出勤 KING OF TIME holds (as the day checks read them) on working days from `from` on, by
/// user, with the day they are filed under: the working-day rule's "latest 出勤" may be one.
pub async fn kot_clock_ins(
    db: &Db,
    company_id: &str,
    from: NaiveDate,
) -> Result<HashMap<String, Vec<(DateTime<Utc>, NaiveDate)>>, DbError> {
    let rows = sqlx::query(
        "SELECT user_id, working_day, kot_punches FROM syncer_days \
         WHERE company_id = $1 AND working_day >= $2",
    )
    .bind(company_id)
    .bind(day_text(from))
    .fetch_all(db.pool())
    .await?;
    let mut by_user: HashMap<String, Vec<(DateTime<Utc>, NaiveDate)>> = HashMap::new();
    for row in rows {
        let (user_id, day, kot): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let Some(day) = parse_day(&day) else { continue };
        let punches: Vec<KotPunch> = serde_json::from_str(&kot).unwrap_or_default();
        by_user.entry(user_id).or_default().extend(
            punches
                .into_iter()
                .filter(|p| p.code.trim() == "1")
                .map(|p| (p.time.to_utc(), day)),
        );
    }
    Ok(by_user)
}

pub(crate) fn decode(row: &AnyRow, day: &UserDay) -> Result<DayRow, DbError> {
    let verdict: String = row.try_get(1)?;
    let kot: String = row.try_get(3)?;
    Ok(DayRow {
        user_id: day.user_id.clone(),
        day: day.day,
        employee_key: row.try_get(0)?,
        // A word this build does not know (a newer build wrote it) reads as "differs": look.
        verdict: Verdict::parse(&verdict).unwrap_or(Verdict::Differs),
        reason: row.try_get(2)?,
        kot_punches: serde_json::from_str(&kot).unwrap_or_default(),
        checked_at: from_millis(row.try_get(4)?),
    })
}
