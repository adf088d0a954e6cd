//! A simulator of the KING OF TIME Web API v1.0 (`shared/docs/kot-api.md`), for tests,
//! benchmarks and the laptop demo. It serves the real paths under `/v1.0`, so pointing a client
//! at it changes only the host of the base URL, and it is never more lenient than the documented
//! API: bearer tokens, permitted IPs, content type, strict date/time formats, punch codes as
//! strings, the 62-day range, only documented query parameters (anything else, `employeeKeys` on
//! `/daily-workings` or the one-day listing included, is a 400; `params.rs`), restricted hours
//! on an injectable clock, per-token rate limits. Employees carry `hiredDate` and
//! `resignationDate`; punches outside them make an error day.
//!
//! Beyond punches it answers `GET /daily-workings` (エラー勤務 by the rules in `day_rules.rs`,
//! 締め as set through the admin API), stores a punch into a closed day as KING OF TIME does, and
//! lets an administrator's edits, an approved 打刻申請 and punches from a time recorder be played
//! ([`Simulator::replace_punch`], [`Simulator::remove_punch`], [`Simulator::add_punch`]),
//! including records we never send (外出, 外出戻り, no code at all).
//!
//! Faults a real network and load balancer produce ([`FailureKind`]), injected through a queue
//! ([`Simulator::fail_next`]), an outage window on the wall clock ([`Simulator::start_outage`])
//! or a seeded random profile ([`Simulator::set_fault_profile`]), counted by
//! [`Simulator::fault_stats`] and noted in the request log:
//! - *before storing*: `500 {"code":300}`, a gateway's 502/503/504 HTML page, a 503 with an
//!   empty body, a 303 rate limit — nothing is processed;
//! - *after storing*: a 504 HTML page, a connection reset, an answer held back longer than the
//!   client's timeout — the punch is stored, the client cannot know it;
//! - plus latency on every answer, dropping the connection after the next punches, and reads
//!   within a margin of the restricted windows answering empty days
//!   ([`Simulator::empty_reads_near_window_edges`]), as operators report KING OF TIME doing.
//!
//! Everything is steerable in-process through [`Simulator`] or over HTTP under `/_admin`
//! (tables in `admin_faults.rs` and `admin_days.rs`). Values kot-api.md leaves unknown are
//! marked `\[ours\]` where they are decided.

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
mod params;
mod persist;
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
    DEFAULT_RATE_LIMIT_STATUS, FailureKind, NewEmployee, NewPunch, PunchEdit, PunchSource,
    RateLimit, RequestLogEntry, SimConfig, SimError, StoredPunch, TokenOptions,
};
pub use reply::{
    CODE_AUTHENTICATION_FAILED, CODE_INVALID_REQUEST, CODE_NOT_FOUND, CODE_RATE_LIMITED,
    CODE_RESTRICTED_HOURS, CODE_SERVER_ERROR,
};
pub use server::{SimHandle, spawn_local};
pub use simulator::Simulator;
