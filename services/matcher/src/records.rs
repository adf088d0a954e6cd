//! The company records (matcher_companies: what the last run found per company), read one or
//! many at a time and upserted several per statement: the part of [`crate::store`] that is not
//! about link rows or lease-fenced transactions.

use std::collections::HashMap;

use kintai_core::db::to_millis;
use kintai_core::{Db, DbError, Engine};

use crate::model::CompanyRecord;
use crate::row_codec::{condition_code, decode_company};

/// Company ids per statement when reading records or giving leases back for many companies.
pub(crate) const IDS_PER_STATEMENT: usize = 64;

pub(crate) const COMPANY_SELECT: &str = "SELECT company_id, condition, last_run_at, last_matched_at, \
     last_reason, employees, rows_digest FROM matcher_companies WHERE company_id = $1";

/// The company's record, `None` when it has none yet.
pub(crate) async fn company(db: &Db, company_id: &str) -> Result<Option<CompanyRecord>, DbError> {
    let row = sqlx::query(COMPANY_SELECT)
        .bind(company_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(decode_company).transpose()
}

/// The records of several companies, one statement per [`IDS_PER_STATEMENT`] (companies
/// without one are absent).
pub(crate) async fn companies(
    db: &Db,
    company_ids: &[String],
) -> Result<HashMap<String, CompanyRecord>, DbError> {
    let mut records = HashMap::with_capacity(company_ids.len());
    for chunk in company_ids.chunks(IDS_PER_STATEMENT) {
        let sql = format!(
            "SELECT company_id, condition, last_run_at, last_matched_at, last_reason, \
             employees, rows_digest FROM matcher_companies WHERE company_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for company_id in chunk {
            query = query.bind(company_id.as_str());
        }
        for row in query.fetch_all(db.pool()).await? {
            let record = decode_company(&row)?;
            records.insert(record.company_id.clone(), record);
        }
    }
    Ok(records)
}

/// Upserts company records, several per statement.
pub(crate) async fn upsert_records(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    engine: Engine,
    records: &[&CompanyRecord],
) -> Result<(), DbError> {
    const COLUMNS: usize = 7;
    // As for link rows: SQLite's parameter binding is quadratic in the parameter count.
    let per_statement = match engine {
        Engine::Sqlite => 16,
        Engine::Postgres => 100,
    };
    for chunk in records.chunks(per_statement) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", placeholders(r * COLUMNS + 1, COLUMNS)))
            .collect();
        let sql = format!(
            "INSERT INTO matcher_companies \
             (company_id, condition, last_run_at, last_matched_at, last_reason, employees, rows_digest) \
             VALUES {} \
             ON CONFLICT (company_id) DO UPDATE SET condition = excluded.condition, \
             last_run_at = excluded.last_run_at, last_matched_at = excluded.last_matched_at, \
             last_reason = excluded.last_reason, employees = excluded.employees, \
             rows_digest = excluded.rows_digest",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for record in chunk {
            query = query
                .bind(record.company_id.as_str())
                .bind(condition_code(record.condition))
                .bind(to_millis(record.last_run_at))
                .bind(record.last_matched_at.map_or(0, to_millis))
                .bind(record.last_reason.as_str())
                .bind(i64::from(record.employees))
                .bind(record.rows_digest);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// `$first, $first+1, …` for `count` parameters.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
