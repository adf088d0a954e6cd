//! The working day (勤務日) a punch is sent for: the rule KING OF TIME's own time recorders
//! apply (support article 打刻データと勤務日の紐づけルール), since for API punches KING OF TIME
//! files each punch under the `date` we send and applies no rule of its own.
//!
//! - 出勤 belongs to the working day that the division's 日付変更時間 (`dayBorderTime`) starts:
//!   with a 05:00 border, a 04:30 出勤 is the day before's.
//! - 退勤, 休憩開始 and 休憩終了 belong to the working day of the employee's latest 出勤 within
//!   the previous 48 hours — ours, or one KING OF TIME holds (a time recorder's) when the day
//!   check has read it back — and without one, to the day the border gives.
//! - Never a day KING OF TIME refuses: the API takes a `time` only up to the end (23:59:59) of
//!   the day after `date` (kot-api.md), so where the 48-hour rule would name a day that the
//!   punch is past the end of the following day of (出勤 Friday 22:00, 退勤 Sunday 08:00), the
//!   border rule decides instead; the day check then shows what KING OF TIME made of it.
//! - A punch already used in a POST (sent or in flight) keeps its day: KING OF TIME has it there.
//!
//! The user's whole history around the punch counts, also punches already sent or held, so a
//! late 退勤 (さかのぼり退勤) recorded after a sync finds the 出勤 it closes.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, Utc};

use crate::model::PunchType;

/// How far back a 退勤 or a break looks for its 出勤 (the article's 48 hours).
pub const LOOKBACK: TimeDelta = TimeDelta::hours(48);

/// One punch of a user's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayInput {
    pub punch_type: PunchType,
    pub punched_at: DateTime<Utc>,
    /// The day already used in a POST (sent or in flight), or the day KING OF TIME holds a
    /// punch of its own under: it is kept, whatever the rule says now.
    pub fixed: Option<NaiveDate>,
}

/// The working day the division's 日付変更時間 gives an instant: the JST date of the instant
/// moved back by the border.
pub fn border_day(instant: DateTime<Utc>, border: NaiveTime) -> NaiveDate {
    let since_midnight = border - NaiveTime::MIN;
    kot_client::jst_date(&(instant - since_midnight))
}

/// Whether KING OF TIME takes a punch at `instant` for the working day `day`: from the start of
/// `day` to the end of the day after it, JST (kot-api.md; the simulator enforces the same).
pub fn accepts(day: NaiveDate, instant: DateTime<Utc>) -> bool {
    let date = kot_client::jst_date(&instant);
    day <= date
        && day
            .checked_add_days(Days::new(1))
            .is_some_and(|next| date <= next)
}

