//! Running services: one per process (`kintai serve NAME`) or all three on one port
//! (`kintai dev`, `kintai demo`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use kintai_core::Db;
use kintai_core::server::{GrpcServer, shutdown_signal};
use kintai_proto::syncer::v1::syncer_service_server::SyncerServiceServer;
use kintai_settings::SettingsDeps;
use kintai_syncer::{SyncOptions, Syncer, SyncerApi, SyncerDeps};
use kot_client::AttendanceVendor;
use kot_sim::Simulator;
use tokio::net::TcpListener;

use kintai_core::auth::ClientCredentials;

use crate::auth;
use crate::cli::ServiceName;
use crate::config::{Config, ConfigError};
use crate::{keys, kot};

/// "Now" for every service of a process; the demo shifts it to the manual's week.
type NowFn = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The syncer's clock trait over the process clock.
struct ProcessClock(NowFn);

impl std::fmt::Debug for ProcessClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProcessClock")
    }
}

impl kintai_syncer::Clock for ProcessClock {
    fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

/// One service per process, as a pod runs it.
pub async fn serve_one(service: ServiceName, config: &Config) -> anyhow::Result<()> {
    // Bind first: a taken port is reported before any slower start-up work.
    let callers = auth::callers(config)?;
    let credentials = auth::client_credentials(config)?;
    auth::check_service_peers(config, callers.as_ref(), service)?;
    let listener = bind(config.server.listen).await?;
    auth::guard_open_server(listener.local_addr()?, &callers)?;
    let db = open(config, service.as_str(), None).await?;
    let mut server = GrpcServer::new(config.server.clone());
    if let Some(callers) = callers {
        server.authenticate(callers);
    }
    let max = config.server.max_message_bytes;
    let vendor: Arc<dyn AttendanceVendor> = kot::client(config, &kot::production_base_url(config))?;
    let now: NowFn = Arc::new(Utc::now);
    let mut running_syncer = None;
    match service {
        ServiceName::Settings => {
            let deps = SettingsDeps {
                vendor,
                keys: keys::key_ring(config)?,
                clock: None,
            };
            server.add_service(kintai_settings::service(db.clone(), max, deps).await?);
        }
        ServiceName::Matcher => {
            let settings_url = peer(&config.peers.settings_url, "peers.settings_url")?;
            let deps = matcher_deps(config, &settings_url, vendor, now, credentials)?;
            let api = kintai_matcher::api(db.clone(), deps).await?;
            if config.matcher.dispatch {
                kintai_matcher::spawn_dispatcher(api.matcher().clone(), match_dispatch(config));
            }
            server.add_service(kintai_matcher::server(api, max));
        }
        ServiceName::Syncer => {
            let settings_url = peer(&config.peers.settings_url, "peers.settings_url")?;
            let matcher_url = peer(&config.peers.matcher_url, "peers.matcher_url")?;
            let deps = syncer_deps(
                config,
                &settings_url,
                &matcher_url,
                vendor,
                now,
                credentials,
            )?;
            let syncer = Syncer::start(db.clone(), deps).await?;
            server.add_service(syncer_server(syncer.clone(), max));
            if config.syncer.dispatch {
                kintai_syncer::spawn_dispatcher(syncer.clone());
            }
            running_syncer = Some(syncer);
        }
    };
    server.require_database(db.clone());
    let stopping = running_syncer.clone();
    let signal = async move {
        shutdown_signal().await;
        // At once: the sync runs stop starting POSTs, so the RunSync calls the server drains end
        // soon, their POSTs recorded and their leases given back.
        if let Some(syncer) = &stopping {
            syncer.shut_down();
        }
    };
    server.serve(listener, signal).await?;
    if let Some(syncer) = running_syncer {
        drain_syncer(&syncer, config).await;
    }
    db.close().await;
    Ok(())
}

/// Waits for the sync runs that no caller waits for any more (a caller gave up, the periodic
/// run), within the drain timeout.
async fn drain_syncer(syncer: &Syncer, config: &Config) {
    syncer.shut_down();
    let limit = Duration::from_secs(config.server.drain_timeout_secs);
    if !syncer.drained(limit).await {
        tracing::warn!(
            "sync runs still going after the drain timeout; their leases expire by themselves"
        );
    }
}

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
        let listener = bind(options.listen).await?;
        let address = listener.local_addr()?;
        auth::guard_open_server(address, &callers)?;
        let settings_db = open(config, "settings", Some(&options.data_dir)).await?;
        let matcher_db = open(config, "matcher", Some(&options.data_dir)).await?;
        let syncer_db = open(config, "syncer", Some(&options.data_dir)).await?;
        let keys = keys::laptop_key_ring(config, &options.data_dir, &settings_db).await?;
        let now: NowFn = match options.now {
            Some(start) => {
                let offset = start.signed_duration_since(Utc::now());
                Arc::new(move || Utc::now() + offset)
            }
            None => Arc::new(Utc::now),
        };
        let simulator = if config.kot.base_url.is_empty() {
            let sim = kot::seeded_simulator()?;
            if let Some(start) = options.now {
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
            Some(handle)
        } else {
            None
        };
        let kot_base_url = match &simulator {
            Some(handle) => handle.base_url.to_string(),
            None => config.kot.base_url.clone(),
        };
        let vendor: Arc<dyn AttendanceVendor> = kot::client(config, &kot_base_url)?;
        // The services call each other through this very port unless peers are configured.
        let own_url = format!("http://{address}");
        let settings_url = non_empty(&config.peers.settings_url)
            .unwrap_or(&own_url)
            .to_owned();
        let matcher_url = non_empty(&config.peers.matcher_url)
            .unwrap_or(&own_url)
            .to_owned();

        let max = config.server.max_message_bytes;
        let settings_now = now.clone();
        let settings_deps = SettingsDeps {
            vendor: vendor.clone(),
            keys,
            clock: Some(settings_now),
        };
        let matcher_api = kintai_matcher::api(
            matcher_db.clone(),
            matcher_deps(
                config,
                &settings_url,
                vendor.clone(),
                now.clone(),
                credentials.clone(),
            )?,
        )
        .await?;
        let syncer = Syncer::start(
            syncer_db.clone(),
            syncer_deps(
                config,
                &settings_url,
                &matcher_url,
                vendor,
                now,
                credentials,
            )?,
        )
        .await?;

        let mut server = GrpcServer::new(config.server.clone());
        if let Some(callers) = callers {
            server.authenticate(callers);
        }
        server
            .add_service(kintai_settings::service(settings_db.clone(), max, settings_deps).await?)
            .add_service(kintai_matcher::server(matcher_api.clone(), max))
            .add_service(syncer_server(syncer.clone(), max))
            .require_database(settings_db.clone())
            .require_database(matcher_db.clone())
            .require_database(syncer_db.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server.serve(listener, async move {
            let _ = stopped.await;
        }));

        let mut background = Vec::new();
        // Prompt delivery belongs to the stack that runs on its own (`kintai dev`); the demo
        // drives every run itself.
        if options.periodic && config.syncer.dispatch {
            background.push(kintai_syncer::spawn_dispatcher(syncer.clone()));
        }
        if options.periodic {
            let match_every = Duration::from_secs(config.dev.match_interval_secs);
            let sync_every = Duration::from_secs(config.dev.sync_interval_secs);
            if config.matcher.dispatch {
                background.push(kintai_matcher::spawn_dispatcher(
                    matcher_api.matcher().clone(),
                    match_dispatch(config),
                ));
            }
            background.push(kintai_matcher::spawn_periodic(
                matcher_api.matcher().clone(),
                Duration::from_secs(2),
                match_every,
            ));
            background.push(kintai_syncer::spawn_periodic(
                syncer.clone(),
                sync_every,
                std::future::pending(),
            ));
        }
        tracing::info!(
            address = %address,
            data_dir = %options.data_dir.display(),
            "kintai dev serving on {address}; try: grpcurl -plaintext {address} list"
        );
        Ok(Self {
            address,
            simulator,
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
        if !self.syncer.drained(self.drain_timeout).await {
            tracing::warn!(
                "sync runs still going after the drain timeout; their leases expire by themselves"
            );
        }
        for db in self.databases {
            db.close().await;
        }
        if let Some(simulator) = self.simulator {
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

fn matcher_deps(
    config: &Config,
    settings_url: &str,
    vendor: Arc<dyn AttendanceVendor>,
    now: NowFn,
    credentials: ClientCredentials,
) -> anyhow::Result<kintai_matcher::MatcherDeps> {
    let settings = Arc::new(kintai_matcher::GrpcSettings::with_credentials(
        lazy_channel(settings_url)?,
        credentials,
    ));
    let mut deps = kintai_matcher::MatcherDeps::new(settings, vendor);
    deps.clock = now;
    deps.concurrency = config.matcher.concurrency;
    deps.lease_ttl = Duration::from_secs(config.matcher.lease_ttl_secs);
    Ok(deps)
}

fn match_dispatch(config: &Config) -> kintai_matcher::DispatchOptions {
    kintai_matcher::DispatchOptions {
        debounce: Duration::from_secs(config.matcher.dispatch_debounce_secs),
        watch: Duration::from_secs(config.matcher.settings_watch_secs),
        max_running: config.matcher.concurrency.min(8),
        ..kintai_matcher::DispatchOptions::default()
    }
}

fn syncer_deps(
    config: &Config,
    settings_url: &str,
    matcher_url: &str,
    vendor: Arc<dyn AttendanceVendor>,
    now: NowFn,
    credentials: ClientCredentials,
) -> anyhow::Result<SyncerDeps> {
    Ok(SyncerDeps {
        settings: Arc::new(kintai_syncer::ports::GrpcSettings::with_credentials(
            lazy_channel(settings_url)?,
            credentials.clone(),
        )),
        links: Arc::new(kintai_syncer::ports::GrpcLinks::with_credentials(
            lazy_channel(matcher_url)?,
            credentials,
        )),
        vendor,
        clock: Arc::new(ProcessClock(now)),
        options: SyncOptions {
            concurrency: config.syncer.concurrency,
            lease_ttl: Duration::from_secs(config.syncer.lease_ttl_secs),
            undelivered_after: Duration::from_secs(config.syncer.undelivered_after_secs),
            dispatch: kintai_syncer::DispatchOptions {
                enabled: config.syncer.dispatch,
                debounce: Duration::from_millis(config.syncer.dispatch_debounce_ms),
                poll: Duration::from_millis(config.syncer.dispatch_poll_ms),
                max_running: config.syncer.dispatch_max_running,
                watch: Duration::from_secs(config.syncer.settings_watch_secs),
            },
            retry: kintai_syncer::RetryPolicy {
                max_backoff: Duration::from_secs(config.syncer.retry_max_backoff_secs),
                ..kintai_syncer::RetryPolicy::default()
            },
            ..SyncOptions::default()
        },
    })
}

fn syncer_server(syncer: Syncer, max: usize) -> SyncerServiceServer<SyncerApi> {
    SyncerServiceServer::new(SyncerApi::new(syncer))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max)
}

/// A channel that connects on first use, so a process can build it before its peer (possibly
/// itself, in `kintai dev`) listens.
fn lazy_channel(url: &str) -> anyhow::Result<tonic::transport::Channel> {
    Ok(tonic::transport::Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("{url:?} is not a URL"))?
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .connect_lazy())
}

fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

fn peer(value: &str, setting: &str) -> anyhow::Result<String> {
    non_empty(value).map(str::to_owned).ok_or_else(|| {
        ConfigError(format!(
            "{setting} must be set: this service calls that peer"
        ))
        .into()
    })
}

async fn bind(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (server.listen)"))
}

/// The service's database: `database.url`, or its own SQLite file in `data_dir` (the laptop
/// stack's folder when given, else the configured one).
async fn open(config: &Config, service: &str, data_dir: Option<&Path>) -> anyhow::Result<Db> {
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
