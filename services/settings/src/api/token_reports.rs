//! ReportTokenRejected: the matcher or syncer says KING OF TIME refused a company's token. The
//! report carries KING OF TIME's own message, which this service stores, logs and shows: so it
//! is redacted first (the stored token and anything token-shaped) and bounded in length.

use kintai_core::redact::redact;
use kintai_core::telemetry::metrics::record_token_rejected;
use kintai_core::validate::Violations;
use kintai_i18n::Lang;
use kintai_proto::settings::v1::{ReportTokenRejectedRequest, ReportTokenRejectedResponse};

use super::SettingsApi;
use crate::companies;
use crate::error::SettingsError;
use crate::token_view::rejection_from_proto;

/// Longest vendor message kept, in characters.
pub const MAX_VENDOR_MESSAGE_CHARS: usize = 200;

impl SettingsApi {
    pub(super) async fn report_token_rejected_impl(
        &self,
        request: ReportTokenRejectedRequest,
        lang: Lang,
    ) -> Result<ReportTokenRejectedResponse, SettingsError> {
        let mut violations = Violations::new();
        violations.id("company_id", &request.company_id);
        violations.id("token_fingerprint", &request.token_fingerprint);
        violations.check(lang)?;
        let company_id = request.company_id;
        let rejection = rejection_from_proto(request.rejection);
        let message = self
            .redacted_message(&company_id, &request.vendor_message)
            .await?;
        let marked = companies::mark_rejected(
            &self.db,
            &company_id,
            &request.token_fingerprint,
            rejection,
            &message,
            self.now(),
        )
        .await
        .map_err(SettingsError::db("mark token rejected"))?;
        if marked {
            tracing::warn!(%company_id, fingerprint = %request.token_fingerprint, ?rejection, vendor_message = %message, "token marked rejected");
            record_token_rejected(&company_id, true);
        } else {
            tracing::info!(%company_id, "rejection report about a token that is no longer stored; ignored");
        }
        Ok(ReportTokenRejectedResponse {
            integration: Some(self.view(&company_id, lang).await?),
        })
    }

    /// The vendor's message without the company's stored token (when this server can read it)
    /// and without anything else token-shaped, on one line, bounded.
    async fn redacted_message(
        &self,
        company_id: &str,
        message: &str,
    ) -> Result<String, SettingsError> {
        let stored = self
            .load(company_id)
            .await?
            .and_then(|company| company.token)
            .and_then(|token| self.keys.open(company_id, &token.sealed).ok());
        let secrets: Vec<&str> = stored.iter().map(String::as_str).collect();
        Ok(redact(message, &secrets, MAX_VENDOR_MESSAGE_CHARS))
    }
}
