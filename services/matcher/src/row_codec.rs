//! How a 連携状況 row and a company record are stored: the status as columns, and the enums
//! as stable numeric codes.

use chrono::{NaiveDate, NaiveTime, Timelike};
use kintai_core::DbError;
use kintai_core::db::from_millis;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::model::{
    CompanyRecord, Condition, Employment, Hint, HintKind, LinkRow, LinkStatus, Reason,
};

pub(crate) const STATE_ACTIVE: i64 = 1;
pub(crate) const STATE_INACTIVE: i64 = 2;

/// The status columns of a row.
pub(crate) struct EncodedStatus<'a> {
    pub(crate) state: i64,
    pub(crate) reason: i64,
    pub(crate) employee_code: &'a str,
    pub(crate) employee_key: &'a str,
    pub(crate) employee_name: &'a str,
    pub(crate) hint_kind: i64,
    pub(crate) hint_code: &'a str,
    pub(crate) hint_name: &'a str,
    /// The employee's division 日付変更時間, minutes after midnight; 0 when inactive.
    pub(crate) day_border_minutes: i64,
    /// 入社日 and 退職日 as `YYYY-MM-DD`; empty when unknown or inactive.
    pub(crate) hired_on: String,
    pub(crate) resigned_on: String,
    /// The employee's division code; empty when inactive.
    pub(crate) division_code: &'a str,
}

pub(crate) fn encode(row: &LinkRow) -> EncodedStatus<'_> {
    match &row.status {
        LinkStatus::Active {
            employee_code,
            employee_key,
            employee_name,
            day_border,
            employment,
            division_code,
        } => EncodedStatus {
            state: STATE_ACTIVE,
            reason: 0,
            employee_code,
            employee_key,
            employee_name,
            hint_kind: 0,
            hint_code: "",
            hint_name: "",
            day_border_minutes: i64::from(day_border.num_seconds_from_midnight() / 60),
            hired_on: day_text(employment.hired_on),
            resigned_on: day_text(employment.resigned_on),
            division_code,
        },
        LinkStatus::Inactive { reason, hint } => EncodedStatus {
            state: STATE_INACTIVE,
            reason: reason_code(*reason),
            employee_code: "",
            employee_key: "",
            employee_name: "",
            hint_kind: hint.as_ref().map_or(0, |h| hint_code(h.kind)),
            hint_code: hint.as_ref().map_or("", |h| h.employee_code.as_str()),
            hint_name: hint.as_ref().map_or("", |h| h.employee_name.as_str()),
            day_border_minutes: 0,
            hired_on: String::new(),
            resigned_on: String::new(),
            division_code: "",
        },
    }
}

pub(crate) fn decode_link(row: &AnyRow) -> Result<LinkRow, DbError> {
    let text = |i: usize| row.try_get::<String, _>(i);
    let number = |i: usize| row.try_get::<i64, _>(i);
    let status = if number(5)? == STATE_ACTIVE {
        LinkStatus::Active {
            employee_code: text(7)?,
            employee_key: text(8)?,
            employee_name: text(9)?,
            day_border: border_time(number(13)?),
            employment: Employment {
                hired_on: parse_day(&text(14)?),
                resigned_on: parse_day(&text(15)?),
            },
            division_code: text(16)?,
        }
    } else {
        let hint = hint_kind(number(10)?).map(|kind| Hint {
            kind,
            employee_code: text(11).unwrap_or_default(),
            employee_name: text(12).unwrap_or_default(),
        });
        LinkStatus::Inactive {
            // A code this build does not know (a newer build wrote it) reads as "not matched
            // yet": the next run of this build rewrites it.
            reason: reason(number(6)?).unwrap_or(Reason::NotMatchedYet),
            hint,
        }
    };
    Ok(LinkRow {
        user_id: text(1)?,
        user_code: text(2)?,
        user_name: text(3)?,
        kot_link_enabled: number(4)? != 0,
        status,
    })
}

fn day_text(day: Option<NaiveDate>) -> String {
    day.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A stored day; empty (unknown) or anything unreadable reads as unknown.
fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Minutes after midnight as a time of day; anything out of range (a corrupt row) reads as
/// midnight, KING OF TIME's default border.
fn border_time(minutes: i64) -> NaiveTime {
    u32::try_from(minutes)
        .ok()
        .and_then(|m| NaiveTime::from_num_seconds_from_midnight_opt(m * 60, 0))
        .unwrap_or(NaiveTime::MIN)
}

pub(crate) fn decode_company(row: &AnyRow) -> Result<CompanyRecord, DbError> {
    let last_matched_at: i64 = row.try_get(3)?;
    Ok(CompanyRecord {
        company_id: row.try_get(0)?,
        condition: condition(row.try_get(1)?),
        last_run_at: from_millis(row.try_get(2)?),
        last_matched_at: (last_matched_at > 0).then(|| from_millis(last_matched_at)),
        last_reason: row.try_get(4)?,
        employees: u32::try_from(row.try_get::<i64, _>(5)?).unwrap_or(0),
        rows_digest: row.try_get(6)?,
    })
}

// Storage codes. They equal the proto numbers so that a row reads the same in SQL and in
// grpcurl, but they are mapped explicitly: the proto may grow without rewriting rows.
fn reason_code(reason: Reason) -> i64 {
    match reason {
        Reason::NoUserCode => 1,
        Reason::NoEmployee => 2,
        Reason::EmployeeResigned => 3,
        Reason::DuplicateUserCode => 4,
        Reason::IntegrationDisabled => 5,
        Reason::TokenRejected => 6,
        Reason::NotMatchedYet => 7,
        Reason::NoToken => 8,
        Reason::TokenUnreadable => 9,
        Reason::CodeChanged => 10,
        Reason::TokenKeyMismatch => 11,
    }
}

fn reason(code: i64) -> Option<Reason> {
    Some(match code {
        1 => Reason::NoUserCode,
        2 => Reason::NoEmployee,
        3 => Reason::EmployeeResigned,
        4 => Reason::DuplicateUserCode,
        5 => Reason::IntegrationDisabled,
        6 => Reason::TokenRejected,
        7 => Reason::NotMatchedYet,
        8 => Reason::NoToken,
        9 => Reason::TokenUnreadable,
        10 => Reason::CodeChanged,
        11 => Reason::TokenKeyMismatch,
        _ => return None,
    })
}

fn hint_code(kind: HintKind) -> i64 {
    match kind {
        HintKind::ZeroPadding => 1,
        HintKind::FullWidth => 2,
        HintKind::LetterCase => 3,
        HintKind::Whitespace => 4,
        HintKind::LoginId => 5,
    }
}

fn hint_kind(code: i64) -> Option<HintKind> {
    Some(match code {
        1 => HintKind::ZeroPadding,
        2 => HintKind::FullWidth,
        3 => HintKind::LetterCase,
        4 => HintKind::Whitespace,
        5 => HintKind::LoginId,
        _ => return None,
    })
}

pub(crate) fn condition_code(condition: Condition) -> i64 {
    match condition {
        Condition::Ready => 0,
        Condition::IntegrationDisabled => 1,
        Condition::NoToken => 2,
        Condition::TokenRejected => 3,
        Condition::TokenUnreadable => 4,
        Condition::TokenKeyMismatch => 5,
    }
}

fn condition(code: i64) -> Condition {
    match code {
        1 => Condition::IntegrationDisabled,
        2 => Condition::NoToken,
        3 => Condition::TokenRejected,
        4 => Condition::TokenUnreadable,
        5 => Condition::TokenKeyMismatch,
        _ => Condition::Ready,
    }
}
