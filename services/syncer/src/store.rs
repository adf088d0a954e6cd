//! The `punches` table: idempotent ingest and the paged listing. The upload ledger's writes are
//! in `ledger.rs`.

use kintai_i18n::Text;
use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use kintai_core::db::Engine;
use kintai_core::db::{from_millis, to_millis};
use kintai_core::{Db, DbError};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::bulk::{self, NewRow};
use crate::model::{LedgerState, NewPunch, Platform, PunchRecord, PunchType, StatusKind};
use crate::plan::{expired_reason, month_starts};
use crate::translate;

/// The columns `record_from_row` decodes, in order.
pub(crate) const RECORD_COLUMNS: &str = "punch_id, user_id, status_id, status_name, status_kind, \
    punched_at, latitude, longitude, address, platform, app_version, unsupported_app_version, \
    received_at, punch_type, state, reason, attempts, working_day, employee_key, sent_at, \
    next_attempt_at, last_error, retry_requested_by, retry_requested_at, failures, \
    closed_day_override";

/// Ids per `IN (...)` lookup.
const LOOKUP_CHUNK: usize = 500;

/// The reason a freshly stored, synced-kind punch carries until a run looks at it.
pub const AWAITING_RUN: &str = "punch-awaiting-run";

/// What ingest did with one punch.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Accepted(PunchType),
    /// Stored before with the same content.
    Duplicate(PunchType),
    /// Stored before with other content; nothing changed.
    Conflict,
}

/// Stores the punches of one company with one INSERT statement (atomic on its own; see `bulk`).
/// Results come back in input order; a punch id repeated within the batch is compared with its
/// first occurrence.
pub async fn record(
    db: &Db,
    company_id: &str,
    punches: &[NewPunch],
    received_at: DateTime<Utc>,
) -> Result<Vec<Recorded>, DbError> {
    // First occurrence of each id is the one offered for insertion.
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut unique: Vec<&NewPunch> = Vec::new();
    for (position, punch) in punches.iter().enumerate() {
        if !first.contains_key(punch.punch_id.as_str()) {
            first.insert(&punch.punch_id, position);
            unique.push(punch);
        }
    }
    let oldest_sendable = month_starts(received_at).1;
    let shared = SharedReasons {
        awaiting_run: Text::new(AWAITING_RUN).to_stored(),
        expired: expired_reason(oldest_sendable).to_stored(),
    };
    let rows: Vec<NewRow<'_>> = unique
        .iter()
        .map(|punch| new_row(punch, oldest_sendable, &shared))
        .collect();
    // `bulk` tells which rows this call stored; a row a concurrent batch stored first (the
    // insert waits for its commit) is then read back and compared like any resend. No explicit
    // transaction: each INSERT is atomic by itself, and the read-back only looks at committed
    // rows, which a transaction would not make any more consistent.
    let inserted = bulk::insert(db, company_id, received_at, &rows).await?;

    let missing: Vec<&str> = unique
        .iter()
        .map(|p| p.punch_id.as_str())
        .filter(|id| !inserted.contains(*id))
        .collect();
    let mut stored: HashMap<String, PunchRecord> = HashMap::new();
    for chunk in missing.chunks(LOOKUP_CHUNK) {
        for record in fetch_by_ids(db, company_id, chunk).await? {
            stored.insert(record.punch.punch_id.clone(), record);
        }
    }
    Ok(punches
        .iter()
        .enumerate()
        .map(|(position, punch)| {
            let is_first = first.get(punch.punch_id.as_str()) == Some(&position);
            if is_first && inserted.contains(&punch.punch_id) {
                return Recorded::Accepted(translate::punch_type(
                    punch.status_kind,
                    &punch.status_name,
                ));
            }
            // The content this id has now: the stored row, or the batch's first occurrence.
            let existing = match stored.get(&punch.punch_id) {
                Some(record) => Some((&record.punch, record.punch_type)),
                None => first.get(punch.punch_id.as_str()).map(|&i| {
                    let original = &punches[i];
                    let kind = translate::punch_type(original.status_kind, &original.status_name);
                    (original, kind)
                }),
            };
            resent(punch, existing)
        })
        .collect())
}

/// The stored reasons that many punches of one batch share, serialized once per batch.
struct SharedReasons {
    awaiting_run: String,
    expired: String,
}

