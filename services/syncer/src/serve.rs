//! The syncer as a server: on its own (`kintai serve syncer`, [`serve`]) or as one part of a
//! process that serves several services on one port (`kintai dev`, [`start`] and
//! [`grpc_service`]). The binary resolves the configuration; this is the syncer's wiring.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kintai_core::auth::ClientCredentials;
use kintai_core::peer::PeerTls;
use kintai_core::{Clock, Db};
use kintai_proto::syncer::v1::syncer_service_server::SyncerServiceServer;
use kot_client::AttendanceVendor;
use tokio::net::TcpListener;

use crate::ports::{GrpcLinks, GrpcSettings};
use crate::{Syncer, SyncerApi, SyncerConfig, SyncerDeps};

/// What the syncer needs from the process besides its database.
pub struct Wiring {
    /// `[syncer]`.
    pub config: SyncerConfig,
    /// The settings service (`peers.settings_url`), for who is synced and the tokens.
    pub settings_url: String,
    /// The matcher (`peers.matcher_url`), for the links.
    pub matcher_url: String,
    /// Presented on every call to settings and the matcher.
    pub credentials: ClientCredentials,
    /// How the peers are dialled: TLS for `https://` URLs (`[peers.tls]`).
    pub tls: PeerTls,
    pub vendor: Arc<dyn AttendanceVendor>,
    pub clock: Clock,
}

impl Wiring {
    /// The syncer's dependencies: its peers over channels that connect on first use.
    pub fn deps(self) -> anyhow::Result<SyncerDeps> {
        Ok(SyncerDeps {
            settings: Arc::new(GrpcSettings::with_credentials(
                self.tls.lazy_channel(&self.settings_url)?,
                self.credentials.clone(),
            )),
            links: Arc::new(GrpcLinks::with_credentials(
                self.tls.lazy_channel(&self.matcher_url)?,
                self.credentials,
            )),
            vendor: self.vendor,
            clock: self.clock,
            options: self.config.options(),
        })
    }
}

/// Applies the schema and starts the syncer on `db`.
pub async fn start(db: Db, wiring: Wiring) -> anyhow::Result<Syncer> {
    Syncer::start(db, wiring.deps()?).await
}

/// The gRPC service over a started syncer, with bounded message sizes.
pub fn grpc_service(syncer: Syncer, max_message_bytes: usize) -> SyncerServiceServer<SyncerApi> {
    SyncerServiceServer::new(SyncerApi::new(syncer))
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes)
}

/// What [`serve`] runs: the shared server settings, callers and database, and the [`Wiring`].
pub type ServeConfig = kintai_core::server::ServeConfig<Wiring>;

/// One syncer per process: serves on `listener` until `shutdown` resolves, then drains, waits
/// for the sync runs no caller waits for any more (within the drain timeout) and closes the
/// database.
pub async fn serve(
    config: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (mut server, db, wiring) = config.into_parts();
    let drain_timeout = Duration::from_secs(server.config().drain_timeout_secs);
    let max = server.config().max_message_bytes;
    let syncer = start(db.clone(), wiring).await?;
    server.add_service(grpc_service(syncer.clone(), max));
    if syncer.deps().options.dispatch.enabled {
        crate::spawn_dispatcher(syncer.clone());
    }
    let stopping = syncer.clone();
    let signal = async move {
        shutdown.await;
        // At once: the sync runs stop starting POSTs, so the RunSync calls the server drains end
        // soon, their POSTs recorded and their leases given back.
        stopping.shut_down();
    };
    let served = server.serve(listener, signal).await;
    drain(&syncer, drain_timeout).await;
    db.close().await;
    served
}

/// Stops the sync runs from starting POSTs and waits for them, within `limit`.
pub async fn drain(syncer: &Syncer, limit: Duration) {
    syncer.shut_down();
    if !syncer.drained(limit).await {
        tracing::warn!(
            "sync runs still going after the drain timeout; their leases expire by themselves"
        );
    }
}
