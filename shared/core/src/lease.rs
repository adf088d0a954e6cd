//! Per-company leases in the database, so that two runs for one company (two pods, a CronJob and
//! a manual call) never overlap. A lease is a row `(company_id, holder, expires_at)`; taking it is
//! one atomic upsert that only succeeds when the row is absent or expired, which both SQLite and
//! PostgreSQL execute atomically. An expiry makes a crashed holder's lease free again.

use std::time::Duration;

use crate::db::{Db, DbError};

/// The SQL that creates a lease table; each service puts it in its own migrations.
pub fn create_table_sql(table: &str) -> String {
    format!(
        "CREATE TABLE {table} (company_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)"
    )
}

/// A lease table of one service.
#[derive(Clone, Debug)]
pub struct Leases {
    db: Db,
    table: &'static str,
    ttl: Duration,
}

/// A held lease; release it when done (an unreleased lease expires after the ttl).
#[derive(Debug)]
pub struct Lease {
    pub company_id: String,
    pub holder: String,
}

impl Leases {
    pub fn new(db: Db, table: &'static str, ttl: Duration) -> Self {
        Self { db, table, ttl }
    }

    /// Takes the company's lease for `holder`, or answers `None` while someone else holds it.
    pub async fn try_acquire(
        &self,
        company_id: &str,
        holder: &str,
    ) -> Result<Option<Lease>, DbError> {
        let now = chrono::Utc::now().timestamp_millis();
        let expires_at = now + i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 2);
        let table = self.table;
        let taken = sqlx::query(&format!(
            "INSERT INTO {table} (company_id, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (company_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE {table}.expires_at < $4"
        ))
        .bind(company_id)
        .bind(holder)
        .bind(expires_at)
        .bind(now)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok((taken == 1).then(|| Lease {
            company_id: company_id.to_owned(),
            holder: holder.to_owned(),
        }))
    }

    /// Extends a held lease; false when it was lost (expired and taken by another holder).
    pub async fn renew(&self, lease: &Lease) -> Result<bool, DbError> {
        let expires_at = chrono::Utc::now().timestamp_millis()
            + i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 2);
        let renewed = sqlx::query(&format!(
            "UPDATE {} SET expires_at = $1 WHERE company_id = $2 AND holder = $3",
            self.table
        ))
        .bind(expires_at)
        .bind(&lease.company_id)
        .bind(&lease.holder)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok(renewed == 1)
    }

    /// Gives the lease back so the next run need not wait for the expiry.
    pub async fn release(&self, lease: Lease) -> Result<(), DbError> {
        sqlx::query(&format!(
            "DELETE FROM {} WHERE company_id = $1 AND holder = $2",
            self.table
        ))
        .bind(&lease.company_id)
        .bind(&lease.holder)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}
