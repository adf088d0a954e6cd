//! The working day (勤務日) a punch is sent for (design.md, "Working day of a punch").
//!
//! A punch that continues a shift whose 出勤 was at most 24 hours earlier belongs to that
//! shift's day, so a 02:00 退勤 after a 22:00 出勤 is sent for the day before; any other punch
//! belongs to its JST calendar date. The user's whole history around the punch counts, also
//! punches already sent or held, so a late 退勤 (さかのぼり退勤) recorded after a sync finds the
//! shift it closes. Divisions' `dayBorderTime` is not applied: the syncer does not read
//! divisions (see the report of issue 6).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::model::PunchType;

/// How long after its 出勤 a shift can still be continued.
pub const MAX_SHIFT: TimeDelta = TimeDelta::hours(24);

/// One punch of a user's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayInput {
    pub punch_type: PunchType,
    pub punched_at: DateTime<Utc>,
    /// The day already used in a POST (sent or in flight): it is kept, whatever the rule says
    /// now, because KING OF TIME has it under that day.
    pub fixed: Option<NaiveDate>,
}

/// The working day of each punch of one user's history, which must be sorted by instant.
pub fn working_days(history: &[DayInput]) -> Vec<NaiveDate> {
    let mut open_shift: Option<(DateTime<Utc>, NaiveDate)> = None;
    history
        .iter()
        .map(|punch| {
            let calendar_day = kot_client::jst_date(&punch.punched_at);
            let continued = open_shift
                .filter(|(start, _)| punch.punched_at - *start <= MAX_SHIFT)
                .map(|(_, day)| day);
            let day = match punch.punch_type {
                PunchType::ClockIn => punch.fixed.unwrap_or(calendar_day),
                _ => punch.fixed.or(continued).unwrap_or(calendar_day),
            };
            match punch.punch_type {
                PunchType::ClockIn => open_shift = Some((punch.punched_at, day)),
                PunchType::ClockOut => open_shift = None,
                _ => {}
            }
            day
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn punch(punch_type: PunchType, time: &str) -> DayInput {
        DayInput {
            punch_type,
            punched_at: at(time),
            fixed: None,
        }
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn night_shift_belongs_to_its_start_day() {
        let history = [
            punch(PunchType::ClockIn, "2024-06-03T22:00:00+09:00"),
            punch(PunchType::BreakStart, "2024-06-04T01:00:00+09:00"),
            punch(PunchType::BreakEnd, "2024-06-04T01:30:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-04T06:00:00+09:00"),
            // The next shift starts on its own day.
            punch(PunchType::ClockIn, "2024-06-04T22:00:00+09:00"),
        ];
        let days = working_days(&history);
        assert_eq!(
            days,
            [
                day("2024-06-03"),
                day("2024-06-03"),
                day("2024-06-03"),
                day("2024-06-03"),
                day("2024-06-04")
            ]
        );
    }

    #[test]
    fn without_an_open_shift_the_calendar_day_counts() {
        let history = [
            punch(PunchType::ClockIn, "2024-06-03T09:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-03T18:00:00+09:00"),
            // After the shift closed, a lone 退勤 past midnight is its own day.
            punch(PunchType::ClockOut, "2024-06-04T00:30:00+09:00"),
        ];
        assert_eq!(
            working_days(&history),
            [day("2024-06-03"), day("2024-06-03"), day("2024-06-04")]
        );
    }

    #[test]
    fn a_shift_older_than_24_hours_is_not_continued() {
        let history = [
            punch(PunchType::ClockIn, "2024-06-03T08:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-04T08:00:01+09:00"),
        ];
        assert_eq!(
            working_days(&history),
            [day("2024-06-03"), day("2024-06-04")]
        );
    }

    #[test]
    fn days_already_posted_are_kept() {
        let mut clock_in = punch(PunchType::ClockIn, "2024-06-03T22:00:00+09:00");
        clock_in.fixed = Some(day("2024-06-03"));
        let mut sent_out = punch(PunchType::ClockOut, "2024-06-04T02:00:00+09:00");
        sent_out.fixed = Some(day("2024-06-04"));
        let late_break = punch(PunchType::BreakStart, "2024-06-04T01:00:00+09:00");
        let days = working_days(&[clock_in, late_break, sent_out]);
        assert_eq!(
            days,
            [day("2024-06-03"), day("2024-06-03"), day("2024-06-04")]
        );
    }

    #[test]
    fn two_clock_ins_on_one_day_share_it() {
        let history = [
            punch(PunchType::ClockIn, "2024-06-03T08:00:00+09:00"),
            punch(PunchType::ClockIn, "2024-06-03T13:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-03T18:00:00+09:00"),
        ];
        assert!(
            working_days(&history)
                .iter()
                .all(|d| *d == day("2024-06-03"))
        );
    }
}
