//! A channel to another kintai service: every call presents this process's caller credentials
//! and carries the current trace context; an `https://` URL is dialled over TLS
//! ([`crate::tls::Connector`]), and a plaintext URL beyond loopback is refused unless allowed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::auth::ClientCredentials;
use crate::telemetry::ClientTrace;
use crate::tls::{ClientTls, ClientTlsConfig, Connector};

/// What the tonic clients of our own services run on.
pub type PeerChannel = ClientTrace<InterceptedService<Channel, ClientCredentials>>;

/// Wraps a connected (or lazy) channel.
pub fn peer_channel(channel: Channel, credentials: ClientCredentials) -> PeerChannel {
    ClientTrace::new(InterceptedService::new(channel, credentials))
}

/// How this process dials its peers (`[peers.tls]`, `peers.allow_plaintext`).
#[derive(Debug, Clone, Default)]
pub struct PeerTls {
    tls: Option<Arc<ClientTls>>,
    /// Plaintext to a non-loopback peer is allowed: a service mesh's sidecar encrypts it.
    allow_plaintext: bool,
}

impl PeerTls {
    /// Plaintext peers on loopback only (`kintai dev`, tests).
    pub fn loopback_only() -> Self {
        Self::default()
    }

    /// From the settings; an error names the file that does not load.
    pub fn load(settings: &ClientTlsConfig, allow_plaintext: bool) -> Result<Self, String> {
        let tls = if settings.enabled() {
            Some(ClientTls::load(settings)?)
        } else {
            None
        };
        Ok(Self {
            tls,
            allow_plaintext,
        })
    }

    /// Whether `url` may be dialled as configured; the reason when not. A caller's secret rides
    /// on every call and `GetCredentials` answers KING OF TIME tokens, so neither may cross a
    /// network in clear: plaintext goes to loopback only, unless a mesh is said to encrypt it.
    pub fn check(&self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|_| format!("{url:?} is not a URL"))?;
        match parsed.scheme() {
            "https" if self.tls.is_none() => Err(format!(
                "{url} is https:// but peers.tls.ca_file is not set: the peer's certificate cannot be verified"
            )),
            "https" => Ok(()),
            "http" if self.allow_plaintext || is_loopback(&parsed) => Ok(()),
            "http" => Err(format!(
                "{url} is plaintext (http://) to a non-loopback address: this process's caller secret and the KING OF TIME tokens it reads would cross the network in clear. Use https:// with peers.tls.ca_file, or set peers.allow_plaintext = true behind a service mesh whose sidecars encrypt the traffic (mutual TLS)"
            )),
            other => Err(format!(
                "{url}: the scheme must be http or https, not {other}"
            )),
        }
    }

    /// An endpoint for `url` and the connector to dial it with.
    fn endpoint(&self, url: &str) -> anyhow::Result<(Endpoint, Connector)> {
        self.check(url).map_err(anyhow::Error::msg)?;
        let endpoint = Endpoint::from_shared(url.to_owned())
            .with_context(|| format!("{url:?} is not a URL"))?
            .connect_timeout(Duration::from_secs(10));
        Ok((endpoint, Connector::new(self.tls.clone())))
    }

    /// A channel to `url` that connects on first use, so a process can build it before its
    /// peer (possibly itself, in `kintai dev`) listens.
    pub fn lazy_channel(&self, url: &str) -> anyhow::Result<Channel> {
        let (endpoint, connector) = self.endpoint(url)?;
        Ok(endpoint
            .timeout(Duration::from_secs(60))
            .connect_with_connector_lazy(connector))
    }

    /// A channel to `url`, connected now: the error says why it cannot be reached.
    pub async fn connect(&self, url: &str) -> anyhow::Result<Result<Channel, String>> {
        let (endpoint, connector) = self.endpoint(url)?;
        Ok(endpoint
            .connect_with_connector(connector)
            .await
            .map_err(|error| error_chain(&error)))
    }
}

/// An error and its sources on one line: tonic's "transport error" alone says nothing about a
/// refused certificate.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_goes_to_loopback_only_unless_a_mesh_encrypts_it() {
        let strict = PeerTls::loopback_only();
        for url in [
            "http://127.0.0.1:50051",
            "http://localhost:50051",
            "http://[::1]:50051",
        ] {
            assert!(strict.check(url).is_ok(), "{url}");
        }
        for url in ["http://kintai-settings:50051", "http://10.0.0.7:50051"] {
            let why = strict.check(url).unwrap_err();
            assert!(why.contains("peers.allow_plaintext"), "{why}");
        }
        let mesh = PeerTls {
            tls: None,
            allow_plaintext: true,
        };
        assert!(mesh.check("http://kintai-settings:50051").is_ok());
        let why = strict.check("https://kintai-settings:50051").unwrap_err();
        assert!(why.contains("peers.tls.ca_file"), "{why}");
        assert!(strict.check("ftp://x").is_err());
    }
}
