//! Tests state instants as KING OF TIME and admins see them: Japan wall-clock time.

use chrono::{DateTime, NaiveDate, Utc};

/// The instant of a JST wall-clock time `YYYY-MM-DDTHH:MM:SS`.
///
/// # Panics
/// On text of another shape: a typo in a test's constant.
pub fn jst(local: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{local}+09:00"))
        .unwrap_or_else(|error| panic!("{local:?} is not YYYY-MM-DDTHH:MM:SS: {error}"))
        .to_utc()
}

/// The date `YYYY-MM-DD`.
///
/// # Panics
/// On text of another shape.
pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .unwrap_or_else(|error| panic!("{text:?} is not YYYY-MM-DD: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jst_is_nine_hours_ahead_of_utc() {
        assert_eq!(
            jst("2024-06-03T09:00:00").to_rfc3339(),
            "2024-06-03T00:00:00+00:00"
        );
        assert_eq!(day("2024-06-03").to_string(), "2024-06-03");
    }
}
