//! Caller authentication shared by every server: per-caller bearer secrets in the
//! `authorization` metadata, checked by a tower layer against SHA-256 hashes with constant-time
//! comparison, or — under mutual TLS — the SAN of the caller's verified client certificate
//! (`auth.caller_sans`); and one per-RPC list of the callers allowed to use it, whichever way
//! the caller was named. Health and reflection stay open for probes and grpcurl.

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

/// The configured callers: name → SHA-256 of the secret (only hashes are held), and name → the
/// SAN its client certificate carries.
#[derive(Clone)]
pub struct Callers {
    entries: Vec<(String, [u8; 32])>,
    certificates: Vec<(String, String)>,
}

impl fmt::Debug for Callers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.entries.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Callers")
            .field("names", &names)
            .field("certificates", &self.certificates)
            .finish()
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
        Ok(Self {
            entries,
            certificates: Vec::new(),
        })
    }

    /// Callers named by their client certificates only (`auth.caller_sans`, no secrets).
    pub fn certificates_only(spec: &str) -> Result<Self, String> {
        Self {
            entries: Vec::new(),
            certificates: Vec::new(),
        }
        .with_certificates(spec)
    }

    /// Also admits callers by their client certificate: `NAME:SAN` entries separated by commas
    /// or newlines, the SAN a DNS name or a URI (everything after the first colon) of the
    /// certificate the server verified against `server.tls.client_ca_file`. A caller may have
    /// several SANs; a SAN belongs to one caller.
    pub fn with_certificates(mut self, spec: &str) -> Result<Self, String> {
        let lines = spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.starts_with('#'));
        for (index, entry) in lines.enumerate() {
            let (name, san) = entry
                .split_once(':')
                .ok_or_else(|| format!("entry {index} is not NAME:SAN"))?;
            let (name, san) = (name.trim(), san.trim());
            if !caller_names().contains(&name) {
                return Err(format!(
                    "entry {index}: unknown caller name {:?}; the known callers are {}",
                    printable(name),
                    caller_names().join(", ")
                ));
            }
            if san.is_empty() || san.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!(
                    "entry {index} ({name}): the SAN must be a DNS name or a URI, without spaces"
                ));
            }
            if let Some((other, _)) = self.certificates.iter().find(|(_, known)| known == san) {
                return Err(format!(
                    "the SAN {san} is listed for {other} and {name}: each certificate names one caller"
                ));
            }
            self.certificates.push((name.to_owned(), san.to_owned()));
        }
        if self.entries.is_empty() && self.certificates.is_empty() {
            return Err("no callers are listed".to_owned());
        }
        Ok(self)
    }

    /// The caller a verified client certificate with these SAN names belongs to: `Ok(None)`
    /// when none of them is configured, an error when they name two callers.
    pub fn identify_certificate(&self, names: &[String]) -> Result<Option<&str>, String> {
        let mut found: Option<&str> = None;
        for (caller, san) in &self.certificates {
            if names.iter().any(|name| name == san) {
                match found {
                    Some(other) if other != caller => {
                        return Err(format!(
                            "the client certificate names two callers ({other} and {caller})"
                        ));
                    }
                    _ => found = Some(caller.as_str()),
                }
            }
        }
        Ok(found)
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

    /// A bearer secret; an error (without the secret) when it cannot be sent as one.
    pub fn bearer(secret: &str) -> Result<Self, String> {
        check_secret(secret)?;
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

/// What a caller secret may hold: printable ASCII without spaces (`!` to `~`). HTTP lets a header
/// value carry bytes above 0x7F and tabs, but the server reads the secret as visible ASCII and
/// trims it, so any other character makes a secret that can be sent and never recognised. The
/// error names the first such character by position and code point, never the secret.
pub fn check_secret(secret: &str) -> Result<(), String> {
    if secret.is_empty() {
        return Err("the caller secret is empty".to_owned());
    }
    match secret
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_graphic())
    {
        None => Ok(()),
        Some((index, c)) => Err(format!(
            "the caller secret must be printable ASCII without spaces (`!` to `~`, as `kintai new-caller` makes them): character {} is {}",
            index + 1,
            describe_char(c)
        )),
    }
}

/// A character as an error may name it: control and space characters by name, others by code
/// point (the rest of the secret stays out of the message).
fn describe_char(c: char) -> String {
    match c {
        '\t' => "a tab (U+0009)".to_owned(),
        ' ' => "a space (U+0020)".to_owned(),
        '\r' => "a carriage return (U+000D)".to_owned(),
        '\n' => "a line feed (U+000A)".to_owned(),
        c if c.is_control() => format!("a control character (U+{:04X})", u32::from(c)),
        c => format!("U+{:04X}, which is not ASCII", u32::from(c)),
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
    fn certificates_name_callers_once_each() {
        let callers = Callers::certificates_only(
            "matcher:kintai-matcher, syncer:spiffe://kintai/syncer, matcher:matcher.internal",
        )
        .unwrap();
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            callers.identify_certificate(&names(&["kintai-matcher"])),
            Ok(Some("matcher"))
        );
        assert_eq!(
            callers.identify_certificate(&names(&["x", "spiffe://kintai/syncer"])),
            Ok(Some("syncer"))
        );
        assert_eq!(callers.identify_certificate(&names(&["other"])), Ok(None));
        assert!(
            callers
                .identify_certificate(&names(&["kintai-matcher", "spiffe://kintai/syncer"]))
                .is_err()
        );
        assert!(Callers::certificates_only("matcher:a,syncer:a").is_err());
        assert!(Callers::certificates_only("matchr:a").is_err());
        assert!(Callers::certificates_only("matcher").is_err());
    }

    #[test]
    fn secrets_that_cannot_be_sent_are_refused_naming_the_character() {
        assert!(check_secret("abc-DEF_123~!").is_ok());
        let why = check_secret("ひみつ").unwrap_err();
        assert!(
            why.contains("U+3072") && why.contains("printable ASCII"),
            "{why}"
        );
        let why = check_secret("abc\tdef").unwrap_err();
        assert!(why.contains("character 4 is a tab"), "{why}");
        assert!(!why.contains("abc"), "the secret stays out: {why}");
        assert!(ClientCredentials::bearer("a b").is_err());
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
