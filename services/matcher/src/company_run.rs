//! One company's run under its lease: ask settings, respect the restricted hours, read KING OF
//! TIME, match, and store the result with the reason for anything but a match.

use std::time::Duration;

use kintai_core::lease::Lease;
use kintai_core::redact::redact;
use kot_client::{Division, Employee, KotError, Token, is_restricted, next_unrestricted};

use crate::company_result::Run;
use crate::model::Condition;
use crate::report::{CompanyResult, Outcome};
use crate::run::Matcher;
use crate::settings_port::{Credentials, IntegrationState, PortError, condition};
use crate::unchanged::Known;

/// A run's result, and whether storing it also gave the lease back.
pub(crate) struct Finished {
    pub result: CompanyResult,
    pub lease_released: bool,
}

impl Finished {
    pub(crate) fn failed(company_id: &str, reason: impl Into<String>) -> Self {
        Self {
            result: CompanyResult::bare(company_id, Outcome::Failed, reason),
            lease_released: false,
        }
    }
}

impl Matcher {
    pub(crate) async fn run_leased(
        &self,
        company_id: &str,
        lease: &Lease,
        known: Option<Known>,
    ) -> Finished {
        let (integration, run) = match self.begin(company_id, lease, known).await {
            Ok(begun) => begun,
            Err(failed) => return failed,
        };
        let condition = condition(&integration);
        if condition != Condition::Ready {
            return run
                .keep(condition, Outcome::Skipped, skip_reason(condition))
                .await;
        }
        let now = self.now();
        if is_restricted(now) {
            return run.deferred(next_unrestricted(now)).await;
        }
        let credentials = match self.deps.settings.credentials(company_id).await {
            Ok(Some(credentials)) => credentials,
            // Switched off or token deleted since GetIntegration answered.
            Ok(None) => {
                let reason = skip_reason(Condition::NoToken);
                return run.keep(Condition::NoToken, Outcome::Skipped, reason).await;
            }
            Err(error) => return Finished::failed(company_id, error.to_string()),
        };
        match self.read_kot(&credentials.token).await {
            Ok((employees, divisions)) => {
                let mut finished = run.matched(&employees, &divisions).await;
                if finished.result.outcome == Outcome::Matched {
                    finished.result.directory_revision = Some(integration.directory_revision);
                }
                finished
            }
            Err(error) => self.unread(run, &credentials, error).await,
        }
    }

