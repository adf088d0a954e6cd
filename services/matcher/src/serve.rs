//! The matcher as a server: on its own (`kintai serve matcher`, [`serve`]) or as one part of a
//! process that serves several services on one port (`kintai dev`, [`start`] and
//! [`crate::server`]). The binary resolves the configuration; this is the matcher's wiring.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kintai_core::auth::ClientCredentials;
use kintai_core::peer::PeerTls;
use kintai_core::{Clock, Db};
use kot_client::AttendanceVendor;
use tokio::net::TcpListener;

use crate::{GrpcSettings, MatcherApi, MatcherConfig, MatcherDeps};

/// What the matcher needs from the process besides its database.
pub struct Wiring {
    /// `[matcher]`.
    pub config: MatcherConfig,
    /// The settings service (`peers.settings_url`), for the directory and the tokens.
    pub settings_url: String,
    /// Presented on every call to settings.
    pub credentials: ClientCredentials,
    /// How the peers are dialled: TLS for `https://` URLs (`[peers.tls]`).
    pub tls: PeerTls,
    pub vendor: Arc<dyn AttendanceVendor>,
    pub clock: Clock,
}

impl Wiring {
    /// The matcher's dependencies: settings over a channel that connects on first use.
    pub fn deps(&self) -> anyhow::Result<MatcherDeps> {
        let settings = Arc::new(GrpcSettings::with_credentials(
            self.tls.lazy_channel(&self.settings_url)?,
            self.credentials.clone(),
        ));
        let mut deps = MatcherDeps::new(settings, self.vendor.clone());
        deps.clock = self.clock.clone();
        deps.concurrency = self.config.concurrency;
        deps.lease_ttl = Duration::from_secs(self.config.lease_ttl_secs);
        Ok(deps)
    }
}

/// Applies the schema and builds the handlers on `db`.
pub async fn start(db: Db, wiring: &Wiring) -> anyhow::Result<MatcherApi> {
    crate::api(db, wiring.deps()?).await
}

/// What [`serve`] runs: the shared server settings, callers and database, and the [`Wiring`].
pub type ServeConfig = kintai_core::server::ServeConfig<Wiring>;

/// One matcher per process: serves on `listener` (re-matching changed directories when
/// `matcher.dispatch` is on) until `shutdown` resolves, then drains and closes the database.
pub async fn serve(
    config: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (mut server, db, wiring) = config.into_parts();
    let max = server.config().max_message_bytes;
    let api = start(db.clone(), &wiring).await?;
    if wiring.config.dispatch {
        crate::spawn_dispatcher(api.matcher().clone(), wiring.config.dispatch_options());
    }
    server.add_service(crate::server(api, max));
    let served = server.serve(listener, shutdown).await;
    db.close().await;
    served
}
