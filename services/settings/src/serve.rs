//! The settings service as a server of its own (`kintai serve settings`); a process that serves
//! several services on one port (`kintai dev`) adds [`crate::service`] to its server instead.

use std::future::Future;

use tokio::net::TcpListener;

use crate::SettingsDeps;

/// What [`serve`] runs: the shared server settings, callers and database, and [`SettingsDeps`].
pub type ServeConfig = kintai_core::server::ServeConfig<SettingsDeps>;

/// One settings service per process: serves on `listener` until `shutdown` resolves, then
/// drains and closes the database.
pub async fn serve(
    config: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (mut server, db, deps) = config.into_parts();
    let max = server.config().max_message_bytes;
    server.add_service(crate::service(db.clone(), max, deps).await?);
    let served = server.serve(listener, shutdown).await;
    db.close().await;
    served
}
