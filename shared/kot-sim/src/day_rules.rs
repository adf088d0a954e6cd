//! What the simulator makes of one employee's working day for `GET /daily-workings`.
//!
//! **エラー勤務 (`isError`).** KING OF TIME documents that a duplicated clock-in makes the day an
//! error day \[official\]; the rest of its rule is not public. The simulator walks the day's
//! punches in time order (ties in arrival order) and calls the day an error when \[ours, beyond
//! the documented case\]:
//! - a 出勤 comes while the employee is already clocked in (two 出勤 without a 退勤 between);
//! - a 退勤 comes without a 出勤 before it on that working day, or during a break;
//! - a 休憩開始 comes outside work or during a break; a 休憩終了 without a 休憩開始 before it;
//! - the day ends inside a break (休憩開始 without 休憩終了).
//!
//! A 出勤 without a 退勤 yet is **not** an error here \[ours\]: the shift may still be running,
//! and telling 打刻漏れ is the day check's job. 外出 / 外出戻り and records without a code are
//! not checked \[ours\].
//!
//! **在職外勤務.** A day with punches before the employee's `hiredDate` or after the
//! `resignationDate` is an error day too (kot-api.md: "very probably" \[ours, inferred\]); see
//! [`outside_employment`].
//!
//! **Totals.** `totalWork` is the clocked-in time minus the breaks, `breakTime` the breaks, in
//! whole minutes, over complete shifts; an error day has no totals (0) \[ours\]. The simulator
//! keeps no schedules (スケジュール), so all work counts as 所定外 (`unassigned`) and the
//! schedule-relative totals (assigned, overtime, late, early leave, late night) are 0 \[ours\].

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Weekday};

use crate::model::StoredPunch;
use crate::state::EmployeeRec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct DayEvaluation {
    pub is_error: bool,
    pub total_work: i64,
    pub break_time: i64,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Off,
    Working {
        since: DateTime<FixedOffset>,
        breaks: i64,
    },
    OnBreak {
        since: DateTime<FixedOffset>,
        breaks: i64,
        break_since: DateTime<FixedOffset>,
    },
}

/// Evaluates the punches of one employee's working day, given in any order.
pub(crate) fn evaluate(punches: &[&StoredPunch]) -> DayEvaluation {
    let mut ordered: Vec<&StoredPunch> = punches.to_vec();
    ordered.sort_by_key(|punch| (punch.time, punch.id));
    let mut phase = Phase::Off;
    let (mut work_seconds, mut break_seconds) = (0_i64, 0_i64);
    for punch in ordered {
        let at = punch.time;
        phase = match (phase, punch.code.as_deref().unwrap_or_default()) {
            (Phase::Off, "1") => Phase::Working {
                since: at,
                breaks: 0,
            },
            (Phase::Working { since, breaks }, "2") => {
                work_seconds += (at - since).num_seconds() - breaks;
                break_seconds += breaks;
                Phase::Off
            }
            (Phase::Working { since, breaks }, "3") => Phase::OnBreak {
                since,
                breaks,
                break_since: at,
            },
            (
                Phase::OnBreak {
                    since,
                    breaks,
                    break_since,
                },
                "4",
            ) => Phase::Working {
                since,
                breaks: breaks + (at - break_since).num_seconds(),
            },
            // Outings and records without a code do not change the shift \[ours\].
            (phase, "7" | "8" | "") => phase,
            _ => return error_day(),
        };
    }
    if matches!(phase, Phase::OnBreak { .. }) {
        return error_day();
    }
    DayEvaluation {
        is_error: false,
        total_work: work_seconds / 60,
        break_time: break_seconds / 60,
    }
}

/// Whether `date` lies outside the employee's employment: before the hired date, or after the
/// resignation date (the resignation day itself is still worked).
pub(crate) fn outside_employment(employee: &EmployeeRec, date: NaiveDate) -> bool {
    employee.hired_on.is_some_and(|hired| date < hired) || employee.resigned_as_of(date)
}

fn error_day() -> DayEvaluation {
    DayEvaluation {
        is_error: true,
        ..DayEvaluation::default()
    }
}

/// 勤務日種別名 without a calendar of holidays \[ours\]: Sunday is the statutory day off,
/// Saturday the non-statutory one, every other day a weekday.
pub(crate) fn workday_type_name(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Sun => "法定休日",
        Weekday::Sat => "法定外休日",
        _ => "平日",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PunchSource;

    fn day(codes: &[(&str, &str)]) -> DayEvaluation {
        let punches: Vec<StoredPunch> = codes
            .iter()
            .enumerate()
            .map(|(index, (hms, code))| StoredPunch {
                id: index as u64,
                source: PunchSource::Api,
                employee_key: "k".into(),
                date: "2024-06-03".parse().unwrap(),
                time: DateTime::parse_from_rfc3339(&format!("2024-06-03T{hms}+09:00")).unwrap(),
                code: (!code.is_empty()).then(|| (*code).into()),
                division_code: "100".into(),
                latitude: None,
                longitude: None,
                received_at: chrono::Utc::now(),
            })
            .collect();
        evaluate(&punches.iter().collect::<Vec<_>>())
    }

    #[test]
    fn a_complete_day_has_its_totals() {
        let evaluation = day(&[
            ("18:00:30", "2"),
            ("09:00:00", "1"),
            ("12:00:00", "3"),
            ("12:45:00", "4"),
        ]);
        assert_eq!(
            evaluation,
            DayEvaluation {
                is_error: false,
                total_work: 9 * 60 - 45,
                break_time: 45
            },
            "given out of order"
        );
        assert_eq!(day(&[]), DayEvaluation::default());
    }

    #[test]
    fn documented_and_our_error_cases() {
        for (case, codes) in [
            ("two 出勤", vec![("09:00:00", "1"), ("09:05:00", "1")]),
            ("退勤 without 出勤", vec![("18:00:00", "2")]),
            (
                "退勤 first",
                vec![("08:00:00", "2"), ("09:00:00", "1"), ("18:00:00", "2")],
            ),
            (
                "break never ended",
                vec![("09:00:00", "1"), ("12:00:00", "3")],
            ),
            (
                "break end without start",
                vec![("09:00:00", "1"), ("13:00:00", "4"), ("18:00:00", "2")],
            ),
            (
                "退勤 during a break",
                vec![("09:00:00", "1"), ("12:00:00", "3"), ("18:00:00", "2")],
            ),
            (
                "break outside work",
                vec![("12:00:00", "3"), ("13:00:00", "4")],
            ),
        ] {
            let evaluation = day(&codes);
            assert!(evaluation.is_error, "{case}");
            assert_eq!(evaluation.total_work, 0, "{case}");
        }
    }

    #[test]
    fn an_open_shift_and_outings_are_not_errors() {
        assert!(!day(&[("09:00:00", "1")]).is_error);
        let evaluation = day(&[
            ("09:00:00", "1"),
            ("10:00:00", "7"),
            ("11:00:00", "8"),
            ("12:00:00", ""),
            ("17:00:00", "2"),
            ("18:00:00", "1"),
            ("20:00:00", "2"),
        ]);
        assert_eq!(
            (evaluation.is_error, evaluation.total_work),
            (false, 10 * 60)
        );
    }

    #[test]
    fn day_types() {
        let date = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(workday_type_name(date("2024-06-03")), "平日");
        assert_eq!(workday_type_name(date("2024-06-08")), "法定外休日");
        assert_eq!(workday_type_name(date("2024-06-09")), "法定休日");
    }
}
