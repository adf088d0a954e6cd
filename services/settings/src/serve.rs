//! The settings service as a server of its own (`kintai serve settings`); a process that serves
//! several services on one port (`kintai dev`) adds [`crate::service`] to its server instead.

use std::future::Future;

use kintai_core::Db;
use kintai_core::auth::Callers;
use kintai_core::server::{GrpcServer, ServerConfig};
use tokio::net::TcpListener;

use crate::SettingsDeps;

/// What [`serve`] runs.
pub struct ServeConfig {
    /// `[server]`: drain timeout, message sizes, reflection.
    pub server: ServerConfig,
    /// Who may call; `None` serves everyone (the binary allows that on loopback only).
    pub callers: Option<Callers>,
    pub db: Db,
    pub deps: SettingsDeps,
}

/// One settings service per process: serves on `listener` until `shutdown` resolves, then
/// drains and closes the database.
pub async fn serve(
    config: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let ServeConfig {
        server: server_config,
        callers,
        db,
        deps,
    } = config;
    let max = server_config.max_message_bytes;
    let service = crate::service(db.clone(), max, deps).await?;
    let mut server = GrpcServer::new(server_config);
    if let Some(callers) = callers {
        server.authenticate(callers);
    }
    server.add_service(service).require_database(db.clone());
    let served = server.serve(listener, shutdown).await;
    db.close().await;
    served
}
