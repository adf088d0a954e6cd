//! Each company's revisions: counters that grow, in the same transaction, with every change that
//! decides who is synced (`revision`) and with every change of the directory the matcher matches
//! on (`directory_revision`). The syncer compares the revision before each POST, so no punch
//! starts after a switch-off is committed; the matcher re-matches a company whose directory
//! revision grew (design.md, "Who is synced").

use std::collections::HashMap;

use kintai_core::DbError;
use sqlx::{Any, Row, Transaction};

/// A company's counters; both 0 for a company nothing was ever recorded for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revisions {
    pub revision: i64,
    pub directory_revision: i64,
}

/// What a change touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The switch, the token, a flag: who is synced, not who is matched.
    Eligibility,
    /// A user added or deleted, or a user code changed: matching too.
    Directory,
}

/// Counts a change of the company inside the transaction that makes it.
pub async fn bump(
    tx: &mut Transaction<'static, Any>,
    company_id: &str,
    change: Change,
) -> Result<(), DbError> {
    let directory = i64::from(change == Change::Directory);
    sqlx::query(
        "INSERT INTO company_revisions (company_id, revision, directory_revision) VALUES ($1, 1, $2) \
         ON CONFLICT (company_id) DO UPDATE SET revision = company_revisions.revision + 1, \
         directory_revision = company_revisions.directory_revision + $2",
    )
    .bind(company_id)
    .bind(directory)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The company's counters.
pub async fn get(db: &kintai_core::Db, company_id: &str) -> Result<Revisions, DbError> {
    let row = sqlx::query(
        "SELECT revision, directory_revision FROM company_revisions WHERE company_id = $1",
    )
    .bind(company_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        Some(row) => Revisions {
            revision: row.try_get(0)?,
            directory_revision: row.try_get(1)?,
        },
        None => Revisions::default(),
    })
}

/// The counters of several companies (those without any are left out).
pub async fn get_many(
    db: &kintai_core::Db,
    company_ids: &[&str],
) -> Result<HashMap<String, Revisions>, DbError> {
    let mut found = HashMap::new();
    for chunk in company_ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT company_id, revision, directory_revision FROM company_revisions \
             WHERE company_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(db.pool()).await? {
            found.insert(
                row.try_get(0)?,
                Revisions {
                    revision: row.try_get(1)?,
                    directory_revision: row.try_get(2)?,
                },
            );
        }
    }
    Ok(found)
}
