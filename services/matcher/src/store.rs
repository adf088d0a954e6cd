//! The links repository: the 連携状況 rows and what the last run found per company. Writes of a
//! run go in one transaction fenced by the company's lease, and only rows that changed are
//! written, so the hourly run of an unchanged company costs one small write.

use std::collections::HashMap;

use kintai_core::db::{from_millis, to_millis};
use kintai_core::lease::Lease;
use kintai_core::{Db, DbError, Engine};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::model::{CompanyRecord, Condition, Hint, HintKind, LinkRow, LinkStatus, Reason};
use crate::schema::LEASE_TABLE;

const LINK_COLUMNS: &str = "company_id, user_id, user_code, user_name, kot_link_enabled, state, \
     reason, employee_code, employee_key, employee_name, hint_kind, hint_employee_code, \
     hint_employee_name";
const LINK_COLUMN_COUNT: usize = 13;
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

const COMPANY_SELECT: &str = "SELECT company_id, condition, last_run_at, last_matched_at, \
     last_reason, employees, rows_digest FROM matcher_companies WHERE company_id = $1";

const STATE_ACTIVE: i64 = 1;
const STATE_INACTIVE: i64 = 2;

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

    pub async fn company(&self, company_id: &str) -> Result<Option<CompanyRecord>, DbError> {
        let row = sqlx::query(COMPANY_SELECT)
            .bind(company_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(decode_company).transpose()
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
    /// own, and gets `None`), then reads the company's record. Dropping the [`Finish`]
    /// without committing keeps the lease and writes nothing.
    pub async fn begin_finish(&self, lease: &Lease) -> Result<Option<Finish>, DbError> {
        let engine = self.db.engine();
        let mut tx = match engine {
            Engine::Sqlite => self.db.begin_write().await?,
            // The table is derived data that the next run recomputes, so a commit lost in a
            // server crash costs only that recomputation, while waiting for the WAL flush of
            // every company's commit would dominate a run over many companies. One round trip:
            // the setting travels with BEGIN.
            Engine::Postgres => {
                self.db
                    .pool()
                    .begin_with("BEGIN; SET LOCAL synchronous_commit = off")
                    .await?
            }
        };
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
        let record = sqlx::query(COMPANY_SELECT)
            .bind(&lease.company_id)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(decode_company)
            .transpose()?;
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
        sqlx::query(
            "INSERT INTO matcher_companies \
             (company_id, condition, last_run_at, last_matched_at, last_reason, employees, rows_digest) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (company_id) DO UPDATE SET condition = excluded.condition, \
             last_run_at = excluded.last_run_at, last_matched_at = excluded.last_matched_at, \
             last_reason = excluded.last_reason, employees = excluded.employees, \
             rows_digest = excluded.rows_digest",
        )
        .bind(company_id)
        .bind(condition_code(record.condition))
        .bind(to_millis(record.last_run_at))
        .bind(record.last_matched_at.map_or(0, to_millis))
        .bind(record.last_reason.as_str())
        .bind(i64::from(record.employees))
        .bind(record.rows_digest)
        .execute(&mut *self.tx)
        .await?;
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
                .bind(e.hint_name);
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

/// The status columns of a row.
struct EncodedStatus<'a> {
    state: i64,
    reason: i64,
    employee_code: &'a str,
    employee_key: &'a str,
    employee_name: &'a str,
    hint_kind: i64,
    hint_code: &'a str,
    hint_name: &'a str,
}

fn encode(row: &LinkRow) -> EncodedStatus<'_> {
    match &row.status {
        LinkStatus::Active {
            employee_code,
            employee_key,
            employee_name,
        } => EncodedStatus {
            state: STATE_ACTIVE,
            reason: 0,
            employee_code,
            employee_key,
            employee_name,
            hint_kind: 0,
            hint_code: "",
            hint_name: "",
        },
        LinkStatus::Inactive { reason, hint } => EncodedStatus {
            state: STATE_INACTIVE,
            reason: reason_code(*reason),
            employee_code: "",
            employee_key: "",
            employee_name: "",
            hint_kind: hint.as_ref().map_or(0, |h| hint_code(h.kind)),
            hint_code: hint.as_ref().map_or("", |h| h.employee_code.as_str()),
            hint_name: hint.as_ref().map_or("", |h| h.employee_name.as_str()),
        },
    }
}

fn decode_link(row: &AnyRow) -> Result<LinkRow, DbError> {
    let text = |i: usize| row.try_get::<String, _>(i);
    let number = |i: usize| row.try_get::<i64, _>(i);
    let status = if number(5)? == STATE_ACTIVE {
        LinkStatus::Active {
            employee_code: text(7)?,
            employee_key: text(8)?,
            employee_name: text(9)?,
        }
    } else {
        let hint = hint_kind(number(10)?).map(|kind| Hint {
            kind,
            employee_code: text(11).unwrap_or_default(),
            employee_name: text(12).unwrap_or_default(),
        });
        LinkStatus::Inactive {
            // A code this build does not know (a newer build wrote it) reads as "not matched
            // yet": the next run of this build rewrites it.
            reason: reason(number(6)?).unwrap_or(Reason::NotMatchedYet),
            hint,
        }
    };
    Ok(LinkRow {
        user_id: text(1)?,
        user_code: text(2)?,
        user_name: text(3)?,
        kot_link_enabled: number(4)? != 0,
        status,
    })
}

fn decode_company(row: &AnyRow) -> Result<CompanyRecord, DbError> {
    let last_matched_at: i64 = row.try_get(3)?;
    Ok(CompanyRecord {
        company_id: row.try_get(0)?,
        condition: condition(row.try_get(1)?),
        last_run_at: from_millis(row.try_get(2)?),
        last_matched_at: (last_matched_at > 0).then(|| from_millis(last_matched_at)),
        last_reason: row.try_get(4)?,
        employees: u32::try_from(row.try_get::<i64, _>(5)?).unwrap_or(0),
        rows_digest: row.try_get(6)?,
    })
}

// Storage codes. They equal the proto numbers so that a row reads the same in SQL and in
// grpcurl, but they are mapped explicitly: the proto may grow without rewriting rows.
fn reason_code(reason: Reason) -> i64 {
    match reason {
        Reason::NoUserCode => 1,
        Reason::NoEmployee => 2,
        Reason::EmployeeResigned => 3,
        Reason::DuplicateUserCode => 4,
        Reason::IntegrationDisabled => 5,
        Reason::TokenRejected => 6,
        Reason::NotMatchedYet => 7,
    }
}

fn reason(code: i64) -> Option<Reason> {
    Some(match code {
        1 => Reason::NoUserCode,
        2 => Reason::NoEmployee,
        3 => Reason::EmployeeResigned,
        4 => Reason::DuplicateUserCode,
        5 => Reason::IntegrationDisabled,
        6 => Reason::TokenRejected,
        7 => Reason::NotMatchedYet,
        _ => return None,
    })
}

fn hint_code(kind: HintKind) -> i64 {
    match kind {
        HintKind::ZeroPadding => 1,
        HintKind::FullWidth => 2,
        HintKind::LetterCase => 3,
        HintKind::Whitespace => 4,
        HintKind::LoginId => 5,
    }
}

fn hint_kind(code: i64) -> Option<HintKind> {
    Some(match code {
        1 => HintKind::ZeroPadding,
        2 => HintKind::FullWidth,
        3 => HintKind::LetterCase,
        4 => HintKind::Whitespace,
        5 => HintKind::LoginId,
        _ => return None,
    })
}

fn condition_code(condition: Condition) -> i64 {
    match condition {
        Condition::Ready => 0,
        Condition::IntegrationDisabled => 1,
        Condition::NoToken => 2,
        Condition::TokenRejected => 3,
    }
}

fn condition(code: i64) -> Condition {
    match code {
        1 => Condition::IntegrationDisabled,
        2 => Condition::NoToken,
        3 => Condition::TokenRejected,
        _ => Condition::Ready,
    }
}
