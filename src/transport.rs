//! TLS as configured, and the rules checked before anything listens or dials: a server on a
//! non-loopback address speaks TLS unless `server.allow_plaintext` says a mesh encrypts its
//! traffic; a client dials plaintext only to loopback unless `peers.allow_plaintext` says the
//! same; every TLS file loads. Each refusal is a [`ConfigError`] naming the setting (exit 64).

use std::net::SocketAddr;
use std::sync::Arc;

use kintai_core::auth::Callers;
use kintai_core::peer::PeerTls;
use kintai_core::tls::ServerTls;
use tokio::net::TcpListener;

use crate::config::{Config, ConfigError};

/// `[server.tls]`, loaded; `None` when it is not configured.
pub fn server_tls(config: &Config) -> Result<Option<Arc<ServerTls>>, ConfigError> {
    let tls = &config.server.tls;
    if !tls.enabled() {
        return Ok(None);
    }
    ServerTls::load(tls).map(Some).map_err(ConfigError)
}

/// What `auth.caller_sans` needs on a server: certificates that were verified, else a SAN
/// would prove nothing.
pub fn check_caller_sans(config: &Config) -> Result<(), ConfigError> {
    if !config.auth.caller_sans.trim().is_empty() && config.server.tls.client_ca_file.is_empty() {
        return Err(ConfigError(
            "auth.caller_sans needs server.tls.client_ca_file: a client certificate's SAN names a caller only when the certificate was verified against that CA (mutual TLS)".to_owned(),
        ));
    }
    Ok(())
}

/// Refuses plaintext on a non-loopback address, unless `server.allow_plaintext` is set on
/// purpose, which is warned about.
pub fn guard_plaintext_server(
    listen: SocketAddr,
    tls: Option<&Arc<ServerTls>>,
    config: &Config,
) -> Result<(), ConfigError> {
    if tls.is_some() || listen.ip().is_loopback() {
        return Ok(());
    }
    if config.server.allow_plaintext {
        tracing::warn!(
            %listen,
            "serving gRPC in PLAINTEXT on a non-loopback address (server.allow_plaintext = true): callers' secrets and KING OF TIME tokens cross the network as they are; only behind a service mesh whose sidecars encrypt every connection (mutual TLS)"
        );
        return Ok(());
    }
    Err(ConfigError(format!(
        "server.tls.cert_file and server.tls.key_file are not set: refusing to serve in plaintext on {listen}, where callers' secrets and KING OF TIME tokens would cross the network in clear. Set them (TLS; add server.tls.client_ca_file for mutual TLS), listen on a loopback address, or set server.allow_plaintext = true behind a service mesh whose sidecars terminate mutual TLS"
    )))
}

/// How this process dials its peers (`[peers.tls]`, `peers.allow_plaintext`).
pub fn peer_tls(config: &Config) -> Result<PeerTls, ConfigError> {
    PeerTls::load(&config.peers.tls, config.peers.allow_plaintext).map_err(ConfigError)
}

/// Whether `url` (from `setting`) may be dialled as configured.
pub fn check_peer(tls: &PeerTls, setting: &str, url: &str) -> Result<(), ConfigError> {
    tls.check(url)
        .map_err(|why| ConfigError(format!("{setting}: {why}")))
}

/// The bound `server.health_listen`, if set: a taken port stops start-up like `server.listen`.
pub async fn bind_health(config: &Config) -> anyhow::Result<Option<TcpListener>> {
    let Some(address) = config.server.health_listen else {
        return Ok(None);
    };
    if address == config.server.listen {
        return Err(ConfigError(
            "server.health_listen must differ from server.listen: it is a second, plaintext port that answers health only".to_owned(),
        )
        .into());
    }
    use anyhow::Context;
    Ok(Some(TcpListener::bind(address).await.with_context(
        || format!("cannot listen on {address} (server.health_listen)"),
    )?))
}

/// The callers from `auth.callers` / `auth.callers_file` and `auth.caller_sans` together.
pub fn with_caller_sans(
    config: &Config,
    secrets: Option<Callers>,
) -> Result<Option<Callers>, ConfigError> {
    let spec = config.auth.caller_sans.trim();
    if spec.is_empty() {
        return Ok(secrets);
    }
    let named = match secrets {
        Some(callers) => callers.with_certificates(spec),
        None => Callers::certificates_only(spec),
    };
    named
        .map(Some)
        .map_err(|why| ConfigError(format!("auth.caller_sans: {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_beyond_loopback_needs_allow_plaintext() {
        let mut config = Config::default();
        let public: SocketAddr = "0.0.0.0:50051".parse().unwrap();
        let error = guard_plaintext_server(public, None, &config).unwrap_err();
        assert!(
            error.to_string().contains("server.tls.cert_file"),
            "{error}"
        );
        assert!(
            error.to_string().contains("server.allow_plaintext"),
            "{error}"
        );
        assert!(guard_plaintext_server("127.0.0.1:1".parse().unwrap(), None, &config).is_ok());
        config.server.allow_plaintext = true;
        assert!(guard_plaintext_server(public, None, &config).is_ok());
    }

    #[test]
    fn caller_sans_need_a_client_ca() {
        let mut config = Config::default();
        config.auth.caller_sans = "matcher:kintai-matcher".to_owned();
        let error = check_caller_sans(&config).unwrap_err();
        assert!(
            error.to_string().contains("server.tls.client_ca_file"),
            "{error}"
        );
        config.server.tls.client_ca_file = "/ca.crt".to_owned();
        assert!(check_caller_sans(&config).is_ok());
    }
}
