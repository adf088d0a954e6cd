//! A simulator of the KING OF TIME Web API v1.0 (`shared/docs/kot-api.md`), for tests,
//! benchmarks and the laptop demo. It serves the real paths under `/v1.0`, so pointing a client
//! at it changes only the host of the base URL, and it is never more lenient than the documented
//! API: bearer tokens, permitted IPs, content type, strict date/time formats, punch codes as
//! strings, the 62-day range, restricted hours on an injectable clock, per-token rate limits.
//!
//! Faults can be injected (5xx, latency, dropping the connection after a punch was stored), and
//! everything is steerable in-process through [`Simulator`] or over HTTP under `/_admin`.
//! Values kot-api.md leaves unknown are marked `\[ours\]` where they are decided.

mod admin;
mod admin_days;
mod admin_faults;
mod api_daily;
mod api_read;
mod api_write;
mod clock;
mod day_rules;
mod faults;
mod gateway;
mod guard;
mod model;
mod reply;
mod server;
mod sim_days;
mod sim_faults;
mod simulator;
mod state;
mod validate;
mod wire;

pub use clock::{Clock, RESTRICTED_MESSAGE};
pub use faults::{DEFAULT_SLOW_AFTER_STORE, FaultProfile, PunchPostFaults, ReadFaults};
pub use model::{
    ClosedDayPolicy, DEFAULT_RATE_LIMIT_STATUS, FailureKind, NewEmployee, NewPunch, PunchEdit,
    PunchSource, RateLimit, RequestLogEntry, SimConfig, SimError, StoredPunch, TokenOptions,
};
pub use reply::{
    CODE_AUTHENTICATION_FAILED, CODE_INVALID_REQUEST, CODE_NOT_FOUND, CODE_RATE_LIMITED,
    CODE_RESTRICTED_HOURS, CODE_SERVER_ERROR,
};
pub use server::{SimHandle, spawn_local};
pub use simulator::Simulator;
