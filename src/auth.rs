//! Caller authentication as configured: the callers a server admits, the secret this process
//! presents, and the rule that a server without callers listens on loopback only.

use std::net::SocketAddr;

use kintai_core::auth::{Callers, ClientCredentials};

use crate::config::{Config, ConfigError};

/// The callers from `auth.callers` or `auth.callers_file`; `None` when neither is set.
pub fn callers(config: &Config) -> Result<Option<Callers>, ConfigError> {
    let auth = &config.auth;
    let (setting, spec) = if !auth.callers.is_empty() {
        ("auth.callers", auth.callers.clone())
    } else if !auth.callers_file.is_empty() {
        let spec = std::fs::read_to_string(&auth.callers_file).map_err(|error| {
            ConfigError(format!(
                "auth.callers_file: cannot read {}: {error}",
                auth.callers_file
            ))
        })?;
        ("auth.callers_file", spec)
    } else {
        return Ok(None);
    };
    Callers::parse(&spec)
        .map(Some)
        .map_err(|why| ConfigError(format!("{setting}: {why}")))
}

/// The secret from `auth.secret` or `auth.secret_file`, or no credentials.
pub fn client_credentials(config: &Config) -> Result<ClientCredentials, ConfigError> {
    let auth = &config.auth;
    let (setting, secret) = if !auth.secret.is_empty() {
        ("auth.secret", auth.secret.clone())
    } else if !auth.secret_file.is_empty() {
        let secret = std::fs::read_to_string(&auth.secret_file).map_err(|error| {
            ConfigError(format!(
                "auth.secret_file: cannot read {}: {error}",
                auth.secret_file
            ))
        })?;
        ("auth.secret_file", secret.trim().to_owned())
    } else {
        return Ok(ClientCredentials::none());
    };
    ClientCredentials::bearer(&secret).map_err(|why| ConfigError(format!("{setting}: {why}")))
}

/// Refuses an open server anywhere but loopback; warns about one on loopback.
pub fn guard_open_server(listen: SocketAddr, callers: &Option<Callers>) -> Result<(), ConfigError> {
    if callers.is_some() {
        return Ok(());
    }
    if !listen.ip().is_loopback() {
        return Err(ConfigError(format!(
            "auth.callers (or auth.callers_file) is not set: refusing to serve on {listen} without caller authentication; configure the callers, or listen on a loopback address"
        )));
    }
    tracing::warn!(
        %listen,
        "serving WITHOUT caller authentication (loopback only): anyone on this machine can call every RPC, GetCredentials included"
    );
    Ok(())
}

/// `kintai new-caller NAME`: a fresh secret for the caller and its `auth.callers` entry.
pub fn new_caller(name: &str) -> String {
    let secret = hex::encode(rand::random::<[u8; 32]>());
    format!(
        "secret (for the caller {name}: auth.secret or auth.secret_file):\n{secret}\nauth.callers entry (for the servers):\n{name}:{}",
        kintai_core::auth::hash_secret(&secret)
    )
}
