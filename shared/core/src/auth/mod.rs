//! Caller authentication shared by every server: per-caller bearer secrets in the
//! `authorization` metadata, checked by a tower layer against SHA-256 hashes with constant-time
//! comparison, and a per-RPC list of the callers allowed to use it. Health and reflection stay
//! open for probes and grpcurl.

mod layer;
mod policy;

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;

pub use layer::AuthLayer;
pub use policy::{Access, access, caller_names};

/// The configured callers: name → SHA-256 of the secret. Only hashes are held.
#[derive(Clone)]
pub struct Callers {
    entries: Vec<(String, [u8; 32])>,
}

impl fmt::Debug for Callers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.entries.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Callers").field("names", &names).finish()
    }
}

/// The hex SHA-256 of a caller secret, as `auth.callers` lists it.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Callers {
    /// Parses `NAME:SHA256HEX` entries separated by commas or newlines.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut entries: Vec<(String, [u8; 32])> = Vec::new();
        let lines = spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.starts_with('#'));
        for (index, entry) in lines.enumerate() {
            let (name, hash) = entry
                .split_once(':')
                .ok_or_else(|| format!("entry {index} is not NAME:SHA256HEX"))?;
            let name_ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !name_ok {
                return Err(format!(
                    "entry {index}: the caller name must be 1-64 of A-Z a-z 0-9 . _ -"
                ));
            }
            let bytes = hex::decode(hash.trim())
                .map_err(|_| format!("entry {index} ({name}): the hash is not hex"))?;
            let hash: [u8; 32] = bytes.try_into().map_err(|_| {
                format!("entry {index} ({name}): the hash must be 64 hex characters (SHA-256)")
            })?;
            if entries.iter().any(|(known, _)| known == name) {
                return Err(format!("caller {name} is listed twice"));
            }
            entries.push((name.to_owned(), hash));
        }
        if entries.is_empty() {
            return Err("no callers are listed".to_owned());
        }
        Ok(Self { entries })
    }

    /// The caller a presented secret belongs to. Every entry is compared, in constant time, so
    /// the answer's timing says nothing about which hash came close.
    pub fn identify(&self, secret: &str) -> Option<&str> {
        let presented: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let mut found = None;
        for (name, hash) in &self.entries {
            if bool::from(hash.ct_eq(&presented)) {
                found = Some(name.as_str());
            }
        }
        found
    }
}

/// The secret this process presents when it calls another kintai service; none when the
/// servers run without authentication (laptop mode on loopback).
#[derive(Clone, Default)]
pub struct ClientCredentials {
    header: Option<Arc<MetadataValue<tonic::metadata::Ascii>>>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.header.is_some() {
            "ClientCredentials(<redacted>)"
        } else {
            "ClientCredentials(none)"
        })
    }
}

impl ClientCredentials {
    /// Credentials that add nothing.
    pub fn none() -> Self {
        Self::default()
    }

    /// A bearer secret; an error (without the secret) when it cannot be a header value.
    pub fn bearer(secret: &str) -> Result<Self, String> {
        let mut value: MetadataValue<tonic::metadata::Ascii> =
            format!("Bearer {secret}")
                .parse()
                .map_err(|_| "the caller secret must be printable ASCII".to_owned())?;
        value.set_sensitive(true);
        Ok(Self {
            header: Some(Arc::new(value)),
        })
    }
}

impl Interceptor for ClientCredentials {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(header) = &self.header {
            request
                .metadata_mut()
                .insert("authorization", (**header).clone());
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_identify_their_caller_only() {
        let spec = format!(
            "matcher:{},syncer:{}",
            hash_secret("m-secret"),
            hash_secret("s-secret")
        );
        let callers = Callers::parse(&spec).unwrap();
        assert_eq!(callers.identify("m-secret"), Some("matcher"));
        assert_eq!(callers.identify("s-secret"), Some("syncer"));
        assert_eq!(callers.identify("m-secre"), None);
        assert_eq!(callers.identify(""), None);
        assert!(!format!("{callers:?}").contains(&hash_secret("m-secret")));
    }

    #[test]
    fn bad_caller_lists_are_refused() {
        assert!(Callers::parse("").is_err());
        assert!(Callers::parse("matcher").is_err());
        assert!(Callers::parse("matcher:abcd").is_err());
        assert!(Callers::parse(&format!("bad name:{}", hash_secret("x"))).is_err());
        let twice = format!("a:{h},a:{h}", h = hash_secret("x"));
        assert!(Callers::parse(&twice).unwrap_err().contains("twice"));
    }

    #[test]
    fn client_credentials_add_the_header_and_hide_it() {
        let mut credentials = ClientCredentials::bearer("s3cret").unwrap();
        assert!(!format!("{credentials:?}").contains("s3cret"));
        let request = credentials.call(tonic::Request::new(())).unwrap();
        assert_eq!(
            request.metadata().get("authorization").unwrap(),
            "Bearer s3cret"
        );
        let request = ClientCredentials::none()
            .call(tonic::Request::new(()))
            .unwrap();
        assert!(request.metadata().get("authorization").is_none());
    }
}
