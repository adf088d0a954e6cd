//! `kintai`: one binary for every kintai-link process — a service pod, the laptop server, and
//! the CronJobs' trigger.

mod auth;
mod certs;
mod cli;
mod config;
mod demo;
mod dev;
mod keys;
mod kot;
mod serve;
mod sim_data;
mod transport;
mod trigger;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};
use config::{Config, EXIT_CONFIG, Overrides};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = match &cli.command {
        Command::Serve {
            listen,
            database_url,
            ..
        } => Overrides {
            listen: *listen,
            database_url: database_url.clone(),
            ..Overrides::default()
        },
        Command::Dev {
            listen,
            data_dir,
            kot_base_url,
            ..
        } => Overrides {
            listen: *listen,
            data_dir: data_dir.clone(),
            kot_base_url: kot_base_url.clone(),
            ..Overrides::default()
        },
        Command::ReencryptTokens { database_url } => Overrides {
            database_url: database_url.clone(),
            ..Overrides::default()
        },
        Command::Trigger { .. }
        | Command::KotSim { .. }
        | Command::NewTokenKey { .. }
        | Command::NewCaller { .. }
        | Command::NewTestCerts { .. }
        | Command::Demo { .. } => Overrides::default(),
    };
    let mut config = match Config::load(cli.config.as_deref(), &overrides) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("kintai: {error}");
            return ExitCode::from(EXIT_CONFIG as u8);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kintai: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let telemetry = match runtime.block_on(start_telemetry(&cli.command, &mut config)) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("kintai: {error}");
            return ExitCode::from(EXIT_CONFIG as u8);
        }
    };
    let code = runtime.block_on(run(cli.command, config));
    // Flushed here, with the runtime's workers free to drive the exporters' gRPC channel.
    telemetry.shutdown();
    code
}

/// Logs (and, when configured, the exporters) under this process's name. Inside the runtime:
/// the exporters' channel is spawned on it.
async fn start_telemetry(
    command: &Command,
    config: &mut Config,
) -> anyhow::Result<kintai_core::telemetry::TelemetryGuard> {
    // The demo prints its own progress; routine log lines would drown it.
    if matches!(command, Command::Demo { .. }) && config.telemetry.log_filter == "info" {
        config.telemetry.log_filter = "warn".to_owned();
    }
    let process_name = match command {
        Command::Serve { service, .. } => format!("kintai-{}", service.as_str()),
        Command::Dev { .. } => "kintai-dev".to_owned(),
        Command::Trigger { .. } => "kintai-trigger".to_owned(),
        Command::KotSim { .. } => "kintai-kot-sim".to_owned(),
        Command::Demo { .. } => "kintai-demo".to_owned(),
        Command::ReencryptTokens { .. }
        | Command::NewTokenKey { .. }
        | Command::NewTestCerts { .. }
        | Command::NewCaller { .. } => "kintai-admin".to_owned(),
    };
    kintai_core::telemetry::init(&config.telemetry, &process_name)
}

async fn run(command: Command, config: Config) -> ExitCode {
    let result = match command {
        Command::Serve { service, .. } => serve::serve_one(service, &config).await,
        Command::Dev { start_at, .. } => {
            dev::dev(&config, start_at.map(|t| t.with_timezone(&chrono::Utc))).await
        }
        Command::Trigger {
            run,
            company,
            target,
            dry_run,
        } => {
            let client = auth::trigger_credentials(&config)
                .and_then(|credentials| Ok((credentials, transport::peer_tls(&config)?)));
            let (credentials, tls) = match client {
                Ok(client) => client,
                Err(error) => {
                    eprintln!("kintai: {error}");
                    return ExitCode::from(EXIT_CONFIG as u8);
                }
            };
            let peer = trigger::Peer {
                target: &target,
                credentials,
                tls,
            };
            return trigger::trigger(run, company, peer, dry_run).await;
        }
        Command::KotSim { listen } => kot::run_simulator(listen).await,
        Command::Demo { keep, lang } => {
            let lang = lang
                .as_deref()
                .and_then(kintai_i18n::Lang::from_locale)
                .unwrap_or_else(kintai_i18n::Lang::of_process);
            match demo::demo(&config, keep, lang).await {
                Ok(true) => Ok(()),
                Ok(false) => return ExitCode::FAILURE,
                Err(error) => Err(error),
            }
        }
        Command::ReencryptTokens { .. } => serve::reencrypt_tokens(&config).await,
        Command::NewCaller { name } => {
            println!("{}", auth::new_caller(&name));
            Ok(())
        }
        Command::NewTestCerts { out, hosts } => certs::new_test_certs(&out, &hosts),
        Command::NewTokenKey { id } => {
            println!("{}", kintai_settings::crypto::KeyRing::generate_entry(&id));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.downcast_ref::<config::ConfigError>().is_some() => {
            eprintln!("kintai: {error:#}");
            ExitCode::from(EXIT_CONFIG as u8)
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "kintai stopped with an error");
            eprintln!("kintai: {error:#}");
            ExitCode::FAILURE
        }
    }
}
