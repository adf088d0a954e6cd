//! Storage of the token lookups (token_lookup.rs): which rows hold which token, for the start-up
//! pass that fills them and for ListCompanies, which flags tokens registered twice.

use std::collections::HashSet;

use kintai_core::{Db, DbError};
use sqlx::Row;

use crate::crypto::Sealed;

/// A stored token and its lookup, as the start-up pass reads them.
#[derive(Debug, Clone)]
pub struct StoredLookup {
    pub company_id: String,
    pub sealed: Sealed,
    pub lookup: Option<String>,
}

/// Lookups per `IN (...)` list.
const PER_QUERY: usize = 500;

/// Every stored token with its lookup, in company order.
pub async fn stored(db: &Db) -> Result<Vec<StoredLookup>, DbError> {
    let rows = sqlx::query(
        "SELECT company_id, token_key_id, token_ciphertext, token_lookup FROM companies \
         WHERE token_ciphertext IS NOT NULL ORDER BY company_id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredLookup {
                company_id: row.try_get("company_id")?,
                sealed: Sealed {
                    key_id: row.try_get("token_key_id")?,
                    ciphertext: row.try_get("token_ciphertext")?,
                },
                lookup: row.try_get("token_lookup")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// Sets the lookup of a company's token if the token is still `sealed` (a registration in
/// between stored its own); whether it was set.
pub async fn set_lookup(
    db: &Db,
    company_id: &str,
    sealed: &Sealed,
    lookup: &str,
) -> Result<bool, DbError> {
    let changed = sqlx::query(
        "UPDATE companies SET token_lookup = $1 \
         WHERE company_id = $2 AND token_ciphertext = $3 AND token_key_id = $4",
    )
    .bind(lookup)
    .bind(company_id)
    .bind(&sealed.ciphertext)
    .bind(&sealed.key_id)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Which of `lookups` more than one company holds: tokens registered twice before
/// RegisterToken refused that.
pub async fn held_twice(db: &Db, lookups: &[&str]) -> Result<HashSet<String>, DbError> {
    let mut shared = HashSet::new();
    for chunk in lookups.chunks(PER_QUERY) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT token_lookup FROM companies WHERE token_ciphertext IS NOT NULL \
             AND token_lookup IN ({}) GROUP BY token_lookup HAVING COUNT(*) > 1",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for lookup in chunk {
            query = query.bind(*lookup);
        }
        for row in query.fetch_all(db.pool()).await? {
            shared.insert(row.try_get::<String, _>(0)?);
        }
    }
    Ok(shared)
}