/// The row a new punch is stored as. Older punches are never sent (manual: 当月分のデータ): they
/// are stored as such at once, so none waits under a reason that cannot come true.
fn new_row<'a>(
    punch: &'a NewPunch,
    oldest_sendable: DateTime<Utc>,
    shared: &'a SharedReasons,
) -> NewRow<'a> {
    let punch_type = translate::punch_type(punch.status_kind, &punch.status_name);
    let (state, reason) = match punch_type {
        PunchType::NotSynced => (
            LedgerState::NotSynced,
            Cow::Owned(
                translate::not_synced_reason(punch.status_kind, &punch.status_name).to_stored(),
            ),
        ),
        _ if punch.punched_at < oldest_sendable => {
            (LedgerState::Expired, Cow::Borrowed(shared.expired.as_str()))
        }
        _ => (
            LedgerState::Held,
            Cow::Borrowed(shared.awaiting_run.as_str()),
        ),
    };
    NewRow {
        punch,
        punch_type,
        state,
        reason,
    }
}

/// A punch whose id was stored already (or came earlier in the batch): the same content is a
/// duplicate, other content a conflict.
fn resent(punch: &NewPunch, existing: Option<(&NewPunch, PunchType)>) -> Recorded {
    match existing {
        Some((original, punch_type)) if original.same_content(punch) => {
            Recorded::Duplicate(punch_type)
        }
        _ => Recorded::Conflict,
    }
}

async fn fetch_by_ids(
    db: &Db,
    company_id: &str,
    ids: &[&str],
) -> Result<Vec<PunchRecord>, DbError> {
    // Anonymous parameters on SQLite: named ones bind in O(n²) there (see `bulk`).
    let placeholders: Vec<String> = match db.engine() {
        Engine::Postgres => (0..=ids.len()).map(|i| format!("${}", i + 1)).collect(),
        Engine::Sqlite => vec!["?".to_owned(); ids.len() + 1],
    };
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM punches WHERE company_id = {} AND punch_id IN ({})",
        placeholders[0],
        placeholders[1..].join(", ")
    );
    let mut query = sqlx::query(&sql).bind(company_id.to_owned());
    for id in ids {
        query = query.bind((*id).to_owned());
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(record_from_row).collect()
}

/// One stored punch, or `None`.
pub async fn get(
    db: &Db,
    company_id: &str,
    punch_id: &str,
) -> Result<Option<PunchRecord>, DbError> {
    let sql =
        format!("SELECT {RECORD_COLUMNS} FROM punches WHERE company_id = $1 AND punch_id = $2");
    let row = sqlx::query(&sql)
        .bind(company_id)
        .bind(punch_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(record_from_row).transpose()
}

/// Filters of ListPunches.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub user_id: Option<String>,
    /// Instants on or after this (the JST start of the `from_date`).
    pub from: Option<DateTime<Utc>>,
    /// Instants before this (the JST start of the day after `to_date`).
    pub until: Option<DateTime<Utc>>,
    pub state: Option<LedgerState>,
}

/// The keyset position after which a page starts: (instant, punch id) of the previous page's
/// last punch.
pub type Cursor = (DateTime<Utc>, String);

