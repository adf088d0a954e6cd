//! Response bodies, with the field names and types of kot-api.md. Null properties are omitted,
//! as KING OF TIME does.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::model::{PunchSource, StoredPunch};
use crate::state::{DivisionRec, EmployeeRec, State};

/// Punch names KING OF TIME reports in read-backs; a record without a code has no name
/// \[ours: undocumented\].
pub(crate) fn punch_name(code: Option<&str>) -> Option<&'static str> {
    let name = match code? {
        "1" => "出勤",
        "2" => "退勤",
        "3" => "休憩開始",
        "4" => "休憩終了",
        "7" => "外出",
        "8" => "外出戻り",
        _ => "不明",
    };
    Some(name)
}

/// What read-backs report as the punch's origin \[ours\]: undocumented values.
fn credential(source: PunchSource) -> (i64, &'static str) {
    match source {
        PunchSource::Api => (900, "Web API"),
        PunchSource::TimeRecorder => (300, "タイムレコーダー"),
        PunchSource::AdminEdit => (100, "管理画面"),
    }
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EmployeeOut {
    pub key: String,
    pub code: String,
    pub last_name: String,
    pub first_name: String,
    pub division_code: String,
    pub division_name: String,
    pub type_code: String,
    pub type_name: String,
    pub employee_groups: Vec<GroupOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hired_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resignation_date: Option<NaiveDate>,
}

/// Which `additionalFields` of the employee calls were asked for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EmployeeFields {
    pub hired_date: bool,
    pub resignation_date: bool,
}

#[derive(Clone, Serialize)]
pub(crate) struct GroupOut {
    pub code: String,
    pub name: String,
}

impl EmployeeOut {
    pub fn new(state: &State, employee: &EmployeeRec, fields: EmployeeFields) -> Self {
        Self {
            key: employee.key.clone(),
            code: employee.code.clone(),
            last_name: employee.last_name.clone(),
            first_name: employee.first_name.clone(),
            division_code: employee.division_code.clone(),
            division_name: division_name(state, &employee.company, &employee.division_code),
            type_code: "1".into(),
            type_name: "正社員".into(),
            employee_groups: Vec::new(),
            hired_date: employee.hired_on.filter(|_| fields.hired_date),
            resignation_date: employee.resigned_on.filter(|_| fields.resignation_date),
        }
    }
}

pub(crate) fn division_name(state: &State, company: &str, code: &str) -> String {
    state
        .division(company, code)
        .map(|d| d.name.clone())
        .unwrap_or_default()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DivisionOut {
    pub code: String,
    pub name: String,
    pub day_border_time: String,
}

impl DivisionOut {
    pub fn new(code: &str, division: &DivisionRec) -> Self {
        Self {
            code: code.to_owned(),
            name: division.name.clone(),
            day_border_time: division.day_border_time.format("%H:%M").to_string(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TimeRecordOut {
    pub time: String,
    /// Omitted for a record without a code, as KING OF TIME omits null properties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub division_code: String,
    pub division_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_name: Option<String>,
}

impl TimeRecordOut {
    /// The POST answer has no credential fields \[docs\]; read-backs do.
    pub fn new(state: &State, company: &str, punch: &StoredPunch, with_credential: bool) -> Self {
        let (credential_code, credential_name) = credential(punch.source);
        Self {
            time: format_time(&punch.time),
            code: punch.code.clone(),
            name: punch_name(punch.code.as_deref()).map(str::to_owned),
            division_code: punch.division_code.clone(),
            division_name: division_name(state, company, &punch.division_code),
            latitude: punch.latitude,
            longitude: punch.longitude,
            credential_code: with_credential.then_some(credential_code),
            credential_name: with_credential.then(|| credential_name.to_owned()),
        }
    }
}

pub(crate) fn format_time(time: &DateTime<FixedOffset>) -> String {
    time.with_timezone(&crate::clock::jst())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PunchAnswer {
    pub date: NaiveDate,
    pub employee_key: String,
    pub time_record: TimeRecordOut,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DailyWorkingOut {
    pub date: NaiveDate,
    pub employee_key: String,
    pub current_date_employee: EmployeeOut,
    pub time_record: Vec<TimeRecordOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DayOut {
    pub date: NaiveDate,
    pub daily_workings: Vec<DailyWorkingOut>,
}

impl DayOut {
    /// One working day for the given employees. Records come newest-stored first: KING OF
    /// TIME does not promise any order, and clients must not assume one.
    /// One pass over the store per day, not one per employee (the day check bench lists 50
    /// employees a call in a company of 20,000 with a month of punches).
    pub fn new(state: &State, company: &str, date: NaiveDate, employees: &[&EmployeeRec]) -> Self {
        let mut of_employee: std::collections::HashMap<&str, Vec<&StoredPunch>> = employees
            .iter()
            .map(|employee| (employee.key.as_str(), Vec::new()))
            .collect();
        for punch in state
            .punches
            .iter()
            .rev()
            .filter(|punch| punch.date == date)
        {
            if let Some(punches) = of_employee.get_mut(punch.employee_key.as_str()) {
                punches.push(punch);
            }
        }
        let daily_workings = employees
            .iter()
            .map(|employee| DailyWorkingOut {
                date,
                employee_key: employee.key.clone(),
                current_date_employee: EmployeeOut::new(state, employee, EmployeeFields::default()),
                time_record: of_employee
                    .get(employee.key.as_str())
                    .into_iter()
                    .flatten()
                    .map(|punch| TimeRecordOut::new(state, company, punch, true))
                    .collect(),
            })
            .collect();
        Self {
            date,
            daily_workings,
        }
    }
}

#[derive(Serialize)]
pub(crate) struct AvailableOut {
    pub available: bool,
}

#[derive(Serialize)]
pub(crate) struct TokenOut {
    pub token: String,
}
