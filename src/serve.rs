//! Running services: one per process (`kintai serve NAME`) or all three on one port (`kintai dev`).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use kintai_core::Db;
use kintai_core::server::{GrpcServer, shutdown_signal};
use kintai_settings::SettingsDeps;
use kintai_settings::crypto::KeyRing;
use kot_client::AttendanceVendor;
use tokio::net::TcpListener;

use crate::cli::ServiceName;
use crate::config::{Config, ConfigError};
use crate::kot;

/// One service per process, as a pod runs it.
pub async fn serve_one(service: ServiceName, config: &Config) -> anyhow::Result<()> {
    // Bind first: a taken port is reported before any slower start-up work.
    let listener = bind(config).await?;
    let db = open(config, service.as_str()).await?;
    let mut server = GrpcServer::new(config.server.clone());
    let max = config.server.max_message_bytes;
    let vendor: Arc<dyn AttendanceVendor> = kot::client(config, &kot::production_base_url(config))?;
    match service {
        ServiceName::Settings => {
            let deps = SettingsDeps {
                vendor,
                keys: key_ring(config, None)?,
                clock: None,
            };
            server.add_service(kintai_settings::service(db.clone(), max, deps).await?)
        }
        ServiceName::Matcher => server.add_service(kintai_matcher::service(db.clone(), max).await?),
        ServiceName::Syncer => server.add_service(kintai_syncer::service(db.clone(), max).await?),
    };
    server.require_database(db.clone());
    server.serve(listener, shutdown_signal()).await?;
    db.close().await;
    Ok(())
}

/// Laptop mode: the three services on one port, each with its own SQLite file in the data dir,
/// and the built-in KING OF TIME simulator unless `kot.base_url` names another endpoint.
pub async fn dev(config: &Config) -> anyhow::Result<()> {
    let listener = bind(config).await?;
    let address = listener.local_addr()?;
    let data_dir = config.data_dir();
    let keys = key_ring(config, Some(&data_dir))?;
    let (kot_base_url, simulator) = if config.kot.base_url.is_empty() {
        let sim = kot::seeded_simulator()?;
        let handle = sim
            .spawn_local()
            .await
            .context("cannot start the KING OF TIME simulator")?;
        tracing::info!(
            base_url = %handle.base_url,
            company = kot::DEV_COMPANY_CODE,
            "built-in KING OF TIME simulator; its token for the example company is {}",
            kot::DEV_TOKEN
        );
        (handle.base_url.to_string(), Some(handle))
    } else {
        (config.kot.base_url.clone(), None)
    };
    let vendor: Arc<dyn AttendanceVendor> = kot::client(config, &kot_base_url)?;

    let max = config.server.max_message_bytes;
    let settings_db = open(config, "settings").await?;
    let matcher_db = open(config, "matcher").await?;
    let syncer_db = open(config, "syncer").await?;
    let settings_deps = SettingsDeps {
        vendor,
        keys,
        clock: None,
    };
    let mut server = GrpcServer::new(config.server.clone());
    server
        .add_service(kintai_settings::service(settings_db.clone(), max, settings_deps).await?)
        .add_service(kintai_matcher::service(matcher_db.clone(), max).await?)
        .add_service(kintai_syncer::service(syncer_db.clone(), max).await?)
        .require_database(settings_db.clone())
        .require_database(matcher_db.clone())
        .require_database(syncer_db.clone());
    tracing::info!(
        address = %address,
        data_dir = %data_dir.display(),
        "kintai dev serving on {address}; try: grpcurl -plaintext {address} list"
    );
    server.serve(listener, shutdown_signal()).await?;
    for db in [settings_db, matcher_db, syncer_db] {
        db.close().await;
    }
    if let Some(simulator) = simulator {
        let _ = simulator.shutdown().await;
    }
    Ok(())
}

/// `kintai reencrypt-tokens`: every stored token under the newest configured key.
pub async fn reencrypt_tokens(config: &Config) -> anyhow::Result<()> {
    let keys = key_ring(config, None)?;
    let db = open(config, "settings").await?;
    let resealed = kintai_settings::reencrypt_tokens(&db, &keys).await?;
    println!(
        "re-encrypted {resealed} tokens under key {:?}",
        keys.newest_id()
    );
    db.close().await;
    Ok(())
}

/// The token keys from `crypto.token_keys` or `crypto.token_key_file`; in laptop mode (with a
/// data dir) a key file is created there when neither is set.
fn key_ring(config: &Config, laptop_data_dir: Option<&Path>) -> anyhow::Result<KeyRing> {
    let crypto = &config.crypto;
    if !crypto.token_keys.is_empty() {
        return KeyRing::parse(&crypto.token_keys)
            .map_err(|error| ConfigError(format!("crypto.token_keys: {error}")).into());
    }
    if !crypto.token_key_file.is_empty() {
        let path = Path::new(&crypto.token_key_file);
        let spec = std::fs::read_to_string(path).map_err(|error| {
            ConfigError(format!(
                "crypto.token_key_file: cannot read {}: {error}",
                path.display()
            ))
        })?;
        return KeyRing::parse(&spec).map_err(|error| {
            ConfigError(format!("crypto.token_key_file {}: {error}", path.display())).into()
        });
    }
    match laptop_data_dir {
        Some(dir) => KeyRing::load_or_create_file(&dir.join("token-keys")),
        None => Err(ConfigError(
            "crypto.token_keys or crypto.token_key_file must be set: the settings service seals KING OF TIME tokens with them (make one with `kintai new-token-key ID`)".to_owned(),
        )
        .into()),
    }
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
