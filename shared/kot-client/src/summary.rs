//! Bodies of `GET /daily-workings` (日別勤務データ): what KING OF TIME made of each employee's
//! day. kot-api.md names `isError` (エラー勤務状況), `isClosing` (締め状況), `workdayTypeName` and
//! "the day's totals in minutes" \[docs\]; the totals' names follow the third-party transcription
//! of the official reference. Everything but the date, the key and the two flags is optional,
//! since KING OF TIME omits null properties and the transcription may be incomplete.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::types::TimeRecord;

/// Each employee's punches per working day, as [`crate::KotClient::read_days`] gathers them:
/// (employee key, working day) → records, in no particular order. An employee-day without
/// punches may be absent or map to an empty list.
pub type EmployeeDayRecords = BTreeMap<(String, NaiveDate), Vec<TimeRecord>>;

/// One day of `GET /daily-workings`: the same outer shape as the punch listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyWorkingsOfDay {
    pub date: NaiveDate,
    #[serde(default)]
    pub daily_workings: Vec<DailyWorkingSummary>,
}

/// One employee's working day as KING OF TIME evaluated it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyWorkingSummary {
    pub date: NaiveDate,
    pub employee_key: String,
    /// エラー勤務: KING OF TIME found the day's punches inconsistent (e.g. two 出勤); an
    /// administrator must fix it. Required: without it the answer is not understood.
    pub is_error: bool,
    /// 締め: the day is closed for payroll.
    pub is_closing: bool,
    /// ヘルプ勤務 (worked at another division).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_help: Option<bool>,
    /// 勤務日種別名, e.g. 平日, 法定休日.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workday_type_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_place_division_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_place_division_name: Option<String>,
    #[serde(flatten)]
    pub totals: DayTotals,
    /// Not documented in detail: kept raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holidays_obtained: Option<serde_json::Value>,
    /// Only with `additionalFields=currentDateEmployee`; kept raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_date_employee: Option<serde_json::Value>,
}

/// The day's totals, in minutes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayTotals {
    /// 所定時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<i64>,
    /// 所定外時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unassigned: Option<i64>,
    /// 残業時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overtime: Option<i64>,
    /// 深夜時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_night: Option<i64>,
    /// 深夜所定外時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_night_unassigned: Option<i64>,
    /// 深夜残業時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_night_overtime: Option<i64>,
    /// 休憩時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_time: Option<i64>,
    /// 遅刻時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<i64>,
    /// 早退時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_leave: Option<i64>,
    /// 労働合計時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_work: Option<i64>,
    /// 休暇みなし時間
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discretionary_vacation: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcribed_example_parses_and_unknown_fields_are_ignored() {
        let body = r#"[{"date":"2024-06-03","dailyWorkings":[{
            "date":"2024-06-03","employeeKey":"k1","workPlaceDivisionCode":"100",
            "isClosing":false,"isHelp":false,"isError":true,"workdayTypeName":"平日",
            "assigned":480,"unassigned":0,"overtime":30,"lateNight":0,"lateNightUnassigned":0,
            "lateNightOvertime":0,"breakTime":60,"late":0,"earlyLeave":0,"totalWork":510,
            "holidaysObtained":{"fulltimeHoliday":{"code":1,"name":"有休"}},
            "autoBreakOff":null,"discretionaryVacation":0,"customDailyWorkings":[],
            "someFutureField":1}]}]"#;
        let days: Vec<DailyWorkingsOfDay> = serde_json::from_str(body).unwrap();
        let summary = &days[0].daily_workings[0];
        assert!(summary.is_error && !summary.is_closing);
        assert_eq!(summary.workday_type_name.as_deref(), Some("平日"));
        assert_eq!(summary.totals.total_work, Some(510));
        assert_eq!(summary.totals.break_time, Some(60));
        assert_eq!(summary.work_place_division_name, None);
    }

    #[test]
    fn the_flags_are_required_the_totals_are_not() {
        let minimal = r#"{"date":"2024-06-03","employeeKey":"k","isError":false,"isClosing":true}"#;
        let summary: DailyWorkingSummary = serde_json::from_str(minimal).unwrap();
        assert!(summary.is_closing);
        assert_eq!(summary.totals, DayTotals::default());
        let without_flag = r#"{"date":"2024-06-03","employeeKey":"k","isClosing":true}"#;
        assert!(serde_json::from_str::<DailyWorkingSummary>(without_flag).is_err());
    }
}
