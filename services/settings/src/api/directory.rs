//! The user directory and the per-user KING OF TIME連携 flags.

use std::collections::HashSet;

use kintai_core::paging::PageRequest;
use kintai_core::validate::{MAX_ID_CHARS, MAX_NAME_CHARS, Violations};
use kintai_i18n::{Lang, Text};
use kintai_proto::common::v1::ItemWarning;
use kintai_proto::settings::v1::*;

use super::{SettingsApi, check_batch};
use crate::convert::timestamp;
use crate::error::SettingsError;
use crate::user_code;
use crate::users::{self, UserFields};

/// Largest batch of users per call (the limit; a cyzen company's whole directory fits).
pub const MAX_USERS_PER_CALL: usize = 5_000;

/// The answer for a batch some of whose items were invalid: the valid ones were applied.
fn partly_applied(violations: Violations, what: &str, total: usize, lang: Lang) -> SettingsError {
    let rejected = violations_items(&violations);
    SettingsError::Invalid(violations.into_status(
        &format!(
            "{rejected} of {total} {what} rejected; the other {} were applied",
            total - rejected
        ),
        lang,
    ))
}

/// Distinct items named by the violations (`users[3].x` and `users[3].y` are one item).
fn violations_items(violations: &Violations) -> usize {
    violations
        .iter()
        .map(|(field, _)| field.split(']').next().unwrap_or(field))
        .collect::<HashSet<_>>()
        .len()
}

/// Most user ids one ListUsers may name.
const MAX_IDS_PER_LIST: usize = 1_000;

impl SettingsApi {
    pub(super) async fn upsert_users_impl(
        &self,
        request: UpsertUsersRequest,
        lang: Lang,
    ) -> Result<UpsertUsersResponse, SettingsError> {
        let mut request_violations = Violations::new();
        request_violations.id("company_id", &request.company_id);
        request_violations.check(lang)?;
        check_batch("users", request.users.len(), MAX_USERS_PER_CALL, lang)?;
        let total = request.users.len();
        let mut violations = Violations::new();
        let mut seen = HashSet::new();
        let mut valid = Vec::with_capacity(total);
        let mut warnings = Vec::new();
        for (index, user) in request.users.into_iter().enumerate() {
            let mut item = Violations::new();
            item.id(&format!("users[{index}].user_id"), &user.user_id);
            // Stored as cyzen has it; what cannot match is a warning (user_code::warning).
            item.text_as_given(
                &format!("users[{index}].user_code"),
                &user.user_code,
                MAX_ID_CHARS,
            );
            item.text(&format!("users[{index}].name"), &user.name, MAX_NAME_CHARS);
            if item.is_empty() && !seen.insert(user.user_id.clone()) {
                item.add(
                    format!("users[{index}].user_id"),
                    Text::new("field-duplicate"),
                );
            }
            if !item.is_empty() {
                violations.extend(item);
                continue;
            }
            if let Some(description) = user_code::warning(&user.user_code) {
                warnings.push(ItemWarning {
                    index: index as u32,
                    id: user.user_id.clone(),
                    field: format!("users[{index}].user_code"),
                    description: description.render(lang),
                });
            }
            valid.push(UserFields {
                user_id: user.user_id,
                user_code: user.user_code,
                name: user.name,
            });
        }
        users::upsert(&self.db, &request.company_id, &valid, self.now())
            .await
            .map_err(SettingsError::db("upsert users"))?;
        tracing::info!(company_id = %request.company_id, upserted = valid.len(), rejected = total - valid.len(), "users upserted");
        if !violations.is_empty() {
            return Err(partly_applied(violations, "users", total, lang));
        }
        Ok(UpsertUsersResponse {
            upserted: valid.len() as u32,
            warnings,
        })
    }

