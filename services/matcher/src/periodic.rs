//! The matcher's own clock for `kintai dev`: every enabled company about hourly. In Kubernetes
//! the CronJob calls RunMatch (`kintai trigger match`) instead.

use std::time::Duration;

use tracing::Instrument;

use crate::report::Outcome;
use crate::run::Matcher;

/// Runs every enabled company every `interval`, the first time after `first_delay` (so that a
/// one-process server is listening before it calls itself). For `kintai dev`; in Kubernetes the
/// CronJob calls RunMatch instead. Abort the handle to stop it.
pub fn spawn_periodic(
    matcher: Matcher,
    first_delay: Duration,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(first_delay).await;
        let mut ticker = tokio::time::interval(interval.max(Duration::from_secs(1)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            run_once(&matcher).await;
        }
    })
}

/// One run over every enabled company, as the periodic loop makes it: its own trace, a log line
/// when it finished. `kintai dev` also awaits one at start-up, before it syncs.
pub async fn run_once(matcher: &Matcher) {
    // One trace per run, the companies' spans its children, as RunMatch's are.
    let span = tracing::info_span!("periodic match", otel.name = "periodic match");
    match matcher.run_all().instrument(span).await {
        Ok(report) => {
            let failed = report
                .results
                .iter()
                .filter(|r| r.outcome == Outcome::Failed)
                .count();
            tracing::info!(
                companies = report.results.len(),
                failed,
                "periodic match run finished"
            );
        }
        Err(error) => tracing::warn!(%error, "periodic match run could not list companies"),
    }
}
