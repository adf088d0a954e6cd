//! Reading an employee's day back to settle a punch whose POST got no confirmed answer: the
//! only way to know, since KING OF TIME has no punch ids and no idempotency.
//!
//! A read that finds the punch proves it is stored. A read that does not find it proves
//! nothing by itself: KING OF TIME has answered empty days near the restricted windows
//! (kot-api.md), so reads keep a margin clear of them ([`crate::read_margin`]), and "not stored"
//! takes two reads that agree, at least `readback_confirm` apart. Two that disagree leave the
//! punch in flight for a later read.

use chrono::{DateTime, NaiveDate, Utc};
use kintai_core::DbError;
use kintai_i18n::Text;
use kot_client::{KotError, TimeRecord};

use crate::kot_words::kot_answer;
use crate::ledger;
use crate::model::PunchRecord;
use crate::read_margin::read_blocked_until;
use crate::send::CompanySender;

/// What reading the day back said about an unconfirmed punch.
pub(crate) enum Verified {
    Stored,
    Missing,
    /// The day could not be read now: why, and when it can be read at the earliest (the end of
    /// the restricted hours and their margin), if known.
    Unknown {
        reason: Text,
        not_before: Option<DateTime<Utc>>,
    },
    TokenRejected(String),
}

impl CompanySender<'_> {
    /// Reads the employee's day back: the punch counts as stored when KING OF TIME has more
    /// records of its second and code than punches of ours already confirmed there (of any
    /// company: two companies may share an employee through one token); as missing when two
    /// reads `readback_confirm` apart agree that it does not.
    pub(crate) async fn verify(
        &self,
        record: &PunchRecord,
        employee_key: &str,
        day: NaiveDate,
    ) -> Result<Verified, DbError> {
        let Some(code) = record.punch_type.code() else {
            return Ok(Verified::Missing);
        };
        let ours = ledger::count_sent_alike(
            self.ledger.db,
            self.ledger.company_id,
            record,
            employee_key,
            day,
        )
        .await?;
        let time = record.punch.punched_at.with_timezone(&kot_client::jst());
        let found = |records: &[TimeRecord]| {
            records
                .iter()
                .filter(|r| r.is_same_punch(&time, code))
                .count()
                > ours
        };
        let first = match self.read(employee_key, day).await {
            Ok(records) => records,
            Err(verified) => return Ok(verified),
        };
        if found(&first) {
            return Ok(Verified::Stored);
        }
        if !self.pause(self.retry.readback_confirm).await {
            return Ok(Verified::Unknown {
                reason: Text::new("punch-readback-interrupted"),
                not_before: None,
            });
        }
        let second = match self.read(employee_key, day).await {
            Ok(records) => records,
            Err(verified) => return Ok(verified),
        };
        if found(&second) {
            return Ok(Verified::Stored);
        }
        if same_records(&first, &second) {
            return Ok(Verified::Missing);
        }
        tracing::info!(company_id = %self.ledger.company_id, first = first.len(), second = second.len(), "two read-backs of a day disagree; read again later");
        Ok(Verified::Unknown {
            reason: Text::new("punch-readback-disagree"),
            not_before: None,
        })
    }

    /// One read of the employee's day, or what it means when there is none.
    async fn read(&self, employee_key: &str, day: NaiveDate) -> Result<Vec<TimeRecord>, Verified> {
        let now = self.clock.now();
        if let Some(from) = read_blocked_until(now, self.retry.read_margin) {
            return Err(restricted(from));
        }
        match self.vendor.read_day(self.token, employee_key, day).await {
            Ok(records) => Ok(records),
            Err(KotError::AuthenticationFailed { message }) => {
                Err(Verified::TokenRejected(message))
            }
            Err(KotError::RestrictedHours { .. }) => {
                let now = self.clock.now();
                let from = read_blocked_until(now, self.retry.read_margin)
                    .unwrap_or_else(|| kot_client::next_unrestricted(now) + self.retry.read_margin);
                Err(restricted(from))
            }
            // KING OF TIME refuses, in its own words, to read this employee's day (an employee
            // key it does not know): it cannot hold a punch under that key either.
            Err(error @ (KotError::NotFound { .. } | KotError::Rejected { .. })) => {
                tracing::info!(company_id = %self.ledger.company_id, %error, "read-back refused; the punch is not stored under that employee");
                Err(Verified::Missing)
            }
            Err(error) => Err(Verified::Unknown {
                reason: Text::new("punch-readback-failed").text_arg("error", kot_answer(&error)),
                not_before: None,
            }),
        }
    }
}

/// Whether two reads of a day hold the same records (time to the second and code, in any
/// order): a day that changed between them, or came back short once, proves nothing.
fn same_records(first: &[TimeRecord], second: &[TimeRecord]) -> bool {
    let key = |records: &[TimeRecord]| {
        let mut keys: Vec<(i64, String)> = records
            .iter()
            .map(|r| (r.time.timestamp(), r.code.clone()))
            .collect();
        keys.sort();
        keys
    };
    key(first) == key(second)
}

fn restricted(from: DateTime<Utc>) -> Verified {
    Verified::Unknown {
        reason: Text::new("punch-readback-restricted")
            .arg("at", kot_client::format_kot_time(&from)),
        not_before: Some(from),
    }
}
