//! Request and response bodies of the KING OF TIME API (kot-api.md).
//!
//! Responses are parsed tolerantly: unknown fields are ignored and, since KING OF TIME omits
//! properties whose value is null, everything not essential is optional or defaulted. Codes
//! (employee, division, punch) are strings and are never parsed as numbers: leading zeros
//! matter.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::format_kot_time;

/// One employee of `GET /employees` and `GET /employees/{code}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Employee {
    /// 64 hex characters; never changes, even when the code does. Punches need it.
    pub key: String,
    /// Admin-editable string; keep leading zeros.
    pub code: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub division_code: String,
    #[serde(default)]
    pub division_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub employee_groups: Vec<EmployeeGroup>,
    /// Present only when requested with `additionalFields=resignationDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resignation_date: Option<NaiveDate>,
    /// Present only when requested with `additionalFields=hiredDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hired_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name_phonetics: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name_phonetics: Option<String>,
}

impl Employee {
    /// Resigned as of `date`: the resignation day itself is still a working day.
    pub fn is_resigned_on(&self, date: NaiveDate) -> bool {
        self.resignation_date
            .is_some_and(|resigned| resigned < date)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeGroup {
    pub code: String,
    #[serde(default)]
    pub name: String,
}

/// Query of `GET /employees`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmployeeQuery {
    /// As-of date (≤ 3 years back, ≤ 1 year ahead); KING OF TIME's today when absent.
    pub date: Option<NaiveDate>,
    pub division: Option<String>,
    /// Also list employees who have resigned. The client then asks for `resignationDate`
    /// too, so that they can be recognised.
    pub include_resigned: bool,
    /// Extra `additionalFields` names beyond the ones the client adds itself.
    pub additional_fields: Vec<String>,
}

/// One division of `GET /divisions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Division {
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// When a new working day starts (日付変更時間); 00:00 when absent \[docs\].
    #[serde(default = "midnight", with = "hh_mm")]
    pub day_border_time: NaiveTime,
}

fn midnight() -> NaiveTime {
    NaiveTime::MIN
}

/// Punch types we send. Serialized as JSON strings ("1"), as KING OF TIME requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PunchCode {
    ClockIn,
    ClockOut,
    BreakStart,
    BreakEnd,
    GoOut,
    GoOutReturn,
}

impl PunchCode {
    pub const ALL: [Self; 6] = [
        Self::ClockIn,
        Self::ClockOut,
        Self::BreakStart,
        Self::BreakEnd,
        Self::GoOut,
        Self::GoOutReturn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClockIn => "1",
            Self::ClockOut => "2",
            Self::BreakStart => "3",
            Self::BreakEnd => "4",
            Self::GoOut => "7",
            Self::GoOutReturn => "8",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code.trim())
    }

    /// KING OF TIME's name of the punch type, as shown in read-backs.
    pub fn japanese_name(self) -> &'static str {
        match self {
            Self::ClockIn => "出勤",
            Self::ClockOut => "退勤",
            Self::BreakStart => "休憩開始",
            Self::BreakEnd => "休憩終了",
            Self::GoOut => "外出",
            Self::GoOutReturn => "外出戻り",
        }
    }
}

impl Serialize for PunchCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PunchCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = string_or_number(deserializer)?;
        Self::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown punch code {code:?}")))
    }
}

/// Body of `POST /daily-workings/timerecord/{employeeKey}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeRecordRequest {
    /// The working day the punch belongs to (may differ from the calendar day of `time`).
    pub date: NaiveDate,
    /// Always serialized in JST with seconds, whatever the offset held here.
    #[serde(serialize_with = "serialize_kot_time")]
    pub time: DateTime<FixedOffset>,
    pub code: PunchCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

fn serialize_kot_time<S: Serializer>(
    time: &DateTime<FixedOffset>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_kot_time(time))
}

/// 201 answer of the punch POST. It carries no punch id \[docs\].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeRecordResponse {
    pub date: NaiveDate,
    pub employee_key: String,
    pub time_record: TimeRecord,
}

/// One stored punch as KING OF TIME reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeRecord {
    pub time: DateTime<FixedOffset>,
    /// Kept as the raw string: read-backs may carry punch types we never send ("7" 外出, "8"
    /// 外出戻り, anything else). Empty for a record without a code, which KING OF TIME may hold
    /// (kot-api.md): such a record is never one of our punches.
    #[serde(default, deserialize_with = "string_or_number")]
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// A number in the documentation \[docs\].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_name: Option<String>,
}

impl TimeRecord {
    pub fn punch_code(&self) -> Option<PunchCode> {
        PunchCode::from_code(&self.code)
    }

    /// Whether this record is the given punch: same instant (to the second) and same type.
    /// This is how an ambiguous POST is verified, since punches have no id.
    pub fn is_same_punch(&self, time: &DateTime<FixedOffset>, code: PunchCode) -> bool {
        self.time.timestamp() == time.timestamp() && self.punch_code() == Some(code)
    }
}

/// One day of `GET /daily-workings/timerecord` (an array of these) and of
/// `GET /daily-workings/timerecord/{date}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyTimeRecords {
    pub date: NaiveDate,
    #[serde(default)]
    pub daily_workings: Vec<DailyWorking>,
}

/// One employee's punches on one working day. Records are not guaranteed to be sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyWorking {
    pub date: NaiveDate,
    pub employee_key: String,
    /// The employee as of that date; its exact shape is not documented, so it stays raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_date_employee: Option<serde_json::Value>,
    /// A list; one client has seen a single record arrive as an object, which is read as a
    /// list of one (kot-api.md: read defensively).
    #[serde(default, deserialize_with = "one_or_many")]
    pub time_record: Vec<TimeRecord>,
}

/// `[..]`, a single object, or `null`.
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<TimeRecord>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<TimeRecord>),
        One(Box<TimeRecord>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        Some(OneOrMany::Many(records)) => records,
        Some(OneOrMany::One(record)) => vec![*record],
        None => Vec::new(),
    })
}

/// `{"available": true|false}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TokenAvailability {
    pub available: bool,
}

/// `{"token": "..."}` of the token refresh. Deliberately without `Debug`.
#[derive(Deserialize)]
pub(crate) struct IssuedToken {
    pub token: String,
}

/// Accepts `"1"` and `1` alike and yields the string form; `null` (a record without a code,
/// should KING OF TIME send the null it documents to omit) is the empty string.
fn string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a code, found {other}"
        ))),
    }
}

/// `dayBorderTime` as `HH:MM` (also accepts `HH:MM:SS`).
mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&time.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(&text, "%H:%M:%S"))
            .map_err(|e| serde::de::Error::custom(format!("dayBorderTime {text:?}: {e}")))
    }
}
