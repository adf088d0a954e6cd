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
pub use policy::{Access, CYZEN_PLATFORM, MATCHER, SYNCER, TRIGGER, access, caller_names};

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
            let name = name.trim();
            // A name the policy does not know would be admitted and then refused everywhere:
            // a typo (`cyzen_platform`) must stop start-up instead.
            if !caller_names().contains(&name) {
                return Err(format!(
                    "entry {index}: unknown caller name {:?}; the known callers are {}",
                    printable(name),
                    caller_names().join(", ")
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
            // One secret for two callers would make the first one listed win every call.
            if let Some((other, _)) = entries.iter().find(|(_, known)| *known == hash) {
                return Err(format!(
                    "callers {other} and {name} have the same hash: each caller needs its own secret (kintai new-caller NAME)"
                ));
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

/// A configured name as an error message may quote it: at most 64 characters, no control
/// characters.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
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
        let twice = format!("matcher:{},matcher:{}", hash_secret("x"), hash_secret("y"));
        assert!(Callers::parse(&twice).unwrap_err().contains("twice"));
    }

    #[test]
    fn unknown_caller_names_are_refused_with_the_known_ones() {
        let why = Callers::parse(&format!("cyzen_platform:{}", hash_secret("x"))).unwrap_err();
        assert!(why.contains("\"cyzen_platform\""), "{why}");
        assert!(
            why.contains("cyzen-platform, matcher, syncer, trigger"),
            "{why}"
        );
        let spaced = Callers::parse(&format!(" matcher :{}", hash_secret("x"))).unwrap();
        assert_eq!(spaced.identify("x"), Some("matcher"));
    }

    #[test]
    fn two_callers_with_one_secret_are_refused() {
        let same = format!("matcher:{h},syncer:{h}", h = hash_secret("shared"));
        let why = Callers::parse(&same).unwrap_err();
        assert!(
            why.contains("matcher") && why.contains("syncer") && why.contains("same hash"),
            "{why}"
        );
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
