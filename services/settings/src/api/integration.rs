//! Company integration: the switch, the token, credentials for the matcher and syncer.

use kintai_core::paging::PageRequest;
use kintai_core::telemetry::metrics::{record_token_rejected, record_token_unreadable};
use kintai_core::validate::Violations;
use kintai_i18n::{Lang, Text};
use kintai_proto::common::v1::Vendor;
use kintai_proto::settings::v1::*;
use kot_client::{KotError, Token};
use tonic::Code;

use super::SettingsApi;
use crate::companies::{self, Acceptance, Company, NewToken, Stored, TokenHealth};
use crate::convert::integration;
use crate::error::SettingsError;
use crate::token_view::{token_view, unreadable_detail};
use crate::{revisions, token_lookup, token_registry};

/// Token length bounds: real tokens are 32 hex characters; anything far outside is a paste error.
const TOKEN_CHARS: std::ops::RangeInclusive<usize> = 16..=256;
const MAX_ACCEPTED_BY_CHARS: usize = 128;
impl SettingsApi {
    pub(super) async fn load(&self, company_id: &str) -> Result<Option<Company>, SettingsError> {
        companies::get(&self.db, company_id)
            .await
            .map_err(SettingsError::db("load company"))
    }

    /// The company's integration as callers see it, with its revisions. The revisions are read
    /// first: a change committed in between shows as a newer revision, never as an older one
    /// with the newer state.
    pub(super) async fn view(
        &self,
        company_id: &str,
        lang: Lang,
    ) -> Result<Integration, SettingsError> {
        let revisions = revisions::get(&self.db, company_id)
            .await
            .map_err(SettingsError::db("load revisions"))?;
        let company = self.load(company_id).await?;
        Ok(integration(
            &self.keys,
            company_id,
            company.as_ref(),
            revisions,
            lang,
        ))
    }

    pub(super) async fn get_integration_impl(
        &self,
        request: GetIntegrationRequest,
        lang: Lang,
    ) -> Result<GetIntegrationResponse, SettingsError> {
        let mut violations = Violations::new();
        violations.id("company_id", &request.company_id);
        violations.check(lang)?;
        Ok(GetIntegrationResponse {
            integration: Some(self.view(&request.company_id, lang).await?),
        })
    }

    pub(super) async fn update_integration_impl(
        &self,
        request: UpdateIntegrationRequest,
        lang: Lang,
    ) -> Result<UpdateIntegrationResponse, SettingsError> {
        let mut violations = Violations::new();
        violations.id("company_id", &request.company_id);
        let vendor = match Vendor::try_from(request.vendor) {
            Ok(Vendor::Unspecified) => None,
            Ok(vendor) => Some(vendor),
            Err(_) => {
                violations.add(
                    "vendor",
                    Text::new("field-unknown-value")
                        .arg("value", request.vendor)
                        .arg("kind", "Vendor"),
                );
                None
            }
        };
        violations.check(lang)?;
        companies::set_enabled(
            &self.db,
            &request.company_id,
            request.enabled,
            vendor,
            self.now(),
        )
        .await
        .map_err(SettingsError::db("update integration"))?;
        tracing::info!(company_id = %request.company_id, enabled = request.enabled, "integration switched");
        Ok(UpdateIntegrationResponse {
            integration: Some(self.view(&request.company_id, lang).await?),
        })
    }

