//! The simulator's injectable clock and its view of JST.
//!
//! Restricted hours and rate-limit windows are computed from this clock, so tests can stand at
//! 08:29:59 JST or freeze time. This module deliberately does not reuse `kot-client`'s time
//! helpers: the contract tests then compare two independent readings of kot-api.md.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeDelta, Timelike, Utc};

/// Where "now" comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The machine's clock (the laptop demo).
    Real,
    /// Frozen at one instant: deterministic tests; rate-limit windows never drain.
    Fixed(DateTime<Utc>),
    /// The machine's clock shifted by a constant: time flows, from a chosen starting point.
    Offset(TimeDelta),
}

impl Clock {
    /// A flowing clock that reads `start` now.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self::Offset(start.signed_duration_since(Utc::now()))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::Real => Utc::now(),
            Self::Fixed(at) => *at,
            Self::Offset(delta) => Utc::now()
                .checked_add_signed(*delta)
                .unwrap_or_else(Utc::now),
        }
    }
}

pub(crate) fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| Utc.fix())
}

pub(crate) fn jst_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&jst()).date_naive()
}

/// The message KING OF TIME sends with 403 / 104 \[official\].
pub const RESTRICTED_MESSAGE: &str =
    "次の時間帯(JST)はAPIへのアクセスが禁止されています [08:30 ~ 10:00, 17:30 ~ 18:30]";

/// 08:30:00 ≤ t < 10:00:00 or 17:30:00 ≤ t < 18:30:00 JST \[official\].
pub(crate) fn in_restricted_hours(now: DateTime<Utc>) -> bool {
    let local = now.with_timezone(&jst());
    let minute_of_day = local.hour() * 60 + local.minute();
    (8 * 60 + 30..10 * 60).contains(&minute_of_day)
        || (17 * 60 + 30..18 * 60 + 30).contains(&minute_of_day)
}

/// Outside the restricted hours but within `margin` before a window starts or after one ends.
pub(crate) fn near_window_edge(now: DateTime<Utc>, margin: std::time::Duration) -> bool {
    let margin = TimeDelta::from_std(margin).unwrap_or(TimeDelta::MAX);
    let probe = |delta: TimeDelta| {
        now.checked_add_signed(delta)
            .is_some_and(in_restricted_hours)
    };
    !in_restricted_hours(now) && (probe(margin) || probe(-margin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_the_margins_outside_both_windows() {
        let at = |hms: &str| {
            DateTime::parse_from_rfc3339(&format!("2024-01-05T{hms}+09:00"))
                .unwrap()
                .to_utc()
        };
        let margin = std::time::Duration::from_secs(120);
        for (hms, near) in [
            ("08:27:59", false),
            ("08:28:00", true),
            ("08:29:59", true),
            ("08:30:00", false),
            ("10:00:00", true),
            ("10:01:59", true),
            ("10:02:00", false),
            ("17:28:30", true),
            ("18:31:00", true),
            ("12:00:00", false),
        ] {
            assert_eq!(near_window_edge(at(hms), margin), near, "{hms}");
        }
    }

    #[test]
    fn windows_are_start_inclusive_end_exclusive() {
        let at = |hms: &str| {
            DateTime::parse_from_rfc3339(&format!("2024-01-05T{hms}+09:00"))
                .unwrap()
                .to_utc()
        };
        assert!(!in_restricted_hours(at("08:29:59")));
        assert!(in_restricted_hours(at("08:30:00")));
        assert!(in_restricted_hours(at("09:59:59")));
        assert!(!in_restricted_hours(at("10:00:00")));
        assert!(!in_restricted_hours(at("17:29:59")));
        assert!(in_restricted_hours(at("17:30:00")));
        assert!(in_restricted_hours(at("18:29:59")));
        assert!(!in_restricted_hours(at("18:30:00")));
    }

    #[test]
    fn offset_clock_flows_from_its_start() {
        let start = DateTime::parse_from_rfc3339("2030-01-01T03:00:00Z")
            .unwrap()
            .to_utc();
        let clock = Clock::starting_at(start);
        let read = clock.now();
        assert!(read >= start && read - start < TimeDelta::seconds(5));
    }
}
