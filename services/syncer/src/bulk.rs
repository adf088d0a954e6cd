//! The bulk INSERT of a RecordPunches batch, one statement in the fastest form each engine has:
//! PostgreSQL `INSERT ... SELECT FROM UNNEST(...)` (one parameter per column, each an array),
//! SQLite one multi-row `VALUES` with anonymous `?` parameters. Both skip ids already stored
//! (`ON CONFLICT DO NOTHING`) and tell which rows they stored: `RETURNING`, or on SQLite first
//! the row count of an all-new batch.
//!
//! Why not `$N` on SQLite: SQLite looks up a named parameter's name by walking the statement's
//! parameter list, and sqlx asks for every parameter's name, so a statement of n named
//! parameters costs O(n²) to bind (a 100-row chunk bound 20× slower than with `?`).
//! Why array literals on PostgreSQL: the pool is sqlx's `Any` driver, which binds no arrays; a
//! text parameter cast to `text[]`/`bigint[]`/`float8[]` is parsed by the server's array input.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use kintai_core::db::{Engine, to_millis};
use kintai_core::{Db, DbError};
use sqlx::Row;

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
    pub reason: String,
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
    match db.engine() {
        Engine::Postgres => {
            for row in unnest_query(company_id, received_at, rows)
                .fetch_all(db.pool())
                .await?
            {
                inserted.insert(row.try_get::<String, _>(0)?);
            }
        }
        Engine::Sqlite => {
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
            .bind(row.reason.clone());
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

const UNNEST_SQL: &str = "INSERT INTO punches (company_id, punch_id, user_id, status_id, \
    status_name, status_kind, punched_at, latitude, longitude, address, platform, app_version, \
    unsupported_app_version, received_at, punch_type, state, reason, attempts, working_day, \
    employee_key) \
    SELECT $1, r.punch_id, r.user_id, r.status_id, r.status_name, r.status_kind, r.punched_at, \
    r.latitude, r.longitude, r.address, r.platform, r.app_version, r.unsupported, $2, \
    r.punch_type, r.state, ($18::text[])[r.reason], 0, '', '' \
    FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], \
    $9::float8[], $10::float8[], $11::text[], $12::bigint[], $13::text[], $14::bigint[], \
    $15::bigint[], $16::text[], $17::bigint[]) AS r(punch_id, user_id, status_id, status_name, \
    status_kind, punched_at, latitude, longitude, address, platform, app_version, unsupported, \
    punch_type, state, reason) \
    ON CONFLICT (company_id, punch_id) DO NOTHING RETURNING punch_id";

fn unnest_query<'q, 'r>(
    company_id: &str,
    received_at: DateTime<Utc>,
    rows: &'r [NewRow<'r>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let texts = |f: fn(&'r NewRow<'r>) -> &'r str| text_array(rows.iter().map(f));
    let numbers = |f: fn(&'r NewRow<'r>) -> i64| int_array(rows.iter().map(f));
    let floats = |f: fn(&'r NewRow<'r>) -> Option<f64>| float_array(rows.iter().map(f));
    // A batch has a handful of distinct reasons, each up to ~100 characters: sent once each
    // and picked by 1-based position, not repeated in every row.
    let mut reasons: Vec<&str> = Vec::new();
    let mut positions: HashMap<&str, i64> = HashMap::new();
    let reason_at: Vec<i64> = rows
        .iter()
        .map(|row| {
            *positions.entry(row.reason.as_str()).or_insert_with(|| {
                reasons.push(&row.reason);
                i64::try_from(reasons.len()).unwrap_or(i64::MAX)
            })
        })
        .collect();
    sqlx::query(UNNEST_SQL)
        .bind(company_id.to_owned())
        .bind(to_millis(received_at))
        .bind(texts(|r| &r.punch.punch_id))
        .bind(texts(|r| &r.punch.user_id))
        .bind(texts(|r| &r.punch.status_id))
        .bind(texts(|r| &r.punch.status_name))
        .bind(numbers(|r| r.punch.status_kind.to_i64()))
        .bind(numbers(|r| to_millis(r.punch.punched_at)))
        .bind(floats(|r| r.punch.latitude))
        .bind(floats(|r| r.punch.longitude))
        .bind(texts(|r| &r.punch.address))
        .bind(numbers(|r| r.punch.platform.to_i64()))
        .bind(texts(|r| &r.punch.app_version))
        .bind(numbers(|r| i64::from(r.punch.unsupported_app_version)))
        .bind(numbers(|r| r.punch_type.to_i64()))
        .bind(texts(|r| r.state.as_str()))
        .bind(int_array(reason_at.into_iter()))
        .bind(text_array(reasons.into_iter()))
}

/// A PostgreSQL array literal of texts: every element double-quoted, `"` and `\` escaped, so
/// commas, braces, spaces, `NULL` and any Unicode come through as written.
fn text_array<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("{");
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in value.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

fn int_array(values: impl Iterator<Item = i64>) -> String {
    let items: Vec<String> = values.map(|v| v.to_string()).collect();
    format!("{{{}}}", items.join(","))
}

/// Rust prints the shortest text that parses back to the same bits, and PostgreSQL parses it
/// exactly: coordinates round-trip bit for bit, as duplicate detection needs. Only finite values
/// get here (validation refuses others).
fn float_array(values: impl Iterator<Item = Option<f64>>) -> String {
    let items: Vec<String> = values
        .map(|v| v.map_or_else(|| "NULL".to_owned(), |v| v.to_string()))
        .collect();
    format!("{{{}}}", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_arrays_quote_every_element_and_escape_quotes_and_backslashes() {
        let values = [
            "a",
            "",
            "NULL",
            "c,d {e}",
            "say \"hi\"",
            "back\\slash",
            "東京",
        ];
        assert_eq!(
            text_array(values.into_iter()),
            r#"{"a","","NULL","c,d {e}","say \"hi\"","back\\slash","東京"}"#
        );
        assert_eq!(text_array(std::iter::empty()), "{}");
    }

    #[test]
    fn number_arrays_print_plain_values_and_null() {
        assert_eq!(
            int_array([1, -2, i64::MAX].into_iter()),
            "{1,-2,9223372036854775807}"
        );
        assert_eq!(
            float_array([Some(35.68), None, Some(-0.0), Some(1e-7)].into_iter()),
            "{35.68,NULL,-0,0.0000001}"
        );
    }

    #[test]
    fn sqlite_chunks_have_twenty_parameters_less_the_three_constants_per_row() {
        let sql = sqlite_sql(3, true);
        assert_eq!(sql.matches('?').count(), 3 * 17);
        assert!(!sql.contains('$'));
        assert!(!sqlite_sql(3, false).contains("RETURNING"));
    }
}
