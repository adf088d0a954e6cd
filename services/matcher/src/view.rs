//! The 連携状況 table as administrators (and the syncer) read it: the stored rows, with the
//! company-wide conditions (integration off, token rejected) laid over them while they hold.

use chrono::{DateTime, Utc};

use crate::model::{Condition, LinkRow, LinkStatus};
use crate::run::Matcher;
use crate::store::StateFilter;
use kintai_core::DbError;

/// One row as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    pub row: LinkRow,
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
        let links = rows
            .into_iter()
            .map(|mut row| {
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
                    account_synced_at,
                }
            })
            .collect();
        Ok(LinksPage {
            links,
            next_after,
            last_matched_at,
        })
    }

    /// The company's condition now, from settings; what the last run found when settings
    /// cannot be asked (the table stays readable during a settings outage).
    async fn current_condition(&self, company_id: &str, stored: Option<Condition>) -> Condition {
        match self.deps.settings.integration(company_id).await {
            Ok(state) => state.condition(),
            Err(error) => {
                tracing::warn!(company_id, %error, "settings unavailable; showing the last run's view");
                stored.unwrap_or(Condition::Ready)
            }
        }
    }
}
