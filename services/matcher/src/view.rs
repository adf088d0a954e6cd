//! The 連携状況 table as administrators (and the syncer) read it: the stored rows, with
//! settings' current state laid over them — the company-wide conditions (integration off, token
//! rejected) while they hold, and each user's current flag, name and code. A user whose code
//! changed since the last match shows as 無効 waiting for the re-match, never as 有効 with the
//! old employee; a user deleted from the directory is not shown.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::model::{Condition, DirectoryUser, LinkRow, LinkStatus, Reason};
use crate::run::Matcher;
use crate::settings_port::condition;
use crate::store::StateFilter;
use kintai_core::DbError;

/// One row as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    /// The row with settings' current user code, name and flag.
    pub row: LinkRow,
    /// The user code the stored match was made on.
    pub matched_user_code: String,
    /// アカウント同期: for 有効 rows, when the link was last confirmed.
    pub account_synced_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinksPage {
    pub links: Vec<LinkView>,
    /// The last user id of this page when more rows follow.
    pub next_after: Option<String>,
    pub last_matched_at: Option<DateTime<Utc>>,
}

impl Matcher {
    /// One page of a company's 連携状況 table, after `after_user_id`.
    pub async fn links_page(
        &self,
        company_id: &str,
        filter: StateFilter,
        after_user_id: Option<&str>,
        page_size: u32,
    ) -> Result<LinksPage, DbError> {
        let record = self.store.company(company_id).await?;
        let condition = self
            .current_condition(company_id, record.as_ref().map(|r| r.condition))
            .await;
        let last_matched_at = record.as_ref().and_then(|r| r.last_matched_at);
        let overriding = condition.overriding_reason();
        let query_filter = match (overriding, filter) {
            // Nobody is 有効 while the condition holds.
            (Some(_), StateFilter::Active) => {
                return Ok(LinksPage {
                    links: Vec::new(),
                    next_after: None,
                    last_matched_at,
                });
            }
            (Some(_), _) => StateFilter::All,
            (None, filter) => filter,
        };
        let mut rows = self
            .store
            .page(
                company_id,
                query_filter,
                after_user_id,
                page_size.saturating_add(1),
            )
            .await?;
        let more = rows.len() > page_size as usize;
        rows.truncate(page_size as usize);
        let next_after = more
            .then(|| rows.last().map(|r| r.user_id.clone()))
            .flatten();
        let ids: Vec<String> = rows.iter().map(|row| row.user_id.clone()).collect();
        let current = self.current_users(company_id, &ids).await;
        let links = rows
            .into_iter()
            .filter_map(|row| match &current {
                None => Some((row.user_code.clone(), row)),
                Some(users) => users.get(&row.user_id).map(|user| {
                    let matched = row.user_code.clone();
                    (matched, overlay(row, user))
                }),
            })
            .filter(|(_, row)| filter != StateFilter::Active || row.is_active())
            .map(|(matched_user_code, row)| {
                shown(row, matched_user_code, overriding, last_matched_at)
            })
            .collect();
        Ok(LinksPage {
            links,
            next_after,
            last_matched_at,
        })
    }

    /// The page's users as settings has them now; `None` when settings cannot be asked (the
    /// last run's flags and codes are shown then).
    async fn current_users(
        &self,
        company_id: &str,
        ids: &[String],
    ) -> Option<HashMap<String, DirectoryUser>> {
        match self.deps.settings.users_by_ids(company_id, ids).await {
            Ok(users) => Some(
                users
                    .into_iter()
                    .map(|user| (user.user_id.clone(), user))
                    .collect(),
            ),
            Err(error) => {
                tracing::warn!(company_id, %error, "settings unavailable; showing the last run's flags and codes");
                None
            }
        }
    }

    /// The company's condition now, from settings; what the last run found when settings
    /// cannot be asked (the table stays readable during a settings outage).
    async fn current_condition(&self, company_id: &str, stored: Option<Condition>) -> Condition {
        match self.deps.settings.integration(company_id).await {
            Ok(state) => condition(&state),
            Err(error) => {
                tracing::warn!(company_id, %error, "settings unavailable; showing the last run's view");
                stored.unwrap_or(Condition::Ready)
            }
        }
    }
}

/// A row as shown: a company-wide condition that holds (`overriding`) makes it 無効 for that
/// reason, keeping its hint; a 有効 row shows when the link was last confirmed.
fn shown(
    mut row: LinkRow,
    matched_user_code: String,
    overriding: Option<Reason>,
    last_matched_at: Option<DateTime<Utc>>,
) -> LinkView {
    if let Some(reason) = overriding {
        let hint = match row.status {
            LinkStatus::Inactive { hint, .. } => hint,
            LinkStatus::Active { .. } => None,
        };
        row.status = LinkStatus::Inactive { reason, hint };
    }
    let account_synced_at = if row.is_active() {
        last_matched_at
    } else {
        None
    };
    LinkView {
        row,
        matched_user_code,
        account_synced_at,
    }
}

/// A stored row with the user as settings has it now.
fn overlay(mut row: LinkRow, user: &DirectoryUser) -> LinkRow {
    row.kot_link_enabled = user.kot_link_enabled;
    row.user_name = user.name.clone();
    if user.user_code != row.user_code {
        row.user_code = user.user_code.clone();
        row.status = LinkStatus::Inactive {
            reason: Reason::CodeChanged,
            hint: None,
        };
    }
    row
}
