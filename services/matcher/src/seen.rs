//! Settings' directory revision each company was last matched on (`matcher_seen`), so that a
//! directory change — a user added, deleted or given another code — is matched again promptly.

use std::collections::HashMap;

use kintai_core::DbError;
use sqlx::Row;

use crate::store::LinkStore;

impl LinkStore {
    /// Remembers the directory revision a successful match was made on.
    pub async fn save_seen(&self, company_id: &str, revision: i64) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO matcher_seen (company_id, directory_revision) VALUES ($1, $2) \
             ON CONFLICT (company_id) DO UPDATE SET directory_revision = excluded.directory_revision",
        )
        .bind(company_id)
        .bind(revision)
        .execute(self.db().pool())
        .await?;
        Ok(())
    }

    /// The directory revision each company was last matched on.
    pub async fn seen_revisions(&self) -> Result<HashMap<String, i64>, DbError> {
        let rows = sqlx::query("SELECT company_id, directory_revision FROM matcher_seen")
            .fetch_all(self.db().pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }
}
