//! Repository of the user directory mirrored from cyzen, with each user's KING OF TIME連携 flag.

use chrono::{DateTime, Utc};
use kintai_core::db::{from_millis, to_millis};
use kintai_core::{Db, DbError};
use sqlx::Row;
use std::collections::HashMap;

use crate::revisions::{self, Change};

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
/// new users start with it off. A new user or a changed user code counts as a directory change
/// (revisions.rs); a name alone does not.
pub async fn upsert(
    db: &Db,
    company_id: &str,
    users: &[UserFields],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    let ids: Vec<&str> = users.iter().map(|u| u.user_id.as_str()).collect();
    let before = codes(&mut tx, company_id, &ids).await?;
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
    let directory_changed = users
        .iter()
        .any(|user| before.get(&user.user_id).map(|(code, _)| code) != Some(&user.user_code));
    if directory_changed {
        revisions::bump(&mut tx, company_id, Change::Directory).await?;
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
    if unknown.len() < user_ids.len() {
        revisions::bump(&mut tx, company_id, Change::Directory).await?;
    }
    tx.commit().await?;
    Ok(unknown)
}

/// Sets link flags in one transaction; answers the ids that are not in the directory. A flag
/// that actually changes counts as a change of who is synced (revisions.rs).
pub async fn set_links(
    db: &Db,
    company_id: &str,
    flags: &[(String, bool)],
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let mut tx = db.begin_write().await?;
    let ids: Vec<&str> = flags.iter().map(|(id, _)| id.as_str()).collect();
    let before = codes(&mut tx, company_id, &ids).await?;
    let mut unknown = Vec::new();
    let mut changed_any = false;
    for (user_id, enabled) in flags {
        let Some((_, flag)) = before.get(user_id) else {
            unknown.push(user_id.clone());
            continue;
        };
        changed_any |= flag != enabled;
        sqlx::query(
            "UPDATE directory_users SET kot_link_enabled = $1, updated_at = $2 WHERE company_id = $3 AND user_id = $4",
        )
        .bind(i64::from(*enabled))
        .bind(to_millis(now))
        .bind(company_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    }
    if changed_any {
        revisions::bump(&mut tx, company_id, Change::Eligibility).await?;
    }
    tx.commit().await?;
    Ok(unknown)
}

/// The stored (user code, flag) of the users among `ids` that exist, read in `tx`.
async fn codes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    company_id: &str,
    ids: &[&str],
) -> Result<HashMap<String, (String, bool)>, DbError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(ID_CHUNK) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT user_id, user_code, kot_link_enabled FROM directory_users \
             WHERE company_id = $1 AND user_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(company_id);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            let flag: i64 = row.try_get(2)?;
            found.insert(row.try_get(0)?, (row.try_get(1)?, flag != 0));
        }
    }
    Ok(found)
}

/// Ids per `IN (...)`.
const ID_CHUNK: usize = 500;

/// One page of users ordered by id, starting after `after`; only those among `only` when it is
/// not empty.
pub async fn list(
    db: &Db,
    company_id: &str,
    only: &[String],
    after: &str,
    limit: u32,
) -> Result<Vec<User>, DbError> {
    let filter = if only.is_empty() {
        String::new()
    } else {
        let placeholders: Vec<String> = (0..only.len()).map(|i| format!("${}", i + 4)).collect();
        format!(" AND user_id IN ({})", placeholders.join(", "))
    };
    let sql = format!(
        "SELECT user_id, user_code, name, kot_link_enabled, updated_at FROM directory_users \
         WHERE company_id = $1 AND user_id > $2{filter} ORDER BY user_id LIMIT $3"
    );
    let mut query = sqlx::query(&sql)
        .bind(company_id)
        .bind(after)
        .bind(i64::from(limit));
    for id in only {
        query = query.bind(id.as_str());
    }
    let rows = query.fetch_all(db.pool()).await?;
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
