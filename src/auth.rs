//! Caller authentication as configured: the callers a server admits, the secret this process
//! presents, and the rules checked before anything listens — a server without callers listens on
//! loopback only, and a process that calls other kintai services while callers are configured
//! has a secret of its own.

use std::net::SocketAddr;

use kintai_core::auth::{Callers, ClientCredentials, MATCHER, SYNCER};

use crate::cli::ServiceName;
use crate::config::{Config, ConfigError};

/// The callers from `auth.callers` or `auth.callers_file`, and those named by their client
/// certificates (`auth.caller_sans`); `None` when none is set.
pub fn callers(config: &Config) -> Result<Option<Callers>, ConfigError> {
    crate::transport::with_caller_sans(config, secret_callers(config)?)
}

fn secret_callers(config: &Config) -> Result<Option<Callers>, ConfigError> {
    let auth = &config.auth;
    let (setting, spec) = match (auth.callers.is_empty(), auth.callers_file.is_empty()) {
        (true, true) => return Ok(None),
        (false, false) => {
            return Err(ConfigError(
                "auth.callers and auth.callers_file are both set: set one of them".to_owned(),
            ));
        }
        (false, true) => ("auth.callers", auth.callers.clone()),
        (true, false) => (
            "auth.callers_file",
            std::fs::read_to_string(&auth.callers_file).map_err(|error| {
                ConfigError(format!(
                    "auth.callers_file: cannot read {}: {error}",
                    auth.callers_file
                ))
            })?,
        ),
    };
    Callers::parse(&spec)
        .map(Some)
        .map_err(|why| ConfigError(format!("{setting}: {why}")))
}

/// This process's own caller secret, from `auth.secret` or `auth.secret_file`, with the name of
/// the setting it came from; `None` when neither is set. A secret that could not be sent as it
/// is (not printable ASCII, a space or a tab in it) stops start-up here, naming the character,
/// rather than every call later with UNAUTHENTICATED.
fn own_secret(config: &Config) -> Result<Option<(&'static str, String)>, ConfigError> {
    let found = configured_secret(config)?;
    if let Some((setting, secret)) = &found {
        kintai_core::auth::check_secret(secret)
            .map_err(|why| ConfigError(format!("{setting}: {why}")))?;
    }
    Ok(found)
}

fn configured_secret(config: &Config) -> Result<Option<(&'static str, String)>, ConfigError> {
    let auth = &config.auth;
    match (auth.secret.is_empty(), auth.secret_file.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => Err(ConfigError(
            "auth.secret and auth.secret_file are both set: set one of them".to_owned(),
        )),
        (false, true) => Ok(Some(("auth.secret", auth.secret.clone()))),
        (true, false) => {
            let secret = std::fs::read_to_string(&auth.secret_file).map_err(|error| {
                ConfigError(format!(
                    "auth.secret_file: cannot read {}: {error}",
                    auth.secret_file
                ))
            })?;
            let secret = secret.trim().to_owned();
            if secret.is_empty() {
                return Err(ConfigError(format!(
                    "auth.secret_file: {} is empty",
                    auth.secret_file
                )));
            }
            Ok(Some(("auth.secret_file", secret)))
        }
    }
}

/// The credentials this process presents on its calls to other kintai services.
pub fn client_credentials(config: &Config) -> Result<ClientCredentials, ConfigError> {
    match own_secret(config)? {
        None => Ok(ClientCredentials::none()),
        Some((setting, secret)) => ClientCredentials::bearer(&secret)
            .map_err(|why| ConfigError(format!("{setting}: {why}"))),
    }
}

/// What a process that calls other kintai services needs when callers are configured: a secret
/// of its own, or every one of its calls would be refused (UNAUTHENTICATED). `process` names it
/// and what it calls, for the message.
pub fn require_own_secret(
    config: &Config,
    callers: Option<&Callers>,
    process: &str,
) -> Result<(), ConfigError> {
    // A client certificate (mutual TLS, auth.caller_sans on the servers) names the caller too.
    let own = own_secret(config)?;
    if callers.is_some() && own.is_none() && !config.peers.tls.has_identity() {
        return Err(ConfigError(format!(
            "auth.secret (or auth.secret_file) must be set: auth.callers is configured and {process}, presenting this process's own caller secret; without one every such call is refused (UNAUTHENTICATED). Make one with `kintai new-caller NAME` (or present a client certificate, peers.tls.cert_file, that the servers list in auth.caller_sans)"
        )));
    }
    Ok(())
}

