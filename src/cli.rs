//! The command line of the `kintai` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "kintai",
    version,
    about = "kintai-link: carries cyzen attendance punches into KING OF TIME"
)]
pub struct Cli {
    /// A TOML configuration file (layered over the defaults, under KINTAI__SECTION__KEY variables and flags).
    #[arg(long, global = true, env = "KINTAI_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one service in this process (what a Kubernetes pod runs).
    Serve {
        #[arg(value_enum)]
        service: ServiceName,
        /// Address to listen on (server.listen).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// sqlite://PATH or postgres://... (database.url).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Laptop mode: all three services on one port, SQLite, and the built-in KING OF TIME simulator.
    Dev {
        /// Address to listen on.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Folder for the SQLite files (default: the user's data folder, or ./.kintai).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Use this KING OF TIME endpoint instead of the built-in simulator.
        #[arg(long)]
        kot_base_url: Option<String>,
        /// Run every clock (services and built-in simulator) from this instant instead of now,
        /// e.g. 2024-06-07T21:00:00+09:00: replays a past week, or stays out of the restricted hours.
        #[arg(long)]
        start_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// The whole product in one command: the manual's example company set up through the real
    /// APIs, a week of punches matched and synced to the built-in simulator, and what admins and
    /// KING OF TIME see. Exits 0 only if KING OF TIME holds exactly what it should.
    Demo {
        /// Leave the server running afterwards (on server.listen) to explore with grpcurl.
        #[arg(long)]
        keep: bool,
        /// The language of the admin texts shown (ja or en); the process locale when omitted
        /// (LC_ALL, LC_MESSAGES, LANG), Japanese when that names neither.
        #[arg(long, value_parser = ["ja", "en"])]
        lang: Option<String>,
    },
    /// Run the KING OF TIME simulator alone, seeded with the manual's example company.
    KotSim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8480")]
        listen: SocketAddr,
    },
    /// Re-encrypt every stored KING OF TIME token under the newest key of crypto.token_keys.
    ReencryptTokens {
        /// sqlite://PATH or postgres://... of the settings database (database.url).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Print a new random token encryption key entry (ID:BASE64) for crypto.token_keys.
    NewTokenKey {
        /// The key's id, e.g. 2026-11.
        id: String,
    },
    /// Print a new caller secret and the auth.callers entry that admits it.
    NewCaller {
        /// cyzen-platform, matcher, syncer or trigger.
        name: String,
    },
    /// Write a test CA, a server certificate and a client certificate per caller into a folder,
    /// for trying TLS and mutual TLS on a laptop (never for production: the CA key is on disk).
    NewTestCerts {
        /// The folder to write into (created 0700; keys 0600).
        #[arg(long)]
        out: PathBuf,
        /// Names the server certificate is for, besides localhost, 127.0.0.1 and ::1 (repeatable).
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
    /// Call RunMatch or RunSync and exit non-zero when the run failed (what a CronJob runs).
    Trigger {
        #[arg(value_enum)]
        run: RunKind,
        /// Only this company; every enabled company when omitted.
        #[arg(long)]
        company: Option<String>,
        /// The service to call: https://kintai-matcher:50051 (TLS, peers.tls), or plaintext on
        /// loopback, 127.0.0.1:50051.
        #[arg(long)]
        target: String,
        /// For sync: report what would be sent without sending.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ServiceName {
    Settings,
    Matcher,
    Syncer,
}

impl ServiceName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Settings => "settings",
            Self::Matcher => "matcher",
            Self::Syncer => "syncer",
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RunKind {
    Match,
    Sync,
}
