//! The sections of [`super::Config`] that belong to the binary (the services' own sections
//! live in their crates), with their defaults and `Debug` forms that hide secrets.

use serde::{Deserialize, Serialize};

/// `[auth]`: caller authentication. A server with no callers serves only on loopback.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// `NAME:SHA256HEX` entries, comma-separated: the callers this server admits (names
    /// cyzen-platform, matcher, syncer, trigger). Make one with `kintai new-caller NAME`.
    pub callers: String,
    /// A file with the same entries, one per line (a mounted Secret).
    pub callers_file: String,
    /// This process's own caller secret, presented when it calls another kintai service
    /// (matcher and syncer → settings, syncer → matcher, trigger → matcher/syncer).
    pub secret: String,
    /// A file holding that secret (a mounted Secret).
    pub secret_file: String,
    /// `NAME:SAN` entries, comma-separated: callers this server admits by the SAN (DNS name or
    /// URI) of their client certificate, verified against `server.tls.client_ca_file`.
    pub caller_sans: String,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("callers_file", &self.callers_file)
            .field("secret_file", &self.secret_file)
            .field("caller_sans", &self.caller_sans)
            .finish_non_exhaustive()
    }
}

/// `[crypto]`: the keys that seal KING OF TIME tokens at rest.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CryptoConfig {
    /// `ID:BASE64KEY` entries (32-byte AES-256 keys), comma-separated, oldest first: the last one
    /// encrypts, all decrypt. Generate one with `kintai new-token-key ID`.
    pub token_keys: String,
    /// A file holding the same entries, one per line (e.g. a mounted Kubernetes Secret). In
    /// `kintai dev`, `DATA_DIR/token-keys` is created with mode 0600 when neither is set.
    pub token_key_file: String,
}

impl std::fmt::Debug for CryptoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CryptoConfig")
            .field(
                "token_keys",
                &if self.token_keys.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("token_key_file", &self.token_key_file)
            .finish()
    }
}

/// `[database]`.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`; empty means a SQLite file per service in
    /// `data_dir`.
    pub url: String,
    pub max_connections: u32,
    /// Folder for SQLite files and the laptop-mode key file; empty means the user's data folder
    /// (or `./.kintai` when there is none).
    pub data_dir: String,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

/// A URL with its password replaced, for Debug output.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("REDACTED"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "<unparsable>".to_owned(),
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: 10,
            data_dir: String::new(),
        }
    }
}

/// `[kot]`: how KING OF TIME is reached.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct KotSection {
    /// Base URL of the API; empty in `kintai dev` means the built-in simulator.
    pub base_url: String,
    pub request_timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Requests per token per window for all but the punch APIs (kot-api.md: 500 per 5 minutes).
    pub general_requests: u32,
    /// Requests per token per window for the punch APIs (kot-api.md: 2000 per 5 minutes).
    pub punch_requests: u32,
    /// The rate-limit window in seconds.
    pub window_secs: u64,
}

impl Default for KotSection {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            request_timeout_secs: 30,
            connect_timeout_secs: 10,
            general_requests: 500,
            punch_requests: 2000,
            window_secs: 300,
        }
    }
}

/// `[peers]`: where the other services are, and how to reach them, for a process that calls
/// them (the matcher, the syncer, `kintai dev`, `kintai trigger`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PeersConfig {
    /// e.g. `https://kintai-settings:50051`; in `kintai dev`, the process itself.
    pub settings_url: String,
    /// e.g. `https://kintai-matcher:50051`; in `kintai dev`, the process itself.
    pub matcher_url: String,
    /// `[peers.tls]`: the CA bundle `https://` peers are verified against, and this process's
    /// client certificate for servers that require mutual TLS.
    pub tls: kintai_core::tls::ClientTlsConfig,
    /// Dial `http://` peers beyond loopback on purpose: a service mesh's sidecars encrypt it.
    pub allow_plaintext: bool,
}

/// `[dev]`: the one-process laptop mode.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DevConfig {
    /// Seconds between the automatic match runs of `kintai dev` (the CronJob's job elsewhere).
    pub match_interval_secs: u64,
    /// Seconds between the automatic sync runs of `kintai dev`.
    pub sync_interval_secs: u64,
}

impl Default for DevConfig {
    fn default() -> Self {
        Self {
            match_interval_secs: 3600,
            sync_interval_secs: 300,
        }
    }
}
