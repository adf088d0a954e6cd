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

/// One punch as the simulator stored it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredPunch {
    pub employee_key: String,
    pub date: NaiveDate,
    pub time: DateTime<FixedOffset>,
    pub code: String,
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
    /// `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
    /// The KING OF TIME error code answered, if any (e.g. 303, 104).
    pub code: Option<i64>,
}

/// Failures to inject into the next API requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureKind {
    /// 500 with `{"errors":[{"message":"Resource Server Error.","code":300}]}` \[official\].
    Status500Code300,
    /// 502 with an HTML page, as a load balancer would answer.
    Status502Html,
    /// 503 with an empty body.
    Status503,
    /// The flat `{"code":"303",...}` with the configured rate-limit status.
    RateLimited,
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
    #[error("invalid input: {0}")]
    InvalidInput(String),
}
