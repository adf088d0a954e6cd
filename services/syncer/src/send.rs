//! Posting one company's punches, exactly once (design.md, "Exactly once"): "in flight" is
//! committed before each POST and "sent" after it. What an answer means decides the rest:
//! - 201: stored.
//! - KING OF TIME's own refusal (a 4xx with its error body) or a request that never left: not
//!   stored, so the punch may be posted again — or, for a validation refusal, it failed.
//! - anything else (any 5xx, a gateway page, a timeout, a reset, an unreadable answer): unknown,
//!   so the employee's day is read back before the punch is posted again.
//!
//! Nothing is given up for a transient reason: the punch is retried with a growing, jittered
//! wait, within the run while the wait is short and by a later run otherwise.

use kintai_i18n::Text;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use kintai_core::Clock;
use kintai_core::DbError;
use kot_client::{AttendanceVendor, KotError, TimeRecordRequest, Token};
use tokio_util::sync::CancellationToken;

use crate::RetryPolicy;
use crate::kot_words::{capped, kot_answer};
use crate::lease_deadline::LeaseDeadline;
use crate::model::{LedgerState, PunchRecord};
use crate::plan::{Action, Planned};
use crate::ports::SettingsPort;
use crate::punch_ledger::{PunchLedger, RetryAt};
use crate::tally::{Done, Tally, record_done};

/// Why a company's run stopped before its end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stop {
    /// 403 / code 100: KING OF TIME's message.
    TokenRejected(String),
    LeaseLost,
    RateLimited,
    Failed(Text),
    /// The process is shutting down: the POSTs out finish, no new one starts.
    ShuttingDown,
    /// Settings' revision moved: who is synced must be decided again before the next POST.
    SettingsChanged,
}

/// What a failed attempt leads to.
pub(crate) enum Step {
    Done(Done),
    /// Post the punch again now.
    Again,
}

/// One company's send phase, shared by the tasks posting its employees' punches.
pub(crate) struct CompanySender<'a> {
    pub ledger: PunchLedger<'a>,
    pub holder: &'a str,
    /// No POST is out after this (crate::lease_deadline).
    pub lease: &'a LeaseDeadline,
    pub token: &'a Token,
    pub vendor: &'a dyn AttendanceVendor,
    /// Asked before each POST whether who is synced is still as planned.
    pub settings: &'a dyn SettingsPort,
    /// Settings' revision the plan was made on.
    pub revision: i64,
    pub clock: &'a Clock,
    pub retry: &'a RetryPolicy,
    /// Cancelled when the process shuts down.
    pub cancel: &'a CancellationToken,
    pub stop: Mutex<Option<Stop>>,
    pub rate_limited: AtomicU32,
}

