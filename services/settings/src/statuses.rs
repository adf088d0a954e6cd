//! Repository of cyzen status definitions.

use chrono::{DateTime, Utc};
use kintai_core::db::to_millis;
use kintai_core::{Db, DbError};
use kintai_proto::common::v1::StatusKind;
use sqlx::Row;

/// A stored status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusDef {
    pub status_id: String,
    pub name: String,
    pub kind: StatusKind,
}

/// Creates or replaces statuses in one transaction.
pub async fn upsert(
    db: &Db,
    company_id: &str,
    statuses: &[StatusDef],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    for status in statuses {
        sqlx::query(
            "INSERT INTO statuses (company_id, status_id, name, kind, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (company_id, status_id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
             updated_at = excluded.updated_at",
        )
        .bind(company_id)
        .bind(&status.status_id)
        .bind(&status.name)
        .bind(i64::from(status.kind as i32))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Every status of a company, ordered by id.
pub async fn list(db: &Db, company_id: &str) -> Result<Vec<StatusDef>, DbError> {
    let rows = sqlx::query(
        "SELECT status_id, name, kind FROM statuses WHERE company_id = $1 ORDER BY status_id",
    )
    .bind(company_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let kind: i64 = row.try_get("kind")?;
            Ok(StatusDef {
                status_id: row.try_get("status_id")?,
                name: row.try_get("name")?,
                kind: i32::try_from(kind)
                    .ok()
                    .and_then(|k| StatusKind::try_from(k).ok())
                    .unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
