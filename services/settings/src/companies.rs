//! Repository of companies: the integration switch and the sealed token.

use chrono::{DateTime, Utc};
use kintai_core::db::{from_millis, to_millis};
use kintai_core::{Db, DbError, Engine};
use kintai_proto::common::v1::Vendor;
use sqlx::Row;

use crate::revisions::{self, Change};
use sqlx::any::AnyRow;

use crate::crypto::Sealed;

/// A company's stored integration.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub company_id: String,
    pub enabled: bool,
    pub vendor: Vendor,
    pub updated_at: DateTime<Utc>,
    pub token: Option<StoredToken>,
}

/// Whether KING OF TIME accepted the stored token when last asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHealth {
    Valid,
    Rejected,
}

/// Why KING OF TIME refused a token, as the matcher or syncer reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Not said (an older caller's report).
    Unspecified,
    /// 403 with error code 100.
    AuthenticationFailed,
}

impl Rejection {
    fn to_db(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::AuthenticationFailed => "authentication_failed",
        }
    }

    fn from_db(text: Option<&str>) -> Self {
        match text {
            Some("authentication_failed") => Self::AuthenticationFailed,
            _ => Self::Unspecified,
        }
    }
}

/// Who accepted the API terms and the data-sharing consent, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Acceptance {
    pub accepted_by: String,
    pub accepted_at: DateTime<Utc>,
    pub api_terms_accepted: bool,
    pub data_sharing_consented: bool,
}

/// The stored token and what is known about it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredToken {
    pub sealed: Sealed,
    pub fingerprint: String,
    /// The keyed hash that finds the same token under another company (token_lookup.rs);
    /// `None` for a token stored before the rule that no start-up could decrypt since.
    pub lookup: Option<String>,
    pub health: TokenHealth,
    pub registered_at: DateTime<Utc>,
    pub verified_at: DateTime<Utc>,
    /// KING OF TIME's own message, redacted before it was stored.
    pub rejected_reason: Option<String>,
    pub rejection: Rejection,
    pub acceptance: Acceptance,
}

const COLUMNS: &str = "company_id, enabled, vendor, updated_at, token_ciphertext, token_key_id, \
    token_fingerprint, token_state, token_registered_at, token_verified_at, token_rejected_reason, \
    token_rejection, accepted_by, accepted_at, api_terms_accepted, data_sharing_consented, \
    token_lookup";

pub fn vendor_to_db(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::KingOfTime | Vendor::Unspecified => "king_of_time",
    }
}

fn vendor_from_db(text: &str) -> Vendor {
    match text {
        "king_of_time" => Vendor::KingOfTime,
        _ => Vendor::Unspecified,
    }
}

fn from_row(row: &AnyRow) -> Result<Company, sqlx::Error> {
    let ciphertext: Option<String> = row.try_get("token_ciphertext")?;
    let key_id: Option<String> = row.try_get("token_key_id")?;
    let token = match (ciphertext, key_id) {
        (Some(ciphertext), Some(key_id)) => {
            let state: Option<String> = row.try_get("token_state")?;
            Some(StoredToken {
                sealed: Sealed { key_id, ciphertext },
                fingerprint: row
                    .try_get::<Option<String>, _>("token_fingerprint")?
                    .unwrap_or_default(),
                lookup: row.try_get("token_lookup")?,
                health: if state.as_deref() == Some("rejected") {
                    TokenHealth::Rejected
                } else {
                    TokenHealth::Valid
                },
                registered_at: from_millis(
                    row.try_get::<Option<i64>, _>("token_registered_at")?
                        .unwrap_or(0),
                ),
                verified_at: from_millis(
                    row.try_get::<Option<i64>, _>("token_verified_at")?
                        .unwrap_or(0),
                ),
                rejected_reason: row.try_get("token_rejected_reason")?,
                rejection: Rejection::from_db(
                    row.try_get::<Option<String>, _>("token_rejection")?
                        .as_deref(),
                ),
                acceptance: Acceptance {
                    accepted_by: row
                        .try_get::<Option<String>, _>("accepted_by")?
                        .unwrap_or_default(),
                    accepted_at: from_millis(
                        row.try_get::<Option<i64>, _>("accepted_at")?.unwrap_or(0),
                    ),
                    api_terms_accepted: row
                        .try_get::<Option<i64>, _>("api_terms_accepted")?
                        .unwrap_or(0)
                        != 0,
                    data_sharing_consented: row
                        .try_get::<Option<i64>, _>("data_sharing_consented")?
                        .unwrap_or(0)
                        != 0,
                },
            })
        }
        _ => None,
    };
    Ok(Company {
        company_id: row.try_get("company_id")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        vendor: vendor_from_db(&row.try_get::<String, _>("vendor")?),
        updated_at: from_millis(row.try_get("updated_at")?),
        token,
    })
}