impl CompanySender<'_> {
    pub fn stopped(&self) -> Option<Stop> {
        if self.cancel.is_cancelled() {
            self.halt(Stop::ShuttingDown);
        }
        self.stop
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn halt(&self, why: Stop) {
        let mut stop = self
            .stop
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The first reason wins: a token rejection is not overwritten by its follow-ups.
        stop.get_or_insert(why);
    }

    /// The fence before each POST: settings' revision is still the one the plan was made on.
    /// Otherwise, or when settings cannot say, nothing more is posted in this plan.
    async fn still_as_planned(&self) -> bool {
        match self.settings.revision(self.ledger.company_id).await {
            Ok(revision) if revision == self.revision => true,
            Ok(_) => {
                self.halt(Stop::SettingsChanged);
                false
            }
            Err(error) => {
                self.halt(Stop::Failed(
                    Text::new("run-settings-unavailable-before-post").arg("error", error),
                ));
                false
            }
        }
    }

    /// Waits `wait` unless the process shuts down first (then `false`).
    pub(crate) async fn pause(&self, wait: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(wait) => true,
            () = self.cancel.cancelled() => {
                self.halt(Stop::ShuttingDown);
                false
            }
        }
    }

    /// Posts one employee's punches in time order. After a punch that cannot be settled now,
    /// the employee's later punches wait too, so KING OF TIME receives them in order.
    pub async fn employee(&self, items: &[&Planned]) -> Tally {
        let mut tally = Tally::default();
        for (position, planned) in items.iter().enumerate() {
            let done = if self.stopped().is_some() {
                Done::Deferred
            } else {
                self.item(planned).await.unwrap_or_else(|error| {
                    tracing::error!(company_id = %self.ledger.company_id, punch_id = %planned.record.punch.punch_id, %error, "ledger write failed; the punch is settled by a later run");
                    Done::Deferred
                })
            };
            tally.count(done);
            record_done(done);
            if done == Done::Deferred {
                let rest = items.len() - position - 1;
                tally.deferred += u32::try_from(rest).unwrap_or(u32::MAX);
                break;
            }
        }
        tally
    }

    async fn item(&self, planned: &Planned) -> Result<Done, DbError> {
        let record = &planned.record;
        let day = planned.working_day;
        match &planned.action {
            Action::Send { employee_key } => self.post(record, employee_key, day).await,
            Action::Verify {
                employee_key,
                resend_to,
                hold_reason,
            } => {
                self.settle(record, employee_key, resend_to.as_deref(), hold_reason, day)
                    .await
            }
            Action::Wait(_) | Action::Hold(_) => Ok(Done::Deferred),
        }
    }

    /// Posts a pending punch until it is settled: sent, refused, or left for a later attempt.
    pub(crate) async fn post(
        &self,
        record: &PunchRecord,
        employee_key: &str,
        day: NaiveDate,
    ) -> Result<Done, DbError> {
        let Some(code) = record.punch_type.code() else {
            // Never planned: only synced kinds are loaded. Kept total rather than panicking.
            return Ok(Done::Held("not_synced_kind"));
        };
        let punch_id = record.punch.punch_id.as_str();
        let request = TimeRecordRequest {
            date: day,
            time: record.punch.punched_at.with_timezone(&kot_client::jst()),
            code,
            division_code: None,
            latitude: record.punch.latitude,
            longitude: record.punch.longitude,
        };
        let mut failures = record.failures;
        loop {
            if self.stopped().is_some() {
                return Ok(Done::Deferred);
            }
            if !self.still_as_planned().await {
                return Ok(Done::Deferred);
            }
            if self.lease.passed() {
                self.halt(Stop::LeaseLost);
                return Ok(Done::Deferred);
            }
            let now = self.clock.now();
            let marked = self
                .ledger
                .in_flight(punch_id, employee_key, day, self.holder, now)
                .await?;
            if !marked {
                // Our lease expired and another run may own the company now: it must not see
                // a POST of ours it does not know about.
                self.halt(Stop::LeaseLost);
                return Ok(Done::Deferred);
            }
            let deadline = tokio::time::Instant::from_std(self.lease.deadline());
            let posted = self.vendor.post_punch(self.token, employee_key, &request);
            let Ok(answer) = tokio::time::timeout_at(deadline, posted).await else {
                // Still waiting for the token's budget, or no answer yet: abandoned before the
                // lease can pass on. The punch stays in flight ("awaiting its answer") and the
                // lease's next holder reads the day back before posting it again.
                self.halt(Stop::LeaseLost);
                return Ok(Done::Deferred);
            };
            let error = match answer {
                Ok(_) => {
                    self.ledger.sent(punch_id, self.clock.now()).await?;
                    return Ok(Done::Sent);
                }
                Err(error) => error,
            };
            let step = if error.certainly_not_applied() {
                self.not_applied(record, &error, &mut failures).await?
            } else {
                self.unconfirmed(record, employee_key, day, &error, &mut failures)
                    .await?
            };
            match step {
                Step::Done(done) => return Ok(done),
                Step::Again => {}
            }
        }
    }

    /// KING OF TIME did not store the punch: refused in its own words, or never reached.
    async fn not_applied(
        &self,
        record: &PunchRecord,
        error: &KotError,
        failures: &mut u32,
    ) -> Result<Step, DbError> {
        let punch_id = record.punch.punch_id.as_str();
        let now = self.clock.now();
        match error {
            KotError::AuthenticationFailed { message } => {
                let reason = Text::new("punch-token-rejected");
                self.ledger
                    .not_stored(punch_id, LedgerState::Pending, &reason)
                    .await?;
                self.halt(Stop::TokenRejected(message.clone()));
                Ok(Step::Done(Done::Deferred))
            }
            KotError::RateLimited { .. } => {
                // A 303 is not the punch's fault: it does not count as one of its failures.
                let wait = self.retry.rate_limited_backoff;
                let retry = RetryAt {
                    state: LedgerState::Pending,
                    at: now + chrono::TimeDelta::from_std(wait).unwrap_or_default(),
                    failures: *failures,
                    last_error: error.to_string(),
                    reason: Text::new("punch-rate-limited"),
                };
                self.ledger.retry_later(punch_id, &retry).await?;
                let seen = self.rate_limited.fetch_add(1, Ordering::Relaxed) + 1;
                if seen > self.retry.max_rate_limited {
                    self.halt(Stop::RateLimited);
                    return Ok(Step::Done(Done::Deferred));
                }
                Ok(if self.pause(wait).await {
                    Step::Again
                } else {
                    Step::Done(Done::Deferred)
                })
            }
            KotError::RestrictedHours { .. } => {
                // Punch POSTs are allowed in the restricted hours; KING OF TIME disagreeing is
                // believed, and the punch waits for the window's end.
                let retry = RetryAt {
                    state: LedgerState::Pending,
                    at: kot_client::next_unrestricted(now),
                    failures: *failures,
                    last_error: error.to_string(),
                    reason: Text::new("punch-restricted-hours"),
                };
                self.ledger.retry_later(punch_id, &retry).await?;
                Ok(Step::Done(Done::Deferred))
            }
            KotError::Rejected { .. } | KotError::NotFound { .. } => {
                let reason = kot_answer(error);
                self.ledger
                    .refused(punch_id, &reason, &error.to_string())
                    .await?;
                Ok(Step::Done(Done::Failed("refused")))
            }
            KotError::InvalidConfig { reason } => {
                let text = Text::new("punch-misconfigured");
                self.ledger
                    .not_stored(punch_id, LedgerState::Pending, &text)
                    .await?;
                self.halt(Stop::Failed(Text::verbatim(reason.clone())));
                Ok(Step::Done(Done::Deferred))
            }
            // The request never left (connection refused, DNS): try again.
            _ => self.transient(record, &error.to_string(), failures).await,
        }
    }

    /// The punch is certainly not in KING OF TIME and failed for a passing reason: pending again,
    /// posted again within this run while the wait is short, by a later run otherwise.
    pub(crate) async fn transient(
        &self,
        record: &PunchRecord,
        last_error: &str,
        failures: &mut u32,
    ) -> Result<Step, DbError> {
        *failures += 1;
        let at = self.retry.next_attempt(*failures, self.clock.now());
        let retry = RetryAt {
            state: LedgerState::Pending,
            at,
            failures: *failures,
            last_error: last_error.to_owned(),
            reason: Text::new("punch-retrying")
                .arg("at", kot_client::format_kot_time(&at))
                .text_arg("error", capped(last_error)),
        };
        self.ledger
            .retry_later(&record.punch.punch_id, &retry)
            .await?;
        if !self.retry.retry_inline(*failures) {
            return Ok(Step::Done(Done::Deferred));
        }
        let wait = (at - self.clock.now()).to_std().unwrap_or_default();
        Ok(if self.pause(wait).await {
            Step::Again
        } else {
            Step::Done(Done::Deferred)
        })
    }
}
