//! `kintai serve NAME`: one service per process, as a pod runs it. The services wire themselves
//! (`kintai_settings::serve`, `kintai_matcher::serve`, `kintai_syncer::serve`); this resolves the
//! configuration they take.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use kintai_core::server::{ServeConfig, shutdown_signal};
use kintai_core::{Clock, Db};
use kintai_settings::SettingsDeps;
use kot_client::AttendanceVendor;
use tokio::net::TcpListener;

use crate::cli::ServiceName;
use crate::config::{Config, ConfigError};
use crate::{auth, keys, kot, transport};

/// One service per process, as a pod runs it.
pub async fn serve_one(service: ServiceName, config: &Config) -> anyhow::Result<()> {
    // Every setting is checked, then bind: a taken port is reported before any slower
    // start-up work.
    let callers = auth::callers(config)?;
    let credentials = auth::client_credentials(config)?;
    auth::check_service_peers(config, callers.as_ref(), service)?;
    transport::check_caller_sans(config)?;
    let server_tls = transport::server_tls(config)?;
    let peer_tls = transport::peer_tls(config)?;
    let (settings_url, matcher_url) = service_peers(config, &peer_tls, service)?;
    // Both before binding: nothing listens beyond loopback in a way these rules refuse.
    auth::guard_open_server(config.server.listen, &callers)?;
    transport::guard_plaintext_server(config.server.listen, server_tls.as_ref(), config)?;
    let listener = bind(config.server.listen).await?;
    let health_listener = transport::bind_health(config).await?;
    let db = open(config, service.as_str(), None).await?;
    let vendor: Arc<dyn AttendanceVendor> = kot::client(config, &kot::production_base_url(config))?;
    let now = Clock::system();
    let serving = ServeConfig::new(config.server.clone(), callers, db)
        .with_transport(server_tls, health_listener);
    let shutdown = shutdown_signal();
    match service {
        ServiceName::Settings => {
            let deps = SettingsDeps {
                vendor,
                keys: keys::key_ring(config)?,
                clock: now,
            };
            kintai_settings::serve(serving.with(deps), listener, shutdown).await
        }
        ServiceName::Matcher => {
            let wiring = kintai_matcher::Wiring {
                config: config.matcher.clone(),
                settings_url,
                credentials,
                tls: peer_tls,
                vendor,
                clock: now,
            };
            kintai_matcher::serve(serving.with(wiring), listener, shutdown).await
        }
        ServiceName::Syncer => {
            let wiring = kintai_syncer::Wiring {
                config: config.syncer.clone(),
                settings_url,
                matcher_url,
                credentials,
                tls: peer_tls,
                vendor,
                clock: now,
            };
            kintai_syncer::serve(serving.with(wiring), listener, shutdown).await
        }
    }
}

/// `kintai reencrypt-tokens`: every stored token under the newest configured key.
pub async fn reencrypt_tokens(config: &Config) -> anyhow::Result<()> {
    let keys = keys::key_ring(config)?;
    let db = open(config, "settings", None).await?;
    let resealed = kintai_settings::reencrypt_tokens(&db, &keys).await?;
    println!(
        "re-encrypted {resealed} tokens under key {:?}",
        keys.newest_id()
    );
    db.close().await;
    Ok(())
}

pub fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

/// The settings and matcher URLs a service calls (empty where it calls neither), checked.
fn service_peers(
    config: &Config,
    tls: &kintai_core::peer::PeerTls,
    service: ServiceName,
) -> anyhow::Result<(String, String)> {
    let settings = || peer(tls, &config.peers.settings_url, "peers.settings_url");
    let matcher = || peer(tls, &config.peers.matcher_url, "peers.matcher_url");
    Ok(match service {
        ServiceName::Settings => (String::new(), String::new()),
        ServiceName::Matcher => (settings()?, String::new()),
        ServiceName::Syncer => (settings()?, matcher()?),
    })
}

/// A peer's URL from `setting`: set, and one this process may dial as configured.
fn peer(tls: &kintai_core::peer::PeerTls, value: &str, setting: &str) -> anyhow::Result<String> {
    let url = non_empty(value).ok_or_else(|| {
        ConfigError(format!(
            "{setting} must be set: this service calls that peer"
        ))
    })?;
    transport::check_peer(tls, setting, url)?;
    Ok(url.to_owned())
}

pub async fn bind(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (server.listen)"))
}

/// The service's database: `database.url`, or its own SQLite file in `data_dir` (the laptop
/// stack's folder when given, else the configured one).
pub async fn open(config: &Config, service: &str, data_dir: Option<&Path>) -> anyhow::Result<Db> {
    let url = match data_dir {
        Some(dir) if config.database.url.is_empty() => {
            format!("sqlite://{}", dir.join(format!("{service}.db")).display())
        }
        _ => config.database_url(service),
    };
    Db::connect(&url, config.database.max_connections)
        .await
        .with_context(|| format!("cannot open the {service} database (database.url)"))
}
