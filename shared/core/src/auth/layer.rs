//! The tower layer that enforces [`super::access`] in front of every service of a server.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::Status;

use super::{Access, Callers, access};

/// Authenticates and authorises every call. `None` callers: the server runs open (only allowed
/// on loopback; the binary enforces that).
#[derive(Clone, Debug)]
pub struct AuthLayer {
    callers: Option<Arc<Callers>>,
}

impl AuthLayer {
    pub fn new(callers: Option<Callers>) -> Self {
        Self {
            callers: callers.map(Arc::new),
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            callers: self.callers.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    callers: Option<Arc<Callers>>,
}

/// The decision for one request: the caller's name, or the status to answer with.
fn decide(
    callers: &Callers,
    path: &str,
    authorization: Option<&str>,
) -> Result<Option<String>, Status> {
    let Access::Only(allowed) = access(path) else {
        return Ok(None);
    };
    let Some(secret) = authorization.and_then(|value| value.strip_prefix("Bearer ")) else {
        return Err(Status::unauthenticated(
            "missing credentials: send 'authorization: Bearer <caller secret>'",
        ));
    };
    let Some(caller) = callers.identify(secret.trim()) else {
        return Err(Status::unauthenticated(
            "the caller secret is not recognised",
        ));
    };
    if !allowed.contains(&caller) {
        return Err(Status::permission_denied(format!(
            "caller {caller} may not call {path}"
        )));
    }
    Ok(Some(caller.to_owned()))
}

impl<S, B> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if let Some(callers) = &self.callers {
            let authorization = request
                .headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            match decide(callers, request.uri().path(), authorization) {
                Ok(Some(caller)) => {
                    tracing::debug!(caller, path = request.uri().path(), "caller admitted")
                }
                Ok(None) => {}
                Err(status) => {
                    tracing::info!(path = request.uri().path(), code = ?status.code(), "call refused");
                    return Box::pin(async move { Ok(status.into_http()) });
                }
            }
        }
        // The clone that was polled ready serves this call; the fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::hash_secret;

    fn callers() -> Callers {
        Callers::parse(&format!(
            "cyzen-platform:{},matcher:{}",
            hash_secret("p"),
            hash_secret("m")
        ))
        .unwrap()
    }

    #[test]
    fn decisions() {
        let c = callers();
        let credentials = "/kintai.settings.v1.SettingsService/GetCredentials";
        assert_eq!(
            decide(&c, credentials, None).unwrap_err().code(),
            tonic::Code::Unauthenticated
        );
        assert_eq!(
            decide(&c, credentials, Some("Bearer nope"))
                .unwrap_err()
                .code(),
            tonic::Code::Unauthenticated
        );
        assert_eq!(
            decide(&c, credentials, Some("Basic m")).unwrap_err().code(),
            tonic::Code::Unauthenticated
        );
        assert_eq!(
            decide(&c, credentials, Some("Bearer p"))
                .unwrap_err()
                .code(),
            tonic::Code::PermissionDenied
        );
        assert_eq!(
            decide(&c, credentials, Some("Bearer m")).unwrap(),
            Some("matcher".to_owned())
        );
        assert_eq!(
            decide(&c, "/grpc.health.v1.Health/Check", None).unwrap(),
            None
        );
    }
}
