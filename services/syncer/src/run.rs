//! RunSync: per company under a database lease, plan every punch not yet sent, write the plan,
//! then post the eligible punches (or, for a dry run, only say what would happen).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kintai_core::telemetry::metrics::{self, PunchResult};
use tokio::sync::Semaphore;
use tracing::Instrument;
use tracing::field::Empty;

use crate::error::SyncerError;
use crate::ledger::{self, PlannedState};
use crate::model::LedgerState;
use crate::plan::{self, Action, Plan};
use crate::ports::PortError;
use crate::punch_ledger::PunchLedger;
use crate::report::{CompanyReport, RunReport, SyncOutcome, planned_punch};
use crate::send::{CompanySender, Stop};
use crate::syncer::Syncer;
use crate::tally::Tally;

impl Syncer {
    /// Syncs one company, or every enabled company when `company_id` is `None`.
    ///
    /// Each company runs as a task of its own, detached from the caller: a caller that goes
    /// away (a gRPC deadline, a closed connection) does not abort a run half-way, which would
    /// leave punches in flight and the lease taken. Shutdown stops runs cleanly instead
    /// ([`Syncer::shut_down`]).
    pub async fn run(
        &self,
        company_id: Option<&str>,
        dry_run: bool,
    ) -> Result<RunReport, SyncerError> {
        let started_at = self.clock().now();
        let companies = match company_id {
            Some(id) => vec![id.to_owned()],
            None => self
                .deps()
                .settings
                .enabled_companies()
                .await
                .map_err(|error| SyncerError::Dependency(error.to_string()))?,
        };
        let concurrency = self.deps().options.concurrency.max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        let runs = companies.into_iter().map(|company| {
            let (syncer, permits) = (self.clone(), permits.clone());
            let run = self.spawn(async move {
                // A closed semaphore cannot happen (never closed); run unbounded rather than fail.
                let _permit = permits.acquire().await.ok();
                syncer.sync_company(&company, dry_run).await
            });
            async move { run.await.map_err(|error| error.to_string()) }
        });
        let mut results = Vec::new();
        for result in futures::future::join_all(runs).await {
            match result {
                Ok(report) => results.push(report),
                Err(error) => {
                    tracing::error!(%error, "a company's sync run panicked");
                    return Err(SyncerError::Internal(error));
                }
            }
        }
        results.sort_by(|a, b| a.company_id.cmp(&b.company_id));
        Ok(RunReport {
            results,
            dry_run,
            started_at,
            finished_at: self.clock().now(),
        })
    }

    pub(crate) async fn sync_company(&self, company_id: &str, dry_run: bool) -> CompanyReport {
        let span = tracing::info_span!(
            "sync company",
            company_id,
            dry_run,
            otel.status_code = Empty,
            outcome = Empty,
            sent = Empty,
            held = Empty,
            failed = Empty,
            deferred = Empty,
            not_synced = Empty,
        );
        let report = self
            .sync_company_in_span(company_id, dry_run)
            .instrument(span.clone())
            .await;
        span.record("outcome", report.outcome.as_str());
        span.record("sent", report.sent);
        span.record("held", report.held);
        span.record("failed", report.failed);
        span.record("deferred", report.deferred);
        span.record("not_synced", report.not_synced);
        if report.outcome == SyncOutcome::Failed {
            span.record("otel.status_code", "ERROR");
        }
        if !dry_run {
            metrics::record_run(
                "syncer",
                report.outcome.as_str(),
                report.duration.as_secs_f64(),
            );
        }
        report
    }

    async fn sync_company_in_span(&self, company_id: &str, dry_run: bool) -> CompanyReport {
        let started = Instant::now();
        let mut report = if dry_run {
            self.plan_company(company_id, true).await
        } else {
            self.sync_under_lease(company_id).await
        }
        .unwrap_or_else(|error| {
            tracing::error!(company_id, %error, "sync run failed");
            CompanyReport::new(
                company_id,
                SyncOutcome::Failed,
                "internal storage error; the operators have the details in the logs",
            )
        });
        if report.outcome != SyncOutcome::Busy {
            self.count_undelivered(&mut report).await;
        }
        report.duration = started.elapsed();
        tracing::info!(company_id, outcome = ?report.outcome, sent = report.sent, held = report.held, failed = report.failed, deferred = report.deferred, "company synced");
        report
    }

