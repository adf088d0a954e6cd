//! `kintai dev` and `kintai demo`: the three services on one port, each wired by its own crate
//! and composed into one server, with the built-in KING OF TIME simulator.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use kintai_core::server::{GrpcServer, shutdown_signal};
use kintai_core::{Clock, Db};
use kintai_settings::SettingsDeps;
use kintai_syncer::Syncer;
use kot_client::AttendanceVendor;
use kot_sim::Simulator;

use crate::config::{Config, ConfigError};
use crate::serve::{bind, non_empty, open};
use crate::{auth, keys, kot, sim_data, transport};

/// How `kintai dev` or `kintai demo` runs the one-process stack.
pub struct DevOptions {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The instant every clock (services and simulator) reads at start; `None` for real time.
    pub now: Option<DateTime<Utc>>,
    /// Run matching and syncing on their own, as the CronJobs would.
    pub periodic: bool,
}

/// The three services on one port with their databases, and the simulator unless `kot.base_url`
/// names another KING OF TIME.
pub struct DevStack {
    address: SocketAddr,
    simulator: Option<kot_sim::SimHandle>,
    /// Keeps the simulator's data in the data folder (crate::sim_data).
    sim_saver: Option<tokio::task::JoinHandle<()>>,
    data_dir: PathBuf,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    background: Vec<tokio::task::JoinHandle<()>>,
    syncer: Syncer,
    drain_timeout: Duration,
    databases: Vec<Db>,
}