pub async fn get(db: &Db, company_id: &str) -> Result<Option<Company>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM companies WHERE company_id = $1"
    ))
    .bind(company_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Switches the integration, creating the company on first use. `vendor` None keeps the current.
pub async fn set_enabled(
    db: &Db,
    company_id: &str,
    enabled: bool,
    vendor: Option<Vendor>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let vendor_text = vendor.map(vendor_to_db);
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO companies (company_id, enabled, vendor, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (company_id) DO UPDATE SET enabled = excluded.enabled, \
         vendor = COALESCE($5, companies.vendor), updated_at = excluded.updated_at",
    )
    .bind(company_id)
    .bind(i64::from(enabled))
    .bind(vendor_text.unwrap_or(vendor_to_db(Vendor::KingOfTime)))
    .bind(to_millis(now))
    .bind(vendor_text)
    .execute(&mut *tx)
    .await?;
    revisions::bump(&mut tx, company_id, Change::Eligibility).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a verified token was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Stored,
    /// Another company holds the same token: nothing was stored.
    HeldByAnotherCompany,
}

/// A verified token to store, with its lookup under the newest key and the lookups under
/// every configured key that find it wherever it is registered.
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub sealed: &'a Sealed,
    pub fingerprint: &'a str,
    pub lookup: &'a str,
    pub lookups: &'a [String],
}

