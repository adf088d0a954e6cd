//! The syncer service: takes punches (打刻) from cyzen, translates each status into a KING OF TIME
//! punch type, and uploads the eligible ones exactly once (manual: 打刻データの連携, 連携処理に
//! ついて, 連携を開始する／停止する; design.md).
//!
//! - [`serve`] runs it as a gRPC server of its own; [`start`] and [`grpc_service`] let a process
//!   serve it next to others; [`Syncer`] is the same logic as plain Rust.
//! - [`spawn_periodic`] runs a sync every few minutes (`kintai dev`).
//! - [`ports`] are how the settings and matcher services are reached.

mod api;
mod api_args;
mod api_days;
mod api_record;
mod api_retry;
mod backoff;
mod bulk;
mod busy_check;
mod config;
mod convert;
mod day_check;
mod day_gauge;
mod day_pages;
mod day_reads;
mod day_scope;
pub mod day_store;
pub mod day_verdict;
mod dispatch;
mod eligibility;
mod error;
mod kot_words;
mod lease_deadline;
mod ledger;
mod locked;
pub mod model;
mod plan;
pub mod ports;
mod preflight;
mod prepare;
mod punch_ledger;
mod read_margin;
mod report;
pub mod retry;
mod run;
mod schema;
mod send;
mod serve;
pub mod store;
mod syncer;
mod tally;
pub mod translate;
mod unconfirmed;
pub mod validate;
mod verify;
pub mod working_day;

use std::sync::Arc;
use std::time::Duration;

pub use api::SyncerApi;
pub use backoff::RetryPolicy;
pub use config::{DEFAULT_CONCURRENCY, SyncerConfig};
pub use dispatch::{DispatchOptions, spawn_dispatcher};
pub use error::SyncerError;
pub use report::{CompanyReport, PlannedPunch, RunReport, SyncOutcome};
pub use schema::MIGRATIONS;
pub use serve::{ServeConfig, Wiring, drain, grpc_service, serve, start};
pub use syncer::{Syncer, spawn_periodic};

use kintai_core::Clock;
use kot_client::AttendanceVendor;

use crate::ports::{LinksPort, SettingsPort};

/// Name under which the service's schema history is kept.
pub const SERVICE: &str = "syncer";

/// Tuning of sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Companies synced at once in a run over all companies.
    pub concurrency: usize,
    /// Employees of one company posted at once (each employee's punches stay in time order);
    /// the client's per-token pacing keeps the company within KING OF TIME's limits.
    pub employees_in_parallel: usize,
    /// Per-company lease; renewed every third of it while the run goes on, so it only has to
    /// outlive one renewal: a crashed run blocks its company for about this long.
    pub lease_ttl: Duration,
    pub retry: RetryPolicy,
    /// Punches still not in KING OF TIME this long after they arrived are reported
    /// (`undelivered` in RunSync, the `kintai.punches.undelivered` gauge).
    pub undelivered_after: Duration,
    /// Prompt delivery.
    pub dispatch: DispatchOptions,
    /// How far ahead of this server's clock a punch may be when it is recorded: a phone's clock
    /// runs a little ahead; a punch further ahead is refused (RecordPunches names `punched_at`),
    /// one within it is sent as it is.
    pub max_clock_skew: Duration,
}

impl Default for SyncOptions {
    /// The `[syncer]` defaults ([`SyncerConfig::default`]), so they are stated once.
    fn default() -> Self {
        SyncerConfig::default().options()
    }
}

/// What the syncer needs from the world.
#[derive(Clone)]
pub struct SyncerDeps {
    pub settings: Arc<dyn SettingsPort>,
    pub links: Arc<dyn LinksPort>,
    pub vendor: Arc<dyn AttendanceVendor>,
    pub clock: Clock,
    pub options: SyncOptions,
}

impl std::fmt::Debug for SyncerDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncerDeps")
            .field("clock", &self.clock)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
