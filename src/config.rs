//! Configuration: defaults, then an optional TOML file, then `KINTAI__SECTION__KEY` environment
//! variables, then command-line flags. A bad value stops start-up with a message naming the
//! setting (exit code 64, EX_USAGE).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use kintai_core::Engine;
use kintai_core::server::ServerConfig;
use kintai_core::telemetry::TelemetryConfig;
use serde::{Deserialize, Serialize};

/// Exit code for a configuration error (sysexits EX_USAGE).
pub const EXIT_CONFIG: i32 = 64;

/// Everything a `kintai` process can be configured with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub telemetry: TelemetryConfig,
    pub kot: KotSection,
    pub peers: PeersConfig,
    pub crypto: CryptoConfig,
    pub auth: AuthConfig,
    pub matcher: MatcherConfig,
    pub syncer: SyncerConfig,
    pub dev: DevConfig,
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
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("callers_file", &self.callers_file)
            .field("secret_file", &self.secret_file)
            .finish_non_exhaustive()
    }
}

/// `[matcher]`: how match runs share the work, and prompt re-matching.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MatcherConfig {
    /// Companies handled at once in a run over every company.
    pub concurrency: usize,
    /// How long a company's lease outlives its holder: after a crash, the company waits this
    /// long before another run takes it (a live run renews it).
    pub lease_ttl_secs: u64,
    /// Prompt re-matching: this process matches a company again soon after its directory
    /// changed in settings (a user added, deleted or given another code). Off: only RunMatch
    /// (the hourly CronJob, operators) matches.
    pub dispatch: bool,
    /// A directory change is matched this long after it was seen (a burst becomes one match).
    pub dispatch_debounce_secs: u64,
    /// How often settings' directory revisions are compared with what was matched.
    pub settings_watch_secs: u64,
}

impl Default for MatcherConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            lease_ttl_secs: 300,
            dispatch: true,
            dispatch_debounce_secs: 5,
            settings_watch_secs: 15,
        }
    }
}

/// `[syncer]`: how sync runs share the work and how long a punch may wait.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SyncerConfig {
    /// Companies handled at once in a run over every company.
    pub concurrency: usize,
    /// How long a company's lease outlives its holder: a live run renews it every third of
    /// this, so after a crash the company waits about this long.
    pub lease_ttl_secs: u64,
    /// Punches still not in KING OF TIME this long after they arrived are reported (RunSync's
    /// `undelivered`, the `kintai.punches.undelivered` gauge).
    pub undelivered_after_secs: u64,
    /// The longest wait between two attempts of one punch after transient failures (the wait
    /// starts at 1 s and doubles).
    pub retry_max_backoff_secs: u64,
    /// Prompt delivery: this process claims companies with new punches (or a retry time) and
    /// syncs them within seconds. Off: only RunSync (the CronJob, operators) sends.
    pub dispatch: bool,
    /// A company with new punches is synced this long after the first of them (a burst
    /// becomes one run).
    pub dispatch_debounce_ms: u64,
    /// How often the dispatcher looks for due companies.
    pub dispatch_poll_ms: u64,
    /// Companies this process's dispatcher syncs at once. A run mostly waits for its token's
    /// pacing (one punch per ~150 ms), so it is cheap to hold; fewer than the companies with a
    /// backlog leaves the others' KING OF TIME budget unused (32 let 100 busy companies reach
    /// only 61 % of their allowed rate over two replicas).
    pub dispatch_max_running: usize,
    /// How often the dispatcher compares settings' revisions with what the runs planned on (a
    /// user switched on again, a token fixed: the held punches go then).
    pub settings_watch_secs: u64,
}

impl Default for SyncerConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            lease_ttl_secs: 30,
            undelivered_after_secs: 4 * 3600,
            retry_max_backoff_secs: 30 * 60,
            dispatch: true,
            dispatch_debounce_ms: 2_000,
            dispatch_poll_ms: 500,
            dispatch_max_running: 256,
            settings_watch_secs: 10,
        }
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

/// `[peers]`: where the other services are, for a service that calls them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PeersConfig {
    /// e.g. `http://kintai-settings:50051`; in `kintai dev`, the process itself.
    pub settings_url: String,
    /// e.g. `http://kintai-matcher:50051`; in `kintai dev`, the process itself.
    pub matcher_url: String,
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

/// A configuration problem, worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// Flag values that override everything else (only those given on the command line).
#[derive(Debug, Default)]
pub struct Overrides {
    pub listen: Option<std::net::SocketAddr>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub kot_base_url: Option<String>,
}

