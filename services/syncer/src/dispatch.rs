//! Prompt delivery (design.md): every syncer process runs a dispatcher that claims companies
//! due for a run and syncs them under the company's lease, so punches reach KING OF TIME within
//! seconds and the replicas share the work. RecordPunches and RetryPunches mark a company due;
//! after each run the company is due again at its next retry time, if it has one. The CronJob's
//! RunSync stays as the safety net.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use kintai_core::dispatch::{Dispatch, Pace};
use kintai_core::due::{Claim, DueTable};

use crate::ledger;
use crate::report::{CompanyReport, SyncOutcome};
use crate::syncer::Syncer;

/// How the dispatcher works.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// Whether this process runs a dispatcher at all.
    pub enabled: bool,
    /// A company with new punches is due this long after the first of them, so a burst becomes
    /// one run.
    pub debounce: Duration,
    /// How often the dispatcher looks for due companies.
    pub poll: Duration,
    /// Companies this process syncs at once: a run mostly waits for its token's pacing, so this
    /// must not be below the companies with a backlog, or their budget goes unused.
    pub max_running: usize,
    /// How often the dispatcher compares settings' revisions with what the runs planned on, so
    /// that a change of who is synced (a user switched on again, a token fixed) is acted on.
    pub watch: Duration,
}

impl Default for DispatchOptions {
    /// The `[syncer]` defaults ([`crate::SyncerConfig::default`]).
    fn default() -> Self {
        crate::SyncerConfig::default().options().dispatch
    }
}

/// A company with punches held until the matcher's next run (a new user, a code fixed) is
/// looked at again after this; the matcher re-matches within a minute of the change.
const AFTER_MATCH_WAIT: Duration = Duration::from_secs(10);
/// A company that could not be synced (a dependency down) is tried again after this.
const AFTER_FAILURE: Duration = Duration::from_secs(60);
/// A company another run holds is looked at again after this.
const BUSY_RETRY: Duration = Duration::from_secs(2);
/// Companies one look of the dispatcher claims at most (kintai_core::dispatch::Pace).
const CLAIM_BATCH: usize = 8;
/// The shortest gap between two dispatched runs of one company.
const MIN_GAP: Duration = Duration::from_secs(1);

fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX)
}

impl Syncer {
    /// The company needs a run soon (within the debounce).
    pub(crate) async fn mark_due(&self, company_id: &str) {
        let at = after(self.now(), self.deps().options.dispatch.debounce);
        if let Err(error) = self.due().mark(company_id, at).await {
            // The punches are stored; the CronJob's run sends them if no prompt one does.
            tracing::warn!(company_id, %error, "cannot mark the company due for a sync");
        }
    }

