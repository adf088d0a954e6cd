//! The `kintai.days.kot_error` gauge (README, "Alerts": `KintaiKotErrorDays`): how many of a
//! company's days KING OF TIME marks as エラー勤務, which block its 締め for those employees.
//!
//! Counted from the stored verdicts, not from the rows the check just judged: a check of the
//! days just sent judges only those, and the rest of the month keeps the verdicts of the last
//! whole-month check. A day fixed in KING OF TIME is judged again by the next whole-month check
//! (it has punches on it), its verdict is overwritten, and the count drops with it. A day fixed by
//! deleting every punch, with none of ours on it, is not judged again (the month check judges
//! only days with something on them), so it keeps counting until the window moves past it.

use chrono::NaiveDate;
use kintai_core::Db;
use kintai_core::telemetry::metrics;

use crate::day_store;

/// Sets the company's gauge from the verdicts of working days from `from` on: the window the
/// once-a-day whole-month check keeps current. Older verdicts are never judged again, so they
/// would keep the gauge up after the admin has fixed them. A failed count keeps the last reading
/// and is logged: the check itself succeeded.
pub(crate) async fn record(db: &Db, company_id: &str, from: NaiveDate) {
    match day_store::count_kot_error_days(db, company_id, from).await {
        Ok(count) => metrics::record_kot_error_days(company_id, u64::from(count)),
        Err(error) => {
            tracing::warn!(company_id, %error, "cannot count KING OF TIME's error days")
        }
    }
}