    pub(super) async fn delete_users_impl(
        &self,
        request: DeleteUsersRequest,
        lang: Lang,
    ) -> Result<DeleteUsersResponse, SettingsError> {
        let mut request_violations = Violations::new();
        request_violations.id("company_id", &request.company_id);
        request_violations.check(lang)?;
        check_batch("user_ids", request.user_ids.len(), MAX_USERS_PER_CALL, lang)?;
        let total = request.user_ids.len();
        let mut violations = Violations::new();
        let mut valid = Vec::new();
        for (index, user_id) in request.user_ids.into_iter().enumerate() {
            let mut item = Violations::new();
            item.id(&format!("user_ids[{index}]"), &user_id);
            if item.is_empty() {
                valid.push(user_id);
            } else {
                violations.extend(item);
            }
        }
        let unknown_user_ids = users::delete(&self.db, &request.company_id, &valid)
            .await
            .map_err(SettingsError::db("delete users"))?;
        if !violations.is_empty() {
            return Err(partly_applied(violations, "user ids", total, lang));
        }
        Ok(DeleteUsersResponse {
            deleted: (valid.len() - unknown_user_ids.len()) as u32,
            unknown_user_ids,
        })
    }

    pub(super) async fn list_users_impl(
        &self,
        request: ListUsersRequest,
        lang: Lang,
    ) -> Result<ListUsersResponse, SettingsError> {
        let mut violations = Violations::new();
        violations.id("company_id", &request.company_id);
        check_batch("user_ids", request.user_ids.len(), MAX_IDS_PER_LIST, lang)?;
        for (index, user_id) in request.user_ids.iter().enumerate() {
            violations.id(&format!("user_ids[{index}]"), user_id);
        }
        let page_request =
            PageRequest::parse(request.page_size, &request.page_token, 1, &mut violations);
        violations.check(lang)?;
        let page = users::list(
            &self.db,
            &request.company_id,
            &request.user_ids,
            &page_request.after_key(),
            page_request.limit,
        )
        .await
        .map_err(SettingsError::db("list users"))?;
        let next_page_token =
            page_request.next_token(page.len(), page.last().map(|last| last.user_id.as_str()));
        let users = page
            .into_iter()
            .map(|user| User {
                user_id: user.user_id,
                user_code: user.user_code,
                name: user.name,
                kot_link_enabled: user.kot_link_enabled,
                updated_at: Some(timestamp(user.updated_at)),
            })
            .collect();
        Ok(ListUsersResponse {
            users,
            next_page_token,
        })
    }

    pub(super) async fn set_user_links_impl(
        &self,
        request: SetUserLinksRequest,
        lang: Lang,
    ) -> Result<SetUserLinksResponse, SettingsError> {
        let mut request_violations = Violations::new();
        request_violations.id("company_id", &request.company_id);
        request_violations.check(lang)?;
        check_batch("links", request.links.len(), MAX_USERS_PER_CALL, lang)?;
        let total = request.links.len();
        let mut violations = Violations::new();
        let mut seen = HashSet::new();
        let mut valid = Vec::new();
        for (index, link) in request.links.into_iter().enumerate() {
            let mut item = Violations::new();
            item.id(&format!("links[{index}].user_id"), &link.user_id);
            if item.is_empty() && !seen.insert(link.user_id.clone()) {
                item.add(
                    format!("links[{index}].user_id"),
                    Text::new("field-duplicate"),
                );
            }
            if item.is_empty() {
                valid.push((link.user_id, link.enabled));
            } else {
                violations.extend(item);
            }
        }
        let unknown_user_ids = users::set_links(&self.db, &request.company_id, &valid, self.now())
            .await
            .map_err(SettingsError::db("set user links"))?;
        let updated = (valid.len() - unknown_user_ids.len()) as u32;
        tracing::info!(company_id = %request.company_id, updated, unknown = unknown_user_ids.len(), "user link flags set");
        if !violations.is_empty() {
            return Err(partly_applied(violations, "links", total, lang));
        }
        Ok(SetUserLinksResponse {
            updated,
            unknown_user_ids,
        })
    }
}
