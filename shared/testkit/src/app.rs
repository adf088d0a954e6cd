//! A service under test behind the production server: caller authentication, health, message
//! limits and all, on `127.0.0.1:0`, reached by typed clients over real TCP.

use std::future::Future;

use kintai_core::Db;
use kintai_core::auth::{self, Callers, ClientCredentials};
use kintai_core::peer::{PeerChannel, peer_channel};
use kintai_core::server::{GrpcServer, ServerConfig};
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

/// The callers the policy knows ([`kintai_core::auth::access`]); each has its own secret here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// cyzen's platform: the public RPCs (RecordPunches, ListLinks, RegisterToken, …).
    Platform,
    Matcher,
    Syncer,
    /// The CronJob's trigger: RunMatch and RunSync only.
    Trigger,
    /// No credentials at all.
    Anonymous,
}

impl Caller {
    const NAMED: [Caller; 4] = [
        Caller::Platform,
        Caller::Matcher,
        Caller::Syncer,
        Caller::Trigger,
    ];

    fn name(self) -> Option<&'static str> {
        match self {
            Caller::Platform => Some(auth::CYZEN_PLATFORM),
            Caller::Matcher => Some(auth::MATCHER),
            Caller::Syncer => Some(auth::SYNCER),
            Caller::Trigger => Some(auth::TRIGGER),
            Caller::Anonymous => None,
        }
    }

    /// The secret this caller presents to a test server: a per-caller constant, since the test
    /// server's caller list holds only its hash like a real one.
    pub fn secret(self) -> Option<String> {
        self.name().map(|name| format!("test-secret-of-{name}"))
    }

    pub fn credentials(self) -> ClientCredentials {
        match self.secret() {
            Some(secret) => ClientCredentials::bearer(&secret).expect("an ASCII secret"),
            None => ClientCredentials::none(),
        }
    }
}

/// The caller list a test server authenticates against: every named [`Caller`].
fn callers() -> Callers {
    let spec: Vec<String> = Caller::NAMED
        .iter()
        .filter_map(|caller| {
            let name = caller.name()?;
            Some(format!("{name}:{}", auth::hash_secret(&caller.secret()?)))
        })
        .collect();
    Callers::parse(&spec.join(",")).expect("the test callers parse")
}

/// A running server. [`App::finish`] stops it and waits for it; dropping it stops it too.
pub struct App {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl App {
    /// Serves what `add` registers (services, required databases) with authentication on.
    pub async fn spawn(add: impl FnOnce(&mut GrpcServer)) -> Self {
        let mut server = GrpcServer::new(ServerConfig {
            drain_timeout_secs: 1,
            ..ServerConfig::default()
        });
        server.authenticate(callers());
        add(&mut server);
        Self::serve(|listener, stopped| server.serve(listener, stopped)).await
    }

    /// Serves one service over `db` (health follows the database, as in production).
    pub async fn spawn_service<S>(db: &Db, service: S) -> Self
    where
        S: tonic::server::NamedService
            + tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = std::convert::Infallible,
            > + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let db = db.clone();
        Self::spawn(move |server| {
            server.add_service(service).require_database(db);
        })
        .await
    }

    /// Serves on `127.0.0.1:0` until [`App::finish`] or drop.
    async fn serve<F, Fut>(serve: F) -> Self
    where
        F: FnOnce(tokio::net::TcpListener, BoxedSignal) -> Fut,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("a bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let signal: BoxedSignal = Box::pin(async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(serve(listener, signal));
        let url = format!("http://{address}");
        // The listener is bound before the task starts, so the first call connects.
        let channel = Endpoint::from_shared(url.clone())
            .expect("a loopback URL")
            .connect_lazy();
        Self {
            url,
            channel,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A channel presenting `caller`'s secret, with trace context like every peer channel.
    pub fn channel(&self, caller: Caller) -> PeerChannel {
        peer_channel(self.channel.clone(), caller.credentials())
    }

    pub fn settings(&self, caller: Caller) -> SettingsServiceClient<PeerChannel> {
        SettingsServiceClient::new(self.channel(caller))
    }

    pub fn matcher(&self, caller: Caller) -> MatcherServiceClient<PeerChannel> {
        MatcherServiceClient::new(self.channel(caller))
    }

    pub fn syncer(&self, caller: Caller) -> SyncerServiceClient<PeerChannel> {
        SyncerServiceClient::new(self.channel(caller))
    }

    /// Stops the server (health NOT_SERVING, drain) and answers how its serve ended.
    pub async fn finish(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The shutdown signal [`App::serve`] hands to a service's `serve`.
type BoxedSignal = std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
