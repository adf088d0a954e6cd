//! The links repository: the 連携状況 rows and what the last run found per company. Writes of a
//! run go in one transaction fenced by the company's lease, and only rows that changed are
//! written, so the hourly run of an unchanged company costs one small write.

use std::collections::{HashMap, HashSet};

use kintai_core::lease::Lease;
use kintai_core::{Db, DbError, Engine};
use sqlx::Row;

use crate::model::{CompanyRecord, LinkRow};
use crate::records::{self, COMPANY_SELECT, IDS_PER_STATEMENT, placeholders, upsert_records};
use crate::row_codec::{STATE_ACTIVE, STATE_INACTIVE, decode_company, decode_link, encode};
use crate::schema::LEASE_TABLE;

const LINK_COLUMNS: &str = "company_id, user_id, user_code, user_name, kot_link_enabled, state, \
     reason, employee_code, employee_key, employee_name, hint_kind, hint_employee_code, \
     hint_employee_name, day_border_minutes, hired_on, resigned_on, division_code";
const LINK_COLUMN_COUNT: usize = 17;
/// Rows per multi-row statement. SQLite looks each `$N` parameter up by walking the
/// statement's parameter list, which makes binding quadratic in the parameter count, so it
/// gets few rows (8 rows, 104 parameters); PostgreSQL gets many, each statement being a round
/// trip (100 rows, 1,300 parameters; its limit is 65,535).
fn rows_per_statement(engine: Engine) -> usize {
    match engine {
        Engine::Sqlite => 8,
        Engine::Postgres => 100,
    }
}

/// Which rows a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    All,
    Active,
    Inactive,
}

#[derive(Clone, Debug)]
pub struct LinkStore {
    db: Db,
}

