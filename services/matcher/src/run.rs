//! Match runs of one company: under its lease, given back after, the result logged. A run over
//! every company with bounded concurrency is [`crate::run_all`]; there each company's outcome
//! is reported on its own, and one company's failure never stops the others.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kintai_core::Db;
use kintai_core::lease::{Lease, Leases};
use kot_client::AttendanceVendor;
use tracing::Instrument;

use crate::report::{CompanyResult, Outcome, RunReport, STORAGE_FAILED};
use crate::schema::{DUE_TABLE, LEASE_TABLE};
use crate::settings_port::{PortError, SettingsPort};
use crate::store::LinkStore;
use crate::trace::CompanyTrace;
use crate::unchanged::Known;
use kintai_core::Clock;
use kintai_core::due::DueTable;

/// How the matcher reaches the world.
#[derive(Clone)]
pub struct MatcherDeps {
    pub settings: Arc<dyn SettingsPort>,
    pub vendor: Arc<dyn AttendanceVendor>,
    /// "Now": injectable, so restricted-hours tests can stand at 08:29:59 JST.
    pub clock: Clock,
    /// Companies matched at the same time in a run over every company.
    pub concurrency: usize,
    /// How long a company's lease lasts without renewal: longer than one company's run
    /// (a few KING OF TIME calls), short enough that a crashed run frees the company soon.
    pub lease_ttl: Duration,
}

impl MatcherDeps {
    pub const DEFAULT_CONCURRENCY: usize = 32;
    pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(300);

    /// The defaults: the system clock, 32 companies at once, 5-minute leases.
    pub fn new(settings: Arc<dyn SettingsPort>, vendor: Arc<dyn AttendanceVendor>) -> Self {
        Self {
            settings,
            vendor,
            clock: Clock::system(),
            concurrency: Self::DEFAULT_CONCURRENCY,
            lease_ttl: Self::DEFAULT_LEASE_TTL,
        }
    }
}

/// A lease holder id unique to one run.
pub(crate) fn new_holder() -> String {
    format!(
        "matcher-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    )
}

pub(crate) fn busy(company_id: &str) -> CompanyResult {
    CompanyResult::bare(
        company_id,
        Outcome::Busy,
        "another match run holds this company's lease; try again when it ends",
    )
}

/// The matcher's logic; cheap to clone.
#[derive(Clone)]
pub struct Matcher {
    pub(crate) store: LinkStore,
    pub(crate) deps: MatcherDeps,
    leases: Leases,
    pub(crate) due: DueTable,
}

impl Matcher {
    /// Expects the schema to be migrated (see [`crate::service`]).
    pub fn new(db: Db, deps: MatcherDeps) -> Self {
        Self {
            store: LinkStore::new(db.clone()),
            leases: Leases::new(db.clone(), LEASE_TABLE, deps.lease_ttl),
            due: DueTable::new(db, DUE_TABLE),
            deps,
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.deps.clock.now()
    }

    /// One company, or every enabled company when `company_id` is `None`.
    pub async fn run(&self, company_id: Option<&str>) -> Result<RunReport, PortError> {
        match company_id {
            Some(company_id) => {
                let started_at = self.now();
                let result = self.run_company(company_id).await;
                Ok(RunReport {
                    started_at,
                    finished_at: self.now(),
                    results: vec![result],
                })
            }
            None => self.run_all().await,
        }
    }

    /// Matches one company under its lease. A second run for the same company answers `Busy`
    /// at once rather than waiting: the CronJob runs hourly, and a caller that wants the fresh
    /// result can simply ask again.
    pub async fn run_company(&self, company_id: &str) -> CompanyResult {
        let trace = CompanyTrace::start(company_id);
        let result = self
            .lease_and_run(company_id)
            .instrument(trace.span.clone())
            .await;
        trace.finish(&result);
        result
    }

    async fn lease_and_run(&self, company_id: &str) -> CompanyResult {
        let lease = match self.leases.try_acquire(company_id, &new_holder()).await {
            Ok(Some(lease)) => lease,
            Ok(None) => return busy(company_id),
            Err(error) => {
                tracing::error!(company_id, %error, "cannot take the company's lease");
                return CompanyResult::bare(company_id, Outcome::Failed, STORAGE_FAILED);
            }
        };
        self.run_with_lease(company_id, lease, None).await
    }

    /// Runs a company whose lease is held, and gives the lease back.
    pub(crate) async fn run_with_lease(
        &self,
        company_id: &str,
        lease: Lease,
        known: Option<Known>,
    ) -> CompanyResult {
        let finished = self.run_leased(company_id, &lease, known).await;
        if !finished.lease_released
            && let Err(error) = self.leases.release(lease).await
        {
            // Harmless: the lease expires after its ttl.
            tracing::warn!(company_id, %error, "cannot release the company's lease");
        }
        let result = finished.result;
        if let Some(revision) = result.directory_revision
            && let Err(error) = self.store.save_seen(company_id, revision).await
        {
            tracing::warn!(company_id, %error, "cannot remember the directory revision matched on");
        }
        match result.outcome {
            Outcome::Matched => tracing::info!(
                company_id,
                users = result.users,
                linked = result.linked,
                employees = result.employees,
                "company matched"
            ),
            outcome => {
                tracing::info!(company_id, ?outcome, reason = %result.reason, "company not matched")
            }
        }
        result
    }
}