    pub(super) async fn register_token_impl(
        &self,
        mut request: RegisterTokenRequest,
        lang: Lang,
    ) -> Result<RegisterTokenResponse, SettingsError> {
        let acceptance = request.acceptance.take().unwrap_or_default();
        register_violations(&request, &acceptance).check(lang)?;
        let token = Token::new(request.token);
        let company_id = request.company_id;
        // Verify before storing: a token KING OF TIME does not accept is never kept.
        self.check_with_vendor(&company_id, &token, lang).await?;
        let now = self.now();
        let sealed = self.keys.seal(&company_id, token.expose());
        let acceptance = Acceptance {
            accepted_by: acceptance.accepted_by,
            accepted_at: now,
            api_terms_accepted: true,
            data_sharing_consented: true,
        };
        let lookups = token_lookup::lookups(&self.keys, token.expose());
        let new = NewToken {
            sealed: &sealed,
            fingerprint: &token.fingerprint(),
            lookup: &token_lookup::lookup(&self.keys, token.expose()),
            lookups: &lookups,
        };
        let stored = companies::store_token(&self.db, &company_id, new, &acceptance, now)
            .await
            .map_err(SettingsError::db("store token"))?;
        if stored == Stored::HeldByAnotherCompany {
            // One token reaches one KING OF TIME company: two cyzen companies on it would have
            // their punches mixed up. The refusal names no other company.
            tracing::warn!(%company_id, token = %token, "token refused: another company holds it");
            return Err(SettingsError::RefusedForAdmin {
                code: Code::AlreadyExists,
                reason: "TOKEN_REGISTERED_ELSEWHERE",
                text: Text::new("register-token-elsewhere"),
                lang,
            });
        }
        tracing::info!(%company_id, token = %token, accepted_by = %acceptance.accepted_by, "token verified and stored");
        record_token_rejected(&company_id, false);
        record_token_unreadable(&company_id, false);
        Ok(RegisterTokenResponse {
            integration: Some(self.view(&company_id, lang).await?),
        })
    }

