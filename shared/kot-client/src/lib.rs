//! Client for the KING OF TIME Web API v1.0 (see `shared/docs/kot-api.md`).
//!
//! - [`KotClient`]: every endpoint the project uses, with typed [`KotError`]s that keep
//!   "not sent" apart from "outcome unknown", and per-token pacing shared by all clones.
//! - [`Token`]: the secret, redacted in `Debug`/`Display`.
//! - [`AttendanceVendor`]: the narrow trait the matcher and syncer use.
//! - JST helpers: [`format_kot_time`], [`is_restricted`], [`next_unrestricted`].

mod client;
mod config;
mod error;
mod limiter;
mod range;
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
pub use time::{format_kot_time, is_restricted, jst, jst_date, next_unrestricted};
pub use token::Token;
pub use types::{
    DailyTimeRecords, DailyWorking, Division, Employee, EmployeeGroup, EmployeeQuery, PunchCode,
    TimeRecord, TimeRecordRequest, TimeRecordResponse, TokenAvailability,
};
pub use vendor::AttendanceVendor;
