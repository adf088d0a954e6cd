//! What the handlers share to read a request: the batch limit and the day arguments. Apart from
//! the handlers, so that each handler module depends on these and not on another handler.

use chrono::{NaiveDate, NaiveTime, TimeZone};
use kintai_core::validate::Violations;
use kintai_i18n::Text;

/// Most punches per RecordPunches call (and punch ids per RetryPunches call).
pub const MAX_BATCH: usize = 1_000;

/// An optional `YYYY-MM-DD` day; exactly that form.
pub(crate) fn day_bound(violations: &mut Violations, field: &str, text: &str) -> Option<NaiveDate> {
    if text.is_empty() {
        return None;
    }
    let day = (text.len() == 10)
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten();
    if day.is_none() {
        violations.add(field, Text::new("field-day"));
    }
    day
}

/// The first instant of a JST day.
pub(crate) fn jst_start(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    kot_client::jst()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map(|at| at.to_utc())
        .unwrap_or_default()
}

/// A list request's scope: the company, an optional user, and an optional range of days given
/// as `(field, value)` pairs, the end not before the start. Problems go into `violations`.
pub(crate) fn list_scope(
    violations: &mut Violations,
    company_id: &str,
    user_id: &str,
    (start_field, start): (&str, &str),
    (end_field, end): (&str, &str),
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    violations.id("company_id", company_id);
    if !user_id.is_empty() {
        violations.id("user_id", user_id);
    }
    let first = day_bound(violations, start_field, start);
    let last = day_bound(violations, end_field, end);
    if let (Some(first), Some(last)) = (first, last)
        && first > last
    {
        violations.add(
            end_field,
            Text::new("field-not-before").arg("other", start_field),
        );
    }
    (first, last)
}
