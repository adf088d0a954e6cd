//! One company's run under its lease: ask settings, respect the restricted hours, read KING OF
//! TIME, match, and store the result with the reason for anything but a match.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::channel::oneshot;
use kintai_core::DbError;
use kintai_core::lease::Lease;
use kintai_core::redact::redact;
use kot_client::{
    Division, Employee, KotError, Token, format_kot_time, is_restricted, jst_date,
    next_unrestricted,
};

use crate::matching::{carry_over, match_users, rows_digest, set_day_borders};
use crate::model::{CompanyRecord, Condition, DirectoryUser, LinkRow};
use crate::report::{CompanyResult, Outcome, STORAGE_FAILED};
use crate::run::Matcher;
use crate::settings_port::{Credentials, condition};
use crate::unchanged::{Known, UnchangedWriter};

/// A run's result, and whether storing it also gave the lease back.
pub(crate) struct Finished {
    pub result: CompanyResult,
    pub lease_released: bool,
}

impl Finished {
    fn failed(company_id: &str, reason: impl Into<String>) -> Self {
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
        let settings = &self.deps.settings;
        // The integration (with its directory revision) first, then the users: a directory
        // change committed in between shows as a newer revision, so it is matched again.
        let integration = match settings.integration(company_id).await {
            Ok(integration) => integration,
            Err(error) => return Finished::failed(company_id, error.to_string()),
        };
        let mut users = match settings.users(company_id).await {
            Ok(users) => users,
            Err(error) => return Finished::failed(company_id, error.to_string()),
        };
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
        let credentials = match settings.credentials(company_id).await {
            Ok(Some(credentials)) => credentials,
            // Switched off or token deleted since GetIntegration answered.
            Ok(None) => {
                let reason = skip_reason(Condition::NoToken);
                return run.keep(Condition::NoToken, Outcome::Skipped, reason).await;
            }
            Err(error) => return Finished::failed(company_id, error.to_string()),
        };

        let read = match self.list_employees(&credentials.token).await {
            Ok(employees) => self
                .list_divisions(&credentials.token)
                .await
                .map(|divisions| (employees, divisions)),
            Err(error) => Err(error),
        };
        match read {
            Ok((employees, divisions)) => {
                let mut finished = run.matched(&employees, &divisions).await;
                if finished.result.outcome == Outcome::Matched {
                    finished.result.directory_revision = Some(integration.directory_revision);
                }
                finished
            }
            Err(KotError::AuthenticationFailed { message }) => {
                let reason = self
                    .report_rejected(company_id, &credentials, &message)
                    .await;
                run.keep(Condition::TokenRejected, Outcome::TokenRejected, reason)
                    .await
            }
            // Our clock and KING OF TIME's disagree about the window: believe KING OF TIME.
            Err(error @ KotError::RestrictedHours { .. }) => {
                let now = self.now();
                run.deferred(error.retry_not_before(now).unwrap_or(now))
                    .await
            }
            Err(error) => {
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
        Condition::Ready => "",
    }
    .to_owned()
}

/// The state one company's run carries to its end.
struct Run<'a> {
    matcher: &'a Matcher,
    lease: &'a Lease,
    company_id: &'a str,
    users: Vec<DirectoryUser>,
    /// The company's record as read under the lease before the run, when known.
    record: Option<Option<CompanyRecord>>,
    /// Stores an unchanged company together with others, in a run over every company; and
    /// the signal that the run waits only for that write (see [`Known::slot`]).
    writer: Option<(UnchangedWriter, oneshot::Sender<()>)>,
}

/// What the company record says about a run.
struct Summary {
    condition: Condition,
    matched_at: Option<DateTime<Utc>>,
    employees: u32,
    outcome: Outcome,
    reason: String,
}

impl Run<'_> {
    async fn matched(self, employees: &[Employee], divisions: &[Division]) -> Finished {
        let matched_at = self.matcher.now();
        let (lease, company_id, matcher) = (self.lease, self.company_id, self.matcher);
        // Computed before the write transaction begins, so that it holds SQLite's write lock
        // only for the writes.
        let mut rows = match_users(self.users, employees, jst_date(&matched_at));
        set_day_borders(&mut rows, employees, divisions);
        let digest = rows_digest(&rows);
        let summary = Summary {
            condition: Condition::Ready,
            matched_at: Some(matched_at),
            employees: u32::try_from(employees.len()).unwrap_or(u32::MAX),
            outcome: Outcome::Matched,
            reason: String::new(),
        };
        // The hourly run of an unchanged company whose record is known: the stored rows already
        // are these rows, and the record goes with other companies' in a shared transaction.
        if let (Some(_), Some(Some(before))) = (&self.writer, &self.record)
            && before.rows_digest == digest
            && let Some((writer, slot)) = self.writer
        {
            let record = next_record(company_id, Some(before), &summary, digest, matcher);
            let _ = slot.send(());
            let stored = writer.finish(record).await;
            return finished(company_id, stored, &rows, summary);
        }
        // Until this run's own write ends, it counts against the concurrency.
        let _slot = self.writer;
        let known = self.record;
        let stored = async {
            let Some(mut finish) = matcher.store.begin_finish(lease, known).await? else {
                return Ok(None);
            };
            // The hourly run of an unchanged company: the stored rows already are these rows,
            // so they are neither read nor written.
            let unchanged = finish
                .record
                .as_ref()
                .is_some_and(|record| record.rows_digest == digest);
            let previous = if unchanged {
                None
            } else {
                Some(finish.load_links().await?)
            };
            let record = next_record(
                company_id,
                finish.record.as_ref(),
                &summary,
                digest,
                matcher,
            );
            finish.commit(previous.as_ref(), &rows, &record).await?;
            Ok(Some(()))
        }
        .await;
        finished(company_id, stored, &rows, summary)
    }

