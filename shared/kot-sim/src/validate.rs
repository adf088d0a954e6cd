//! Strict parsing of what clients send. The simulator must never be more lenient than
//! kot-api.md: dates are exactly `YYYY-MM-DD`, punch times exactly
//! `YYYY-MM-DDTHH:MM:SS+09:00`, codes JSON strings from the documented set.

use std::collections::HashMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde_json::Value;

use crate::clock::jst;

/// Punch codes kot-api.md lists.
pub(crate) const PUNCH_CODES: [&str; 6] = ["1", "2", "3", "4", "7", "8"];

/// Longest punch listing, both ends included \[docs\].
pub(crate) const MAX_RANGE_DAYS: i64 = 62;

/// `true` where `text` has a digit at every position of `pattern` marked `d` and the same byte
/// elsewhere. chrono alone would accept `2024-5-1` or a missing seconds field.
fn matches_pattern(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text.bytes().zip(pattern.bytes()).all(|(t, p)| {
            if p == b'd' {
                t.is_ascii_digit()
            } else {
                t == p
            }
        })
}

pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    if !matches_pattern(text, "dddd-dd-dd") {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Seconds required, `+09:00` required (`Z` and other offsets refused), hours 00–23.
pub(crate) fn parse_punch_time(text: &str) -> Option<DateTime<FixedOffset>> {
    if !matches_pattern(text, "dddd-dd-ddTdd:dd:dd+09:00") {
        return None;
    }
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%:z").ok()
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Query parameters; a repeated name keeps its last value.
pub(crate) fn parse_query(raw: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The validated body of a punch POST.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PunchInput {
    pub date: NaiveDate,
    pub time: DateTime<FixedOffset>,
    pub code: Option<String>,
    pub division_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// Parses and checks a punch body; every problem found is reported, not just the first.
pub(crate) fn parse_punch_body(body: &[u8]) -> Result<PunchInput, Vec<String>> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| vec![format!("body is not valid JSON: {e}")])?;
    let Value::Object(fields) = value else {
        return Err(vec!["body must be a JSON object".into()]);
    };
    let mut problems = Vec::new();
    let date = match fields.get("date") {
        Some(Value::String(text)) => parse_date(text).or_else(|| {
            problems.push(format!("date {text:?} is not YYYY-MM-DD"));
            None
        }),
        Some(_) => {
            problems.push("date must be a string".into());
            None
        }
        None => {
            problems.push("date is required".into());
            None
        }
    };
    let time = match fields.get("time") {
        Some(Value::String(text)) => parse_punch_time(text).or_else(|| {
            problems.push(format!("time {text:?} is not YYYY-MM-DDTHH:MM:SS+09:00"));
            None
        }),
        Some(_) => {
            problems.push("time must be a string".into());
            None
        }
        None => {
            problems.push("time is required".into());
            None
        }
    };
    let code = match fields.get("code") {
        None => None,
        Some(Value::String(code)) if PUNCH_CODES.contains(&code.as_str()) => Some(code.clone()),
        Some(Value::String(code)) => {
            problems.push(format!("code {code:?} is not one of {PUNCH_CODES:?}"));
            None
        }
        Some(_) => {
            problems.push("code must be a JSON string such as \"1\"".into());
            None
        }
    };
    let division_code = match fields.get("divisionCode") {
        None => None,
        Some(Value::String(code)) => Some(code.clone()),
        Some(_) => {
            problems.push("divisionCode must be a string".into());
            None
        }
    };
    let latitude = coordinate(&fields, "latitude", 90.0, &mut problems);
    let longitude = coordinate(&fields, "longitude", 180.0, &mut problems);
    if let (Some(date), Some(time)) = (date, time)
        && let Some(problem) = check_time_in_day(date, time)
    {
        problems.push(problem);
    }
    match (date, time) {
        (Some(date), Some(time)) if problems.is_empty() => Ok(PunchInput {
            date,
            time,
            code,
            division_code,
            latitude,
            longitude,
        }),
        _ => Err(problems),
    }
}

fn coordinate(
    fields: &serde_json::Map<String, Value>,
    name: &str,
    bound: f64,
    problems: &mut Vec<String>,
) -> Option<f64> {
    match fields.get(name) {
        None => None,
        Some(Value::Number(number)) => match number.as_f64() {
            Some(value) if value.is_finite() && value.abs() <= bound => Some(value),
            _ => {
                problems.push(format!("{name} must be between -{bound} and {bound}"));
                None
            }
        },
        Some(_) => {
            problems.push(format!("{name} must be a number"));
            None
        }
    }
}

/// The time may be at most the end (23:59:59) of the day after the working day \[seen\]; a time
/// before the working day starts is refused too \[ours\]: no shift starts before its own day.
fn check_time_in_day(date: NaiveDate, time: DateTime<FixedOffset>) -> Option<String> {
    let start = jst()
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .single()?;
    let latest = start + Duration::days(2) - Duration::seconds(1);
    if time > latest {
        return Some(format!(
            "time {} is later than the end of the day after {date}",
            crate::wire::format_time(&time)
        ));
    }
    if time < start {
        return Some(format!(
            "time {} is before the working day {date}",
            crate::wire::format_time(&time)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_exact() {
        assert!(parse_date("2024-05-01").is_some());
        for bad in [
            "2024-5-01",
            "2024/05/01",
            "2024-02-30",
            "20240501",
            " 2024-05-01",
            "２０２４-05-01",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn punch_times_must_be_exact() {
        assert!(parse_punch_time("2016-05-10T10:00:00+09:00").is_some());
        for bad in [
            "2016-05-10T10:00+09:00",
            "2016-05-10T01:00:00Z",
            "2016-05-10T10:00:00+0900",
            "2016-05-10T10:00:00.000+09:00",
            "2016-05-10T24:00:00+09:00",
            "2016-05-10 10:00:00+09:00",
            "2016-05-10T10:00:00+08:00",
        ] {
            assert!(parse_punch_time(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn body_reports_every_problem() {
        let problems =
            parse_punch_body(br#"{"date":"x","time":5,"code":1,"latitude":"a"}"#).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(parse_punch_body(b"[1]").is_err());
        assert!(parse_punch_body(b"\xff\xfe").is_err());
    }

    #[test]
    fn time_window_is_working_day_through_end_of_next_day() {
        let ok = br#"{"date":"2024-05-01","time":"2024-05-02T23:59:59+09:00","code":"2"}"#;
        assert!(parse_punch_body(ok).is_ok());
        let late = br#"{"date":"2024-05-01","time":"2024-05-03T00:00:00+09:00","code":"2"}"#;
        assert!(parse_punch_body(late).is_err());
        let early = br#"{"date":"2024-05-01","time":"2024-04-30T23:59:59+09:00","code":"1"}"#;
        assert!(parse_punch_body(early).is_err());
    }
}