    /// Reads the integration (with its directory revision) first, then the users: a directory
    /// change committed in between shows as a newer revision, so it is matched again.
    async fn begin<'a>(
        &'a self,
        company_id: &'a str,
        lease: &'a Lease,
        known: Option<Known>,
    ) -> Result<(IntegrationState, Run<'a>), Finished> {
        let settings = &self.deps.settings;
        let failed = |error: PortError| Finished::failed(company_id, error.to_string());
        let integration = settings.integration(company_id).await.map_err(failed)?;
        let mut users = settings.users(company_id).await.map_err(failed)?;
        // Settings lists each user once, ordered by id; the table relies on both.
        users.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        users.dedup_by(|a, b| a.user_id == b.user_id);
        let (record, writer) = match known {
            Some(known) => (known.record, Some((known.writer, known.slot))),
            None => (None, None),
        };
        let run = Run {
            matcher: self,
            lease,
            company_id,
            users,
            record,
            writer,
        };
        Ok((integration, run))
    }

    /// The company's employees and divisions.
    async fn read_kot(&self, token: &Token) -> Result<(Vec<Employee>, Vec<Division>), KotError> {
        let employees = self.list_employees(token).await?;
        let divisions = self.list_divisions(token).await?;
        Ok((employees, divisions))
    }

    /// KING OF TIME could not be read: the links stay, with the reason.
    async fn unread(&self, run: Run<'_>, credentials: &Credentials, error: KotError) -> Finished {
        match error {
            KotError::AuthenticationFailed { message } => {
                let reason = self
                    .report_rejected(run.company_id, credentials, &message)
                    .await;
                run.keep(Condition::TokenRejected, Outcome::TokenRejected, reason)
                    .await
            }
            // Our clock and KING OF TIME's disagree about the window: believe KING OF TIME.
            error @ KotError::RestrictedHours { .. } => {
                let now = self.now();
                run.deferred(error.retry_not_before(now).unwrap_or(now))
                    .await
            }
            error => {
                let reason =
                    format!("KING OF TIME could not be read; existing links are kept: {error}");
                run.keep(Condition::Ready, Outcome::Failed, reason).await
            }
        }
    }

    /// Tells settings that KING OF TIME refused the company's token; the run's reason, with
    /// KING OF TIME's words (never with a secret: they go back to the caller of RunMatch).
    async fn report_rejected(
        &self,
        company_id: &str,
        credentials: &Credentials,
        message: &str,
    ) -> String {
        if let Err(error) = self
            .deps
            .settings
            .report_token_rejected(company_id, &credentials.fingerprint, message)
            .await
        {
            tracing::warn!(company_id, %error, "cannot report the rejected token to settings");
        }
        let message = redact(message, &[credentials.token.expose()], 200);
        format!(
            "KING OF TIME rejected the token (403 code 100: {message}); reported to settings: register a new token"
        )
    }

    /// The employee list (resigned ones included, so they can be named as the reason).
    async fn list_employees(&self, token: &Token) -> Result<Vec<Employee>, KotError> {
        read_retrying("employee list", || {
            self.deps.vendor.list_employees(token, true)
        })
        .await
    }

    /// The divisions, for each link's 日付変更時間 (the syncer's working-day rule). A run that
    /// cannot read them keeps the links it has rather than storing links with a wrong border.
    async fn list_divisions(&self, token: &Token) -> Result<Vec<Division>, KotError> {
        read_retrying("division list", || self.deps.vendor.list_divisions(token)).await
    }
}

/// A read is safe to repeat, so transient failures (5xx, 303, network) are retried a few times
/// with a growing pause; anything else is final for this run.
async fn read_retrying<T, F, Fut>(what: &str, read: F) -> Result<T, KotError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, KotError>>,
{
    let mut attempt = 1;
    loop {
        match read().await {
            Err(error) if attempt < LIST_ATTEMPTS && is_transient(&error) => {
                tracing::debug!(attempt, %error, "{what} failed; retrying");
                tokio::time::sleep(RETRY_PAUSE * attempt).await;
                attempt += 1;
            }
            answer => return answer,
        }
    }
}

const LIST_ATTEMPTS: u32 = 3;
const RETRY_PAUSE: Duration = Duration::from_millis(200);

fn is_transient(error: &KotError) -> bool {
    matches!(
        error,
        KotError::ServerError { .. }
            | KotError::RateLimited { .. }
            | KotError::NotSent { .. }
            | KotError::OutcomeUnknown { .. }
    )
}

fn skip_reason(condition: Condition) -> String {
    match condition {
        Condition::IntegrationDisabled => "勤怠連携 is 無効 (integration off); KING OF TIME was not called",
        Condition::NoToken => "no usable KING OF TIME token is registered; KING OF TIME was not called",
        Condition::TokenRejected => {
            "KING OF TIME rejected the company's token earlier; register a new token. KING OF TIME was not called"
        }
        Condition::TokenUnreadable => {
            "the settings service cannot decrypt the company's token with its token keys (the key that sealed it is missing): restore the key, or register the token again. KING OF TIME was not called"
        }
        Condition::TokenKeyMismatch => {
            "the settings service's token key of the id that sealed the company's token does not open it (other key bytes under that id, or damaged data): configure the key that sealed it, or register the token again. KING OF TIME was not called"
        }
        Condition::Ready => "",
    }
    .to_owned()
}
