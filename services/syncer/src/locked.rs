//! What a company's run does while it holds the company's lease: plan, post the plan, and when
//! who is synced changed under it (settings' revision moved), plan again — so that no POST
//! starts after a switch-off, a code change or a deletion was committed (design.md, "Who is
//! synced": a POST already in flight may finish).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use kintai_i18n::Text;
use tokio::sync::Semaphore;

use crate::error::SyncerError;
use crate::kot_words::capped;
use crate::lease_deadline::LeaseDeadline;
use crate::ledger;
use crate::plan::{Action, Planned};
use crate::prepare::Ready;
use crate::punch_ledger::PunchLedger;
use crate::report::{CompanyReport, SyncOutcome};
use crate::send::{CompanySender, Stop};
use crate::syncer::Syncer;
use crate::tally::Tally;

/// Plans of one run at most: a company whose settings keep changing is left to the next run.
const MAX_ROUNDS: u32 = 3;

impl Syncer {
    pub(crate) async fn sync_locked(
        &self,
        company_id: &str,
        holder: &str,
        lease: &LeaseDeadline,
    ) -> Result<CompanyReport, SyncerError> {
        let (mut sent, mut failed) = (0, 0);
        let mut round = 0;
        loop {
            round += 1;
            let (mut report, ready) = self.prepare(company_id, false).await?;
            let Some(ready) = ready else {
                report.sent += sent;
                report.failed += failed;
                return Ok(report);
            };
            let (tally, stop) = self.send_plan(company_id, holder, lease, &ready).await;
            sent += tally.sent;
            failed += tally.failed;
            if stop == Some(Stop::SettingsChanged) && round < MAX_ROUNDS {
                tracing::info!(
                    company_id,
                    round,
                    "who is synced changed during the run; planning again"
                );
                continue;
            }
            report.sent = sent;
            report.failed = failed;
            report.held += tally.held;
            report.deferred += tally.deferred;
            let finished = stop.is_none();
            self.conclude(&mut report, stop, &ready).await?;
            if finished {
                // Still under the lease: the day check reads KING OF TIME like the run did.
                match self.day_check_wait(company_id).await {
                    Some(at) => report.next_day_check = Some(at),
                    None => {
                        let check = self.check_days(company_id, &ready.credentials.token).await;
                        self.day_checked().checked(company_id);
                        report.days_checked = check.days;
                        report.next_day_check = check.next_at;
                    }
                }
            }
            return Ok(report);
        }
    }

    /// Posts the plan's punches: each employee's in time order, employees side by side.
    async fn send_plan(
        &self,
        company_id: &str,
        holder: &str,
        lease: &LeaseDeadline,
        ready: &Ready,
    ) -> (Tally, Option<Stop>) {
        let deps = self.deps();
        let sender = CompanySender {
            ledger: PunchLedger {
                db: self.db(),
                company_id,
            },
            holder,
            lease,
            token: &ready.credentials.token,
            vendor: deps.vendor.as_ref(),
            settings: deps.settings.as_ref(),
            revision: ready.revision,
            clock: &deps.clock,
            retry: &deps.options.retry,
            cancel: self.cancel(),
            stop: Mutex::new(None),
            rate_limited: AtomicU32::new(0),
        };
        let mut by_employee: BTreeMap<&str, Vec<&Planned>> = BTreeMap::new();
        for item in ready
            .plan
            .items
            .iter()
            .filter(|i| matches!(i.action, Action::Send { .. } | Action::Verify { .. }))
        {
            by_employee
                .entry(item.record.punch.user_id.as_str())
                .or_default()
                .push(item);
        }
        let permits = Semaphore::new(deps.options.employees_in_parallel.max(1));
        let employees = by_employee.values().map(|items| {
            let (permits, sender) = (&permits, &sender);
            async move {
                let _permit = permits.acquire().await.ok();
                sender.employee(items).await
            }
        });
        let mut tally = Tally::default();
        for employee in futures::future::join_all(employees).await {
            tally.add(employee);
        }
        (tally, sender.stopped())
    }

    /// The run's outcome from why it stopped, if it did.
    async fn conclude(
        &self,
        report: &mut CompanyReport,
        stop: Option<Stop>,
        ready: &Ready,
    ) -> Result<(), SyncerError> {
        let deps = self.deps();
        let company_id = report.company_id.clone();
        match stop {
            Some(Stop::TokenRejected(message)) => {
                let reason = Text::new("company-token-refused").text_arg("error", capped(&message));
                ledger::hold_pending(
                    self.db(),
                    &company_id,
                    &Text::new("company-not-ready").text_arg("reason", reason.clone()),
                )
                .await?;
                if let Err(error) = deps
                    .settings
                    .report_token_rejected(&company_id, &ready.credentials.fingerprint, &message)
                    .await
                {
                    tracing::warn!(company_id, %error, "could not report the rejected token to settings");
                }
                report.outcome = SyncOutcome::TokenRejected;
                report.reason = Some(reason);
            }
            Some(Stop::LeaseLost) => {
                report.retry_after = Some(deps.options.lease_ttl);
                report.outcome = SyncOutcome::Partial;
                report.reason = Some(Text::new("run-lease-lost"));
            }
            Some(Stop::RateLimited) => {
                report.retry_after = Some(deps.options.retry.rate_limited_backoff);
                report.outcome = SyncOutcome::Partial;
                report.reason = Some(Text::new("run-rate-limited"));
            }
            Some(Stop::SettingsChanged) => {
                report.retry_after = Some(Duration::from_secs(1));
                report.outcome = SyncOutcome::Partial;
                report.reason = Some(Text::new("run-settings-changed"));
            }
            Some(Stop::Failed(reason)) => {
                report.outcome = SyncOutcome::Failed;
                report.reason = Some(reason);
            }
            Some(Stop::ShuttingDown) => {
                report.outcome = SyncOutcome::Partial;
                report.reason = Some(Text::new("run-shutting-down"));
            }
            None if report.deferred > 0 => {
                report.outcome = SyncOutcome::Partial;
                report.reason = Some(Text::new("run-deferred").arg("count", report.deferred));
            }
            None => {}
        }
        Ok(())
    }
}
