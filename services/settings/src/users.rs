//! Repository of the user directory mirrored from cyzen, with each user's KING OF TIME連携 flag.

use chrono::{DateTime, Utc};
use kintai_core::db::{from_millis, to_millis};
use kintai_core::{Db, DbError};
use sqlx::Row;

/// A user of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub user_id: String,
    pub user_code: String,
    pub name: String,
    pub kot_link_enabled: bool,
    pub updated_at: DateTime<Utc>,
}

/// The fields cyzen pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFields {
    pub user_id: String,
    pub user_code: String,
    pub name: String,
}

/// Creates or replaces users in one transaction; the link flag of existing users is kept and
/// new users start with it off.
pub async fn upsert(
    db: &Db,
    company_id: &str,
    users: &[UserFields],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    for user in users {
        sqlx::query(
            "INSERT INTO directory_users (company_id, user_id, user_code, name, kot_link_enabled, updated_at) \
             VALUES ($1, $2, $3, $4, 0, $5) \
             ON CONFLICT (company_id, user_id) DO UPDATE SET user_code = excluded.user_code, \
             name = excluded.name, updated_at = excluded.updated_at",
        )
        .bind(company_id)
        .bind(&user.user_id)
        .bind(&user.user_code)
        .bind(&user.name)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes users; answers the ids that were not there.
pub async fn delete(
    db: &Db,
    company_id: &str,
    user_ids: &[String],
) -> Result<Vec<String>, DbError> {
    let mut tx = db.begin_write().await?;
    let mut unknown = Vec::new();
    for user_id in user_ids {
        let removed =
            sqlx::query("DELETE FROM directory_users WHERE company_id = $1 AND user_id = $2")
                .bind(company_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if removed == 0 {
            unknown.push(user_id.clone());
        }
    }
    tx.commit().await?;
    Ok(unknown)
}

/// Sets link flags in one transaction; answers the ids that are not in the directory.
pub async fn set_links(
    db: &Db,
    company_id: &str,
    flags: &[(String, bool)],
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let mut tx = db.begin_write().await?;
    let mut unknown = Vec::new();
    for (user_id, enabled) in flags {
        let changed = sqlx::query(
            "UPDATE directory_users SET kot_link_enabled = $1, updated_at = $2 WHERE company_id = $3 AND user_id = $4",
        )
        .bind(i64::from(*enabled))
        .bind(to_millis(now))
        .bind(company_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            unknown.push(user_id.clone());
        }
    }
    tx.commit().await?;
    Ok(unknown)
}

/// One page of users ordered by id, starting after `after`.
pub async fn list(
    db: &Db,
    company_id: &str,
    after: &str,
    limit: u32,
) -> Result<Vec<User>, DbError> {
    let rows = sqlx::query(
        "SELECT user_id, user_code, name, kot_link_enabled, updated_at FROM directory_users \
         WHERE company_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3",
    )
    .bind(company_id)
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(User {
                user_id: row.try_get("user_id")?,
                user_code: row.try_get("user_code")?,
                name: row.try_get("name")?,
                kot_link_enabled: row.try_get::<i64, _>("kot_link_enabled")? != 0,
                updated_at: from_millis(row.try_get("updated_at")?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
