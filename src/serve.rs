//! Running services: one per process (`kintai serve NAME`) or all three on one port (`kintai dev`).

use anyhow::Context;
use kintai_core::Db;
use kintai_core::server::{GrpcServer, shutdown_signal};
use tokio::net::TcpListener;

use crate::cli::ServiceName;
use crate::config::Config;

/// One service per process, as a pod runs it.
pub async fn serve_one(service: ServiceName, config: &Config) -> anyhow::Result<()> {
    // Bind first: a taken port is reported before any slower start-up work.
    let listener = bind(config).await?;
    let db = open(config, service.as_str()).await?;
    let mut server = GrpcServer::new(config.server.clone());
    let max = config.server.max_message_bytes;
    match service {
        ServiceName::Settings => {
            server.add_service(kintai_settings::service(db.clone(), max).await?)
        }
        ServiceName::Matcher => server.add_service(kintai_matcher::service(db.clone(), max).await?),
        ServiceName::Syncer => server.add_service(kintai_syncer::service(db.clone(), max).await?),
    };
    server.require_database(db.clone());
    server.serve(listener, shutdown_signal()).await?;
    db.close().await;
    Ok(())
}

/// Laptop mode: the three services on one port, each with its own SQLite file in the data dir.
pub async fn dev(config: &Config) -> anyhow::Result<()> {
    let listener = bind(config).await?;
    let address = listener.local_addr()?;
    let max = config.server.max_message_bytes;
    let settings_db = open(config, "settings").await?;
    let matcher_db = open(config, "matcher").await?;
    let syncer_db = open(config, "syncer").await?;
    let mut server = GrpcServer::new(config.server.clone());
    server
        .add_service(kintai_settings::service(settings_db.clone(), max).await?)
        .add_service(kintai_matcher::service(matcher_db.clone(), max).await?)
        .add_service(kintai_syncer::service(syncer_db.clone(), max).await?)
        .require_database(settings_db.clone())
        .require_database(matcher_db.clone())
        .require_database(syncer_db.clone());
    tracing::info!(
        address = %address,
        data_dir = %config.data_dir().display(),
        "kintai dev serving on {address}; try: grpcurl -plaintext {address} list"
    );
    server.serve(listener, shutdown_signal()).await?;
    for db in [settings_db, matcher_db, syncer_db] {
        db.close().await;
    }
    Ok(())
}

async fn bind(config: &Config) -> anyhow::Result<TcpListener> {
    TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {} (server.listen)", config.server.listen))
}

async fn open(config: &Config, service: &str) -> anyhow::Result<Db> {
    let url = config.database_url(service);
    Db::connect(&url, config.database.max_connections)
        .await
        .with_context(|| format!("cannot open the {service} database (database.url)"))
}