/// One page ordered by instant then punch id, plus the cursor of the next page if any.
pub async fn list(
    db: &Db,
    company_id: &str,
    filter: &ListFilter,
    page_size: u32,
    after: Option<&Cursor>,
) -> Result<(Vec<PunchRecord>, Option<Cursor>), DbError> {
    let mut conditions = vec!["company_id = $1".to_owned()];
    let mut texts: Vec<(usize, String)> = Vec::new();
    let mut numbers: Vec<(usize, i64)> = Vec::new();
    let mut next = 2;
    if let Some(user_id) = &filter.user_id {
        conditions.push(format!("user_id = ${next}"));
        texts.push((next, user_id.clone()));
        next += 1;
    }
    if let Some(from) = filter.from {
        conditions.push(format!("punched_at >= ${next}"));
        numbers.push((next, to_millis(from)));
        next += 1;
    }
    if let Some(until) = filter.until {
        conditions.push(format!("punched_at < ${next}"));
        numbers.push((next, to_millis(until)));
        next += 1;
    }
    if let Some(state) = filter.state {
        conditions.push(format!("state = ${next}"));
        texts.push((next, state.as_str().to_owned()));
        next += 1;
    }
    if let Some((instant, punch_id)) = after {
        conditions.push(format!(
            "(punched_at > ${a} OR (punched_at = ${a} AND punch_id > ${b}))",
            a = next,
            b = next + 1
        ));
        numbers.push((next, to_millis(*instant)));
        texts.push((next + 1, punch_id.clone()));
        next += 2;
    }
    // One extra row tells whether another page follows.
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM punches WHERE {} ORDER BY punched_at, punch_id LIMIT ${next}",
        conditions.join(" AND ")
    );
    // Parameters must be bound in $N order.
    let mut binds: Vec<(usize, Bind)> = texts
        .into_iter()
        .map(|(n, t)| (n, Bind::Text(t)))
        .chain(numbers.into_iter().map(|(n, v)| (n, Bind::Number(v))))
        .collect();
    binds.sort_by_key(|(n, _)| *n);
    let mut query = sqlx::query(&sql).bind(company_id.to_owned());
    for (_, bind) in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text),
            Bind::Number(number) => query.bind(number),
        };
    }
    let limit = i64::from(page_size) + 1;
    let rows = query.bind(limit).fetch_all(db.pool()).await?;
    let mut records = rows
        .iter()
        .map(record_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let more = records.len() > page_size as usize;
    records.truncate(page_size as usize);
    let cursor = more
        .then(|| records.last())
        .flatten()
        .map(|last| (last.punch.punched_at, last.punch.punch_id.clone()));
    Ok((records, cursor))
}

enum Bind {
    Text(String),
    Number(i64),
}

fn corrupt(column: &str, value: impl std::fmt::Display) -> DbError {
    DbError::Other(sqlx::Error::Decode(
        format!("punches.{column} holds {value}, which this build does not know").into(),
    ))
}

/// Decodes the columns of [`RECORD_COLUMNS`].
pub(crate) fn record_from_row(row: &AnyRow) -> Result<PunchRecord, DbError> {
    let status_kind: i64 = row.try_get(4)?;
    let platform: i64 = row.try_get(9)?;
    let punch_type: i64 = row.try_get(13)?;
    let state: String = row.try_get(14)?;
    let attempts: i64 = row.try_get(16)?;
    let working_day: String = row.try_get(17)?;
    let sent_at: Option<i64> = row.try_get(19)?;
    let next_attempt_at: Option<i64> = row.try_get(20)?;
    let retry_requested_at: Option<i64> = row.try_get(23)?;
    Ok(PunchRecord {
        punch: NewPunch {
            punch_id: row.try_get(0)?,
            user_id: row.try_get(1)?,
            status_id: row.try_get(2)?,
            status_name: row.try_get(3)?,
            status_kind: StatusKind::from_i64(status_kind)
                .ok_or_else(|| corrupt("status_kind", status_kind))?,
            punched_at: from_millis(row.try_get(5)?),
            latitude: row.try_get(6)?,
            longitude: row.try_get(7)?,
            address: row.try_get(8)?,
            platform: Platform::from_i64(platform).ok_or_else(|| corrupt("platform", platform))?,
            app_version: row.try_get(10)?,
            unsupported_app_version: row.try_get::<i64, _>(11)? != 0,
        },
        received_at: from_millis(row.try_get(12)?),
        punch_type: PunchType::from_i64(punch_type)
            .ok_or_else(|| corrupt("punch_type", punch_type))?,
        state: LedgerState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
        reason: row.try_get(15)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        working_day: NaiveDate::parse_from_str(&working_day, "%Y-%m-%d").ok(),
        employee_key: row.try_get(18)?,
        sent_at: sent_at.map(from_millis),
        next_attempt_at: next_attempt_at.map(from_millis),
        last_error: row.try_get(21)?,
        retry_requested_by: row.try_get(22)?,
        retry_requested_at: retry_requested_at.map(from_millis),
        failures: u32::try_from(row.try_get::<i64, _>(24)?).unwrap_or(u32::MAX),
        closed_day_override: NaiveDate::parse_from_str(&row.try_get::<String, _>(25)?, "%Y-%m-%d")
            .ok(),
    })
}
