//! Wiring every kintai server shares: `grpc.health.v1.Health` that says SERVING only while the
//! database answers, server reflection (v1 and v1alpha) built from exactly the registered
//! services, bounded message sizes, TLS when configured (see [`crate::tls`]), an optional
//! plaintext listener that answers health only (for kubelet's gRPC probes, which do not speak
//! TLS), and a graceful drain on shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::db::Db;

mod health;
mod reflection;

use crate::tls::{ServerTls, ServerTlsConfig};
use health::{serve_health_only, set_all, watch_databases};
use reflection::reflection_services;

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
    /// TLS on `listen` (`[server.tls]`); without it the server speaks plaintext.
    pub tls: ServerTlsConfig,
    /// Serve plaintext on a non-loopback `listen` on purpose: behind a service mesh whose
    /// sidecars terminate mutual TLS. The binary refuses that otherwise.
    pub allow_plaintext: bool,
    /// A second, plaintext listener that serves `grpc.health.v1.Health` only (nothing else, no
    /// secret crosses it): what kubelet's gRPC probes call, since they cannot speak TLS.
    pub health_listen: Option<std::net::SocketAddr>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 50051)),
            drain_timeout_secs: 20,
            max_message_bytes: 8 * 1024 * 1024,
            reflection: true,
            tls: ServerTlsConfig::default(),
            allow_plaintext: false,
            health_listen: None,
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
    /// The loaded `[server.tls]` (loaded from `server.tls` at serve time when `None`).
    pub tls: Option<Arc<ServerTls>>,
    /// The bound `server.health_listen`, if any.
    pub health_listener: Option<TcpListener>,
}

impl ServeConfig<()> {
    pub fn new(server: ServerConfig, callers: Option<crate::auth::Callers>, db: Db) -> Self {
        Self {
            server,
            callers,
            db,
            wiring: (),
            tls: None,
            health_listener: None,
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
            tls: self.tls,
            health_listener: self.health_listener,
        }
    }

    /// Serves over this TLS (loaded and checked by the caller at start-up) and, when given,
    /// answers health on `health_listener` too.
    pub fn with_transport(
        mut self,
        tls: Option<Arc<ServerTls>>,
        health_listener: Option<TcpListener>,
    ) -> Self {
        self.tls = tls;
        self.health_listener = health_listener;
        self
    }

    /// The server (callers authenticated as configured, health tied to the database), the
    /// database and the wiring; the service adds itself to the server.
    pub fn into_parts(self) -> (GrpcServer, Db, W) {
        let mut server = GrpcServer::new(self.server);
        if let Some(callers) = self.callers {
            server.authenticate(callers);
        }
        server.transport(self.tls, self.health_listener);
        server.require_database(self.db.clone());
        (server, self.db, self.wiring)
    }
}

/// Collects the services of one process, then serves them.
pub struct GrpcServer {
    config: ServerConfig,
    auth: crate::auth::AuthLayer,
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    databases: Vec<Db>,
    tls: Option<Arc<ServerTls>>,
    health_listener: Option<TcpListener>,
}

impl GrpcServer {
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            auth: crate::auth::AuthLayer::new(None),
            routes: RoutesBuilder::default(),
            names: Vec::new(),
            databases: Vec::new(),
            tls: None,
            health_listener: None,
        }
    }

    /// Serves over `tls` (else over `server.tls` as configured, loaded when serving starts) and
    /// answers health on `health_listener` too.
    pub fn transport(
        &mut self,
        tls: Option<Arc<ServerTls>>,
        health_listener: Option<TcpListener>,
    ) -> &mut Self {
        self.tls = tls;
        self.health_listener = health_listener;
        self
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
            tls,
            health_listener,
        } = self;
        let tls = match tls {
            Some(tls) => Some(tls),
            None if config.tls.enabled() => {
                Some(ServerTls::load(&config.tls).map_err(anyhow::Error::msg)?)
            }
            None => None,
        };
        let (reporter, health_service) = tonic_health::server::health_reporter();
        set_all(&reporter, &names, ServingStatus::NotServing).await;
        let health_only = health_listener
            .map(|listener| tokio::spawn(serve_health_only(listener, health_service.clone())));
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
        tracing::info!(
            address = %local,
            services = ?names,
            tls = tls.is_some(),
            mutual_tls = tls.as_ref().is_some_and(|tls| tls.mutual()),
            "serving gRPC"
        );
        let router = tonic::transport::Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .layer(crate::telemetry::ServerTraceLayer)
            .layer(crate::limits::MessageLimitLayer::new(
                config.max_message_bytes,
            ))
            .layer(auth)
            .add_routes(routes.routes());
        let drained = async move {
            let _ = drain_rx.await;
        };
        let mut server: Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>> =
            match tls {
                Some(tls) => Box::pin(
                    router
                        .serve_with_incoming_shutdown(crate::tls::incoming(listener, tls), drained),
                ),
                // TCP_NODELAY on every accepted connection, as tonic's own `serve(addr)` sets it
                // (a caller-provided listener gets no socket options): without it Nagle's
                // algorithm holds a response's last segment until the client's delayed ACK,
                // some 40 ms per call.
                None => Box::pin(router.serve_with_incoming_shutdown(
                    TcpIncoming::from(listener).with_nodelay(Some(true)),
                    drained,
                )),
            };
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
        if let Some(health_only) = health_only {
            health_only.abort();
        }
        tracing::info!("server stopped");
        result
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
