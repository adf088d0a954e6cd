//! Domain ↔ proto conversions.

use chrono::{DateTime, Utc};
use kintai_i18n::Lang;
use kintai_proto::common::v1::Vendor;
use kintai_proto::settings::v1::{Integration, TermsAcceptance, TokenState, TokenStatus};

use crate::companies::Company;
use crate::crypto::KeyRing;
use crate::revisions::Revisions;
use crate::token_view::{proto_rejection, token_view};

pub fn timestamp(instant: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: i32::try_from(instant.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// The integration as callers see it: an unknown company is disabled with no token.
pub fn integration(
    keys: &KeyRing,
    company_id: &str,
    company: Option<&Company>,
    revisions: Revisions,
    lang: Lang,
) -> Integration {
    let Some(company) = company else {
        return Integration {
            company_id: company_id.to_owned(),
            enabled: false,
            vendor: Vendor::KingOfTime as i32,
            token: Some(TokenStatus {
                state: TokenState::None as i32,
                ..TokenStatus::default()
            }),
            updated_at: None,
            revision: revisions.revision,
            directory_revision: revisions.directory_revision,
        };
    };
    let token = match &company.token {
        None => TokenStatus {
            state: TokenState::None as i32,
            ..TokenStatus::default()
        },
        Some(stored) => {
            let view = token_view(keys, company);
            TokenStatus {
                state: view.state as i32,
                fingerprint: stored.fingerprint.clone(),
                registered_at: Some(timestamp(stored.registered_at)),
                last_verified_at: Some(timestamp(stored.verified_at)),
                rejected_reason: if view.state == TokenState::Rejected {
                    stored.rejected_reason.clone().unwrap_or_default()
                } else {
                    String::new()
                },
                acceptance: Some(TermsAcceptance {
                    accepted_by: stored.acceptance.accepted_by.clone(),
                    api_terms_accepted: stored.acceptance.api_terms_accepted,
                    data_sharing_consented: stored.acceptance.data_sharing_consented,
                    accepted_at: Some(timestamp(stored.acceptance.accepted_at)),
                }),
                rejection: if view.state == TokenState::Rejected {
                    proto_rejection(stored.rejection) as i32
                } else {
                    0
                },
                detail: view.detail.map(|d| d.render(lang)).unwrap_or_default(),
                unreadable_cause: view.unreadable_cause as i32,
            }
        }
    };
    Integration {
        company_id: company.company_id.clone(),
        enabled: company.enabled,
        vendor: company.vendor as i32,
        token: Some(token),
        updated_at: Some(timestamp(company.updated_at)),
        revision: revisions.revision,
        directory_revision: revisions.directory_revision,
    }
}
