//! Reading an employee's day back to settle a punch whose POST got no confirmed answer: the
//! only way to know, since KING OF TIME has no punch ids and no idempotency.

use chrono::NaiveDate;
use kintai_core::DbError;
use kot_client::KotError;

use crate::ledger;
use crate::model::PunchRecord;
use crate::send::{CompanySender, Verified};

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
            return Ok(Verified::Unknown(restricted_note(now)));
        }
        let records = match self.vendor.read_day(self.token, employee_key, day).await {
            Ok(records) => records,
            Err(KotError::AuthenticationFailed { message }) => {
                return Ok(Verified::TokenRejected(message));
            }
            Err(KotError::RestrictedHours { .. }) => {
                return Ok(Verified::Unknown(restricted_note(now)));
            }
            Err(error) => {
                return Ok(Verified::Unknown(format!(
                    "could not read the day back ({error}); verified by a later run"
                )));
            }
        };
        let time = record.punch.punched_at.with_timezone(&kot_client::jst());
        let found = records
            .iter()
            .filter(|r| r.is_same_punch(&time, code))
            .count();
        let ours =
            ledger::count_sent_alike(self.db, self.company_id, record, employee_key, day).await?;
        Ok(if found > ours {
            Verified::Stored
        } else {
            Verified::Missing
        })
    }
}

fn restricted_note(now: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "awaiting read-back: KING OF TIME allows no reads 08:30–10:00 and 17:30–18:30 JST; verified from {}",
        kot_client::format_kot_time(&kot_client::next_unrestricted(now))
    )
}
