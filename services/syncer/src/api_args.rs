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

/// The first and last working days a stored punch can have: a punch is at least 2000-01-01
/// 00:00 JST ([`crate::validate::EARLIEST_MILLIS`]), whose working day a division's day
/// border may move one day back; and days are stored as `YYYY-MM-DD` text, whose order is date
/// order only for four-digit years.
const FIRST_WORKING_DAY: (i32, u32, u32) = (1999, 12, 31);
const LAST_WORKING_DAY: (i32, u32, u32) = (9999, 12, 31);

/// The day of a page cursor (ListDays): exactly `YYYY-MM-DD` and a day a stored punch can have
/// been filed under; `None` for anything else, which no page of ours ends with.
pub(crate) fn cursor_day(text: &str) -> Option<NaiveDate> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let bound = |(year, month, day)| NaiveDate::from_ymd_opt(year, month, day);
    let in_range = (bound(FIRST_WORKING_DAY)?..=bound(LAST_WORKING_DAY)?).contains(&day);
    (in_range && text.len() == 10 && day.format("%Y-%m-%d").to_string() == text).then_some(day)
}

/// The instant of a page cursor (ListPunches): milliseconds as we write them (no sign, no
/// padding), of an instant a stored punch can have; `None` for anything else — an instant out
/// of range used to become the epoch and start the list again at page 1.
pub(crate) fn cursor_instant(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let millis: i64 = text.parse().ok()?;
    if millis.to_string() != text || millis < crate::validate::EARLIEST_MILLIS {
        return None;
    }
    let instant = chrono::DateTime::from_timestamp_millis(millis)?;
    let last = NaiveDate::from_ymd_opt(LAST_WORKING_DAY.0, LAST_WORKING_DAY.1, LAST_WORKING_DAY.2)?;
    (instant.date_naive() <= last).then_some(instant)
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