/// What `kintai serve NAME` needs to call its peers: the matcher calls settings, the syncer
/// settings and the matcher; settings calls nobody.
pub fn check_service_peers(
    config: &Config,
    callers: Option<&Callers>,
    service: ServiceName,
) -> Result<(), ConfigError> {
    match service {
        ServiceName::Settings => Ok(()),
        ServiceName::Matcher => require_own_secret(config, callers, "serve matcher calls settings"),
        ServiceName::Syncer => require_own_secret(
            config,
            callers,
            "serve syncer calls settings and the matcher",
        ),
    }
}

/// What `kintai dev` needs to call its services: its own, unless peers are configured.
pub fn check_dev_peers(config: &Config, callers: Option<&Callers>) -> Result<(), ConfigError> {
    require_own_secret(
        config,
        callers,
        "kintai dev calls its own (or the configured peer) services",
    )?;
    if config.peers.settings_url.is_empty() || config.peers.matcher_url.is_empty() {
        check_self_calls(config, callers)?;
    }
    Ok(())
}

/// The trigger's credentials; with callers configured (a shared configuration), it must have a
/// secret of its own.
pub fn trigger_credentials(config: &Config) -> Result<ClientCredentials, ConfigError> {
    let callers = callers(config)?;
    require_own_secret(
        config,
        callers.as_ref(),
        "kintai trigger calls RunMatch / RunSync",
    )?;
    client_credentials(config)
}

/// `kintai dev` calls itself (matcher and syncer → settings, syncer → matcher) with its own
/// secret: it must belong to a caller that may make those calls, the matcher or the syncer.
pub fn check_self_calls(config: &Config, callers: Option<&Callers>) -> Result<(), ConfigError> {
    let (Some(callers), Some((setting, secret))) = (callers, own_secret(config)?) else {
        return Ok(());
    };
    match callers.identify(&secret) {
        Some(MATCHER | SYNCER) => Ok(()),
        Some(other) => Err(ConfigError(format!(
            "{setting}: it is the secret of the caller {other}, but kintai dev calls its own settings and matcher services with it (GetCredentials, ListLinks, ...), which only the matcher and syncer may call: use the matcher's or the syncer's secret"
        ))),
        None => Err(ConfigError(format!(
            "{setting}: it is the secret of none of the callers in auth.callers, so kintai dev's calls to its own services would be refused: use the matcher's or the syncer's secret"
        ))),
    }
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

#[cfg(test)]
mod tests {
    use kintai_core::auth::hash_secret;

    use super::*;

    fn config(callers: &str, secret: &str) -> Config {
        let mut config = Config::default();
        config.auth.callers = callers.to_owned();
        config.auth.secret = secret.to_owned();
        config
    }

    fn all_callers() -> String {
        ["cyzen-platform", "matcher", "syncer", "trigger"]
            .iter()
            .map(|name| format!("{name}:{}", hash_secret(&format!("{name}-secret"))))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn a_caller_of_other_services_needs_its_own_secret_when_callers_are_set() {
        let without = config(&all_callers(), "");
        let callers = callers(&without).unwrap();
        let error = require_own_secret(&without, callers.as_ref(), "serve matcher calls settings")
            .unwrap_err();
        assert!(error.to_string().contains("auth.secret"), "{error}");
        let with = config(&all_callers(), "matcher-secret");
        assert!(require_own_secret(&with, callers.as_ref(), "x").is_ok());
        let open = config("", "");
        assert!(require_own_secret(&open, None, "x").is_ok());
    }

    #[test]
    fn kintai_dev_calls_itself_as_the_matcher_or_the_syncer() {
        for (secret, ok) in [
            ("matcher-secret", true),
            ("syncer-secret", true),
            ("cyzen-platform-secret", false),
            ("trigger-secret", false),
            ("nobody-secret", false),
        ] {
            let config = config(&all_callers(), secret);
            let callers = callers(&config).unwrap();
            let answer = check_self_calls(&config, callers.as_ref());
            assert_eq!(answer.is_ok(), ok, "{secret}: {answer:?}");
            if let Err(error) = answer {
                assert!(
                    !error.to_string().contains(secret),
                    "the secret is not echoed"
                );
            }
        }
    }

    #[test]
    fn a_setting_and_its_file_together_are_refused() {
        let mut both = config(&all_callers(), "");
        both.auth.callers_file = "/x".to_owned();
        assert!(callers(&both).unwrap_err().to_string().contains("both"));
        let mut both = config("", "s");
        both.auth.secret_file = "/x".to_owned();
        assert!(
            client_credentials(&both)
                .unwrap_err()
                .to_string()
                .contains("both")
        );
    }

    #[test]
    fn an_empty_secret_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "\n").unwrap();
        let mut config = Config::default();
        config.auth.secret_file = file.display().to_string();
        let error = client_credentials(&config).unwrap_err();
        assert!(error.to_string().contains("empty"), "{error}");
    }
}
