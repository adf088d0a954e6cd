//! A throw-away certificate authority, generated in-process with rcgen: what
//! `kintai new-test-certs` writes for trying TLS on a laptop, and what the tests issue their
//! certificates from. Never for production: its key sits in memory and, for the command, on disk
//! (cert-manager issues the cluster's certificates, README "Deploy on Kubernetes").

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// A certificate and its key, PEM-encoded.
#[derive(Clone)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").finish_non_exhaustive()
    }
}

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// A service: presented as a server, and as a client to its peers (one certificate per pod).
    ServerAndClient,
    /// A caller only (the trigger, the cyzen platform).
    Client,
}

/// A self-signed CA that issues leaf certificates.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate: what both sides trust (`server.tls.client_ca_file`,
    /// `peers.tls.ca_file`, grpcurl's `-cacert`).
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

fn failed(error: rcgen::Error) -> String {
    format!("cannot generate the certificate: {error}")
}

impl TestCa {
    pub fn new(common_name: &str) -> Result<Self, String> {
        let key = KeyPair::generate().map_err(failed)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).map_err(failed)?;
        let key_pem = key.serialize_pem();
        Ok(Self {
            cert_pem: cert.pem(),
            key_pem,
            issuer: Issuer::new(params, key),
        })
    }

    /// A leaf certificate for `names` (DNS names or IP addresses; `scheme://…` names become URI
    /// SANs), signed by this CA.
    pub fn issue(&self, names: &[&str], usage: Usage) -> Result<Issued, String> {
        let key = KeyPair::generate().map_err(failed)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(names.first().copied().unwrap_or("kintai"));
        params.subject_alt_names = names
            .iter()
            .map(|name| san(name))
            .collect::<Result<_, _>>()?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = match usage {
            Usage::ServerAndClient => vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            Usage::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
        };
        let cert = params.signed_by(&key, &self.issuer).map_err(failed)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

fn san(name: &str) -> Result<SanType, String> {
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let text = name
        .to_owned()
        .try_into()
        .map_err(|_| format!("{name:?} is not an ASCII name"))?;
    Ok(if name.contains("://") {
        SanType::URI(text)
    } else {
        SanType::DnsName(text)
    })
}
