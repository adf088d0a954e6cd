//! When a read of KING OF TIME's days can be trusted. Operators of a production integration
//! report `daily-workings` answering 0 records, not only 403, near the restricted windows, and
//! clients disagree on where the windows' edges fall (kot-api.md, "Reads at the edges"). So the
//! syncer reads neither inside a window nor within a margin before and after it: an empty day
//! read there could make a stored punch look missing and get it posted twice.

use chrono::{DateTime, TimeDelta, Utc};
use kot_client::{is_restricted, next_unrestricted};

/// `None` when a read at `now` is clear of both windows by `margin`; otherwise the first instant
/// that is (the window's end plus the margin).
pub(crate) fn read_blocked_until(now: DateTime<Utc>, margin: TimeDelta) -> Option<DateTime<Utc>> {
    // Inside a window, or one starts within the margin: wait for its end.
    let ahead = now + margin;
    if is_restricted(now) || is_restricted(ahead) {
        let probe = if is_restricted(now) { now } else { ahead };
        return Some(next_unrestricted(probe) + margin);
    }
    // A window ended less than the margin ago.
    let behind = now - margin;
    is_restricted(behind).then(|| next_unrestricted(behind) + margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hms: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2024-06-03T{hms}+09:00"))
            .unwrap()
            .to_utc()
    }

    #[test]
    fn reads_keep_the_margin_on_both_sides_of_both_windows() {
        let margin = TimeDelta::minutes(2);
        for (now, blocked_until) in [
            ("08:27:59", None),
            ("08:28:00", Some("10:02:00")),
            ("08:29:00", Some("10:02:00")),
            ("09:00:00", Some("10:02:00")),
            ("10:00:00", Some("10:02:00")),
            ("10:01:59", Some("10:02:00")),
            ("10:02:00", None),
            ("17:28:30", Some("18:32:00")),
            ("18:31:00", Some("18:32:00")),
            ("18:32:00", None),
            ("12:00:00", None),
        ] {
            assert_eq!(
                read_blocked_until(at(now), margin),
                blocked_until.map(at),
                "{now}"
            );
        }
        assert_eq!(read_blocked_until(at("08:29:59"), TimeDelta::zero()), None);
        assert_eq!(
            read_blocked_until(at("08:30:00"), TimeDelta::zero()),
            Some(at("10:00:00"))
        );
    }
}
