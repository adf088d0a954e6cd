//! The server side: the rustls config built from `[server.tls]` (rebuilt when its files change),
//! and the names of a verified client certificate.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::CertificateDer;

use super::config::ServerTlsConfig;
use super::{Watched, alpn, pem, provider};

/// The server's TLS: what each new connection's handshake uses.
#[derive(Debug)]
pub struct ServerTls {
    config: Watched<ServerConfig>,
    mutual: bool,
}

impl ServerTls {
    /// Reads the files once; an error names the setting's file and what is wrong with it.
    pub fn load(settings: &ServerTlsConfig) -> Result<Arc<Self>, String> {
        settings.validate()?;
        let mutual = !settings.client_ca_file.is_empty();
        let mut paths = vec![
            PathBuf::from(&settings.cert_file),
            PathBuf::from(&settings.key_file),
        ];
        if mutual {
            paths.push(PathBuf::from(&settings.client_ca_file));
        }
        let names = settings.clone();
        let config = Watched::load("server certificate", paths, move |contents| {
            build(&names, contents)
        })
        .map_err(|why| format!("server.tls: {why}"))?;
        Ok(Arc::new(Self { config, mutual }))
    }

    /// The config for a handshake starting now (the files as they are now).
    pub fn current(&self) -> Arc<ServerConfig> {
        self.config.current()
    }

    /// Whether callers must present a certificate (`server.tls.client_ca_file`).
    pub fn mutual(&self) -> bool {
        self.mutual
    }
}

fn build(settings: &ServerTlsConfig, contents: &[Vec<u8>]) -> Result<ServerConfig, String> {
    let chain = pem::certificates(&settings.cert_file, &contents[0])?;
    let key = pem::private_key(&settings.key_file, &contents[1])?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS versions: {error}"))?;
    let builder = match contents.get(2) {
        Some(ca) => {
            let roots = pem::roots(&settings.client_ca_file, ca)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(|error| format!("{}: {error}", settings.client_ca_file))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|error| {
        format!(
            "{} and {} are not a certificate and its key: {error}",
            settings.cert_file, settings.key_file
        )
    })?;
    config.alpn_protocols = alpn();
    Ok(config)
}

/// The SAN names (DNS and URI) of the certificate a caller presented and the server verified
/// against `server.tls.client_ca_file`; empty without mutual TLS. Every call on the connection
/// carries them (a request extension), for the caller policy.
#[derive(Debug, Clone, Default)]
pub struct PeerNames(Arc<[String]>);

impl PeerNames {
    /// The names of a verified end-entity certificate; none when it does not parse.
    pub fn of_certificate(certificate: &CertificateDer<'_>) -> Self {
        let Ok(parsed) = webpki::EndEntityCert::try_from(certificate) else {
            return Self::default();
        };
        let names: Vec<String> = parsed
            .valid_dns_names()
            .chain(parsed.valid_uri_names())
            .map(str::to_owned)
            .collect();
        Self(names.into())
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }
}