/// The working day of each punch of one user's history, which must be sorted by instant.
/// `border` is the 日付変更時間 of the user's division.
pub fn working_days(history: &[DayInput], border: NaiveTime) -> Vec<NaiveDate> {
    let mut latest_clock_in: Option<(DateTime<Utc>, NaiveDate)> = None;
    history
        .iter()
        .map(|punch| {
            let by_border = border_day(punch.punched_at, border);
            let day = match punch.punch_type {
                PunchType::ClockIn => punch.fixed.unwrap_or(by_border),
                _ => punch
                    .fixed
                    .or(latest_clock_in
                        .filter(|(at, day)| {
                            punch.punched_at - *at <= LOOKBACK && accepts(*day, punch.punched_at)
                        })
                        .map(|(_, day)| day))
                    .unwrap_or(by_border),
            };
            if punch.punch_type == PunchType::ClockIn {
                latest_clock_in = Some((punch.punched_at, day));
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

    fn days(texts: &[&str]) -> Vec<NaiveDate> {
        texts.iter().map(|t| day(t)).collect()
    }

    const MIDNIGHT: NaiveTime = NaiveTime::MIN;

    fn five() -> NaiveTime {
        NaiveTime::from_hms_opt(5, 0, 0).unwrap()
    }

    #[test]
    fn a_clock_in_before_a_05_00_border_belongs_to_the_day_before() {
        let history = [
            punch(PunchType::ClockIn, "2024-06-04T04:59:59+09:00"),
            punch(PunchType::ClockIn, "2024-06-04T05:00:00+09:00"),
        ];
        assert_eq!(
            working_days(&history, five()),
            days(&["2024-06-03", "2024-06-04"])
        );
        // With the default border both are the calendar day.
        assert_eq!(
            working_days(&history, MIDNIGHT),
            days(&["2024-06-04", "2024-06-04"])
        );
    }

    #[test]
    fn a_night_shift_22_00_to_03_30_belongs_to_its_start_day() {
        let history = [
            punch(PunchType::ClockIn, "2024-06-03T22:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-04T03:30:00+09:00"),
            // The next shift starts on its own day.
            punch(PunchType::ClockIn, "2024-06-04T22:00:00+09:00"),
        ];
        for border in [MIDNIGHT, five()] {
            assert_eq!(
                working_days(&history, border),
                days(&["2024-06-03", "2024-06-03", "2024-06-04"]),
                "border {border}"
            );
        }
    }

    #[test]
    fn a_break_across_midnight_stays_with_the_shift() {
        let history = [
            punch(PunchType::ClockIn, "2024-06-03T18:00:00+09:00"),
            punch(PunchType::BreakStart, "2024-06-03T23:45:00+09:00"),
            punch(PunchType::BreakEnd, "2024-06-04T00:30:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-04T06:00:00+09:00"),
        ];
        assert_eq!(working_days(&history, MIDNIGHT), days(&["2024-06-03"; 4]));
    }

    #[test]
    fn a_clock_out_49_hours_after_the_clock_in_goes_by_the_border() {
        let history = [
            punch(PunchType::ClockIn, "2024-06-03T08:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-05T09:00:00+09:00"),
        ];
        assert_eq!(
            working_days(&history, MIDNIGHT),
            days(&["2024-06-03", "2024-06-05"])
        );
        // 04:30 is before a 05:00 border: the day before.
        let early = [
            punch(PunchType::ClockIn, "2024-06-03T03:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-05T04:30:00+09:00"),
        ];
        assert_eq!(
            working_days(&early, five()),
            days(&["2024-06-02", "2024-06-04"])
        );
        // Within 48 hours, the API's bound is what ends the shift's day: the last second of
        // the day after still counts, the next one goes by the border.
        let edge = [
            punch(PunchType::ClockIn, "2024-06-03T00:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-04T23:59:59+09:00"),
            punch(PunchType::ClockOut, "2024-06-05T00:00:00+09:00"),
        ];
        assert_eq!(
            working_days(&edge, MIDNIGHT),
            days(&["2024-06-03", "2024-06-03", "2024-06-05"])
        );
    }

    #[test]
    fn a_clock_out_past_the_day_after_goes_by_the_border() {
        // 出勤 Friday 22:00, the next punch 退勤 Sunday 08:00: 34 hours, within the 48, but
        // KING OF TIME takes no Sunday time for Friday's working day.
        let history = [
            punch(PunchType::ClockIn, "2024-06-07T22:00:00+09:00"),
            punch(PunchType::BreakStart, "2024-06-08T23:59:59+09:00"),
            punch(PunchType::ClockOut, "2024-06-09T08:00:00+09:00"),
        ];
        assert_eq!(
            working_days(&history, MIDNIGHT),
            days(&["2024-06-07", "2024-06-07", "2024-06-09"])
        );
        // A 05:00 border files a 04:30 clock-in under the day before: the bound counts from that day.
        let shifted = [
            punch(PunchType::ClockIn, "2024-06-04T04:30:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-05T10:00:00+09:00"),
        ];
        assert_eq!(
            working_days(&shifted, five()),
            days(&["2024-06-03", "2024-06-05"])
        );
    }

    #[test]
    fn accepts_is_the_api_bound() {
        let day = day("2024-06-07");
        assert!(accepts(day, at("2024-06-07T00:00:00+09:00")));
        assert!(accepts(day, at("2024-06-08T23:59:59+09:00")));
        assert!(!accepts(day, at("2024-06-09T00:00:00+09:00")));
        assert!(!accepts(day, at("2024-06-06T23:59:59+09:00")));
    }

    #[test]
    fn a_late_clock_out_finds_the_clock_in_it_closes() {
        // The 出勤 was sent yesterday (its day fixed); the forgotten 退勤 is recorded after the
        // sync (さかのぼり退勤) for 02:00, after midnight.
        let mut clock_in = punch(PunchType::ClockIn, "2024-06-03T20:00:00+09:00");
        clock_in.fixed = Some(day("2024-06-03"));
        let late_out = punch(PunchType::ClockOut, "2024-06-04T02:00:00+09:00");
        assert_eq!(
            working_days(&[clock_in, late_out], MIDNIGHT),
            days(&["2024-06-03", "2024-06-03"])
        );
    }

    #[test]
    fn the_latest_clock_in_counts_even_after_a_clock_out() {
        // The article's rule has no notion of a closed shift: a second 退勤 still belongs to
        // the latest 出勤 within 48 hours.
        let history = [
            punch(PunchType::ClockIn, "2024-06-03T09:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-03T18:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-04T00:30:00+09:00"),
        ];
        assert_eq!(working_days(&history, MIDNIGHT), days(&["2024-06-03"; 3]));
    }

    #[test]
    fn a_clock_in_king_of_time_holds_counts_as_the_latest() {
        // A time recorder's 出勤 KING OF TIME filed under 06-03 (read back by the day check).
        let recorder = DayInput {
            punch_type: PunchType::ClockIn,
            punched_at: at("2024-06-04T04:00:00+09:00"),
            fixed: Some(day("2024-06-03")),
        };
        let ours = punch(PunchType::ClockOut, "2024-06-04T09:00:00+09:00");
        assert_eq!(
            working_days(&[recorder, ours], MIDNIGHT),
            days(&["2024-06-03", "2024-06-03"])
        );
    }

    #[test]
    fn days_already_posted_are_kept() {
        let mut clock_in = punch(PunchType::ClockIn, "2024-06-03T22:00:00+09:00");
        clock_in.fixed = Some(day("2024-06-03"));
        let mut sent_out = punch(PunchType::ClockOut, "2024-06-04T02:00:00+09:00");
        sent_out.fixed = Some(day("2024-06-04"));
        let late_break = punch(PunchType::BreakStart, "2024-06-04T01:00:00+09:00");
        assert_eq!(
            working_days(&[clock_in, late_break, sent_out], five()),
            days(&["2024-06-03", "2024-06-03", "2024-06-04"])
        );
    }

    #[test]
    fn two_clock_ins_on_one_day_share_it() {
        let history = [
            punch(PunchType::ClockIn, "2024-06-03T08:00:00+09:00"),
            punch(PunchType::ClockIn, "2024-06-03T13:00:00+09:00"),
            punch(PunchType::ClockOut, "2024-06-03T18:00:00+09:00"),
        ];
        assert_eq!(working_days(&history, MIDNIGHT), days(&["2024-06-03"; 3]));
    }

    #[test]
    fn without_any_clock_in_the_border_decides() {
        let history = [punch(PunchType::ClockOut, "2024-06-04T04:00:00+09:00")];
        assert_eq!(working_days(&history, five()), days(&["2024-06-03"]));
        assert_eq!(working_days(&history, MIDNIGHT), days(&["2024-06-04"]));
    }
}
