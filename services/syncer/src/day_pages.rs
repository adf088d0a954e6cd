//! ListDays' reads: pages of user-days (every working day with a punch of ours or a verdict,
//! ordered by day then user) and, per page, our punches and the stored verdicts.

use std::collections::HashMap;

use chrono::NaiveDate;
use kintai_core::{Db, DbError};
use sqlx::Row;

use crate::day_store::{DayRow, USERS_PER_QUERY, UserDay, day_text, decode, parse_day};
use crate::model::PunchType;

/// What ListDays asks for.
#[derive(Debug, Clone, Default)]
pub struct DayFilter {
    pub user_id: Option<String>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// One page of user-days (every day with a punch of ours or a verdict), ordered by day then
/// user, after the cursor `after` (day, user).
pub async fn page(
    db: &Db,
    company_id: &str,
    filter: &DayFilter,
    after: Option<&(NaiveDate, String)>,
    limit: usize,
) -> Result<Vec<UserDay>, DbError> {
    let mut conditions = vec!["working_day <> ''".to_owned()];
    let mut texts: Vec<String> = Vec::new();
    let mut next = 2;
    let mut param = |texts: &mut Vec<String>, value: String| {
        texts.push(value);
        let n = next;
        next += 1;
        format!("${n}")
    };
    if let Some(user) = &filter.user_id {
        let p = param(&mut texts, user.clone());
        conditions.push(format!("user_id = {p}"));
    }
    if let Some(start) = filter.start {
        let p = param(&mut texts, day_text(start));
        conditions.push(format!("working_day >= {p}"));
    }
    if let Some(end) = filter.end {
        let p = param(&mut texts, day_text(end));
        conditions.push(format!("working_day <= {p}"));
    }
    if let Some((day, user)) = after {
        let d = param(&mut texts, day_text(*day));
        let d2 = param(&mut texts, day_text(*day));
        let u = param(&mut texts, user.clone());
        conditions.push(format!(
            "(working_day > {d} OR (working_day = {d2} AND user_id > {u}))"
        ));
    }
    let sql = format!(
        "SELECT user_id, working_day FROM (\
         SELECT user_id, working_day FROM punches WHERE company_id = $1 AND punch_type <> {not_synced} \
         UNION SELECT user_id, working_day FROM syncer_days WHERE company_id = $1) AS days \
         WHERE {} ORDER BY working_day, user_id LIMIT {limit}",
        conditions.join(" AND "),
        not_synced = PunchType::NotSynced.to_i64(),
    );
    let mut query = sqlx::query(&sql).bind(company_id);
    for text in texts {
        query = query.bind(text);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let mut days = Vec::new();
    for row in rows {
        let (user_id, day): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if let Some(day) = parse_day(&day) {
            days.push(UserDay { user_id, day });
        }
    }
    Ok(days)
}

/// Everything ListDays shows of a page of user-days: our punches (full records, time order)
/// and the stored verdicts, each read with one query over the page's days and users.
pub async fn page_details(
    db: &Db,
    company_id: &str,
    days: &[UserDay],
) -> Result<
    (
        HashMap<UserDay, Vec<crate::model::PunchRecord>>,
        HashMap<UserDay, DayRow>,
    ),
    DbError,
> {
    let (Some(first), Some(last)) = (
        days.iter().map(|d| d.day).min(),
        days.iter().map(|d| d.day).max(),
    ) else {
        return Ok(Default::default());
    };
    let mut users: Vec<&str> = days.iter().map(|d| d.user_id.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let wanted: std::collections::HashSet<&UserDay> = days.iter().collect();
    let mut records: HashMap<UserDay, Vec<crate::model::PunchRecord>> = HashMap::new();
    let mut verdicts = HashMap::new();
    for chunk in users.chunks(USERS_PER_QUERY) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 4)).collect();
        let in_list = placeholders.join(", ");
        let sql = format!(
            "SELECT {} FROM punches WHERE company_id = $1 AND working_day >= $2 \
             AND working_day <= $3 AND user_id IN ({in_list}) AND punch_type <> {} \
             ORDER BY punched_at, punch_id",
            crate::store::RECORD_COLUMNS,
            PunchType::NotSynced.to_i64()
        );
        let mut query = sqlx::query(&sql)
            .bind(company_id)
            .bind(day_text(first))
            .bind(day_text(last));
        for user in chunk {
            query = query.bind(*user);
        }
        for row in query.fetch_all(db.pool()).await? {
            let record = crate::store::record_from_row(&row)?;
            let Some(day) = record.working_day else {
                continue;
            };
            let key = UserDay {
                user_id: record.punch.user_id.clone(),
                day,
            };
            if wanted.contains(&key) {
                records.entry(key).or_default().push(record);
            }
        }
        let sql = format!(
            "SELECT employee_key, verdict, reason, kot_punches, checked_at, user_id, working_day \
             FROM syncer_days WHERE company_id = $1 AND working_day >= $2 AND working_day <= $3 \
             AND user_id IN ({in_list})"
        );
        let mut query = sqlx::query(&sql)
            .bind(company_id)
            .bind(day_text(first))
            .bind(day_text(last));
        for user in chunk {
            query = query.bind(*user);
        }
        for row in query.fetch_all(db.pool()).await? {
            let day: String = row.try_get(6)?;
            let Some(day) = parse_day(&day) else { continue };
            let key = UserDay {
                user_id: row.try_get(5)?,
                day,
            };
            if wanted.contains(&key) {
                let decoded = decode(&row, &key)?;
                verdicts.insert(key, decoded);
            }
        }
    }
    Ok((records, verdicts))
}