    /// When a company is due next after a dispatched run, from what the run found.
    async fn next_due(&self, report: &CompanyReport) -> Option<DateTime<Utc>> {
        let now = self.now();
        match report.outcome {
            // Another run has it (a RunSync): look again soon, since marks made during that run
            // may need one more.
            SyncOutcome::Busy => return Some(after(now, BUSY_RETRY)),
            SyncOutcome::Failed => return Some(after(now, AFTER_FAILURE)),
            // Switched off, no usable token: a settings change makes it due again.
            SyncOutcome::Skipped | SyncOutcome::TokenRejected => return None,
            SyncOutcome::Completed | SyncOutcome::Partial => {}
        }
        let open = match ledger::next_open_attempt(self.db(), &report.company_id, now).await {
            Ok(open) => open,
            Err(error) => {
                tracing::warn!(company_id = %report.company_id, %error, "cannot read the next retry time");
                Some(after(now, AFTER_FAILURE))
            }
        };
        let earliest = after(now, report.retry_after.unwrap_or(MIN_GAP).max(MIN_GAP));
        let open = open.map(|at| at.max(earliest));
        let recheck = report
            .waiting_for_match
            .then(|| after(now, AFTER_MATCH_WAIT));
        [
            open,
            recheck,
            report.next_day_check.map(|at| at.max(earliest)),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Makes due every enabled company whose settings revision moved past what its last run
    /// planned on (or that no run has looked at yet).
    async fn watch_settings(&self) {
        let companies = match self.deps().settings.enabled_companies().await {
            Ok(companies) => companies,
            Err(error) => {
                tracing::debug!(%error, "cannot list companies to watch their settings");
                return;
            }
        };
        let seen = match ledger::seen_revisions(self.db()).await {
            Ok(seen) => seen,
            Err(error) => {
                tracing::warn!(%error, "cannot read the revisions the runs planned on");
                return;
            }
        };
        let now = self.now();
        for company in companies {
            if seen.get(&company.company_id) != Some(&company.revision)
                && let Err(error) = self.due().mark(&company.company_id, now).await
            {
                tracing::warn!(company_id = %company.company_id, %error, "cannot mark the company due");
            }
        }
    }

    /// Syncs one claimed company and schedules its next run. A company marked during its run
    /// and due by its end (punches recorded meanwhile, their debounce over) runs again at once
    /// under a renewed claim: no wait for the next poll, and its token keeps this process's
    /// pacing instead of moving to another replica's.
    async fn dispatched(&self, claim: Claim) {
        let mut claim = claim;
        loop {
            let report = crate::busy_check::DISPATCHED
                .scope((), self.sync_company(&claim.company_id, false))
                .await;
            if self.cancel().is_cancelled() {
                // Shutting down: the next replica (or this one, restarted) takes it at once.
                let now = self.now();
                if let Err(error) = self.due().reschedule(&claim, Some(now)).await {
                    tracing::warn!(company_id = %claim.company_id, %error, "cannot hand the company on; its claim expires by itself");
                }
                return;
            }
            // Marked during the run and its debounce over: run again now, before letting go of
            // the claim, so no other replica is offered the company in between. Taking it before
            // the debounce ends measured worse under CPU contention (many small runs, each
            // paying for its planning), and the debounce still merges what arrives meanwhile.
            // The next run's end looks at the retry times, so none is lost by not rescheduling.
            // Not after a run that could not work (busy elsewhere, failed): it waits its turn.
            let worked = matches!(
                report.outcome,
                SyncOutcome::Completed | SyncOutcome::Partial
            );
            let now = self.now();
            let hold = self.deps().options.lease_ttl;
            let again = if worked {
                self.due().claim_again(&claim, now, now, hold).await
            } else {
                Ok(None)
            };
            match again {
                Ok(Some(again)) => {
                    claim = again;
                    continue;
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(company_id = %claim.company_id, %error, "cannot claim the company again");
                }
            }
            let next = self.next_due(&report).await;
            if let Err(error) = self.due().reschedule(&claim, next).await {
                tracing::warn!(company_id = %claim.company_id, %error, "cannot reschedule the company; its claim expires by itself");
            }
            return;
        }
    }
}

/// The syncer's side of the dispatcher's loop.
#[derive(Clone)]
struct Dispatcher(Syncer);

impl Dispatch for Dispatcher {
    fn due(&self) -> &DueTable {
        self.0.due()
    }

    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }

    async fn watch(&self) {
        self.0.watch_settings().await;
    }

    async fn run(self, claim: Claim) {
        self.0.dispatched(claim).await;
    }

    fn spawn(&self, run: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(run);
    }
}

/// Runs the dispatcher until the syncer shuts down ([`Syncer::shut_down`]).
pub fn spawn_dispatcher(syncer: Syncer) -> tokio::task::JoinHandle<()> {
    let options = &syncer.deps().options;
    let pace = Pace {
        poll: options.dispatch.poll,
        watch: options.dispatch.watch,
        max_running: options.dispatch.max_running,
        claim_batch: CLAIM_BATCH,
        // The claim is held as long as a lease: a crashed claimer's company comes back then.
        hold: options.lease_ttl,
    };
    let stop = syncer.cancel().clone().cancelled_owned();
    kintai_core::dispatch::spawn(Dispatcher(syncer), pace, stop)
}
