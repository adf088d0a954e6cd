//! The syncer service: takes punches (打刻) from cyzen, translates each status into a KING OF TIME
//! punch type, and uploads the eligible ones exactly once (manual: 打刻データの連携, 連携処理に
//! ついて, 連携を開始する／停止する; design.md).
//!
//! - [`service`] builds the gRPC service; [`Syncer`] is the same logic as plain Rust.
//! - [`spawn_periodic`] runs a sync every few minutes (`kintai dev`).
//! - [`ports`] are how the settings and matcher services are reached.

mod api;
mod api_days;
mod api_retry;
mod backoff;
pub mod clock;
mod convert;
mod day_check;
mod day_pages;
pub mod day_store;
pub mod day_verdict;
mod dispatch;
mod eligibility;
mod error;
mod ledger;
mod locked;
pub mod model;
mod plan;
pub mod ports;
mod prepare;
mod punch_ledger;
mod report;
pub mod retry;
mod run;
mod schema;
mod send;
pub mod store;
mod syncer;
mod tally;
pub mod translate;
pub mod validate;
mod verify;
pub mod working_day;

use std::sync::Arc;
use std::time::Duration;

pub use api::SyncerApi;
pub use backoff::RetryPolicy;
pub use clock::{Clock, ManualClock, SystemClock};
pub use dispatch::{DispatchOptions, spawn_dispatcher};
pub use error::SyncerError;
pub use report::{CompanyReport, PlannedPunch, RunReport, SyncOutcome};
pub use schema::MIGRATIONS;
pub use syncer::{Syncer, spawn_periodic};

use kintai_core::Db;
use kintai_proto::syncer::v1::syncer_service_server::SyncerServiceServer;
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
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            concurrency: 32,
            employees_in_parallel: 4,
            lease_ttl: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            undelivered_after: Duration::from_secs(4 * 3600),
            dispatch: DispatchOptions::default(),
        }
    }
}

/// What the syncer needs from the world.
#[derive(Clone)]
pub struct SyncerDeps {
    pub settings: Arc<dyn SettingsPort>,
    pub links: Arc<dyn LinksPort>,
    pub vendor: Arc<dyn AttendanceVendor>,
    pub clock: Arc<dyn Clock>,
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

/// Applies the schema and builds the gRPC service with bounded message sizes.
pub async fn service(
    db: Db,
    max_message_bytes: usize,
    deps: SyncerDeps,
) -> anyhow::Result<SyncerServiceServer<SyncerApi>> {
    let syncer = Syncer::start(db, deps).await?;
    Ok(SyncerServiceServer::new(SyncerApi::new(syncer))
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes))
}
