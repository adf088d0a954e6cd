//! `kintai trigger match|sync`: what the CronJobs run. Calls RunMatch / RunSync, prints one line
//! per company, and exits non-zero when the run failed, so Kubernetes records a failed Job.

use std::process::ExitCode;

use kintai_core::auth::ClientCredentials;
use kintai_core::peer::{PeerChannel, PeerTls};
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::matcher::v1::{MatchOutcome, RunMatchRequest};
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{RunSyncRequest, SyncOutcome};
use tracing::Instrument;

use crate::cli::RunKind;

/// Exit code when the target cannot be reached (sysexits EX_UNAVAILABLE).
const EXIT_UNREACHABLE: u8 = 69;

/// The service the trigger calls and how.
pub struct Peer<'a> {
    /// `--target`.
    pub target: &'a str,
    pub credentials: ClientCredentials,
    pub tls: PeerTls,
}

/// Runs the trigger inside its own span: the root of the run's trace when telemetry is exported.
pub async fn trigger(
    run: RunKind,
    company: Option<String>,
    peer: Peer<'_>,
    dry_run: bool,
) -> ExitCode {
    let span = tracing::info_span!(
        "kintai trigger",
        otel.name = %format!("kintai trigger {}", run_name(run)),
        run = run_name(run),
        company_id = company.as_deref().unwrap_or(""),
        dry_run,
        failed_companies = tracing::field::Empty,
    );
    call(run, company, peer, dry_run).instrument(span).await
}

fn run_name(run: RunKind) -> &'static str {
    match run {
        RunKind::Match => "match",
        RunKind::Sync => "sync",
    }
}

async fn call(run: RunKind, company: Option<String>, peer: Peer<'_>, dry_run: bool) -> ExitCode {
    let channel = match connect(peer.target, &peer.tls).await {
        Ok(channel) => kintai_core::peer::peer_channel(channel, peer.credentials),
        Err(exit) => return exit,
    };
    let company_id = company.unwrap_or_default();
    match run {
        RunKind::Match => run_match(channel, company_id).await,
        RunKind::Sync => run_sync(channel, company_id, dry_run).await,
    }
}

/// A connected channel to `--target` (`host:port` or a URL), or the exit code saying why not: 64
/// for a target this process may not call as configured (plaintext beyond loopback, https://
/// without a CA), 69 when it cannot be reached (a refused certificate included).
async fn connect(target: &str, tls: &PeerTls) -> Result<tonic::transport::Channel, ExitCode> {
    let uri = if target.contains("://") {
        target.to_owned()
    } else {
        format!("http://{target}")
    };
    let usage = |why: String| {
        eprintln!("kintai trigger: --target {why}");
        ExitCode::from(crate::config::EXIT_CONFIG as u8)
    };
    match tls.connect(&uri).await {
        Err(why) => Err(usage(format!("{why:#}"))),
        Ok(Ok(channel)) => Ok(channel),
        Ok(Err(why)) => {
            eprintln!("kintai trigger: cannot reach {target}: {why}");
            Err(ExitCode::from(EXIT_UNREACHABLE))
        }
    }
}

async fn run_match(channel: PeerChannel, company_id: String) -> ExitCode {
    let mut client = MatcherServiceClient::new(channel);
    let response = match client.run_match(RunMatchRequest { company_id }).await {
        Ok(response) => response.into_inner(),
        Err(status) => return rpc_failed("RunMatch", &status),
    };
    let mut failed = 0;
    for result in &response.results {
        let outcome = result.outcome();
        failed += usize::from(outcome == MatchOutcome::Failed);
        println!(
            "company={} outcome={} users={} linked={} unlinked={} reason={:?}",
            result.company_id,
            outcome.as_str_name(),
            result.users,
            result.linked,
            result.unlinked,
            result.reason
        );
    }
    finish("match", failed)
}

async fn run_sync(channel: PeerChannel, company_id: String, dry_run: bool) -> ExitCode {
    let mut client = SyncerServiceClient::new(channel);
    let request = RunSyncRequest {
        company_id,
        dry_run,
    };
    let response = match client.run_sync(request).await {
        Ok(response) => response.into_inner(),
        Err(status) => return rpc_failed("RunSync", &status),
    };
    let mut failed = 0;
    for result in &response.results {
        let outcome = result.outcome();
        failed += usize::from(outcome == SyncOutcome::Failed);
        println!(
            "company={} outcome={} sent={} held={} not_synced={} failed={} deferred={} reason={:?}",
            result.company_id,
            outcome.as_str_name(),
            result.sent,
            result.held,
            result.not_synced,
            result.failed,
            result.deferred,
            result.reason
        );
    }
    finish("sync", failed)
}

fn finish(run: &str, failed_companies: usize) -> ExitCode {
    tracing::Span::current().record("failed_companies", failed_companies);
    if failed_companies == 0 {
        println!("{run} run finished");
        ExitCode::SUCCESS
    } else {
        eprintln!("kintai trigger: {run} run failed for {failed_companies} companies");
        ExitCode::FAILURE
    }
}

fn rpc_failed(rpc: &str, status: &tonic::Status) -> ExitCode {
    eprintln!(
        "kintai trigger: {rpc} failed: {:?}: {}",
        status.code(),
        status.message()
    );
    ExitCode::FAILURE
}
