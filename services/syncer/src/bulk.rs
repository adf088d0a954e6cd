//! The bulk INSERT of a RecordPunches batch, in the fastest form each engine has:
//! PostgreSQL `INSERT ... SELECT FROM UNNEST(...)` (one parameter per column, each an array),
//! SQLite one multi-row `VALUES` with anonymous `?` parameters. Both tell which rows they
//! stored and never store an id twice. The usual batch is all new, and goes in the cheap way
//! first: PostgreSQL a plain insert, which fails as a whole on an id stored already; SQLite an
//! insert skipping stored ids whose row count must match. Otherwise the batch goes in skipping
//! the stored ids (`ON CONFLICT DO NOTHING`) with `RETURNING`.
//!
//! Why not `$N` on SQLite: SQLite looks up a named parameter's name by walking the statement's
//! parameter list, and sqlx asks for every parameter's name, so a statement of n named
//! parameters costs O(n²) to bind (a 100-row chunk bound 20× slower than with `?`).
//! Why the native pool on PostgreSQL: sqlx's `Any` driver binds no arrays, so it could only send
//! array literals in text parameters for the server's array input to parse; the native driver
//! sends binary arrays, as the plain bulk insert of the ingest bench does.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use kintai_core::db::to_millis;
use kintai_core::{Db, DbError};
use sqlx::{PgPool, Row};

use crate::model::{LedgerState, NewPunch, PunchType};

/// Rows per SQLite statement: a whole RecordPunches batch (at most 1,000) at 17 parameters a row
/// stays below SQLite's limit of 32,766. A larger call is split into statements of this size.
const SQLITE_CHUNK: usize = 1_000;
const _: () = assert!(SQLITE_CHUNK * 17 <= 32_766 && SQLITE_CHUNK >= crate::api_args::MAX_BATCH);

/// One new punch with the ledger columns ingest derives for it.
pub(crate) struct NewRow<'a> {
    pub punch: &'a NewPunch,
    pub punch_type: PunchType,
    pub state: LedgerState,
    /// Stored form; the reasons every row of a batch shares are serialized once (`Cow`).
    pub reason: Cow<'a, str>,
}

/// Inserts the rows not stored yet; the punch ids it stored.
pub(crate) async fn insert(
    db: &Db,
    company_id: &str,
    received_at: DateTime<Utc>,
    rows: &[NewRow<'_>],
) -> Result<HashSet<String>, DbError> {
    let mut inserted = HashSet::with_capacity(rows.len());
    if rows.is_empty() {
        return Ok(inserted);
    }
    if let Some(pool) = db.postgres() {
        inserted.extend(insert_postgres(pool, company_id, received_at, rows).await?);
        return Ok(inserted);
    }
    if sqlite_all_new(db, company_id, received_at, rows).await? {
        inserted.extend(rows.iter().map(|row| row.punch.punch_id.clone()));
        return Ok(inserted);
    }
    for chunk in rows.chunks(SQLITE_CHUNK) {
        let sql = sqlite_sql(chunk.len(), true);
        let query = bind_sqlite(sqlx::query(&sql), company_id, received_at, chunk);
        for stored in query.fetch_all(db.pool()).await? {
            inserted.insert(stored.try_get::<String, _>(0)?);
        }
    }
    Ok(inserted)
}

/// SQLite's fast path for the usual batch, where every punch is new: the INSERT without
/// `RETURNING` (reading 500 ids back through the `Any` driver cost a third of the call), in a
/// transaction kept only if the row count says every row went in. Otherwise it is rolled back,
/// and the caller inserts again with `RETURNING` to learn which ids were new.
async fn sqlite_all_new(
    db: &Db,
    company_id: &str,
    received_at: DateTime<Utc>,
    rows: &[NewRow<'_>],
) -> Result<bool, DbError> {
    let mut tx = db.begin_write().await?;
    for chunk in rows.chunks(SQLITE_CHUNK) {
        let sql = sqlite_sql(chunk.len(), false);
        let done = bind_sqlite(sqlx::query(&sql), company_id, received_at, chunk)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != chunk.len() as u64 {
            tx.rollback().await?;
            return Ok(false);
        }
    }
    tx.commit().await?;
    Ok(true)
}

fn bind_sqlite<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    company_id: &str,
    received_at: DateTime<Utc>,
    chunk: &[NewRow<'_>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for row in chunk {
        let p = row.punch;
        query = query
            .bind(company_id.to_owned())
            .bind(p.punch_id.clone())
            .bind(p.user_id.clone())
            .bind(p.status_id.clone())
            .bind(p.status_name.clone())
            .bind(p.status_kind.to_i64())
            .bind(to_millis(p.punched_at))
            .bind(p.latitude)
            .bind(p.longitude)
            .bind(p.address.clone())
            .bind(p.platform.to_i64())
            .bind(p.app_version.clone())
            .bind(i64::from(p.unsupported_app_version))
            .bind(to_millis(received_at))
            .bind(row.punch_type.to_i64())
            .bind(row.state.as_str())
            .bind(row.reason.to_string());
    }
    query
}

/// `attempts`, `working_day` and `employee_key` start as 0, '' and '' (set when the punch goes in
/// flight); `sent_at` and `in_flight_at` NULL.
const COLUMNS: &str = "company_id, punch_id, user_id, status_id, status_name, status_kind, \
    punched_at, latitude, longitude, address, platform, app_version, unsupported_app_version, \
    received_at, punch_type, state, reason, attempts, working_day, employee_key";

fn sqlite_sql(rows: usize, returning: bool) -> String {
    let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '')";
    format!(
        "INSERT INTO punches ({COLUMNS}) VALUES {} \
         ON CONFLICT (company_id, punch_id) DO NOTHING{}",
        vec![row; rows].join(", "),
        if returning { " RETURNING punch_id" } else { "" }
    )
}