    async fn deferred(self, next: DateTime<Utc>) -> Finished {
        let reason = format!(
            "restricted hours (08:30–10:00, 17:30–18:30 JST): KING OF TIME's employee list cannot be read before {}; existing links are kept",
            format_kot_time(&next)
        );
        let outcome = Outcome::Deferred {
            next_attempt_at: next,
        };
        self.keep(Condition::Ready, outcome, reason).await
    }

    /// KING OF TIME was not read: the links stay as they were (see [`carry_over`]).
    async fn keep(self, condition: Condition, outcome: Outcome, reason: String) -> Finished {
        let (lease, company_id, matcher) = (self.lease, self.company_id, self.matcher);
        let summary = Summary {
            condition,
            matched_at: None,
            employees: 0,
            outcome,
            reason,
        };
        let mut rows = Vec::new();
        let known = self.record;
        let stored = async {
            let Some(mut finish) = matcher.store.begin_finish(lease, known).await? else {
                return Ok(None);
            };
            let previous = finish.load_links().await?;
            rows = carry_over(self.users, &previous);
            let digest = rows_digest(&rows);
            let record = next_record(
                company_id,
                finish.record.as_ref(),
                &summary,
                digest,
                matcher,
            );
            finish.commit(Some(&previous), &rows, &record).await?;
            Ok(Some(()))
        }
        .await;
        finished(company_id, stored, &rows, summary)
    }
}

/// The company record after a run; what KING OF TIME said last stays when it was not read.
fn next_record(
    company_id: &str,
    before: Option<&CompanyRecord>,
    summary: &Summary,
    rows_digest: i64,
    matcher: &Matcher,
) -> CompanyRecord {
    CompanyRecord {
        company_id: company_id.to_owned(),
        condition: summary.condition,
        last_run_at: matcher.now(),
        last_matched_at: summary
            .matched_at
            .or(before.and_then(|r| r.last_matched_at)),
        last_reason: summary.reason.clone(),
        employees: match summary.matched_at {
            Some(_) => summary.employees,
            None => before.map_or(0, |r| r.employees),
        },
        rows_digest,
    }
}

/// The run's result once storing it succeeded (`Some`), found the lease lost (`None`) or
/// failed.
fn finished(
    company_id: &str,
    stored: Result<Option<()>, DbError>,
    rows: &[LinkRow],
    summary: Summary,
) -> Finished {
    match stored {
        Ok(Some(())) => {}
        Ok(None) => {
            let result = CompanyResult::bare(
                company_id,
                Outcome::Busy,
                "this run's lease expired and another run took the company over; its result was discarded",
            );
            return Finished {
                result,
                lease_released: true,
            };
        }
        Err(error) => {
            tracing::error!(company_id, %error, "cannot store the match result");
            return Finished::failed(company_id, STORAGE_FAILED);
        }
    }
    let users = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    // What ListLinks shows: while the company cannot be matched every user is 無効.
    let linked = if summary.condition == Condition::Ready {
        u32::try_from(rows.iter().filter(|r| r.is_active()).count()).unwrap_or(u32::MAX)
    } else {
        0
    };
    Finished {
        result: CompanyResult {
            company_id: company_id.to_owned(),
            outcome: summary.outcome,
            reason: summary.reason,
            users,
            linked,
            unlinked: users - linked,
            employees: summary.employees,
            directory_revision: None,
        },
        lease_released: true,
    }
}
