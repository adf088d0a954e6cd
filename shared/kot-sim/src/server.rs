//! HTTP serving: routes, the per-request fault/latency/log layer, and a connection loop that
//! can close a connection without answering (the "stored, then reset" fault).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt;
use url::Url;

use crate::api_daily::list_daily_workings;
use crate::api_read::{
    day_timerecords, get_employee, list_divisions, list_employees, list_timerecords,
};
use crate::api_write::{
    DropConnection, delete_token, post_timerecord, refresh_token, token_available,
};
use crate::faults::Target;
use crate::gateway::fault_response;
use crate::guard::PeerAddr;
use crate::model::{FailureKind, RequestLogEntry, SimConfig};
use crate::reply::{AnsweredCode, ApiError};
use crate::simulator::Simulator;

/// The punch POST shares its route with the one-day listing (`{keyOrDate}`).
const PUNCH_ROUTE: &str = "/v1.0/daily-workings/timerecord/{keyOrDate}";

/// How long open connections may finish their requests after shutdown is asked.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The connection was closed on purpose, without an answer.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for ConnectionDropped {}

/// A simulator serving on an ephemeral loopback port, for tests and benchmarks.
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:PORT/v1.0`: give this to the client as its base URL.
    pub base_url: Url,
    /// `http://127.0.0.1:PORT/_admin`.
    pub admin_url: Url,
    pub addr: SocketAddr,
    pub sim: Simulator,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl SimHandle {
    /// Stops accepting, drains open connections, and waits for the server to end.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(trigger) = self.shutdown.take() {
            let _ = trigger.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

/// Starts a simulator with the default configuration on `127.0.0.1:0`.
pub async fn spawn_local() -> io::Result<SimHandle> {
    Simulator::new(SimConfig::default()).spawn_local().await
}

impl Simulator {
    /// The API under `/v1.0` and the admin API under `/_admin`. Serving this router with
    /// `axum::serve` works too, but without permitted-IP peers and connection drops: prefer
    /// [`Simulator::serve`].
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/v1.0/employees", get(list_employees))
            .route("/v1.0/employees/{code}", get(get_employee))
            .route("/v1.0/divisions", get(list_divisions))
            .route("/v1.0/daily-workings/timerecord", get(list_timerecords))
            .route("/v1.0/daily-workings", get(list_daily_workings))
            .route(PUNCH_ROUTE, get(day_timerecords).post(post_timerecord))
            .route(
                "/v1.0/tokens/{token}",
                post(refresh_token).delete(delete_token),
            )
            .route("/v1.0/tokens/{token}/available", get(token_available))
            .layer(middleware::from_fn_with_state(self.clone(), api_layer));
        api.merge(crate::admin::routes())
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(self.clone())
    }

    /// Serves until `shutdown` completes, then drains open connections for a few seconds.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> io::Result<()> {
        let router = self.router();
        let builder = auto::Builder::new(TokioExecutor::new());
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "simulator accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let router = router.clone();
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let router = router.clone();
                async move {
                    let mut request = request.map(Body::new);
                    request.extensions_mut().insert(PeerAddr(peer));
                    let response = match router.oneshot(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    // Returning an error makes hyper close the connection without writing the
                    // answer: the client sees EOF/reset after the punch was stored.
                    if response.extensions().get::<DropConnection>().is_some() {
                        Err(ConnectionDropped)
                    } else {
                        Ok(response)
                    }
                }
            });
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "simulator connection ended");
                }
            });
        }
        drop(listener);
        if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("simulator connections still open after drain timeout");
        }
        Ok(())
    }

    /// Serves on `127.0.0.1:0` in a background task.
    pub async fn spawn_local(&self) -> io::Result<SimHandle> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (trigger, stopped) = oneshot::channel::<()>();
        let sim = self.clone();
        let task = tokio::spawn(async move {
            sim.serve(listener, async move {
                // A dropped handle stops the server as well.
                let _ = stopped.await;
            })
            .await
        });
        let base_url = Url::parse(&format!("http://{addr}/v1.0")).map_err(io::Error::other)?;
        let admin_url = Url::parse(&format!("http://{addr}/_admin")).map_err(io::Error::other)?;
        Ok(SimHandle {
            base_url,
            admin_url,
            addr,
            sim: self.clone(),
            shutdown: Some(trigger),
            task: Some(task),
        })
    }
}

/// Injected faults, the request log, and latency: around every API request.
async fn api_layer(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let query = request.uri().query().map(str::to_owned);
    let path = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |matched| matched.as_str().to_owned(),
    );
    let (fault, rate_limit_status, slow) = {
        let mut state = sim.lock();
        let fault = state.faults.pick(target(&method, &path));
        let slow = state.faults.slow_after_store;
        (fault, state.rate_limit_status, slow)
    };
    // A before kind answers in KING OF TIME's place: nothing is processed.
    let instead = fault
        .filter(|kind| !kind.is_after_store())
        .and_then(|kind| fault_response(kind, rate_limit_status));
    let mut response = match instead {
        Some(answer) => answer,
        None => next.run(request).await,
    };
    let mut delay = Duration::ZERO;
    match fault {
        Some(kind @ FailureKind::Gateway504AfterStore) => {
            if let Some(page) = fault_response(kind, rate_limit_status) {
                response = page;
            }
        }
        Some(FailureKind::ResetAfterStore) => {
            response.extensions_mut().insert(DropConnection);
        }
        Some(FailureKind::SlowAfterStore) => delay = slow,
        _ => {}
    }
    let dropped = response.extensions().get::<DropConnection>().is_some();
    let entry = RequestLogEntry {
        method: method.to_string(),
        path,
        query,
        status: (!dropped).then(|| response.status().as_u16()),
        code: response
            .extensions()
            .get::<AnsweredCode>()
            .map(|code| code.0),
        // The handler's own drop (drop_connection_after_next_punch) is a reset after store too.
        fault: fault.or(dropped.then_some(FailureKind::ResetAfterStore)),
    };
    let latency = {
        let mut state = sim.lock();
        state.record(entry);
        state.faults.latency
    };
    // After processing and logging: a client timing out on a punch finds it stored.
    let wait = latency + delay;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    response
}

/// What the fault profile sees in a request.
fn target(method: &Method, path: &str) -> Target {
    if method == Method::POST && path == PUNCH_ROUTE {
        Target::PunchPost
    } else if method == Method::GET {
        Target::Read
    } else {
        Target::Other
    }
}

async fn not_found() -> Response {
    ApiError::not_found("no such resource").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        crate::reply::CODE_INVALID_REQUEST,
        "method not allowed",
    )
    .into_response()
}