    /// Asks KING OF TIME whether it accepts the token; a refusal is the admin's to read.
    async fn check_with_vendor(
        &self,
        company_id: &str,
        token: &Token,
        lang: Lang,
    ) -> Result<(), SettingsError> {
        match self.vendor.check_token(token).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SettingsError::RefusedForAdmin {
                code: Code::FailedPrecondition,
                reason: "TOKEN_NOT_AVAILABLE",
                text: Text::new("register-token-not-available"),
                lang,
            }),
            Err(KotError::AuthenticationFailed { .. }) => Err(SettingsError::RefusedForAdmin {
                code: Code::FailedPrecondition,
                reason: "TOKEN_AUTHENTICATION_FAILED",
                text: Text::new("register-token-authentication-failed"),
                lang,
            }),
            Err(error) => {
                tracing::warn!(%company_id, token = %token, error = %error, "token check failed");
                Err(SettingsError::RefusedForAdmin {
                    code: Code::Unavailable,
                    reason: "VENDOR_UNREACHABLE",
                    text: Text::new("register-token-unreachable"),
                    lang,
                })
            }
        }
    }

    pub(super) async fn delete_token_impl(
        &self,
        request: DeleteTokenRequest,
        lang: Lang,
    ) -> Result<DeleteTokenResponse, SettingsError> {
        let mut violations = Violations::new();
        violations.id("company_id", &request.company_id);
        violations.check(lang)?;
        companies::clear_token(&self.db, &request.company_id, self.now())
            .await
            .map_err(SettingsError::db("delete token"))?;
        tracing::info!(company_id = %request.company_id, "token deleted");
        record_token_rejected(&request.company_id, false);
        record_token_unreadable(&request.company_id, false);
        Ok(DeleteTokenResponse {
            integration: Some(self.view(&request.company_id, lang).await?),
        })
    }

    pub(super) async fn list_companies_impl(
        &self,
        request: ListCompaniesRequest,
        lang: Lang,
    ) -> Result<ListCompaniesResponse, SettingsError> {
        let mut violations = Violations::new();
        let page_request =
            PageRequest::parse(request.page_size, &request.page_token, 1, &mut violations);
        violations.check(lang)?;
        let page = companies::list(
            &self.db,
            request.enabled_only,
            &page_request.after_key(),
            page_request.limit,
        )
        .await
        .map_err(SettingsError::db("list companies"))?;
        let next_page_token =
            page_request.next_token(page.len(), page.last().map(|last| last.company_id.as_str()));
        let ids: Vec<&str> = page.iter().map(|c| c.company_id.as_str()).collect();
        let revisions = revisions::get_many(&self.db, &ids)
            .await
            .map_err(SettingsError::db("list revisions"))?;
        let lookups: Vec<&str> = page
            .iter()
            .filter_map(|c| c.token.as_ref()?.lookup.as_deref())
            .collect();
        let held_twice = token_registry::held_twice(&self.db, &lookups)
            .await
            .map_err(SettingsError::db("list shared tokens"))?;
        let companies = page
            .iter()
            .map(|company| {
                let view = token_view(&self.keys, company);
                let revisions = revisions
                    .get(&company.company_id)
                    .copied()
                    .unwrap_or_default();
                CompanySummary {
                    company_id: company.company_id.clone(),
                    enabled: company.enabled,
                    vendor: company.vendor as i32,
                    token_state: view.state as i32,
                    token_detail: view.detail.map(|d| d.render(lang)).unwrap_or_default(),
                    token_unreadable_cause: view.unreadable_cause as i32,
                    token_registered_twice: company
                        .token
                        .as_ref()
                        .and_then(|t| t.lookup.as_ref())
                        .is_some_and(|lookup| held_twice.contains(lookup)),
                    revision: revisions.revision,
                    directory_revision: revisions.directory_revision,
                }
            })
            .collect();
        Ok(ListCompaniesResponse {
            companies,
            next_page_token,
        })
    }

    pub(super) async fn get_credentials_impl(
        &self,
        request: GetCredentialsRequest,
        lang: Lang,
    ) -> Result<GetCredentialsResponse, SettingsError> {
        let mut violations = Violations::new();
        violations.id("company_id", &request.company_id);
        violations.check(lang)?;
        let company_id = request.company_id;
        let company = self.load(&company_id).await?;
        let Some(company) = company.filter(|c| c.enabled) else {
            return Err(SettingsError::refused(
                Code::FailedPrecondition,
                "INTEGRATION_DISABLED",
                format!("company {company_id}: 勤怠連携 is 無効"),
            ));
        };
        let Some(stored) = company.token else {
            return Err(SettingsError::refused(
                Code::FailedPrecondition,
                "NO_TOKEN",
                format!("company {company_id}: no KING OF TIME token is registered"),
            ));
        };
        // Every run asks here first, so the gauge is current even after a restart.
        record_token_rejected(&company_id, stored.health == TokenHealth::Rejected);
        if stored.health == TokenHealth::Rejected {
            return Err(SettingsError::refused(
                Code::FailedPrecondition,
                "TOKEN_REJECTED",
                format!(
                    "company {company_id}: KING OF TIME rejected the token; register a new one"
                ),
            ));
        }
        let opened = self.keys.open(&company_id, &stored.sealed);
        record_token_unreadable(&company_id, opened.is_err());
        let plain = opened.map_err(|error| {
            tracing::error!(%company_id, %error, "cannot decrypt the stored token");
            SettingsError::refused(
                Code::FailedPrecondition,
                "TOKEN_UNREADABLE",
                format!(
                    "company {company_id}: {}",
                    unreadable_detail(&error, &stored.sealed.key_id).render(Lang::En)
                ),
            )
        })?;
        Ok(GetCredentialsResponse {
            company_id,
            vendor: company.vendor as i32,
            token: plain,
            token_fingerprint: stored.fingerprint,
        })
    }
}

/// What is wrong with a RegisterToken request, before KING OF TIME is asked.
fn register_violations(request: &RegisterTokenRequest, acceptance: &TermsAcceptance) -> Violations {
    let mut violations = Violations::new();
    violations.id("company_id", &request.company_id);
    let token_chars = request.token.chars().count();
    if request.token.is_empty() {
        violations.add("token", Text::new("field-required"));
    } else if !TOKEN_CHARS.contains(&token_chars) {
        violations.add(
            "token",
            Text::new("field-token-length")
                .arg("min", TOKEN_CHARS.start())
                .arg("max", TOKEN_CHARS.end()),
        );
    } else if !request.token.chars().all(|c| c.is_ascii_graphic()) {
        violations.add("token", Text::new("field-token-characters"));
    }
    violations.required_text(
        "acceptance.accepted_by",
        &acceptance.accepted_by,
        MAX_ACCEPTED_BY_CHARS,
    );
    if !acceptance.api_terms_accepted {
        violations.add(
            "acceptance.api_terms_accepted",
            Text::new("field-api-terms"),
        );
    }
    if !acceptance.data_sharing_consented {
        violations.add(
            "acceptance.data_sharing_consented",
            Text::new("field-data-sharing"),
        );
    }
    violations
}
