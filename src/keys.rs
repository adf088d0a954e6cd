//! The keys that seal KING OF TIME tokens, as configured: `crypto.token_keys`, a key file, or in
//! laptop mode `DATA_DIR/token-keys`, created when missing unless stored tokens need another key.

use std::path::Path;

use kintai_core::Db;
use kintai_settings::crypto::KeyRing;

use crate::config::{Config, ConfigError};

/// The token keys from `crypto.token_keys` or `crypto.token_key_file`; `None` when neither is
/// set.
fn configured_key_ring(config: &Config) -> anyhow::Result<Option<KeyRing>> {
    let crypto = &config.crypto;
    match (
        crypto.token_keys.is_empty(),
        crypto.token_key_file.is_empty(),
    ) {
        (true, true) => Ok(None),
        (false, false) => Err(ConfigError(
            "crypto.token_keys and crypto.token_key_file are both set: set one of them".to_owned(),
        )
        .into()),
        (false, true) => KeyRing::parse(&crypto.token_keys)
            .map(Some)
            .map_err(|error| ConfigError(format!("crypto.token_keys: {error}")).into()),
        (true, false) => {
            let path = Path::new(&crypto.token_key_file);
            let world_readable =
                kintai_core::files::mode(path).is_some_and(|mode| mode & 0o004 != 0);
            kintai_settings::crypto::warn_if_readable(path, world_readable);
            let spec = std::fs::read_to_string(path).map_err(|error| {
                ConfigError(format!(
                    "crypto.token_key_file: cannot read {}: {error}",
                    path.display()
                ))
            })?;
            KeyRing::parse(&spec).map(Some).map_err(|error| {
                ConfigError(format!("crypto.token_key_file {}: {error}", path.display())).into()
            })
        }
    }
}

/// The token keys a settings service outside laptop mode needs.
pub fn key_ring(config: &Config) -> anyhow::Result<KeyRing> {
    configured_key_ring(config)?.ok_or_else(|| {
        ConfigError(
            "crypto.token_keys or crypto.token_key_file must be set: the settings service seals KING OF TIME tokens with them (make one with `kintai new-token-key ID`)".to_owned(),
        )
        .into()
    })
}

/// Laptop mode's keys: the configured ones, or `DATA_DIR/token-keys`, created when missing —
/// but never over a database holding tokens sealed with keys the new file would not have: they
/// could never be opened again, and nobody would be told.
pub async fn laptop_key_ring(
    config: &Config,
    data_dir: &Path,
    settings: &Db,
) -> anyhow::Result<KeyRing> {
    if let Some(keys) = configured_key_ring(config)? {
        return Ok(keys);
    }
    let path = data_dir.join("token-keys");
    if !path.exists() {
        let stored = kintai_settings::stored_key_ids(settings).await?;
        if !stored.is_empty() {
            let keys: Vec<String> = stored
                .iter()
                .map(|(id, count)| {
                    format!(
                        "{id:?} ({count} token{})",
                        if *count == 1 { "" } else { "s" }
                    )
                })
                .collect();
            return Err(ConfigError(format!(
                "crypto: the token key file {} does not exist, but the settings database holds KING OF TIME tokens sealed with token key {}; refusing to create a new key, which could never open them. Restore that key file; or, if the key is lost for good, set crypto.token_keys to a new key (`kintai new-token-key ID`) and register those companies' tokens again (until then they show TOKEN_STATE_UNREADABLE)",
                path.display(),
                keys.join(", ")
            ))
            .into());
        }
    }
    KeyRing::load_or_create_file(&path)
}
