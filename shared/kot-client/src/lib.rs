//! Client for the KING OF TIME Web API v1.0 (see `shared/docs/kot-api.md`).
//!
//! - [`KotClient`]: every endpoint the project uses, with typed [`KotError`]s and per-token
//!   pacing shared by all clones. The punch POST counts as not applied only when KING OF TIME
//!   refused it in its own words (a 4xx with its error body) or the request never left
//!   ([`KotError::certainly_not_applied`]); any 5xx, gateway page, 3xx, timeout or reset after
//!   sending is [`KotError::OutcomeUnknown`], to be settled by reading the day back.
//! - Day readers through the documented endpoints: one employee's day and many employees'
//!   days by the range listing (`employeeKeys`, ≤ 62 days and ≤ 50 keys per call, split and
//!   merged), KING OF TIME's evaluation of each day (`GET /daily-workings`: エラー勤務, 締め).
//! - [`Token`]: the secret, redacted in `Debug`/`Display`.
//! - [`AttendanceVendor`]: the narrow trait the matcher and syncer use (punch, read back,
//!   divisions, days, daily evaluations).
//! - JST helpers: [`format_kot_time`], [`is_restricted`], [`next_unrestricted`].

mod client;
mod config;
mod daily;
mod error;
mod limiter;
mod outcome;
mod range;
mod summary;
pub mod telemetry;
mod time;
mod token;
mod transport;
mod types;
mod vendor;

pub use client::{KotClient, MAX_KEYS_PER_CALL};
pub use config::{DEFAULT_BASE_URL, KotConfig, RateLimit};
pub use error::{
    CODE_AUTHENTICATION_FAILED, CODE_RATE_LIMITED, CODE_RESTRICTED_HOURS, CODE_SERVER_ERROR,
    KotError,
};
pub use limiter::Budget;
pub use range::{MAX_RANGE_DAYS, split_range};
pub use summary::{DailyWorkingSummary, DailyWorkingsOfDay, DayTotals, EmployeeDayRecords};
pub use time::{format_kot_time, is_restricted, jst, jst_date, next_unrestricted};
pub use token::Token;
pub use types::{
    DailyTimeRecords, DailyWorking, Division, Employee, EmployeeGroup, EmployeeQuery, PunchCode,
    TimeRecord, TimeRecordRequest, TimeRecordResponse, TokenAvailability,
};
pub use vendor::AttendanceVendor;