    /// Punches still not in KING OF TIME long after they arrived: the operators' early warning.
    async fn count_undelivered(&self, report: &mut CompanyReport) {
        let limit = chrono::TimeDelta::from_std(self.deps().options.undelivered_after)
            .unwrap_or(chrono::TimeDelta::MAX);
        let before = self
            .clock()
            .now()
            .checked_sub_signed(limit)
            .unwrap_or_default();
        match ledger::count_undelivered(self.db(), &report.company_id, before).await {
            Ok(count) => {
                report.undelivered = count;
                metrics::record_undelivered(&report.company_id, u64::from(count));
            }
            Err(error) => {
                tracing::warn!(company_id = %report.company_id, %error, "cannot count undelivered punches")
            }
        }
    }

    async fn sync_under_lease(&self, company_id: &str) -> Result<CompanyReport, SyncerError> {
        let holder = self.new_holder();
        let leases = self.leases();
        let Some(lease) = leases.try_acquire(company_id, &holder).await? else {
            return Ok(CompanyReport::new(
                company_id,
                SyncOutcome::Busy,
                "another run is syncing this company",
            ));
        };
        // Renewed in the background; if renewal fails, the in-flight fence stops the posts.
        let renewer = {
            let leases = leases.clone();
            let lease = kintai_core::lease::Lease {
                company_id: lease.company_id.clone(),
                holder: lease.holder.clone(),
            };
            let every = (self.deps().options.lease_ttl / 3).max(Duration::from_millis(10));
            AbortOnDrop(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    match leases.renew(&lease).await {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(error) => {
                            tracing::warn!(company_id = %lease.company_id, %error, "lease renewal failed")
                        }
                    }
                }
            }))
        };
        let result = self.sync_locked(company_id, &holder).await;
        drop(renewer);
        if let Err(error) = leases.release(lease).await {
            tracing::warn!(company_id, %error, "lease release failed; it expires by itself");
        }
        result
    }

    /// Loads, plans and (unless `dry_run`) writes the plan. Returns the report so far and, for
    /// a real run of a ready company, the plan and token to send with.
    async fn plan_company(
        &self,
        company_id: &str,
        dry_run: bool,
    ) -> Result<CompanyReport, SyncerError> {
        let (report, _) = self.prepare(company_id, dry_run).await?;
        Ok(report)
    }

    async fn prepare(
        &self,
        company_id: &str,
        dry_run: bool,
    ) -> Result<(CompanyReport, Option<(Plan, crate::ports::Credentials)>), SyncerError> {
        let deps = self.deps();
        let now = self.clock().now();
        let credentials = match deps.settings.credentials(company_id).await {
            Ok(credentials) => Ok(credentials),
            Err(PortError::NotReady(reason)) => Err(reason),
            Err(PortError::Unavailable(reason)) => {
                return Ok((
                    CompanyReport::new(
                        company_id,
                        SyncOutcome::Failed,
                        format!("the settings service did not answer: {reason}"),
                    ),
                    None,
                ));
            }
        };
        let links = if credentials.is_ok() {
            match deps.links.links(company_id).await {
                Ok(links) => links.into_iter().map(|l| (l.user_id.clone(), l)).collect(),
                Err(error) => {
                    return Ok((
                        CompanyReport::new(
                            company_id,
                            SyncOutcome::Failed,
                            format!("the matcher service did not answer: {error}"),
                        ),
                        None,
                    ));
                }
            }
        } else {
            HashMap::new()
        };
        let previous_month_start = plan::month_starts(now).1;
        if !dry_run {
            let reason = plan::expired_reason(previous_month_start);
            ledger::expire_older(self.db(), company_id, previous_month_start, &reason).await?;
        }
        let records = ledger::load(self.db(), company_id, plan::window_start(now)).await?;
        let known = ledger::eligible_since(self.db(), company_id).await?;
        let readiness = credentials.as_ref().map(|_| ()).map_err(String::as_str);
        let plan = plan::plan(now, records, readiness, &links, &known);

        let mut report = CompanyReport::new(company_id, SyncOutcome::Completed, "");
        report.not_synced =
            ledger::count_not_synced(self.db(), company_id, plan::month_starts(now).0).await?;
        for item in &plan.items {
            match &item.action {
                Action::Hold(reason) => {
                    report.held += 1;
                    if !dry_run {
                        metrics::record_punches(PunchResult::Held(reason.code), 1);
                    }
                }
                Action::Wait(_) => report.deferred += 1,
                _ => {}
            }
        }
        if dry_run {
            report.planned = plan.items.iter().map(planned_punch).collect();
        } else {
            ledger::save_eligibility(self.db(), company_id, &plan.eligible_users, &known, now)
                .await?;
            let changes: Vec<PlannedState> = plan.items.iter().filter_map(state_change).collect();
            ledger::apply_plan(self.db(), company_id, &changes).await?;
        }
        match credentials {
            Err(reason) => {
                report.outcome = SyncOutcome::Skipped;
                report.reason = reason;
                Ok((report, None))
            }
            Ok(credentials) => Ok((report, Some((plan, credentials)))),
        }
    }

    async fn sync_locked(
        &self,
        company_id: &str,
        holder: &str,
    ) -> Result<CompanyReport, SyncerError> {
        let (mut report, ready) = self.prepare(company_id, false).await?;
        let Some((plan, credentials)) = ready else {
            return Ok(report);
        };
        let deps = self.deps();
        let sender = CompanySender {
            ledger: PunchLedger {
                db: self.db(),
                company_id,
            },
            holder,
            token: &credentials.token,
            vendor: deps.vendor.as_ref(),
            clock: deps.clock.as_ref(),
            retry: &deps.options.retry,
            cancel: self.cancel(),
            stop: Mutex::new(None),
            rate_limited: AtomicU32::new(0),
        };
        // Each employee's punches in time order; employees side by side.
        let mut by_employee: BTreeMap<&str, Vec<&plan::Planned>> = BTreeMap::new();
        for item in plan
            .items
            .iter()
            .filter(|i| matches!(i.action, Action::Send { .. } | Action::Verify { .. }))
        {
            by_employee
                .entry(item.record.punch.user_id.as_str())
                .or_default()
                .push(item);
        }
        let parallel = deps.options.employees_in_parallel.max(1);
        let permits = Semaphore::new(parallel);
        let employees = by_employee.values().map(|items| {
            let (permits, sender) = (&permits, &sender);
            async move {
                let _permit = permits.acquire().await.ok();
                sender.employee(items).await
            }
        });
        let tallies: Vec<Tally> = futures::future::join_all(employees).await;
        let mut tally = Tally::default();
        for t in tallies {
            tally.add(t);
        }
        report.sent = tally.sent;
        report.failed = tally.failed;
        report.held += tally.held;
        report.deferred += tally.deferred;
        match sender.stopped() {
            Some(Stop::TokenRejected(message)) => {
                let reason = format!("KING OF TIME rejected the token (403, code 100): {message}");
                ledger::hold_pending(
                    self.db(),
                    company_id,
                    &format!("the company cannot be synced: {reason}"),
                )
                .await?;
                if let Err(error) = deps
                    .settings
                    .report_token_rejected(company_id, &credentials.fingerprint, &message)
                    .await
                {
                    tracing::warn!(company_id, %error, "could not report the rejected token to settings");
                }
                report.outcome = SyncOutcome::TokenRejected;
                report.reason = reason;
            }
            Some(Stop::LeaseLost) => {
                report.retry_after = Some(deps.options.lease_ttl);
                report.outcome = SyncOutcome::Partial;
                report.reason =
                    "the run lost its lease to another run; the rest is left to it".into();
            }
            Some(Stop::RateLimited) => {
                report.retry_after = Some(deps.options.retry.rate_limited_backoff);
                report.outcome = SyncOutcome::Partial;
                report.reason = "KING OF TIME kept answering 303 (Too Many Requests); the rest is sent by a later run".into();
            }
            Some(Stop::Failed(reason)) => {
                report.outcome = SyncOutcome::Failed;
                report.reason = reason;
            }
            Some(Stop::ShuttingDown) => {
                report.outcome = SyncOutcome::Partial;
                report.reason =
                    "the syncer is shutting down; the rest is sent by the next run".into();
            }
            None if report.deferred > 0 => {
                report.outcome = SyncOutcome::Partial;
                report.reason = format!(
                    "{} punches wait for a later attempt (a retry time, or a read-back outside the restricted hours)",
                    report.deferred
                );
            }
            None => {}
        }
        Ok(report)
    }
}

/// The held/pending state a plan item should have; `None` for punches in flight.
fn state_change(item: &plan::Planned) -> Option<PlannedState> {
    let (state, reason) = match &item.action {
        Action::Send { .. } => (LedgerState::Pending, String::new()),
        Action::Hold(reason) => (LedgerState::Held, reason.text.clone()),
        Action::Verify { .. } | Action::Wait(_) => return None,
    };
    let record = &item.record;
    let unchanged = record.state == state
        && record.reason == reason
        && record.working_day == Some(item.working_day);
    (!unchanged).then(|| PlannedState {
        punch_id: record.punch.punch_id.clone(),
        state,
        reason,
        working_day: item.working_day,
    })
}

/// Stops the lease renewal when the run ends, also when the run's future is dropped (a
/// cancelled RPC): a lease must never outlive the run that holds it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
