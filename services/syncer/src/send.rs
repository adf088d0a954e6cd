//! Posting one company's punches, exactly once (design.md, "Exactly once"): "in flight" is
//! committed before each POST and "sent" after it; an unconfirmed POST is verified by reading
//! the employee's day back (time to the second + code) before anything is sent again.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use kintai_core::{Db, DbError};
use kot_client::{AttendanceVendor, KotError, TimeRecordRequest, Token};

use crate::RetryPolicy;
use crate::clock::Clock;
use crate::ledger;
use crate::model::{LedgerState, PunchRecord};
use crate::plan::{Action, Planned};

/// Why a company's run stopped before its end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stop {
    /// 403 / code 100: KING OF TIME's message.
    TokenRejected(String),
    LeaseLost,
    RateLimited,
    Failed(String),
}

/// What became of one punch in this run; held and failed carry their metric reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Sent,
    /// `refused` (KING OF TIME said no), `retries_exhausted` (errors on every attempt) or
    /// `not_stored_after_retries` (every unconfirmed attempt read back as missing).
    Failed(&'static str),
    Held(&'static str),
    /// Left for a later run (unverified, stopped, or waiting for the restricted hours to end).
    Deferred,
}

/// Counts of one company's run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub sent: u32,
    pub failed: u32,
    pub held: u32,
    pub deferred: u32,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.sent += other.sent;
        self.failed += other.failed;
        self.held += other.held;
        self.deferred += other.deferred;
    }

    fn count(&mut self, done: Done) {
        match done {
            Done::Sent => self.sent += 1,
            Done::Failed(_) => self.failed += 1,
            Done::Held(_) => self.held += 1,
            Done::Deferred => self.deferred += 1,
        }
    }
}

/// Counts the punch in the exported metrics (a no-op without an OTLP endpoint).
fn record_done(done: Done) {
    use kintai_core::telemetry::metrics;
    match done {
        Done::Sent => metrics::record_punches(metrics::PunchResult::Sent, 1),
        Done::Failed(reason) => metrics::record_punches(metrics::PunchResult::Failed(reason), 1),
        Done::Held(reason) => metrics::record_punches(metrics::PunchResult::Held(reason), 1),
        Done::Deferred => {}
    }
}

/// Result of reading the day back for an unconfirmed punch.
pub(crate) enum Verified {
    Stored,
    Missing,
    Unknown(String),
    TokenRejected(String),
}

/// One company's send phase, shared by the tasks posting its employees' punches.
pub(crate) struct CompanySender<'a> {
    pub db: &'a Db,
    pub company_id: &'a str,
    pub holder: &'a str,
    pub token: &'a Token,
    pub vendor: &'a dyn AttendanceVendor,
    pub clock: &'a dyn Clock,
    pub retry: &'a RetryPolicy,
    pub stop: Mutex<Option<Stop>>,
    pub rate_limited: AtomicU32,
}

