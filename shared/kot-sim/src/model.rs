//! Public data types of the simulator: configuration, admin inputs, stored state as tests see
//! it, and in-process errors.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;

/// At most `requests` per sliding window of `per`, per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

/// HTTP status of a 303 answer \[ours\]: KING OF TIME does not document it. 429 is what a
/// client is most likely to expect; the client must not rely on it, so it is configurable.
pub const DEFAULT_RATE_LIMIT_STATUS: u16 = 429;

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Everything but the timerecord endpoints: 500 / 5 min \[seen\].
    pub general_limit: RateLimit,
    /// The timerecord (punch) endpoints: 2000 / 5 min \[seen\].
    pub punch_limit: RateLimit,
    pub rate_limit_status: u16,
    pub clock: Clock,
    /// How many API requests the request log keeps (oldest dropped first).
    pub request_log_capacity: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            general_limit: RateLimit {
                requests: 500,
                per: Duration::from_secs(300),
            },
            punch_limit: RateLimit {
                requests: 2000,
                per: Duration::from_secs(300),
            },
            rate_limit_status: DEFAULT_RATE_LIMIT_STATUS,
            clock: Clock::Real,
            request_log_capacity: 100_000,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenOptions {
    /// `None`: any address. `Some`: only these peers may use the token (KING OF TIME's
    /// permitted IP list).
    #[serde(default)]
    pub permitted_ips: Option<Vec<IpAddr>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewEmployee {
    pub code: String,
    pub last_name: String,
    pub first_name: String,
    pub division_code: String,
    /// Last working day; the employee counts as resigned from the day after.
    #[serde(default)]
    pub resigned_on: Option<NaiveDate>,
}

/// Where a stored punch came from; read-backs show it as `credentialCode`/`credentialName`
/// (values \[ours\]: undocumented).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PunchSource {
    /// `POST /daily-workings/timerecord/{employeeKey}`.
    #[default]
    Api,
    /// A time recorder (タイムレコーダー) or any other way in that is not the Web API.
    TimeRecorder,
    /// An administrator's edit or an approved 打刻申請, which replaces a punch by a new one.
    AdminEdit,
}

/// One punch as the simulator stored it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredPunch {
    /// The simulator's own handle for the admin API (KING OF TIME's API shows no punch id).
    pub id: u64,
    pub source: PunchSource,
    pub employee_key: String,
    pub date: NaiveDate,
    pub time: DateTime<FixedOffset>,
    /// `None` for a record without a code, as an administrator or a recorder may leave one
    /// \[docs\]; punches through the API always have one (KING OF TIME guesses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub division_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// The simulator clock's reading when it was stored.
    pub received_at: DateTime<Utc>,
}

/// One API request as answered (admin calls are not logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestLogEntry {
    pub method: String,
    /// The route template, e.g. `/v1.0/employees/{code}`; the raw path for unknown routes.
    pub path: String,
    /// The raw query string, if any, so tests can see what was asked (e.g. `division=100`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
    /// The KING OF TIME error code answered, if any (e.g. 303, 104).
    pub code: Option<i64>,
    /// The fault injected into this request, if any.
    pub fault: Option<FailureKind>,
}

/// A punch added through the admin API, as if from elsewhere (a time recorder) or by an
/// administrator. The date is taken as given: KING OF TIME files recorder punches by its own
/// rules, which the caller applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPunch {
    pub date: NaiveDate,
    pub time: DateTime<FixedOffset>,
    /// One of the documented codes ("1" 出勤 … "8" 外出戻り); `None` (omitted) enters a record
    /// without a code, which reads show as such \[docs\].
    #[serde(default)]
    pub code: Option<String>,
    /// The employee's division when omitted.
    #[serde(default)]
    pub division_code: Option<String>,
    #[serde(default = "time_recorder")]
    pub source: PunchSource,
}

fn time_recorder() -> PunchSource {
    PunchSource::TimeRecorder
}

/// What an administrator's edit (or an approved 打刻申請) changes; omitted fields stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PunchEdit {
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub time: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub code: Option<String>,
}

/// Faults to inject. The *before* kinds answer instead of KING OF TIME: nothing is processed,
/// nothing stored. The *after-store* kinds let the request be processed (a punch is stored),
/// then spoil the answer, as a gateway or the network would.
///
/// Serialized names (admin API, stats) are camelCase; the first two gateway kinds keep their
/// original Rust names and accept their original JSON names as aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureKind {
    /// 500 with `{"errors":[{"message":"Resource Server Error.","code":300}]}` \[official\].
    Status500Code300,
    /// 502 with nginx's HTML page, as a load balancer in front of KING OF TIME answers.
    #[serde(rename = "gateway502Html", alias = "status502Html")]
    Status502Html,
    /// 503 with an empty body.
    #[serde(rename = "gateway503Empty", alias = "status503")]
    Status503,
    /// 503 with an HTML page (a load balancer without healthy backends).
    Gateway503Html,
    /// 504 with an HTML page, before the request reached KING OF TIME.
    Gateway504Html,
    /// The flat `{"code":"303",...}` with the configured rate-limit status.
    RateLimited,
    /// Processed (the punch is stored), then a gateway's 504 HTML page instead of the answer.
    Gateway504AfterStore,
    /// Processed, then the connection is closed without any answer.
    ResetAfterStore,
    /// Processed, then the answer is held back longer than a client's timeout (the
    /// simulator's slow-answer delay, 3 s unless set).
    SlowAfterStore,
}

impl FailureKind {
    pub const ALL: [Self; 9] = [
        Self::Status500Code300,
        Self::Status502Html,
        Self::Status503,
        Self::Gateway503Html,
        Self::Gateway504Html,
        Self::RateLimited,
        Self::Gateway504AfterStore,
        Self::ResetAfterStore,
        Self::SlowAfterStore,
    ];

    /// Whether the request is processed before the fault strikes.
    pub fn is_after_store(self) -> bool {
        matches!(
            self,
            Self::Gateway504AfterStore | Self::ResetAfterStore | Self::SlowAfterStore
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("unknown company {0:?}")]
    UnknownCompany(String),
    #[error("company {0:?} exists")]
    DuplicateCompany(String),
    #[error("token exists")]
    DuplicateToken,
    #[error("unknown token")]
    UnknownToken,
    #[error("unknown division {0:?}")]
    UnknownDivision(String),
    #[error("division {0:?} exists")]
    DuplicateDivision(String),
    #[error("employee code {0:?} is taken in this company")]
    DuplicateEmployeeCode(String),
    #[error("unknown employee key")]
    UnknownEmployee,
    #[error("no stored punch with id {0}")]
    UnknownPunch(u64),
    #[error("invalid input: {0}")]
    InvalidInput(String),
}
