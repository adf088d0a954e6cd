//! The matcher's domain: users as settings knows them, and one row of the 連携状況 table as
//! the matcher stores it. Proto types stay in `api.rs`; storage codes stay in `store.rs`.

use chrono::{DateTime, NaiveTime, Utc};

/// A user of cyzen's directory, as settings holds it.
pub use kintai_settings_client::DirectoryUser;

/// Why a user is 無効.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    NoUserCode,
    NoEmployee,
    EmployeeResigned,
    DuplicateUserCode,
    IntegrationDisabled,
    NoToken,
    TokenRejected,
    /// Settings cannot decrypt the stored token: the key that sealed it is not configured.
    TokenUnreadable,
    /// Settings has a key of the id that sealed the token, but it does not open it.
    TokenKeyMismatch,
    NotMatchedYet,
    /// The user code changed in settings since the last match: shown, never stored.
    CodeChanged,
}

/// The kind of near miss between a user code and an employee code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HintKind {
    ZeroPadding,
    FullWidth,
    LetterCase,
    Whitespace,
    LoginId,
}

/// A near miss worth showing. It never links: the administrator has to fix the code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hint {
    pub kind: HintKind,
    pub employee_code: String,
    pub employee_name: String,
}

/// An employee's employment as KING OF TIME records it; either end may be unknown (absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Employment {
    pub hired_on: Option<chrono::NaiveDate>,
    pub resigned_on: Option<chrono::NaiveDate>,
}

/// 有効 with the employee, or 無効 with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkStatus {
    Active {
        employee_code: String,
        /// Immutable 従業員識別キー: punches are posted with it, even while the list cannot be
        /// read.
        employee_key: String,
        employee_name: String,
        /// 日付変更時間 of the employee's division (`GET /divisions`), 00:00 when KING OF TIME
        /// names none: the syncer files a 出勤 under the working day this border starts.
        day_border: NaiveTime,
        /// The employee's 入社日 and 退職日 (`hiredDate`, `resignationDate`) as KING OF TIME
        /// had them at the last match: the syncer sends no punch outside them.
        employment: Employment,
        /// The employee's home division (`divisionCode`): the day check reads KING OF TIME's
        /// days by division when a change touches few of them.
        division_code: String,
    },
    Inactive {
        reason: Reason,
        hint: Option<Hint>,
    },
}

/// One user's row of the 連携状況 table, as stored. The アカウント同期 time is not stored per
/// row: every successful run confirms every 有効 row at once, so it is the company's
/// `last_matched_at` (and a row kept through a run that could not read KING OF TIME keeps
/// that older time, as it should).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkRow {
    pub user_id: String,
    pub user_code: String,
    pub user_name: String,
    pub kot_link_enabled: bool,
    pub status: LinkStatus,
}

impl LinkRow {
    pub fn is_active(&self) -> bool {
        matches!(self.status, LinkStatus::Active { .. })
    }
}

/// Whether a company can be matched at all, as far as the last look at settings told. While it
/// is not `Ready`, every user shows 無効 with the matching reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Ready,
    IntegrationDisabled,
    NoToken,
    TokenRejected,
    /// A token is stored, but settings cannot decrypt it (its key is missing).
    TokenUnreadable,
    /// A token is stored, but the key settings has under its key id does not open it.
    TokenKeyMismatch,
}

impl Condition {
    /// The reason every user shows while the condition holds.
    pub fn overriding_reason(self) -> Option<Reason> {
        match self {
            Self::Ready => None,
            Self::IntegrationDisabled => Some(Reason::IntegrationDisabled),
            Self::NoToken => Some(Reason::NoToken),
            Self::TokenRejected => Some(Reason::TokenRejected),
            Self::TokenUnreadable => Some(Reason::TokenUnreadable),
            Self::TokenKeyMismatch => Some(Reason::TokenKeyMismatch),
        }
    }
}

/// What the matcher remembers about a company between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyRecord {
    pub company_id: String,
    pub condition: Condition,
    pub last_run_at: DateTime<Utc>,
    /// The last run that read KING OF TIME; the アカウント同期 time of every 有効 row.
    pub last_matched_at: Option<DateTime<Utc>>,
    /// What the last run said, for operators.
    pub last_reason: String,
    /// Employees KING OF TIME listed in the last successful run.
    pub employees: u32,
    /// Digest of the stored rows (see `matching::rows_digest`): a run whose result has the
    /// same digest need not read or write them.
    pub rows_digest: i64,
}