/// The UNNEST insert of a batch, as a literal for `concat!`.
macro_rules! unnest_insert {
    () => {
        "INSERT INTO punches (company_id, punch_id, user_id, status_id, \
    status_name, status_kind, punched_at, latitude, longitude, address, platform, app_version, \
    unsupported_app_version, received_at, punch_type, state, reason, attempts, working_day, \
    employee_key) \
    SELECT $1, r.punch_id, r.user_id, r.status_id, r.status_name, r.status_kind, r.punched_at, \
    r.latitude, r.longitude, r.address, r.platform, r.app_version, r.unsupported, $2, \
    r.punch_type, r.state, ($18::text[])[r.reason], 0, '', '' \
    FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], \
    $9::float8[], $10::float8[], $11::text[], $12::bigint[], $13::text[], $14::bigint[], \
    $15::bigint[], $16::text[], $17::bigint[]) AS r(punch_id, user_id, status_id, status_name, \
    status_kind, punched_at, latitude, longitude, address, platform, app_version, \
    unsupported, punch_type, state, reason)"
    };
}

/// A plain insert: it fails as a whole on the first id stored already.
const INSERT_ALL_NEW: &str = unnest_insert!();
/// Skips the ids stored already and names the ones it stored.
const INSERT_SKIPPING_STORED: &str = concat!(
    unnest_insert!(),
    " ON CONFLICT (company_id, punch_id) DO NOTHING RETURNING punch_id"
);

/// A batch as PostgreSQL columns, each bound as one binary array through the native driver.
struct Columns<'r> {
    punch_ids: Vec<&'r str>,
    user_ids: Vec<&'r str>,
    status_ids: Vec<&'r str>,
    status_names: Vec<&'r str>,
    status_kinds: Vec<i64>,
    punched_at: Vec<i64>,
    latitudes: Vec<Option<f64>>,
    longitudes: Vec<Option<f64>>,
    addresses: Vec<&'r str>,
    platforms: Vec<i64>,
    app_versions: Vec<&'r str>,
    unsupported: Vec<i64>,
    punch_types: Vec<i64>,
    states: Vec<&'static str>,
    /// 1-based positions in `reasons`: a batch has a handful of distinct reasons, each up to
    /// ~100 characters, sent once each rather than repeated in every row.
    reason_at: Vec<i64>,
    reasons: Vec<&'r str>,
}