impl Config {
    /// Loads the layers and checks the result.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("KINTAI__").split("__"));
        if let Some(listen) = overrides.listen {
            figment = figment.merge(("server.listen", listen.to_string()));
        }
        if let Some(url) = &overrides.database_url {
            figment = figment.merge(("database.url", url));
        }
        if let Some(dir) = &overrides.data_dir {
            figment = figment.merge(("database.data_dir", dir.display().to_string()));
        }
        if let Some(url) = &overrides.kot_base_url {
            figment = figment.merge(("kot.base_url", url));
        }
        let config: Config = figment
            .extract()
            .map_err(|error| ConfigError(describe(error)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |setting: &str, why: &str| Err(ConfigError(format!("{setting}: {why}")));
        if !self.database.url.is_empty() && Engine::from_url(&self.database.url).is_err() {
            return bad("database.url", "must start with sqlite:// or postgres://");
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if self.server.max_message_bytes < 1024 {
            return bad("server.max_message_bytes", "must be at least 1024");
        }
        if !self.kot.base_url.is_empty() && url::Url::parse(&self.kot.base_url).is_err() {
            return bad("kot.base_url", "is not a URL");
        }
        if self.kot.general_requests == 0
            || self.kot.punch_requests == 0
            || self.kot.window_secs == 0
        {
            return bad(
                "kot.general_requests / kot.punch_requests / kot.window_secs",
                "must be positive",
            );
        }
        if self.kot.request_timeout_secs == 0 {
            return bad("kot.request_timeout_secs", "must be positive");
        }
        for (setting, value) in [
            ("peers.settings_url", &self.peers.settings_url),
            ("peers.matcher_url", &self.peers.matcher_url),
        ] {
            if !value.is_empty() && url::Url::parse(value).is_err() {
                return bad(setting, "is not a URL (e.g. http://kintai-settings:50051)");
            }
        }
        for (setting, concurrency, lease_ttl_secs) in [
            (
                "matcher",
                self.matcher.concurrency,
                self.matcher.lease_ttl_secs,
            ),
            (
                "syncer",
                self.syncer.concurrency,
                self.syncer.lease_ttl_secs,
            ),
        ] {
            if concurrency == 0 || lease_ttl_secs < 5 {
                return Err(ConfigError(format!(
                    "{setting}.concurrency must be at least 1 and {setting}.lease_ttl_secs at least 5"
                )));
            }
        }
        if self.matcher.settings_watch_secs == 0 {
            return bad("matcher.settings_watch_secs", "must be positive");
        }
        if self.syncer.dispatch_max_running == 0 {
            return bad("syncer.dispatch_max_running", "must be at least 1");
        }
        if self.syncer.dispatch_poll_ms == 0 || self.syncer.settings_watch_secs == 0 {
            return bad(
                "syncer.dispatch_poll_ms / syncer.settings_watch_secs",
                "must be positive",
            );
        }
        if self.syncer.undelivered_after_secs == 0 || self.syncer.retry_max_backoff_secs == 0 {
            return bad(
                "syncer.undelivered_after_secs / syncer.retry_max_backoff_secs",
                "must be positive",
            );
        }
        if self.dev.match_interval_secs == 0 || self.dev.sync_interval_secs == 0 {
            return bad(
                "dev.match_interval_secs / dev.sync_interval_secs",
                "must be positive",
            );
        }
        Ok(())
    }

    /// The folder for SQLite files and the laptop key file.
    pub fn data_dir(&self) -> PathBuf {
        if !self.database.data_dir.is_empty() {
            return PathBuf::from(&self.database.data_dir);
        }
        dirs::data_local_dir()
            .map(|dir| dir.join("kintai-link"))
            .unwrap_or_else(|| PathBuf::from(".kintai"))
    }

    /// The database URL for one service: the configured one, or its own SQLite file.
    pub fn database_url(&self, service: &str) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}",
                self.data_dir().join(format!("{service}.db")).display()
            )
        } else {
            self.database.url.clone()
        }
    }
}

/// Figment's message names the key (`server.listen`) and where the value came from; keep it, but
/// never echo a database URL, which may carry a password.
fn describe(error: figment::Error) -> String {
    let mut parts = Vec::new();
    for error in error {
        let key = error.path.join(".");
        let source = error
            .metadata
            .as_ref()
            .map(|metadata| metadata.name.to_string())
            .unwrap_or_default();
        let kind = if key.contains("url") {
            "invalid value".to_owned()
        } else {
            error.kind.to_string()
        };
        parts.push(if key.is_empty() {
            format!("{kind} (from {source})")
        } else {
            format!("{key}: {kind} (from {source})")
        });
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:50051");
        assert!(config.database_url("settings").starts_with("sqlite://"));
    }

    #[test]
    fn files_and_flags_layer_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kintai.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"127.0.0.1:6000\"\ndrain_timeout_secs = 3\n",
        )
        .unwrap();
        let from_file = Config::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(from_file.server.listen.port(), 6000);
        assert_eq!(from_file.server.drain_timeout_secs, 3);
        let overrides = Overrides {
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            ..Overrides::default()
        };
        let flagged = Config::load(Some(&file), &overrides).unwrap();
        assert_eq!(flagged.server.listen.port(), 7000);
        assert_eq!(flagged.server.drain_timeout_secs, 3);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let mut config = Config::default();
        config.database.url = "postgres://kintai:hunter2@db/kintai".to_owned();
        config.crypto.token_keys = "k1:c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWI=".to_owned();
        config.auth.secret = "caller-secret-value".to_owned();
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("c2VjcmV0"), "{debug}");
        assert!(!debug.contains("caller-secret-value"), "{debug}");
        assert!(
            debug.contains("postgres://kintai:REDACTED@db/kintai"),
            "{debug}"
        );
    }

    #[test]
    fn bad_values_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kintai.toml");
        std::fs::write(&file, "[server]\ndrain_timeout_secs = \"soon\"\n").unwrap();
        let error = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(
            error.to_string().contains("server.drain_timeout_secs"),
            "{error}"
        );

        std::fs::write(&file, "[database]\nurl = \"mysql://root:secret@db/x\"\n").unwrap();
        let error = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(error.to_string().contains("database.url"), "{error}");
        assert!(!error.to_string().contains("secret"), "{error}");

        std::fs::write(&file, "[server]\nlisten_on = \"x\"\n").unwrap();
        let error = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(error.to_string().contains("listen_on"), "{error}");
    }
}
