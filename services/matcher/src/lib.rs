//! The matcher service: about hourly, links each cyzen user to the KING OF TIME employee whose
//! 従業員コード equals the user's ユーザーコード exactly, and keeps the 連携状況 table
//! (design.md, "Matching"; the manual's 対象ユーザーの指定 and FAQ).
//!
//! - [`Matcher`]: the logic as plain Rust ([`Matcher::run_company`], [`Matcher::run_all`],
//!   [`Matcher::links_page`]); [`MatcherApi`] only converts gRPC to and from it.
//! - [`MatcherDeps`]: settings ([`SettingsPort`]), KING OF TIME (`AttendanceVendor`), the clock,
//!   the concurrency bound and the lease ttl.

mod api;
mod company_result;
mod company_run;
mod config;
mod dispatch;
mod error;
mod hints;
mod matching;
mod model;
mod periodic;
mod records;
mod report;
mod row_codec;
mod run;
mod run_all;
mod schema;
mod seen;
mod serve;
mod settings_memory;
mod settings_port;
mod store;
mod trace;
mod unchanged;
mod view;

pub use api::MatcherApi;
pub use config::MatcherConfig;
pub use dispatch::{DispatchOptions, spawn_dispatcher};
pub use model::{
    CompanyRecord, Condition, DirectoryUser, Employment, Hint, HintKind, LinkRow, LinkStatus,
    Reason,
};
pub use periodic::{run_once as run_periodic_once, spawn_periodic};
pub use report::{CompanyResult, Outcome, RunReport};
pub use run::{Matcher, MatcherDeps};
pub use schema::MIGRATIONS;
pub use serve::{ServeConfig, Wiring, serve, start};
pub use settings_memory::{MemoryCompany, MemorySettings};
pub use settings_port::{
    Credentials, GrpcSettings, IntegrationState, PortError, SettingsPort, TokenState, condition,
};
pub use store::StateFilter;
pub use view::{LinkView, LinksPage};

use kintai_core::Db;
use kintai_proto::matcher::v1::matcher_service_server::MatcherServiceServer;

/// Name under which the service's schema history is kept.
pub const SERVICE: &str = "matcher";

/// Applies the schema and builds the gRPC service with bounded message sizes.
pub async fn service(
    db: Db,
    max_message_bytes: usize,
    deps: MatcherDeps,
) -> anyhow::Result<MatcherServiceServer<MatcherApi>> {
    let api = api(db, deps).await?;
    Ok(server(api, max_message_bytes))
}

/// Applies the schema and builds the handlers, for a caller that also wants the [`Matcher`]
/// (e.g. `kintai dev`, for [`spawn_periodic`]).
pub async fn api(db: Db, deps: MatcherDeps) -> anyhow::Result<MatcherApi> {
    kintai_core::migrate::migrate(&db, SERVICE, MIGRATIONS).await?;
    Ok(MatcherApi::new(Matcher::new(db, deps)))
}

/// The gRPC service around built handlers, with bounded message sizes.
pub fn server(api: MatcherApi, max_message_bytes: usize) -> MatcherServiceServer<MatcherApi> {
    MatcherServiceServer::new(api)
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes)
}