impl DevStack {
    pub async fn start(config: &Config, options: DevOptions) -> anyhow::Result<Self> {
        let callers = auth::callers(config)?;
        let credentials = auth::client_credentials(config)?;
        auth::check_dev_peers(config, callers.as_ref())?;
        transport::check_caller_sans(config)?;
        let server_tls = transport::server_tls(config)?;
        let peer_tls = transport::peer_tls(config)?;
        if server_tls.is_some() && !config.peers.tls.enabled() {
            return Err(ConfigError(
                "peers.tls.ca_file must be set: with server.tls, kintai dev calls its own services over TLS and verifies them against that CA (add peers.tls.cert_file and key_file when server.tls.client_ca_file is set)".to_owned(),
            )
            .into());
        }
        // Both before binding: nothing listens beyond loopback in a way these rules refuse.
        auth::guard_open_server(options.listen, &callers)?;
        transport::guard_plaintext_server(options.listen, server_tls.as_ref(), config)?;
        let listener = bind(options.listen).await?;
        let address = listener.local_addr()?;
        let (settings_url, matcher_url) = peer_urls(config, address, server_tls.is_some());
        transport::check_peer(&peer_tls, "peers.settings_url", &settings_url)?;
        transport::check_peer(&peer_tls, "peers.matcher_url", &matcher_url)?;
        let health_listener = transport::bind_health(config).await?;
        let settings_db = open(config, "settings", Some(&options.data_dir)).await?;
        let matcher_db = open(config, "matcher", Some(&options.data_dir)).await?;
        let syncer_db = open(config, "syncer", Some(&options.data_dir)).await?;
        let keys = keys::laptop_key_ring(config, &options.data_dir, &settings_db).await?;
        // One clock for the three services, shifted to `--start-at` when given (the simulator's
        // own clock is set to the same start below).
        let now = options.now.map_or_else(Clock::system, Clock::starting_at);
        let simulator = start_simulator(config, options.now, &options.data_dir).await?;
        let sim_saver = simulator
            .as_ref()
            .map(|handle| sim_data::keep(handle.sim.clone(), options.data_dir.clone()));
        let kot_base_url = match &simulator {
            Some(handle) => handle.base_url.to_string(),
            None => config.kot.base_url.clone(),
        };
        let vendor: Arc<dyn AttendanceVendor> = kot::client(config, &kot_base_url)?;
        let hint = if server_tls.is_some() {
            format!(
                "grpcurl -cacert {} {address} list",
                config.peers.tls.ca_file
            )
        } else {
            format!("grpcurl -plaintext {address} list")
        };

        let max = config.server.max_message_bytes;
        let settings_deps = SettingsDeps {
            vendor: vendor.clone(),
            keys,
            clock: now.clone(),
        };
        let matcher_api = kintai_matcher::start(
            matcher_db.clone(),
            &kintai_matcher::Wiring {
                config: config.matcher.clone(),
                settings_url: settings_url.clone(),
                credentials: credentials.clone(),
                tls: peer_tls.clone(),
                vendor: vendor.clone(),
                clock: now.clone(),
            },
        )
        .await?;
        let syncer = kintai_syncer::start(
            syncer_db.clone(),
            kintai_syncer::Wiring {
                config: config.syncer.clone(),
                settings_url,
                matcher_url,
                credentials,
                tls: peer_tls,
                vendor,
                clock: now,
            },
        )
        .await?;

        let mut server = GrpcServer::new(config.server.clone());
        if let Some(callers) = callers {
            server.authenticate(callers);
        }
        server.transport(server_tls, health_listener);
        server
            .add_service(kintai_settings::service(settings_db.clone(), max, settings_deps).await?)
            .add_service(kintai_matcher::server(matcher_api.clone(), max))
            .add_service(kintai_syncer::grpc_service(syncer.clone(), max))
            .require_database(settings_db.clone())
            .require_database(matcher_db.clone())
            .require_database(syncer_db.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server.serve(listener, async move {
            let _ = stopped.await;
        }));

        let background = background_tasks(config, &options, &matcher_api, &syncer);
        tracing::info!(
            address = %address,
            data_dir = %options.data_dir.display(),
            "kintai dev serving on {address}; try: {hint}"
        );
        Ok(Self {
            address,
            simulator,
            sim_saver,
            data_dir: options.data_dir,
            stop,
            server,
            background,
            syncer,
            drain_timeout: Duration::from_secs(config.server.drain_timeout_secs),
            databases: vec![settings_db, matcher_db, syncer_db],
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn simulator(&self) -> Option<Simulator> {
        self.simulator.as_ref().map(|handle| handle.sim.clone())
    }

    /// Health NOT_SERVING, drain, close the databases and the simulator.
    pub async fn stop(self) -> anyhow::Result<()> {
        // Sync runs stop starting POSTs first; the periodic loops stop; then the server drains.
        self.syncer.shut_down();
        for task in &self.background {
            task.abort();
        }
        let _ = self.stop.send(());
        self.server.await.context("the server task failed")??;
        kintai_syncer::drain(&self.syncer, self.drain_timeout).await;
        for db in self.databases {
            db.close().await;
        }
        if let Some(simulator) = self.simulator {
            if let Some(saver) = self.sim_saver {
                saver.abort();
            }
            // After the drain: the last punches the simulator stored are in the file.
            if let Err(error) = sim_data::save(&simulator.sim, &self.data_dir) {
                tracing::warn!(%error, "cannot write the simulator's data at shutdown");
            }
            let _ = simulator.shutdown().await;
        }
        Ok(())
    }
}

/// Laptop mode: serves until SIGTERM or Ctrl-C, matching and syncing on its own.
pub async fn dev(config: &Config, start_at: Option<DateTime<Utc>>) -> anyhow::Result<()> {
    let options = DevOptions {
        listen: config.server.listen,
        data_dir: config.data_dir(),
        now: start_at,
        periodic: true,
    };
    let stack = DevStack::start(config, options).await?;
    shutdown_signal().await;
    stack.stop().await
}

/// The built-in simulator — the data folder's from an earlier start, else seeded with the
/// example company — unless `kot.base_url` names another KING OF TIME; its clock starts where
/// the services' does.
async fn start_simulator(
    config: &Config,
    now: Option<DateTime<Utc>>,
    data_dir: &std::path::Path,
) -> anyhow::Result<Option<kot_sim::SimHandle>> {
    if !config.kot.base_url.is_empty() {
        return Ok(None);
    }
    let sim = sim_data::load(data_dir)?;
    if let Some(start) = now {
        sim.set_clock(kot_sim::Clock::starting_at(start));
    }
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
    Ok(Some(handle))
}

/// Settings' and the matcher's URLs: this very port unless peers are configured (over TLS
/// when the port speaks it; an unspecified listen address is reached on loopback).
fn peer_urls(config: &Config, address: SocketAddr, tls: bool) -> (String, String) {
    let mut own = address;
    if own.ip().is_unspecified() {
        own.set_ip(std::net::IpAddr::from([127, 0, 0, 1]));
    }
    let own_url = format!("{}://{own}", if tls { "https" } else { "http" });
    let settings_url = non_empty(&config.peers.settings_url).unwrap_or(&own_url);
    let matcher_url = non_empty(&config.peers.matcher_url).unwrap_or(&own_url);
    (settings_url.to_owned(), matcher_url.to_owned())
}

/// What runs on its own in `kintai dev` (`periodic`): the dispatchers (prompt delivery and
/// re-matching) and the periodic runs in the CronJobs' place. The demo drives every run itself.
fn background_tasks(
    config: &Config,
    options: &DevOptions,
    matcher_api: &kintai_matcher::MatcherApi,
    syncer: &Syncer,
) -> Vec<tokio::task::JoinHandle<()>> {
    if !options.periodic {
        return Vec::new();
    }
    let (config, matcher, syncer) = (
        config.clone(),
        matcher_api.matcher().clone(),
        syncer.clone(),
    );
    // The first match before any sync: a restarted `kintai dev` posts nothing on a link the
    // employee list has not confirmed since (the simulator may have changed while it was down).
    vec![tokio::spawn(async move {
        // The one-process server calls itself: let it listen first.
        tokio::time::sleep(Duration::from_secs(2)).await;
        kintai_matcher::run_periodic_once(&matcher).await;
        let interval = Duration::from_secs(config.dev.match_interval_secs);
        let mut tasks = Vec::new();
        if config.syncer.dispatch {
            tasks.push(kintai_syncer::spawn_dispatcher(syncer.clone()));
        }
        if config.matcher.dispatch {
            tasks.push(kintai_matcher::spawn_dispatcher(
                matcher.clone(),
                config.matcher.dispatch_options(),
            ));
        }
        tasks.push(kintai_matcher::spawn_periodic(matcher, interval, interval));
        tasks.push(kintai_syncer::spawn_periodic(
            syncer,
            Duration::from_secs(config.dev.sync_interval_secs),
            std::future::pending(),
        ));
        // Aborting this task (at stop) aborts them all.
        let _running: Vec<_> = tasks
            .into_iter()
            .map(kintai_core::task::AbortOnDrop)
            .collect();
        std::future::pending::<()>().await;
    })]
}
