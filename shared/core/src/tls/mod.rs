//! TLS, and mutual TLS, on every gRPC hop between kintai processes — rustls with ring, no
//! OpenSSL.
//!
//! Why not tonic's own `ServerTlsConfig` / `ClientTlsConfig`: both read the certificate once, at
//! start-up. cert-manager renews a certificate (by default at two thirds of its lifetime) by
//! rewriting the mounted Secret in place, and a pod that keeps serving the old one fails every
//! handshake once it expires. So the server runs its own accept loop ([`server`]) and picks the
//! rustls config per accepted connection, and clients dial through their own connector
//! ([`client`]) that picks it per connection; both configs are [`Watched`]: rebuilt when the PEM
//! files change (cert, key and CA bundle alike), checked with a `stat` per handshake. Calls on
//! connections already open are not touched by a rotation: nothing is dropped.
//!
//! With `server.tls.client_ca_file` the server asks every caller for a certificate and refuses
//! the handshake unless it chains to that CA; the verified certificate's SAN names (DNS and URI)
//! travel with each call ([`PeerNames`]) to the caller policy (`auth.caller_sans`).

mod client;
mod config;
mod incoming;
mod pem;
pub mod plaintext;
mod server;
pub mod test_ca;
mod watched;

pub use client::{ClientTls, Connector, MaybeTlsStream};
pub use config::{ClientTlsConfig, ServerTlsConfig};
pub use incoming::{TlsConn, TlsConnectInfo, incoming};
pub use server::{PeerNames, ServerTls};
pub use watched::Watched;

/// The crypto rustls uses here, named rather than left to the process default: another crate
/// that turned on a second provider would otherwise make `ServerConfig::builder()` panic.
fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

/// gRPC is HTTP/2: both sides offer only `h2` in ALPN.
fn alpn() -> Vec<Vec<u8>> {
    vec![b"h2".to_vec()]
}
