//! Prompt re-matching (design.md, "Prompt delivery"; issue of stop-means-stop): every matcher
//! process compares settings' directory revisions with what each company was last matched on,
//! makes a changed company due (shortly, so a burst of directory pushes becomes one match), and
//! claims due companies, matching them under the company's lease like any run. In the restricted
//! hours the run answers DEFERRED and the company is due again when they end (10:00 / 18:30).
//! The hourly CronJob stays, for KING OF TIME's side of the codes.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use kintai_core::dispatch::{Dispatch, Pace};
use kintai_core::due::{Claim, DueTable};
use tracing::Instrument;

use crate::report::{CompanyResult, Outcome};
use crate::run::Matcher;

/// How the dispatcher works.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// A company whose directory changed is matched this long after the change was seen.
    pub debounce: Duration,
    /// How often due companies are looked for.
    pub poll: Duration,
    /// How often settings' directory revisions are compared with what was matched.
    pub watch: Duration,
    /// Companies this process matches at once.
    pub max_running: usize,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        Self {
            debounce: Duration::from_secs(5),
            poll: Duration::from_secs(1),
            watch: Duration::from_secs(15),
            max_running: 8,
        }
    }
}

fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX)
}

impl Matcher {
    /// Makes due every enabled company whose directory revision moved past what it was last
    /// matched on (or that was never matched).
    async fn watch_directories(&self, debounce: Duration) {
        let companies = match self.deps.settings.enabled_companies().await {
            Ok(companies) => companies,
            Err(error) => {
                tracing::debug!(%error, "cannot list companies to watch their directories");
                return;
            }
        };
        let seen = match self.store.seen_revisions().await {
            Ok(seen) => seen,
            Err(error) => {
                tracing::warn!(%error, "cannot read the directory revisions matched on");
                return;
            }
        };
        let at = after(self.now(), debounce);
        for company in companies {
            // Not while a match of the company is due or under way: that run may have read the
            // new directory already, and a plain mark would match the company twice. If it read
            // the old one, its seen revision stays behind and the next look marks it.
            if seen.get(&company.company_id) != Some(&company.directory_revision)
                && let Err(error) = self.due.mark_unless_pending(&company.company_id, at).await
            {
                tracing::warn!(company_id = %company.company_id, %error, "cannot mark the company due");
            }
        }
    }

    /// When the company is due again after a dispatched run.
    fn next_due(&self, result: &CompanyResult) -> Option<DateTime<Utc>> {
        let now = self.now();
        match result.outcome {
            Outcome::Matched | Outcome::Skipped | Outcome::TokenRejected => None,
            Outcome::Deferred { next_attempt_at } => Some(next_attempt_at),
            Outcome::Busy => Some(after(now, Duration::from_secs(30))),
            Outcome::Failed => Some(after(now, Duration::from_secs(60))),
        }
    }

    async fn dispatched(&self, claim: Claim) {
        let result = self.run_company(&claim.company_id).await;
        let next = self.next_due(&result);
        if let Err(error) = self.due.reschedule(&claim, next).await {
            tracing::warn!(company_id = %claim.company_id, %error, "cannot reschedule the company; its claim expires by itself");
        }
    }
}

/// The matcher's side of the dispatcher's loop.
#[derive(Clone)]
struct Dispatcher {
    matcher: Matcher,
    debounce: Duration,
}

impl Dispatch for Dispatcher {
    fn due(&self) -> &DueTable {
        &self.matcher.due
    }

    fn now(&self) -> DateTime<Utc> {
        self.matcher.now()
    }

    async fn watch(&self) {
        self.matcher.watch_directories(self.debounce).await;
    }

    fn run(self, claim: Claim) -> impl Future<Output = ()> + Send + 'static {
        let span = tracing::info_span!("dispatched match", otel.name = "dispatched match");
        async move { self.matcher.dispatched(claim).await }.instrument(span)
    }
}

/// Runs the matcher's dispatcher; abort the handle to stop it (a match run is safe to drop:
/// it writes nothing until it has the whole answer).
pub fn spawn_dispatcher(matcher: Matcher, options: DispatchOptions) -> tokio::task::JoinHandle<()> {
    let pace = Pace {
        poll: options.poll,
        watch: options.watch,
        max_running: options.max_running,
        // A match run ends when it has matched: nobody keeps a company, so no turns are needed.
        claim_batch: options.max_running,
        hold: matcher.deps.lease_ttl,
    };
    let service = Dispatcher {
        matcher,
        debounce: options.debounce,
    };
    kintai_core::dispatch::spawn(service, pace, std::future::pending())
}
