//! Configuration: defaults, then an optional TOML file, then `KINTAI__SECTION__KEY` environment
//! variables, then command-line flags. A bad value stops start-up with a message naming the
//! setting (exit code 64, EX_USAGE).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use kintai_core::Engine;
use kintai_core::server::ServerConfig;
use kintai_core::telemetry::TelemetryConfig;
use kintai_matcher::MatcherConfig;
use kintai_syncer::SyncerConfig;
use serde::{Deserialize, Serialize};

mod env;
mod sections;
pub use sections::{AuthConfig, CryptoConfig, DatabaseConfig, DevConfig, KotSection, PeersConfig};

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
        figment = figment.merge(
            env::KintaiEnv::new(&Config::default())
                .map_err(|error| ConfigError(describe(*error)))?,
        );
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
                return bad(setting, "is not a URL (e.g. https://kintai-settings:50051)");
            }
        }
        self.server.tls.validate().map_err(ConfigError)?;
        self.peers.tls.validate().map_err(ConfigError)?;
        // The services' own sections say what they accept.
        self.matcher.validate().map_err(ConfigError)?;
        self.syncer.validate().map_err(ConfigError)?;
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

        // The services' own sections are checked by their crates, through the same load.
        std::fs::write(&file, "[syncer]\nconcurrency = 0\n").unwrap();
        let error = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(error.to_string().contains("syncer.concurrency"), "{error}");
        std::fs::write(&file, "[matcher]\nsettings_watch_secs = 0\n").unwrap();
        let error = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(
            error.to_string().contains("matcher.settings_watch_secs"),
            "{error}"
        );

        std::fs::write(&file, "[server]\nlisten_on = \"x\"\n").unwrap();
        let error = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(error.to_string().contains("listen_on"), "{error}");
    }
}
