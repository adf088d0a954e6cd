//! PEM files as rustls takes them, with errors that say which file and what is wrong (never the
//! key's bytes).

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Every certificate in a PEM file, in order (a chain: the leaf first).
pub fn certificates(file: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("{file}: not a PEM certificate file: {error}"))?;
    if certificates.is_empty() {
        return Err(format!("{file}: holds no PEM certificate"));
    }
    Ok(certificates)
}

/// The one private key of a PEM file.
pub fn private_key(file: &str, pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|_| format!("{file}: holds no PEM private key (PKCS#8, PKCS#1 or SEC1)"))
}

/// A CA bundle as trust anchors.
pub fn roots(file: &str, pem: &[u8]) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates(file, pem)? {
        roots
            .add(certificate)
            .map_err(|error| format!("{file}: not a usable CA certificate: {error}"))?;
    }
    Ok(roots)
}
