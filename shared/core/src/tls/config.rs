//! The TLS settings: `[server.tls]` for a server, `[peers.tls]` for a client of other kintai
//! services (the matcher, the syncer, `kintai trigger`). Paths only; the files are read when the
//! process starts and again whenever they change.

use serde::{Deserialize, Serialize};

/// `[server.tls]`: TLS on the gRPC listener; empty paths serve plaintext.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerTlsConfig {
    /// PEM certificate chain the server presents (leaf first), e.g. a mounted `tls.crt`.
    pub cert_file: String,
    /// PEM private key of that certificate (PKCS#8, PKCS#1 or SEC1), e.g. `tls.key`.
    pub key_file: String,
    /// PEM CA bundle; when set, every caller must present a certificate chaining to it (mutual
    /// TLS), or the handshake is refused.
    pub client_ca_file: String,
}

impl ServerTlsConfig {
    /// Whether TLS is configured at all.
    pub fn enabled(&self) -> bool {
        !self.cert_file.is_empty() || !self.key_file.is_empty() || !self.client_ca_file.is_empty()
    }

    /// The combinations that make sense, each refusal naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        if !self.enabled() {
            return Ok(());
        }
        if self.cert_file.is_empty() || self.key_file.is_empty() {
            return Err(
                "server.tls.cert_file and server.tls.key_file: set both (the certificate and its key), or neither"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

/// `[peers.tls]`: how this process dials `https://` peers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClientTlsConfig {
    /// PEM CA bundle the peers' server certificates must chain to (e.g. a mounted `ca.crt`);
    /// required for an `https://` peer.
    pub ca_file: String,
    /// PEM certificate this process presents to servers that require mutual TLS.
    pub cert_file: String,
    /// Its private key.
    pub key_file: String,
}

impl ClientTlsConfig {
    pub fn enabled(&self) -> bool {
        !self.ca_file.is_empty() || !self.cert_file.is_empty() || !self.key_file.is_empty()
    }

    /// Whether this process presents a client certificate.
    pub fn has_identity(&self) -> bool {
        !self.cert_file.is_empty()
    }

    pub fn validate(&self) -> Result<(), String> {
        if !self.enabled() {
            return Ok(());
        }
        if self.cert_file.is_empty() != self.key_file.is_empty() {
            return Err(
                "peers.tls.cert_file and peers.tls.key_file: set both (the client certificate and its key), or neither"
                    .to_owned(),
            );
        }
        if self.ca_file.is_empty() {
            return Err(
                "peers.tls.ca_file must be set: the peers' server certificates are verified against it"
                    .to_owned(),
            );
        }
        Ok(())
    }
}
