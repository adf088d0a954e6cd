//! `grpc.health.v1.Health` as every server runs it: SERVING only while the databases answer, and
//! optionally answered on a plaintext port of its own, for probes that cannot speak TLS.

use std::convert::Infallible;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::db::Db;

/// How often health re-checks the databases.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);

pub(super) async fn set_all(
    reporter: &HealthReporter,
    names: &[&'static str],
    status: ServingStatus,
) {
    reporter.set_service_status("", status).await;
    for name in names {
        reporter.set_service_status(*name, status).await;
    }
}

/// Keeps health in step with the databases: SERVING while all answer, NOT_SERVING otherwise.
pub(super) async fn watch_databases(
    reporter: HealthReporter,
    names: Vec<&'static str>,
    databases: Vec<Db>,
) {
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

/// `server.health_listen`: health and nothing else (and reflection naming only health), in
/// plaintext, on its own port. It answers from the same reporter as the main port, so it says
/// NOT_SERVING exactly when that does.
pub(super) async fn serve_health_only<S>(listener: TcpListener, health: S)
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
    let address = listener.local_addr().ok();
    tracing::info!(address = ?address, "serving health only, in plaintext, for probes");
    let (v1, v1alpha) = match super::reflection::health_only_reflection() {
        Ok((v1, v1alpha)) => (Some(v1), Some(v1alpha)),
        Err(error) => {
            tracing::warn!(%error, "no reflection on the health-only listener");
            (None, None)
        }
    };
    let served = tonic::transport::Server::builder()
        .add_service(health)
        .add_optional_service(v1)
        .add_optional_service(v1alpha)
        .serve_with_incoming(TcpIncoming::from(listener).with_nodelay(Some(true)))
        .await;
    if let Err(error) = served {
        tracing::error!(%error, "the health-only listener stopped");
    }
}
