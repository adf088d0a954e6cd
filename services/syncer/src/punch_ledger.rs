//! The state changes of one company's punches while a run sends them (design.md, "Exactly
//! once"): "in flight" is committed before each POST and fenced by the company's lease; every
//! later change starts from "in flight", so a change made meanwhile by someone else (an operator,
//! another run after a lost lease) is never overwritten. Each change is one committed statement:
//! a crash leaves every punch in the last state that was true.

use chrono::{DateTime, NaiveDate, Utc};
use kintai_core::db::to_millis;
use kintai_core::{Db, DbError};
use kintai_i18n::Text;

use crate::ledger::LEASE_TABLE;
use crate::model::LedgerState;

/// What the ledger says while a POST is out and no answer has come.
const AWAITING_ANSWER: &str = "punch-awaiting-answer";

/// The punches of one company, as one run writes them.
#[derive(Clone, Copy)]
pub(crate) struct PunchLedger<'a> {
    pub db: &'a Db,
    pub company_id: &'a str,
}

/// When and why a punch is tried again after a transient failure.
#[derive(Debug, Clone)]
pub(crate) struct RetryAt {
    /// Pending (post again) or in flight (read the day back first).
    pub state: LedgerState,
    pub at: DateTime<Utc>,
    /// Transient failures so far, the exponent of the next backoff.
    pub failures: u32,
    /// What failed, e.g. "HTTP 504 without a KING OF TIME error body".
    pub last_error: String,
    /// What the admin reads, e.g. "再送を待っています。次回の送信: 10:42:05 …".
    pub reason: Text,
}

impl PunchLedger<'_> {
    /// Pending → in flight just before the POST. It succeeds only while `holder` still holds the
    /// company's lease and the punch is still pending; `false` means the POST must not happen.
    pub async fn in_flight(
        &self,
        punch_id: &str,
        employee_key: &str,
        working_day: NaiveDate,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        // The lease's expiry is on the machine's clock (kintai_core::lease), not the test clock.
        let lease_now = Utc::now().timestamp_millis();
        let updated = sqlx::query(&format!(
            "UPDATE punches SET state = $1, attempts = attempts + 1, employee_key = $2, \
             working_day = $3, in_flight_at = $4, reason = $5, next_attempt_at = NULL \
             WHERE company_id = $6 AND punch_id = $7 AND state = $8 \
             AND EXISTS (SELECT 1 FROM {LEASE_TABLE} WHERE company_id = $6 AND holder = $9 AND expires_at > $10)"
        ))
        .bind(LedgerState::InFlight.as_str())
        .bind(employee_key)
        .bind(working_day.to_string())
        .bind(to_millis(now))
        .bind(Text::new(AWAITING_ANSWER).to_stored())
        .bind(self.company_id)
        .bind(punch_id)
        .bind(LedgerState::Pending.as_str())
        .bind(holder)
        .bind(lease_now)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// In flight → sent: KING OF TIME confirmed it (201, or found when reading the day back).
    pub async fn sent(&self, punch_id: &str, at: DateTime<Utc>) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE punches SET state = $1, reason = '', sent_at = $2, next_attempt_at = NULL, \
             failures = 0 WHERE company_id = $3 AND punch_id = $4 AND state = $5",
        )
        .bind(LedgerState::Sent.as_str())
        .bind(to_millis(at))
        .bind(self.company_id)
        .bind(punch_id)
        .bind(LedgerState::InFlight.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// In flight → `state` (pending or held) when KING OF TIME certainly does not have it and it
    /// may be sent by the next run.
    pub async fn not_stored(
        &self,
        punch_id: &str,
        state: LedgerState,
        reason: &Text,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE punches SET state = $1, reason = $2, next_attempt_at = NULL \
             WHERE company_id = $3 AND punch_id = $4 AND state = $5",
        )
        .bind(state.as_str())
        .bind(reason.to_stored())
        .bind(self.company_id)
        .bind(punch_id)
        .bind(LedgerState::InFlight.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// In flight → failed: KING OF TIME refused the punch in its own words.
    pub async fn refused(
        &self,
        punch_id: &str,
        reason: &Text,
        kot_message: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE punches SET state = $1, reason = $2, last_error = $3, next_attempt_at = NULL \
             WHERE company_id = $4 AND punch_id = $5 AND state = $6",
        )
        .bind(LedgerState::Failed.as_str())
        .bind(reason.to_stored())
        .bind(kot_message)
        .bind(self.company_id)
        .bind(punch_id)
        .bind(LedgerState::InFlight.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// In flight → `retry.state` with its retry time, after a transient failure.
    pub async fn retry_later(&self, punch_id: &str, retry: &RetryAt) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE punches SET state = $1, next_attempt_at = $2, failures = $3, last_error = $4, \
             reason = $5 WHERE company_id = $6 AND punch_id = $7 AND state = $8",
        )
        .bind(retry.state.as_str())
        .bind(to_millis(retry.at))
        .bind(i64::from(retry.failures))
        .bind(&retry.last_error)
        .bind(retry.reason.to_stored())
        .bind(self.company_id)
        .bind(punch_id)
        .bind(LedgerState::InFlight.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Leaves an unconfirmed punch in flight with a reason an admin understands and what failed.
    pub async fn note(
        &self,
        punch_id: &str,
        reason: &Text,
        last_error: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE punches SET reason = $1, last_error = $2 \
             WHERE company_id = $3 AND punch_id = $4 AND state = $5",
        )
        .bind(reason.to_stored())
        .bind(last_error)
        .bind(self.company_id)
        .bind(punch_id)
        .bind(LedgerState::InFlight.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}