impl<'r> Columns<'r> {
    fn new(rows: &'r [NewRow<'r>]) -> Self {
        let texts = |f: fn(&'r NewRow<'r>) -> &'r str| rows.iter().map(f).collect();
        let numbers = |f: fn(&NewRow<'_>) -> i64| rows.iter().map(f).collect();
        let floats = |f: fn(&NewRow<'_>) -> Option<f64>| rows.iter().map(f).collect();
        let mut reasons: Vec<&'r str> = Vec::new();
        let mut positions: HashMap<&'r str, i64> = HashMap::new();
        let reason_at = rows
            .iter()
            .map(|row| {
                *positions.entry(row.reason.as_ref()).or_insert_with(|| {
                    reasons.push(row.reason.as_ref());
                    i64::try_from(reasons.len()).unwrap_or(i64::MAX)
                })
            })
            .collect();
        Self {
            punch_ids: texts(|r| &r.punch.punch_id),
            user_ids: texts(|r| &r.punch.user_id),
            status_ids: texts(|r| &r.punch.status_id),
            status_names: texts(|r| &r.punch.status_name),
            status_kinds: numbers(|r| r.punch.status_kind.to_i64()),
            punched_at: numbers(|r| to_millis(r.punch.punched_at)),
            latitudes: floats(|r| r.punch.latitude),
            longitudes: floats(|r| r.punch.longitude),
            addresses: texts(|r| &r.punch.address),
            platforms: numbers(|r| r.punch.platform.to_i64()),
            app_versions: texts(|r| &r.punch.app_version),
            unsupported: numbers(|r| i64::from(r.punch.unsupported_app_version)),
            punch_types: numbers(|r| r.punch_type.to_i64()),
            states: rows.iter().map(|r| r.state.as_str()).collect(),
            reason_at,
            reasons,
        }
    }

    fn bind<'q>(
        &'q self,
        sql: &'q str,
        company_id: &'q str,
        received_at: i64,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        sqlx::query(sql)
            .bind(company_id)
            .bind(received_at)
            .bind(&self.punch_ids)
            .bind(&self.user_ids)
            .bind(&self.status_ids)
            .bind(&self.status_names)
            .bind(&self.status_kinds)
            .bind(&self.punched_at)
            .bind(&self.latitudes)
            .bind(&self.longitudes)
            .bind(&self.addresses)
            .bind(&self.platforms)
            .bind(&self.app_versions)
            .bind(&self.unsupported)
            .bind(&self.punch_types)
            .bind(&self.states)
            .bind(&self.reason_at)
            .bind(&self.reasons)
    }
}

/// Inserts a batch on PostgreSQL; the ids it stored. The usual batch is all new and goes in
/// with a plain insert, without `ON CONFLICT` (a speculative insertion per row) and without
/// `RETURNING` (500 ids back): all rows went in, or none. A batch holding an id stored
/// already (a resend, or a concurrent call's row, whose commit the insert waits for) fails as a
/// whole and changes nothing; it goes in again skipping the stored ids, and tells which it stored.
async fn insert_postgres(
    pool: &PgPool,
    company_id: &str,
    received_at: DateTime<Utc>,
    rows: &[NewRow<'_>],
) -> Result<Vec<String>, DbError> {
    let columns = Columns::new(rows);
    let received_at = to_millis(received_at);
    match columns
        .bind(INSERT_ALL_NEW, company_id, received_at)
        .execute(pool)
        .await
        .map_err(DbError::from)
    {
        Ok(_) => return Ok(rows.iter().map(|r| r.punch.punch_id.clone()).collect()),
        Err(DbError::UniqueViolation) => {}
        Err(error) => return Err(error),
    }
    let stored = columns
        .bind(INSERT_SKIPPING_STORED, company_id, received_at)
        .fetch_all(pool)
        .await?;
    stored
        .iter()
        .map(|row| Ok(row.try_get::<String, _>(0)?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_chunks_have_twenty_parameters_less_the_three_constants_per_row() {
        let sql = sqlite_sql(3, true);
        assert_eq!(sql.matches('?').count(), 3 * 17);
        assert!(!sql.contains('$'));
        assert!(!sqlite_sql(3, false).contains("RETURNING"));
    }
}
