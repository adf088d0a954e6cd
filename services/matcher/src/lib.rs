//! The matcher service.

mod api;
mod schema;

pub use api::MatcherApi;
pub use schema::MIGRATIONS;

use kintai_core::Db;
use kintai_proto::matcher::v1::matcher_service_server::MatcherServiceServer;

/// Name under which the service's schema history is kept.
pub const SERVICE: &str = "matcher";

/// Applies the schema and builds the gRPC service with bounded message sizes.
pub async fn service(
    db: Db,
    max_message_bytes: usize,
) -> anyhow::Result<MatcherServiceServer<MatcherApi>> {
    kintai_core::migrate::migrate(&db, SERVICE, MIGRATIONS).await?;
    Ok(MatcherServiceServer::new(MatcherApi::new(db))
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes))
}