impl CompanySender<'_> {
    pub fn stopped(&self) -> Option<Stop> {
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

    /// Posts one employee's punches in time order. After a punch that cannot be settled now,
    /// the employee's later punches wait too, so KING OF TIME receives them in order.
    pub async fn employee(&self, items: &[&Planned]) -> Tally {
        let mut tally = Tally::default();
        for (position, planned) in items.iter().enumerate() {
            let done = if self.stopped().is_some() {
                Done::Deferred
            } else {
                match self.item(planned).await {
                    Ok(done) => done,
                    Err(error) => {
                        tracing::error!(company_id = %self.company_id, punch_id = %planned.record.punch.punch_id, %error, "ledger write failed; the punch is settled by a later run");
                        Done::Deferred
                    }
                }
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
            Action::Send { employee_key } => self.send(record, employee_key, day).await,
            Action::Verify {
                employee_key,
                resend_to,
                hold_reason,
            } => match self.verify(record, employee_key, day).await? {
                Verified::Stored => {
                    ledger::mark_sent(
                        self.db,
                        self.company_id,
                        &record.punch.punch_id,
                        self.clock.now(),
                    )
                    .await?;
                    Ok(Done::Sent)
                }
                Verified::Missing => match resend_to {
                    Some(employee_key) => {
                        let reason = "KING OF TIME does not have it (read back); sending it again";
                        self.not_stored(record, LedgerState::Pending, reason)
                            .await?;
                        self.send(record, employee_key, day).await
                    }
                    None => {
                        self.not_stored(record, LedgerState::Held, &hold_reason.text)
                            .await?;
                        Ok(Done::Held(hold_reason.code))
                    }
                },
                Verified::Unknown(reason) => {
                    ledger::note_in_flight(
                        self.db,
                        self.company_id,
                        &record.punch.punch_id,
                        &reason,
                    )
                    .await?;
                    Ok(Done::Deferred)
                }
                Verified::TokenRejected(message) => {
                    self.halt(Stop::TokenRejected(message));
                    Ok(Done::Deferred)
                }
            },
            Action::Wait(_) | Action::Hold(_) => Ok(Done::Deferred),
        }
    }

    async fn not_stored(
        &self,
        record: &PunchRecord,
        state: LedgerState,
        reason: &str,
    ) -> Result<(), DbError> {
        ledger::mark_not_stored(
            self.db,
            self.company_id,
            &record.punch.punch_id,
            state,
            reason,
        )
        .await
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2_u32.saturating_pow(attempt.saturating_sub(1));
        self.retry
            .base_backoff
            .saturating_mul(factor)
            .min(self.retry.max_backoff)
    }

    async fn send(
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
        let mut attempts = 0_u32;
        loop {
            if self.stopped().is_some() {
                return Ok(Done::Deferred);
            }
            let now = self.clock.now();
            if !ledger::mark_in_flight(
                self.db,
                self.company_id,
                punch_id,
                employee_key,
                day,
                self.holder,
                now,
            )
            .await?
            {
                // Our lease expired and another run may own the company now: it must not see
                // a POST of ours it does not know about.
                self.halt(Stop::LeaseLost);
                return Ok(Done::Deferred);
            }
            attempts += 1;
            let error = match self
                .vendor
                .post_punch(self.token, employee_key, &request)
                .await
            {
                Ok(_) => {
                    ledger::mark_sent(self.db, self.company_id, punch_id, self.clock.now()).await?;
                    return Ok(Done::Sent);
                }
                Err(error) => error,
            };
            match &error {
                _ if !error.certainly_not_applied() => {
                    // Timeout, reset, unreadable answer: KING OF TIME may have stored it.
                    let note = format!(
                        "no confirmed answer from KING OF TIME ({error}); verifying by reading the day back"
                    );
                    ledger::note_in_flight(self.db, self.company_id, punch_id, &note).await?;
                    tokio::time::sleep(self.retry.verify_delay).await;
                    match self.verify(record, employee_key, day).await? {
                        Verified::Stored => {
                            ledger::mark_sent(self.db, self.company_id, punch_id, self.clock.now())
                                .await?;
                            return Ok(Done::Sent);
                        }
                        Verified::Missing if attempts >= self.retry.max_attempts => {
                            let reason = format!(
                                "KING OF TIME did not store it after {attempts} attempts; last: {error}"
                            );
                            self.not_stored(record, LedgerState::Failed, &reason)
                                .await?;
                            return Ok(Done::Failed("not_stored_after_retries"));
                        }
                        Verified::Missing => {
                            let reason =
                                format!("attempt {attempts} was not stored ({error}); retrying");
                            self.not_stored(record, LedgerState::Pending, &reason)
                                .await?;
                        }
                        Verified::Unknown(reason) => {
                            ledger::note_in_flight(
                                self.db,
                                self.company_id,
                                punch_id,
                                &format!("{note}; {reason}"),
                            )
                            .await?;
                            return Ok(Done::Deferred);
                        }
                        Verified::TokenRejected(message) => {
                            self.halt(Stop::TokenRejected(message));
                            return Ok(Done::Deferred);
                        }
                    }
                }
                KotError::AuthenticationFailed { message } => {
                    self.not_stored(
                        record,
                        LedgerState::Pending,
                        "KING OF TIME rejected the company's token",
                    )
                    .await?;
                    self.halt(Stop::TokenRejected(message.clone()));
                    return Ok(Done::Deferred);
                }
                KotError::RateLimited { .. } => {
                    self.not_stored(
                        record,
                        LedgerState::Pending,
                        "KING OF TIME asked to slow down (303); sent later",
                    )
                    .await?;
                    // A 303 is not the punch's fault: it does not use up its attempts.
                    attempts -= 1;
                    let seen = self.rate_limited.fetch_add(1, Ordering::Relaxed) + 1;
                    if seen > self.retry.max_rate_limited {
                        self.halt(Stop::RateLimited);
                        return Ok(Done::Deferred);
                    }
                    tokio::time::sleep(self.retry.rate_limited_backoff).await;
                    continue;
                }
                KotError::RestrictedHours { .. } => {
                    self.not_stored(
                        record,
                        LedgerState::Pending,
                        "KING OF TIME refused it during the restricted hours; sent later",
                    )
                    .await?;
                    return Ok(Done::Deferred);
                }
                KotError::Rejected { .. } | KotError::NotFound { .. } => {
                    let reason = format!("KING OF TIME refused the punch: {error}");
                    self.not_stored(record, LedgerState::Failed, &reason)
                        .await?;
                    return Ok(Done::Failed("refused"));
                }
                KotError::InvalidConfig { reason } => {
                    self.not_stored(
                        record,
                        LedgerState::Pending,
                        "the KING OF TIME client is misconfigured; sent later",
                    )
                    .await?;
                    self.halt(Stop::Failed(reason.clone()));
                    return Ok(Done::Deferred);
                }
                // 5xx and requests that never left: bounded retries with backoff.
                _ => {
                    if attempts >= self.retry.max_attempts {
                        let reason =
                            format!("KING OF TIME kept failing after {attempts} attempts: {error}");
                        self.not_stored(record, LedgerState::Failed, &reason)
                            .await?;
                        return Ok(Done::Failed("retries_exhausted"));
                    }
                    let reason = format!("attempt {attempts} failed ({error}); retrying");
                    self.not_stored(record, LedgerState::Pending, &reason)
                        .await?;
                    tokio::time::sleep(self.backoff(attempts)).await;
                }
            }
        }
    }
}
