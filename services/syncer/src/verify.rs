//! Reading an employee's day back to settle a punch whose POST got no confirmed answer: the
//! only way to know, since KING OF TIME has no punch ids and no idempotency.

use chrono::{DateTime, NaiveDate, Utc};
use kintai_core::DbError;
use kintai_i18n::Text;
use kot_client::KotError;

use crate::ledger;
use crate::model::PunchRecord;
use crate::send::CompanySender;

/// What reading the day back said about an unconfirmed punch.
pub(crate) enum Verified {
    Stored,
    Missing,
    /// The day could not be read now: why, and when it can be read at the earliest (the end of
    /// the restricted hours), if known.
    Unknown {
        reason: Text,
        not_before: Option<DateTime<Utc>>,
    },
    TokenRejected(String),
}

impl CompanySender<'_> {
    /// Reads the employee's day back: the punch counts as stored when KING OF TIME has more
    /// records of its second and code than other punches of ours already confirmed there.
    pub(crate) async fn verify(
        &self,
        record: &PunchRecord,
        employee_key: &str,
        day: NaiveDate,
    ) -> Result<Verified, DbError> {
        let Some(code) = record.punch_type.code() else {
            return Ok(Verified::Missing);
        };
        let now = self.clock.now();
        if kot_client::is_restricted(now) {
            return Ok(restricted(now));
        }
        let records = match self.vendor.read_day(self.token, employee_key, day).await {
            Ok(records) => records,
            Err(KotError::AuthenticationFailed { message }) => {
                return Ok(Verified::TokenRejected(message));
            }
            Err(KotError::RestrictedHours { .. }) => return Ok(restricted(self.clock.now())),
            // KING OF TIME refuses, in its own words, to read this employee's day (an employee
            // key it does not know): it cannot hold a punch under that key either.
            Err(error @ (KotError::NotFound { .. } | KotError::Rejected { .. })) => {
                tracing::info!(company_id = %self.ledger.company_id, %error, "read-back refused; the punch is not stored under that employee");
                return Ok(Verified::Missing);
            }
            Err(error) => {
                return Ok(Verified::Unknown {
                    reason: Text::new("punch-readback-failed").arg("error", error),
                    not_before: None,
                });
            }
        };
        let time = record.punch.punched_at.with_timezone(&kot_client::jst());
        let found = records
            .iter()
            .filter(|r| r.is_same_punch(&time, code))
            .count();
        let ours = ledger::count_sent_alike(
            self.ledger.db,
            self.ledger.company_id,
            record,
            employee_key,
            day,
        )
        .await?;
        Ok(if found > ours {
            Verified::Stored
        } else {
            Verified::Missing
        })
    }
}

fn restricted(now: DateTime<Utc>) -> Verified {
    let from = kot_client::next_unrestricted(now);
    Verified::Unknown {
        reason: Text::new("punch-readback-restricted")
            .arg("at", kot_client::format_kot_time(&from)),
        not_before: Some(from),
    }
}
