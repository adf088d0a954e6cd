//! Japan Standard Time helpers shared by the client, the matcher and the syncer.
//!
//! KING OF TIME works in JST (+09:00, no daylight saving). The restricted windows
//! (08:30–10:00 and 17:30–18:30 JST) are official; a window's start is blocked and its end is
//! allowed again, matching the simulator.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Offset, TimeZone, Utc};

const JST_SECONDS: i32 = 9 * 3600;

/// The restricted windows as (start, end) seconds after JST midnight, start inclusive.
const RESTRICTED_WINDOWS: [(u32, u32); 2] = [
    (8 * 3600 + 30 * 60, 10 * 3600),
    (17 * 3600 + 30 * 60, 18 * 3600 + 30 * 60),
];

/// The fixed +09:00 offset.
pub fn jst() -> FixedOffset {
    // 9 hours is always a valid offset; the fallback only exists to avoid a panic path.
    FixedOffset::east_opt(JST_SECONDS).unwrap_or_else(|| Utc.fix())
}

/// `YYYY-MM-DDTHH:MM:SS+09:00`, the only form KING OF TIME documents for punch times: always
/// JST, always with seconds, never `Z` and never fractional seconds.
pub fn format_kot_time<Tz: TimeZone>(instant: &DateTime<Tz>) -> String {
    instant
        .with_timezone(&jst())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// The JST calendar date of an instant.
pub fn jst_date<Tz: TimeZone>(instant: &DateTime<Tz>) -> NaiveDate {
    instant.with_timezone(&jst()).date_naive()
}

/// Whether KING OF TIME refuses reads (employees, divisions, punch listing) at this instant.
pub fn is_restricted(instant: DateTime<Utc>) -> bool {
    restricted_window_end(instant).is_some()
}

/// The first instant at or after `instant` when reads are allowed: `instant` itself outside
/// the windows, otherwise the end of the current window.
pub fn next_unrestricted(instant: DateTime<Utc>) -> DateTime<Utc> {
    restricted_window_end(instant).unwrap_or(instant)
}

fn restricted_window_end(instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = instant.with_timezone(&jst());
    let since_midnight = local
        .time()
        .signed_duration_since(NaiveTime::MIN)
        .num_seconds();
    let since_midnight = u32::try_from(since_midnight).ok()?;
    let (_, end) = RESTRICTED_WINDOWS
        .iter()
        .find(|(start, end)| (*start..*end).contains(&since_midnight))?;
    let midnight = local.date_naive().and_time(NaiveTime::MIN);
    let end_local = midnight + Duration::seconds(i64::from(*end));
    jst()
        .from_local_datetime(&end_local)
        .single()
        .map(|end| end.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hms: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2024-06-03T{hms}+09:00"))
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn restricted_boundaries_morning_and_evening() {
        for (hms, blocked) in [
            ("08:29:59", false),
            ("08:30:00", true),
            ("09:59:59", true),
            ("10:00:00", false),
            ("17:29:59", false),
            ("17:30:00", true),
            ("18:29:59", true),
            ("18:30:00", false),
            ("00:00:00", false),
            ("12:00:00", false),
        ] {
            assert_eq!(is_restricted(at(hms)), blocked, "{hms}");
        }
    }

    #[test]
    fn sub_second_instants_follow_the_same_boundaries() {
        let just_before = at("08:29:59") + Duration::milliseconds(999);
        assert!(!is_restricted(just_before));
        let last_blocked = at("09:59:59") + Duration::milliseconds(999);
        assert!(is_restricted(last_blocked));
        assert_eq!(next_unrestricted(last_blocked), at("10:00:00"));
    }

    #[test]
    fn next_unrestricted_jumps_to_window_end() {
        assert_eq!(next_unrestricted(at("08:30:00")), at("10:00:00"));
        assert_eq!(next_unrestricted(at("17:45:10")), at("18:30:00"));
        assert_eq!(next_unrestricted(at("10:00:00")), at("10:00:00"));
        assert_eq!(next_unrestricted(at("07:00:00")), at("07:00:00"));
    }

    #[test]
    fn kot_time_is_jst_with_seconds() {
        let utc = DateTime::parse_from_rfc3339("2016-05-10T01:00:00.750Z").unwrap();
        assert_eq!(format_kot_time(&utc), "2016-05-10T10:00:00+09:00");
        let late = DateTime::parse_from_rfc3339("2016-05-10T15:30:00Z").unwrap();
        assert_eq!(format_kot_time(&late), "2016-05-11T00:30:00+09:00");
        assert_eq!(
            jst_date(&late),
            NaiveDate::from_ymd_opt(2016, 5, 11).unwrap()
        );
    }
}
