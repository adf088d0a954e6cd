//! Status definitions and what each becomes in KING OF TIME (the manual's 設定例).

use std::collections::HashSet;

use kintai_core::punch_type::punch_type;
use kintai_core::validate::{MAX_NAME_CHARS, Violations};
use kintai_i18n::{Lang, Text, codes};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::settings::v1::*;

use super::{SettingsApi, check_batch};
use crate::error::SettingsError;
use crate::statuses::{self, StatusDef};

/// Largest batch of statuses per call.
pub const MAX_STATUSES_PER_CALL: usize = 1_000;

fn to_proto(status: StatusDef, lang: Lang) -> Status_ {
    let mapped = punch_type(status.kind, &status.name);
    Status_ {
        status_id: status.status_id,
        name: status.name,
        kind: status.kind as i32,
        punch_type: mapped as i32,
        mapping_label: codes::mapping_label(mapped).render(lang),
    }
}

// The proto message is called `Status`, like tonic's; an alias keeps both readable.
use kintai_proto::settings::v1::Status as Status_;

impl SettingsApi {
    pub(super) async fn upsert_statuses_impl(
        &self,
        request: UpsertStatusesRequest,
        lang: Lang,
    ) -> Result<UpsertStatusesResponse, SettingsError> {
        let mut request_violations = Violations::new();
        request_violations.id("company_id", &request.company_id);
        request_violations.check(lang)?;
        check_batch(
            "statuses",
            request.statuses.len(),
            MAX_STATUSES_PER_CALL,
            lang,
        )?;
        let total = request.statuses.len();
        let mut violations = Violations::new();
        let mut seen = HashSet::new();
        let mut valid = Vec::new();
        for (index, status) in request.statuses.into_iter().enumerate() {
            match checked(index, status, &mut seen) {
                Ok(status) => valid.push(status),
                Err(item) => violations.extend(item),
            }
        }
        statuses::upsert(&self.db, &request.company_id, &valid, self.now())
            .await
            .map_err(SettingsError::db("upsert statuses"))?;
        if !violations.is_empty() {
            let rejected = total - valid.len();
            return Err(SettingsError::Invalid(violations.into_status(
                &format!(
                    "{rejected} of {total} statuses rejected; the other {} were applied",
                    valid.len()
                ),
                lang,
            )));
        }
        Ok(UpsertStatusesResponse {
            statuses: valid
                .into_iter()
                .map(|status| to_proto(status, lang))
                .collect(),
        })
    }

    pub(super) async fn list_statuses_impl(
        &self,
        request: ListStatusesRequest,
        lang: Lang,
    ) -> Result<ListStatusesResponse, SettingsError> {
        let mut violations = Violations::new();
        violations.id("company_id", &request.company_id);
        violations.check(lang)?;
        let stored = statuses::list(&self.db, &request.company_id)
            .await
            .map_err(SettingsError::db("list statuses"))?;
        Ok(ListStatusesResponse {
            statuses: stored
                .into_iter()
                .map(|status| to_proto(status, lang))
                .collect(),
        })
    }
}

/// One status of an UpsertStatuses batch, checked: the definition to store, or what is wrong
/// with it (`seen` holds the ids of the batch's valid statuses before it).
fn checked(
    index: usize,
    status: Status_,
    seen: &mut HashSet<String>,
) -> Result<StatusDef, Violations> {
    let mut item = Violations::new();
    item.id(&format!("statuses[{index}].status_id"), &status.status_id);
    item.required_text(
        &format!("statuses[{index}].name"),
        &status.name,
        MAX_NAME_CHARS,
    );
    let kind = match StatusKind::try_from(status.kind) {
        Ok(StatusKind::Unspecified) => {
            item.add(
                format!("statuses[{index}].kind"),
                Text::new("field-status-kind-required"),
            );
            StatusKind::Unspecified
        }
        Ok(kind) => kind,
        Err(_) => {
            item.add(
                format!("statuses[{index}].kind"),
                Text::new("field-unknown-value")
                    .arg("value", status.kind)
                    .arg("kind", "StatusKind"),
            );
            StatusKind::Unspecified
        }
    };
    if item.is_empty() && !seen.insert(status.status_id.clone()) {
        item.add(
            format!("statuses[{index}].status_id"),
            Text::new("field-duplicate"),
        );
    }
    if item.is_empty() {
        Ok(StatusDef {
            status_id: status.status_id,
            name: status.name,
            kind,
        })
    } else {
        Err(item)
    }
}
