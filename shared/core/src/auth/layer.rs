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
/// `authorization` holds every value of the header: more than one is refused, since which of
/// them counts would be a guess (and a proxy that adds one must not hide the caller's).
/// `certificate` holds the SAN names of the client certificate the TLS handshake verified
/// (empty without mutual TLS): a certificate listed in `auth.caller_sans` names its caller as a
/// secret does; with both, they must name the same caller.
fn decide(
    callers: &Callers,
    path: &str,
    authorization: &[&http::HeaderValue],
    certificate: &[String],
) -> Result<Option<String>, Status> {
    let Access::Only(allowed) = access(path) else {
        return Ok(None);
    };
    let by_certificate = callers
        .identify_certificate(certificate)
        .map_err(Status::unauthenticated)?;
    let by_secret = match authorization {
        [] => None,
        [value] => Some(secret_caller(callers, value)?),
        _ => {
            return Err(Status::unauthenticated(
                "more than one authorization header: send exactly one 'authorization: Bearer <caller secret>'",
            ));
        }
    };
    let caller = match (by_certificate, by_secret) {
        (None, None) => {
            return Err(Status::unauthenticated(
                "missing credentials: send 'authorization: Bearer <caller secret>' (or a client certificate listed in auth.caller_sans)",
            ));
        }
        (Some(caller), None) | (None, Some(caller)) => caller,
        (Some(named), Some(secret)) if named == secret => named,
        (Some(named), Some(secret)) => {
            return Err(Status::unauthenticated(format!(
                "the client certificate is the caller {named}'s but the secret is {secret}'s"
            )));
        }
    };
    if !allowed.contains(&caller) {
        return Err(Status::permission_denied(format!(
            "caller {caller} may not call {path}"
        )));
    }
    Ok(Some(caller.to_owned()))
}

/// The caller whose secret one `authorization` value carries.
fn secret_caller<'c>(callers: &'c Callers, value: &http::HeaderValue) -> Result<&'c str, Status> {
    let Some(secret) = value.to_str().ok().and_then(bearer_secret) else {
        return Err(Status::unauthenticated(
            "the authorization header is not 'Bearer <caller secret>'",
        ));
    };
    callers
        .identify(secret)
        .ok_or_else(|| Status::unauthenticated("the caller secret is not recognised"))
}

/// The credentials of `Bearer <secret>`. The scheme is case-insensitive (RFC 7235 section 2.1,
/// RFC 6750 section 2.1); one or more spaces separate it from the secret.
fn bearer_secret(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let secret = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
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
            let authorization: Vec<&http::HeaderValue> = request
                .headers()
                .get_all(http::header::AUTHORIZATION)
                .iter()
                .collect();
            let certificate = request
                .extensions()
                .get::<crate::tls::TlsConnectInfo>()
                .map(|info| info.names.names())
                .unwrap_or_default();
            match decide(callers, request.uri().path(), &authorization, certificate) {
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

    fn header(value: &str) -> http::HeaderValue {
        http::HeaderValue::from_str(value).unwrap()
    }

    fn code(c: &Callers, path: &str, values: &[&str]) -> Result<Option<String>, tonic::Code> {
        let values: Vec<http::HeaderValue> = values.iter().map(|v| header(v)).collect();
        let refs: Vec<&http::HeaderValue> = values.iter().collect();
        decide(c, path, &refs, &[]).map_err(|status| status.code())
    }

    #[test]
    fn decisions() {
        use tonic::Code::{PermissionDenied, Unauthenticated};
        let c = callers();
        let credentials = "/kintai.settings.v1.SettingsService/GetCredentials";
        assert_eq!(code(&c, credentials, &[]), Err(Unauthenticated));
        assert_eq!(
            code(&c, credentials, &["Bearer nope"]),
            Err(Unauthenticated)
        );
        assert_eq!(code(&c, credentials, &["Basic m"]), Err(Unauthenticated));
        assert_eq!(code(&c, credentials, &["Bearer "]), Err(Unauthenticated));
        assert_eq!(code(&c, credentials, &["Bearerm"]), Err(Unauthenticated));
        assert_eq!(code(&c, credentials, &["Bearer p"]), Err(PermissionDenied));
        assert_eq!(
            code(&c, credentials, &["Bearer m"]),
            Ok(Some("matcher".to_owned()))
        );
        assert_eq!(code(&c, "/grpc.health.v1.Health/Check", &[]), Ok(None));
    }

    #[test]
    fn a_listed_certificate_names_its_caller_and_must_agree_with_a_secret() {
        use tonic::Code::{PermissionDenied, Unauthenticated};
        let c = callers()
            .with_certificates("matcher:kintai-matcher,trigger:kintai-trigger")
            .unwrap();
        let credentials = "/kintai.settings.v1.SettingsService/GetCredentials";
        let cert = |san: &str| vec![san.to_owned()];
        let decide_code = |values: &[&str], names: &[String]| {
            let values: Vec<http::HeaderValue> = values.iter().map(|v| header(v)).collect();
            let refs: Vec<&http::HeaderValue> = values.iter().collect();
            decide(&c, credentials, &refs, names).map_err(|status| status.code())
        };
        assert_eq!(
            decide_code(&[], &cert("kintai-matcher")),
            Ok(Some("matcher".to_owned()))
        );
        assert_eq!(
            decide_code(&["Bearer m"], &cert("kintai-matcher")),
            Ok(Some("matcher".to_owned()))
        );
        assert_eq!(
            decide_code(&["Bearer p"], &cert("kintai-matcher")),
            Err(Unauthenticated)
        );
        assert_eq!(
            decide_code(&[], &cert("kintai-trigger")),
            Err(PermissionDenied)
        );
        assert_eq!(decide_code(&[], &cert("unlisted")), Err(Unauthenticated));
        assert_eq!(
            decide_code(&["Bearer m"], &cert("unlisted")),
            Ok(Some("matcher".to_owned()))
        );
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        let c = callers();
        let credentials = "/kintai.settings.v1.SettingsService/GetCredentials";
        for value in ["bearer m", "BEARER m", "BeArEr   m", " Bearer m "] {
            assert_eq!(
                code(&c, credentials, &[value]),
                Ok(Some("matcher".to_owned())),
                "{value:?}"
            );
        }
    }

    #[test]
    fn two_authorization_values_are_refused_whichever_comes_first() {
        let c = callers();
        let credentials = "/kintai.settings.v1.SettingsService/GetCredentials";
        for values in [
            ["Bearer m", "Bearer p"],
            ["Bearer p", "Bearer m"],
            ["Bearer m", "Bearer m"],
        ] {
            assert_eq!(
                code(&c, credentials, &values),
                Err(tonic::Code::Unauthenticated),
                "{values:?}"
            );
        }
    }
}