impl LinkStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Takes the leases of several companies for one holder in one statement, with the
    /// semantics of `kintai_core::lease::Leases::try_acquire` per company (a free or expired
    /// row is taken). Answers the companies whose lease was taken.
    pub async fn acquire_leases(
        &self,
        company_ids: &[String],
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<HashSet<String>, DbError> {
        if company_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let now = chrono::Utc::now().timestamp_millis();
        let expires_at = now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        let values: Vec<String> = (0..company_ids.len())
            .map(|i| format!("(${}, $1, $2)", i + 4))
            .collect();
        let sql = format!(
            "INSERT INTO {LEASE_TABLE} (company_id, holder, expires_at) VALUES {} \
             ON CONFLICT (company_id) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at WHERE {LEASE_TABLE}.expires_at < $3 \
             RETURNING company_id",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(holder).bind(expires_at).bind(now);
        for company_id in company_ids {
            query = query.bind(company_id.as_str());
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>(0).map_err(DbError::from))
            .collect()
    }

    pub async fn company(&self, company_id: &str) -> Result<Option<CompanyRecord>, DbError> {
        records::company(&self.db, company_id).await
    }

    /// The records of several companies in one statement (companies without one are absent).
    pub async fn companies(
        &self,
        company_ids: &[String],
    ) -> Result<HashMap<String, CompanyRecord>, DbError> {
        records::companies(&self.db, company_ids).await
    }

    /// Stores the new records of several companies whose rows are unchanged, each fenced by
    /// its lease exactly as [`Self::begin_finish`] + [`Finish::commit`] would: one write
    /// transaction gives back the leases `holder` still holds and writes the records of those
    /// companies only. Answers the companies whose lease was held (and so whose record was
    /// written); the others' leases were lost and their results must be discarded.
    pub async fn finish_unchanged(
        &self,
        holder: &str,
        records: &[CompanyRecord],
    ) -> Result<HashSet<String>, DbError> {
        if records.is_empty() {
            return Ok(HashSet::new());
        }
        let engine = self.db.engine();
        let mut tx = self.begin_write_tx().await?;
        let mut held = HashSet::with_capacity(records.len());
        for chunk in records.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "DELETE FROM {LEASE_TABLE} WHERE holder = $1 AND company_id IN ({}) \
                 RETURNING company_id",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(holder);
            for record in chunk {
                query = query.bind(record.company_id.as_str());
            }
            for row in query.fetch_all(&mut *tx).await? {
                held.insert(row.try_get::<String, _>(0)?);
            }
        }
        let kept: Vec<&CompanyRecord> = records
            .iter()
            .filter(|record| held.contains(&record.company_id))
            .collect();
        upsert_records(&mut tx, engine, &kept).await?;
        tx.commit().await?;
        Ok(held)
    }

    /// A write transaction (see [`Self::begin_finish`] for PostgreSQL's asynchronous commit).
    async fn begin_write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, DbError> {
        Ok(match self.db.engine() {
            Engine::Sqlite => self.db.begin_write().await?,
            // The table is derived data that the next run recomputes, so a commit lost in a
            // server crash costs only that recomputation, while waiting for the WAL flush of
            // every commit would dominate a run over many companies. One round trip: the
            // setting travels with BEGIN.
            Engine::Postgres => {
                self.db
                    .pool()
                    .begin_with("BEGIN; SET LOCAL synchronous_commit = off")
                    .await?
            }
        })
    }

    /// One page of a company's rows after `after_user_id`, ordered by user id.
    pub async fn page(
        &self,
        company_id: &str,
        filter: StateFilter,
        after_user_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<LinkRow>, DbError> {
        let mut sql = format!("SELECT {LINK_COLUMNS} FROM matcher_links WHERE company_id = $1");
        let mut next = 2;
        let state = match filter {
            StateFilter::All => None,
            StateFilter::Active => Some(STATE_ACTIVE),
            StateFilter::Inactive => Some(STATE_INACTIVE),
        };
        if state.is_some() {
            sql.push_str(&format!(" AND state = ${next}"));
            next += 1;
        }
        if after_user_id.is_some() {
            sql.push_str(&format!(" AND user_id > ${next}"));
            next += 1;
        }
        sql.push_str(&format!(" ORDER BY user_id LIMIT ${next}"));
        let mut query = sqlx::query(&sql).bind(company_id);
        if let Some(state) = state {
            query = query.bind(state);
        }
        if let Some(after) = after_user_id {
            query = query.bind(after);
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(decode_link).collect()
    }

    /// Starts storing a run's result: one write transaction that first gives the lease back
    /// (which is the fence: a run whose lease expired and was taken over finds no row of its
    /// own, and gets `None`), then reads the company's record, unless the caller read it
    /// already under the same lease (`known`). Dropping the [`Finish`] without committing
    /// keeps the lease and writes nothing.
    pub async fn begin_finish(
        &self,
        lease: &Lease,
        known: Option<Option<CompanyRecord>>,
    ) -> Result<Option<Finish>, DbError> {
        let engine = self.db.engine();
        let mut tx = self.begin_write_tx().await?;
        // A taker waits for our row lock (PostgreSQL) or the write lock (SQLite) meanwhile.
        let held = sqlx::query(&format!(
            "DELETE FROM {LEASE_TABLE} WHERE company_id = $1 AND holder = $2"
        ))
        .bind(&lease.company_id)
        .bind(&lease.holder)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !held {
            tx.rollback().await?;
            return Ok(None);
        }
        // Read under the lease before this transaction, the record is still what it was: only
        // the lease's holder writes it, and had the lease been lost the DELETE above would
        // have found no row.
        let record = match known {
            Some(record) => record,
            None => sqlx::query(COMPANY_SELECT)
                .bind(&lease.company_id)
                .fetch_optional(&mut *tx)
                .await?
                .as_ref()
                .map(decode_company)
                .transpose()?,
        };
        Ok(Some(Finish {
            tx,
            engine,
            company_id: lease.company_id.clone(),
            record,
        }))
    }
}

/// A run's result being stored, under the write transaction [`LinkStore::begin_finish`] began.
pub struct Finish {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    engine: Engine,
    company_id: String,
    /// The company's record before this run.
    pub record: Option<CompanyRecord>,
}

impl Finish {
    /// Every stored row of the company, by user id.
    pub async fn load_links(&mut self) -> Result<HashMap<String, LinkRow>, DbError> {
        let rows = sqlx::query(&format!(
            "SELECT {LINK_COLUMNS} FROM matcher_links WHERE company_id = $1"
        ))
        .bind(&self.company_id)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|row| decode_link(row).map(|link| (link.user_id.clone(), link)))
            .collect()
    }

    /// Writes the rows that differ from `previous` (none when `previous` is `None`: the
    /// caller knows they are unchanged), removes users no longer listed, stores the record,
    /// and commits.
    pub async fn commit(
        mut self,
        previous: Option<&HashMap<String, LinkRow>>,
        rows: &[LinkRow],
        record: &CompanyRecord,
    ) -> Result<(), DbError> {
        let company_id = self.company_id.as_str();
        if let Some(previous) = previous {
            let chunk = rows_per_statement(self.engine);
            write_changes(&mut self.tx, company_id, previous, rows, chunk).await?;
        }
        upsert_records(&mut self.tx, self.engine, &[record]).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// Upserts the rows that differ from `previous` and deletes the users no longer listed.
async fn write_changes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    company_id: &str,
    previous: &HashMap<String, LinkRow>,
    rows: &[LinkRow],
    rows_per_statement: usize,
) -> Result<(), DbError> {
    let changed: Vec<&LinkRow> = rows
        .iter()
        .filter(|row| previous.get(&row.user_id) != Some(*row))
        .collect();
    for chunk in changed.chunks(rows_per_statement) {
        let sql = upsert_sql(chunk.len());
        let mut query = sqlx::query(&sql);
        for row in chunk {
            let e = encode(row);
            query = query
                .bind(company_id)
                .bind(row.user_id.as_str())
                .bind(row.user_code.as_str())
                .bind(row.user_name.as_str())
                .bind(i64::from(row.kot_link_enabled))
                .bind(e.state)
                .bind(e.reason)
                .bind(e.employee_code)
                .bind(e.employee_key)
                .bind(e.employee_name)
                .bind(e.hint_kind)
                .bind(e.hint_code)
                .bind(e.hint_name)
                .bind(e.day_border_minutes)
                .bind(e.hired_on)
                .bind(e.resigned_on)
                .bind(e.division_code);
        }
        query.execute(&mut **tx).await?;
    }

    let present: std::collections::HashSet<&str> =
        rows.iter().map(|row| row.user_id.as_str()).collect();
    let gone: Vec<&str> = previous
        .keys()
        .map(String::as_str)
        .filter(|id| !present.contains(id))
        .collect();
    for chunk in gone.chunks(rows_per_statement) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "DELETE FROM matcher_links WHERE company_id = $1 AND user_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(company_id);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut **tx).await?;
    }

    Ok(())
}

fn upsert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=LINK_COLUMN_COUNT)
                .map(|c| format!("${}", r * LINK_COLUMN_COUNT + c))
                .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    let updates = LINK_COLUMNS
        .split(", ")
        .skip(2)
        .map(|column| format!("{column} = excluded.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO matcher_links ({LINK_COLUMNS}) VALUES {} \
         ON CONFLICT (company_id, user_id) DO UPDATE SET {updates}",
        values.join(", ")
    )
}
