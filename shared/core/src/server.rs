//! Wiring every kintai server shares: `grpc.health.v1.Health` that says SERVING only while the
//! database answers, server reflection (v1 and v1alpha) built from exactly the registered
//! services, bounded message sizes, and a graceful drain on shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::db::Db;

/// Server settings (`[server]` in the configuration).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address the gRPC server listens on.
    pub listen: std::net::SocketAddr,
    /// After SIGTERM, how long in-flight calls may take before the process exits anyway.
    pub drain_timeout_secs: u64,
    /// Largest request or response message, in bytes; a larger request is answered
    /// RESOURCE_EXHAUSTED.
    pub max_message_bytes: usize,
    /// Whether server reflection is served (grpcurl needs it to work without proto files).
    pub reflection: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 50051)),
            drain_timeout_secs: 20,
            max_message_bytes: 8 * 1024 * 1024,
            reflection: true,
        }
    }
}

/// What a process that serves one service runs: the `[server]` settings, who may call, its
/// database, and the service's own wiring `W` (each service crate names its `ServeConfig`).
pub struct ServeConfig<W> {
    pub server: ServerConfig,
    /// `None` serves everyone (the binary allows that on loopback only).
    pub callers: Option<crate::auth::Callers>,
    pub db: Db,
    pub wiring: W,
}

impl ServeConfig<()> {
    pub fn new(server: ServerConfig, callers: Option<crate::auth::Callers>, db: Db) -> Self {
        Self {
            server,
            callers,
            db,
            wiring: (),
        }
    }
}

impl<W> ServeConfig<W> {
    /// The same process serving with `wiring`.
    pub fn with<V>(self, wiring: V) -> ServeConfig<V> {
        ServeConfig {
            server: self.server,
            callers: self.callers,
            db: self.db,
            wiring,
        }
    }

    /// The server (callers authenticated as configured, health tied to the database), the
    /// database and the wiring; the service adds itself to the server.
    pub fn into_parts(self) -> (GrpcServer, Db, W) {
        let mut server = GrpcServer::new(self.server);
        if let Some(callers) = self.callers {
            server.authenticate(callers);
        }
        server.require_database(self.db.clone());
        (server, self.db, self.wiring)
    }
}

/// How often health re-checks the databases.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);

/// Collects the services of one process, then serves them.
pub struct GrpcServer {
    config: ServerConfig,
    auth: crate::auth::AuthLayer,
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    databases: Vec<Db>,
}

impl GrpcServer {
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            auth: crate::auth::AuthLayer::new(None),
            routes: RoutesBuilder::default(),
            names: Vec::new(),
            databases: Vec::new(),
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Registers a service; it is health-checked and listed by reflection.
    pub fn add_service<S>(&mut self, service: S) -> &mut Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.routes.add_service(service);
        self.names.push(S::NAME);
        self
    }

    /// Requires callers to authenticate (see [`crate::auth`]); without it the server is open.
    pub fn authenticate(&mut self, callers: crate::auth::Callers) -> &mut Self {
        self.auth = crate::auth::AuthLayer::new(Some(callers));
        self
    }

    /// A database the process needs: health is SERVING only while every one of them answers.
    pub fn require_database(&mut self, db: Db) -> &mut Self {
        self.databases.push(db);
        self
    }

    /// Serves until `shutdown` resolves, then turns health NOT_SERVING, stops accepting, and lets
    /// in-flight calls finish within the drain timeout.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let GrpcServer {
            config,
            auth,
            mut routes,
            names,
            databases,
        } = self;
        let (reporter, health_service) = tonic_health::server::health_reporter();
        set_all(&reporter, &names, ServingStatus::NotServing).await;
        routes.add_service(health_service);

        if config.reflection {
            let (v1, v1alpha) = reflection_services(&names)?;
            routes.add_service(v1);
            routes.add_service(v1alpha);
        }

        let watcher = tokio::spawn(watch_databases(reporter.clone(), names.clone(), databases));
        let stop_watching = watcher.abort_handle();
        let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
        let drain_timeout = Duration::from_secs(config.drain_timeout_secs);
        let shutdown_reporter = reporter.clone();
        let shutdown_names = names.clone();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            shutdown.await;
            stop_watching.abort();
            // Health goes NOT_SERVING first so that load balancers stop sending new calls.
            set_all(
                &shutdown_reporter,
                &shutdown_names,
                ServingStatus::NotServing,
            )
            .await;
            tracing::info!(
                drain_timeout_secs = drain_timeout.as_secs(),
                "shutting down: draining in-flight calls"
            );
            let _ = drain_tx.send(());
            let _ = stopped_tx.send(());
        });

        let local = listener.local_addr()?;
        tracing::info!(address = %local, services = ?names, "serving gRPC");
        // TCP_NODELAY on every accepted connection, as tonic's own `serve(addr)` sets it (a
        // caller-provided listener gets no socket options): without it Nagle's algorithm holds a
        // response's last segment until the client's delayed ACK, some 40 ms per call.
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let server = tonic::transport::Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .layer(crate::telemetry::ServerTraceLayer)
            .layer(crate::limits::MessageLimitLayer::new(
                config.max_message_bytes,
            ))
            .layer(auth)
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = drain_rx.await;
            });
        tokio::pin!(server);
        let result = tokio::select! {
            result = &mut server => result.map_err(anyhow::Error::from),
            () = async {
                let _ = stopped_rx.await;
                tokio::time::sleep(drain_timeout).await;
            } => {
                tracing::warn!("drain timeout elapsed with calls still in flight; exiting anyway");
                Ok(())
            }
        };
        watcher.abort();
        tracing::info!("server stopped");
        result
    }
}

fn reflection_services(
    names: &[&'static str],
) -> anyhow::Result<(
    tonic_reflection::server::v1::ServerReflectionServer<
        impl tonic_reflection::server::v1::ServerReflection,
    >,
    tonic_reflection::server::v1alpha::ServerReflectionServer<
        impl tonic_reflection::server::v1alpha::ServerReflection,
    >,
)> {
    let builder = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(kintai_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("grpc.reflection.v1.ServerReflection")
            .with_service_name("grpc.reflection.v1alpha.ServerReflection");
        for name in names {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}

async fn set_all(reporter: &HealthReporter, names: &[&'static str], status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for name in names {
        reporter.set_service_status(*name, status).await;
    }
}

/// Keeps health in step with the databases: SERVING while all answer, NOT_SERVING otherwise.
async fn watch_databases(reporter: HealthReporter, names: Vec<&'static str>, databases: Vec<Db>) {
    let mut serving = None;
    loop {
        let mut healthy = true;
        for db in &databases {
            healthy &= db.ping().await;
        }
        if serving != Some(healthy) {
            let status = if healthy {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            set_all(&reporter, &names, status).await;
            if healthy {
                tracing::info!("databases answer: health SERVING");
            } else {
                tracing::warn!("a database does not answer: health NOT_SERVING");
            }
            serving = Some(healthy);
        }
        tokio::time::sleep(HEALTH_INTERVAL).await;
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C"),
        () = term => tracing::info!("received SIGTERM"),
    }
}
