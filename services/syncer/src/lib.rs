//! The syncer service.

mod api;
mod schema;

pub use api::SyncerApi;
pub use schema::MIGRATIONS;

use kintai_core::Db;
use kintai_proto::syncer::v1::syncer_service_server::SyncerServiceServer;

/// Name under which the service's schema history is kept.
pub const SERVICE: &str = "syncer";

/// Applies the schema and builds the gRPC service with bounded message sizes.
pub async fn service(
    db: Db,
    max_message_bytes: usize,
) -> anyhow::Result<SyncerServiceServer<SyncerApi>> {
    kintai_core::migrate::migrate(&db, SERVICE, MIGRATIONS).await?;
    Ok(SyncerServiceServer::new(SyncerApi::new(db))
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes))
}
