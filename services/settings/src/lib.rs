//! The settings service: company switch 勤怠連携 有効/無効, KING OF TIME tokens, the user
//! directory mirrored from cyzen, per-user link flags and status definitions.

mod api;
mod schema;

pub use api::SettingsApi;
pub use schema::MIGRATIONS;

use kintai_core::Db;
use kintai_proto::settings::v1::settings_service_server::SettingsServiceServer;

/// Name under which the service's schema history is kept.
pub const SERVICE: &str = "settings";

/// Applies the schema and builds the gRPC service with bounded message sizes.
pub async fn service(
    db: Db,
    max_message_bytes: usize,
) -> anyhow::Result<SettingsServiceServer<SettingsApi>> {
    kintai_core::migrate::migrate(&db, SERVICE, MIGRATIONS).await?;
    Ok(SettingsServiceServer::new(SettingsApi::new(db))
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes))
}
