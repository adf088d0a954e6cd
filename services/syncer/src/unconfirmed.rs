//! The punches whose fate KING OF TIME left open: a POST without a confirmed answer (a 5xx, a
//! timeout, a reset), and a punch found in flight from an earlier run. Both read the
//! employee's day back ([`crate::verify`]) before the punch is marked sent, posted again or
//! held; a day that cannot be read keeps the punch in flight for a later read.

use chrono::NaiveDate;
use kintai_core::DbError;
use kintai_i18n::{Lang, Text};
use kot_client::KotError;

use crate::kot_words::capped;
use crate::model::{LedgerState, PunchRecord};
use crate::plan::HoldReason;
use crate::punch_ledger::RetryAt;
use crate::send::{CompanySender, Step, Stop};
use crate::tally::Done;
use crate::verify::Verified;

impl CompanySender<'_> {
    /// A punch found in flight (an earlier POST without a confirmed answer): read the day back,
    /// then mark it sent, post it again (to `resend_to`, the user's employee now) or hold it.
    pub(crate) async fn settle(
        &self,
        record: &PunchRecord,
        employee_key: &str,
        resend_to: Option<&str>,
        hold_reason: &HoldReason,
        day: NaiveDate,
    ) -> Result<Done, DbError> {
        let punch_id = record.punch.punch_id.as_str();
        match self.verify(record, employee_key, day).await? {
            Verified::Stored => {
                self.ledger.sent(punch_id, self.clock.now()).await?;
                Ok(Done::Sent)
            }
            Verified::Missing => match resend_to {
                Some(employee_key) => {
                    let reason = Text::new("punch-resend-missing");
                    self.ledger
                        .not_stored(punch_id, LedgerState::Pending, &reason)
                        .await?;
                    self.post(record, employee_key, day).await
                }
                None => {
                    self.ledger
                        .not_stored(punch_id, LedgerState::Held, &hold_reason.text)
                        .await?;
                    Ok(Done::Held(hold_reason.code))
                }
            },
            Verified::Unknown { reason, not_before } => {
                let failures = record.failures + 1;
                self.read_later(record, failures, &record.last_error, &reason, not_before)
                    .await
            }
            Verified::TokenRejected(message) => {
                self.halt(Stop::TokenRejected(message));
                Ok(Done::Deferred)
            }
        }
    }

    /// KING OF TIME may or may not have stored the punch: read the day back before anything.
    pub(crate) async fn unconfirmed(
        &self,
        record: &PunchRecord,
        employee_key: &str,
        day: NaiveDate,
        error: &KotError,
        failures: &mut u32,
    ) -> Result<Step, DbError> {
        let punch_id = record.punch.punch_id.as_str();
        let last_error = error.to_string();
        let note = Text::new("punch-unconfirmed").text_arg("error", capped(&last_error));
        self.ledger.note(punch_id, &note, &last_error).await?;
        if !self.pause(self.retry.verify_delay).await {
            // Left in flight: the next run reads the day back.
            return Ok(Step::Done(Done::Deferred));
        }
        match self.verify(record, employee_key, day).await? {
            Verified::Stored => {
                self.ledger.sent(punch_id, self.clock.now()).await?;
                Ok(Step::Done(Done::Sent))
            }
            Verified::Missing => {
                let last = format!("{last_error}; read back: not stored");
                self.transient(record, &last, failures).await
            }
            Verified::Unknown { reason, not_before } => {
                *failures += 1;
                let done = self
                    .read_later(record, *failures, &last_error, &reason, not_before)
                    .await?;
                Ok(Step::Done(done))
            }
            Verified::TokenRejected(message) => {
                self.halt(Stop::TokenRejected(message));
                Ok(Step::Done(Done::Deferred))
            }
        }
    }

    /// The day could not be read back: the punch stays in flight and is read back later.
    async fn read_later(
        &self,
        record: &PunchRecord,
        failures: u32,
        last_error: &str,
        why: &Text,
        not_before: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Done, DbError> {
        let failures = failures.max(1);
        let at = not_before.unwrap_or_else(|| self.retry.next_attempt(failures, self.clock.now()));
        // The last error is for engineers: in English.
        let last_error = if last_error.is_empty() {
            why.render(Lang::En)
        } else {
            last_error.to_owned()
        };
        let retry = RetryAt {
            state: LedgerState::InFlight,
            at,
            failures,
            last_error,
            reason: Text::new("punch-unconfirmed-retry")
                .text_arg("why", why.clone())
                .arg("at", kot_client::format_kot_time(&at)),
        };
        self.ledger
            .retry_later(&record.punch.punch_id, &retry)
            .await?;
        Ok(Done::Deferred)
    }
}
