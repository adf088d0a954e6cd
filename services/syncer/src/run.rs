//! RunSync: per company under a database lease, plan every punch not yet sent, write the plan,
//! then post the eligible punches (or, for a dry run, only say what would happen).

use kintai_i18n::Text;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kintai_core::task::AbortOnDrop;
use kintai_core::telemetry::metrics;
use tokio::sync::Semaphore;
use tracing::Instrument;
use tracing::field::Empty;

use crate::error::SyncerError;
use crate::lease_deadline::LeaseDeadline;
use crate::ledger;
use crate::report::{CompanyReport, RunReport, SyncOutcome};
use crate::syncer::Syncer;

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
                .map_err(|error| SyncerError::Dependency(error.to_string()))?
                .into_iter()
                .map(|company| company.company_id)
                .collect(),
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
            CompanyReport::new(company_id, SyncOutcome::Failed, Text::new("run-internal"))
        });
        if report.outcome != SyncOutcome::Busy {
            self.count_undelivered(&mut report).await;
        }
        if let Some(revision) = report.settings_revision
            && let Err(error) = ledger::save_seen(self.db(), company_id, revision).await
        {
            tracing::warn!(company_id, %error, "cannot remember the settings revision");
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
        let asked = Instant::now();
        let Some(lease) = leases.try_acquire(company_id, &holder).await? else {
            return Ok(CompanyReport::new(
                company_id,
                SyncOutcome::Busy,
                Text::new("run-busy"),
            ));
        };
        self.count_leased_run();
        // Renewed in the background; if renewal fails, the in-flight fence stops new posts and
        // the deadline the ones waiting to leave.
        let deadline = Arc::new(LeaseDeadline::new(asked, self.deps().options.lease_ttl));
        let renewer = {
            let deadline = deadline.clone();
            let leases = leases.clone();
            let lease = kintai_core::lease::Lease {
                company_id: lease.company_id.clone(),
                holder: lease.holder.clone(),
            };
            let every = (self.deps().options.lease_ttl / 3).max(Duration::from_millis(10));
            AbortOnDrop(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    let asked = Instant::now();
                    match leases.renew(&lease).await {
                        Ok(true) => deadline.renewed(asked),
                        Ok(false) => break,
                        Err(error) => {
                            tracing::warn!(company_id = %lease.company_id, %error, "lease renewal failed")
                        }
                    }
                }
            }))
        };
        let result = self.sync_locked(company_id, &holder, &deadline).await;
        drop(renewer);
        if let Err(error) = leases.release(lease).await {
            tracing::warn!(company_id, %error, "lease release failed; it expires by itself");
        }
        result
    }

    /// A dry run: the plan, nothing written.
    async fn plan_company(
        &self,
        company_id: &str,
        dry_run: bool,
    ) -> Result<CompanyReport, SyncerError> {
        let (report, _) = self.prepare(company_id, dry_run).await?;
        Ok(report)
    }
}