/// Stores a verified token (the company is created disabled when new), unless another company
/// holds the same token. The check and the write are one transaction that registrations take
/// one at a time (SQLite's write lock; a transaction-level advisory lock on PostgreSQL, where
/// two concurrent registrations of one token for two companies would otherwise both see none).
pub async fn store_token(
    db: &Db,
    company_id: &str,
    token: NewToken<'_>,
    acceptance: &Acceptance,
    now: DateTime<Utc>,
) -> Result<Stored, DbError> {
    let mut tx = db.begin_write().await?;
    if db.engine() == Engine::Postgres {
        sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(hashtext('settings.token_lookup'))")
            .execute(&mut *tx)
            .await?;
    }
    if !token.lookups.is_empty() {
        let placeholders: Vec<String> = (0..token.lookups.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let sql = format!(
            "SELECT 1 FROM companies WHERE company_id <> $1 AND token_ciphertext IS NOT NULL \
             AND token_lookup IN ({}) LIMIT 1",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(company_id);
        for lookup in token.lookups {
            query = query.bind(lookup.as_str());
        }
        if query.fetch_optional(&mut *tx).await?.is_some() {
            return Ok(Stored::HeldByAnotherCompany);
        }
    }
    sqlx::query(
        "INSERT INTO companies (company_id, enabled, vendor, updated_at) VALUES ($1, 0, $2, $3) \
         ON CONFLICT (company_id) DO NOTHING",
    )
    .bind(company_id)
    .bind(vendor_to_db(Vendor::KingOfTime))
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE companies SET token_ciphertext = $1, token_key_id = $2, token_fingerprint = $3, \
         token_state = 'valid', token_registered_at = $4, token_verified_at = $4, \
         token_rejected_reason = NULL, token_rejection = NULL, accepted_by = $5, accepted_at = $6, api_terms_accepted = $7, \
         data_sharing_consented = $8, updated_at = $4, token_lookup = $10 WHERE company_id = $9",
    )
    .bind(&token.sealed.ciphertext)
    .bind(&token.sealed.key_id)
    .bind(token.fingerprint)
    .bind(to_millis(now))
    .bind(&acceptance.accepted_by)
    .bind(to_millis(acceptance.accepted_at))
    .bind(i64::from(acceptance.api_terms_accepted))
    .bind(i64::from(acceptance.data_sharing_consented))
    .bind(company_id)
    .bind(token.lookup)
    .execute(&mut *tx)
    .await?;
    revisions::bump(&mut tx, company_id, Change::Eligibility).await?;
    tx.commit().await?;
    Ok(Stored::Stored)
}

/// Forgets the token and its acceptance.
pub async fn clear_token(db: &Db, company_id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE companies SET token_ciphertext = NULL, token_key_id = NULL, token_fingerprint = NULL, \
         token_lookup = NULL, token_state = NULL, token_registered_at = NULL, token_verified_at = NULL, \
         token_rejected_reason = NULL, token_rejection = NULL, accepted_by = NULL, accepted_at = NULL, \
         api_terms_accepted = NULL, data_sharing_consented = NULL, updated_at = $1 WHERE company_id = $2",
    )
    .bind(to_millis(now))
    .bind(company_id)
    .execute(&mut *tx)
    .await?;
    revisions::bump(&mut tx, company_id, Change::Eligibility).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the token rejected if it is still the one with this fingerprint; false otherwise.
/// `message` must already be redacted.
pub async fn mark_rejected(
    db: &Db,
    company_id: &str,
    fingerprint: &str,
    rejection: Rejection,
    message: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut tx = db.begin_write().await?;
    let changed = sqlx::query(
        "UPDATE companies SET token_state = 'rejected', token_rejected_reason = $1, \
         token_rejection = $5, token_verified_at = $2, updated_at = $2 \
         WHERE company_id = $3 AND token_fingerprint = $4 AND token_ciphertext IS NOT NULL",
    )
    .bind(message)
    .bind(to_millis(now))
    .bind(company_id)
    .bind(fingerprint)
    .bind(rejection.to_db())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 1 {
        revisions::bump(&mut tx, company_id, Change::Eligibility).await?;
    }
    tx.commit().await?;
    Ok(changed == 1)
}

/// One page of companies ordered by id, starting after `after`.
pub async fn list(
    db: &Db,
    enabled_only: bool,
    after: &str,
    limit: u32,
) -> Result<Vec<Company>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM companies WHERE company_id > $1 AND ($2 = 0 OR enabled = 1) \
         ORDER BY company_id LIMIT $3"
    ))
    .bind(after)
    .bind(i64::from(enabled_only))
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Every stored sealed token, for re-encryption under the newest key.
pub async fn sealed_tokens(db: &Db) -> Result<Vec<(String, Sealed)>, DbError> {
    let rows = sqlx::query(
        "SELECT company_id, token_key_id, token_ciphertext FROM companies \
         WHERE token_ciphertext IS NOT NULL ORDER BY company_id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("company_id")?,
                Sealed {
                    key_id: row.try_get("token_key_id")?,
                    ciphertext: row.try_get("token_ciphertext")?,
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// Replaces a sealed token, and its lookup with the one under the new key, only if it is still
/// `old` (a concurrent re-registration wins).
pub async fn reseal(
    db: &Db,
    company_id: &str,
    old: &Sealed,
    new: &Sealed,
    lookup: &str,
) -> Result<bool, DbError> {
    let changed = sqlx::query(
        "UPDATE companies SET token_ciphertext = $1, token_key_id = $2, token_lookup = $6 \
         WHERE company_id = $3 AND token_ciphertext = $4 AND token_key_id = $5",
    )
    .bind(&new.ciphertext)
    .bind(&new.key_id)
    .bind(company_id)
    .bind(&old.ciphertext)
    .bind(&old.key_id)
    .bind(lookup)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(changed == 1)
}
