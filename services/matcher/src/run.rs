//! Match runs: one company under its lease, or every enabled company with bounded
//! concurrency. Each company's outcome is reported on its own; one company's failure never
//! stops the others.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use kintai_core::Db;
use kintai_core::lease::{Lease, Leases};
use kot_client::AttendanceVendor;

use crate::company_run::STORAGE_FAILED;
use crate::schema::LEASE_TABLE;
use crate::settings_port::{PortError, SettingsPort};
use crate::store::LinkStore;

/// Where "now" comes from: injectable, so restricted-hours tests can stand at 08:29:59 JST.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// How the matcher reaches the world.
#[derive(Clone)]
pub struct MatcherDeps {
    pub settings: Arc<dyn SettingsPort>,
    pub vendor: Arc<dyn AttendanceVendor>,
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
            clock: system_clock(),
            concurrency: Self::DEFAULT_CONCURRENCY,
            lease_ttl: Self::DEFAULT_LEASE_TTL,
        }
    }
}

/// What happened to one company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    Deferred { next_attempt_at: DateTime<Utc> },
    Skipped,
    TokenRejected,
    Busy,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyResult {
    pub company_id: String,
    pub outcome: Outcome,
    /// Why, for every outcome but `Matched`.
    pub reason: String,
    pub users: u32,
    pub linked: u32,
    pub unlinked: u32,
    pub employees: u32,
}

impl CompanyResult {
    pub(crate) fn bare(company_id: &str, outcome: Outcome, reason: impl Into<String>) -> Self {
        Self {
            company_id: company_id.to_owned(),
            outcome,
            reason: reason.into(),
            users: 0,
            linked: 0,
            unlinked: 0,
            employees: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// One result per company, ordered by company id.
    pub results: Vec<CompanyResult>,
}

/// Whether a batch acquisition took a company's lease.
enum LeaseState {
    Taken(Lease),
    Busy,
    Failed,
}

/// A lease holder id unique to one run.
fn new_holder() -> String {
    format!(
        "matcher-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    )
}

fn busy(company_id: &str) -> CompanyResult {
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
}

impl Matcher {
    /// Expects the schema to be migrated (see [`crate::service`]).
    pub fn new(db: Db, deps: MatcherDeps) -> Self {
        Self {
            store: LinkStore::new(db.clone()),
            leases: Leases::new(db, LEASE_TABLE, deps.lease_ttl),
            deps,
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.deps.clock)()
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

    /// Every company whose integration is enabled, `concurrency` at a time. Fails only when
    /// the list of companies cannot be read.
    ///
    /// The leases are taken a batch of `concurrency` companies at a time, just before the
    /// batch starts: one statement and one commit per batch instead of one per company, which
    /// with many unchanged companies was a good part of their database work.
    pub async fn run_all(&self) -> Result<RunReport, PortError> {
        let started_at = self.now();
        let mut companies = self.deps.settings.enabled_companies().await?;
        companies.sort();
        companies.dedup();
        let batch = self.deps.concurrency.max(1);
        let holder = new_holder();
        // The stream's futures own a clone of the matcher: futures borrowing `self` from
        // inside these closures would not be provably Send for every lifetime.
        let this = self.clone();
        let runner = self.clone();
        let mut results: Vec<CompanyResult> = futures::stream::iter(companies)
            .chunks(batch)
            .then(move |chunk| {
                let (this, holder) = (this.clone(), holder.clone());
                async move { this.take_leases(chunk, &holder).await }
            })
            .flat_map(futures::stream::iter)
            .map(move |(company_id, lease)| {
                let runner = runner.clone();
                async move {
                    match lease {
                        LeaseState::Taken(lease) => runner.run_with_lease(&company_id, lease).await,
                        LeaseState::Busy => busy(&company_id),
                        LeaseState::Failed => {
                            CompanyResult::bare(&company_id, Outcome::Failed, STORAGE_FAILED)
                        }
                    }
                }
            })
            .buffer_unordered(batch)
            .collect()
            .await;
        results.sort_by(|a, b| a.company_id.cmp(&b.company_id));
        Ok(RunReport {
            started_at,
            finished_at: self.now(),
            results,
        })
    }

    /// The leases of a batch of companies, taken in one statement.
    async fn take_leases(&self, chunk: Vec<String>, holder: &str) -> Vec<(String, LeaseState)> {
        let taken = self
            .store
            .acquire_leases(&chunk, holder, self.deps.lease_ttl)
            .await;
        if let Err(error) = &taken {
            tracing::error!(%error, "cannot take the companies' leases");
        }
        chunk
            .into_iter()
            .map(|company_id| {
                let state = match &taken {
                    Ok(taken) if taken.contains(&company_id) => LeaseState::Taken(Lease {
                        company_id: company_id.clone(),
                        holder: holder.to_owned(),
                    }),
                    Ok(_) => LeaseState::Busy,
                    Err(_) => LeaseState::Failed,
                };
                (company_id, state)
            })
            .collect()
    }

    /// Matches one company under its lease. A second run for the same company answers `Busy`
    /// at once rather than waiting: the CronJob runs hourly, and a caller that wants the fresh
    /// result can simply ask again.
    pub async fn run_company(&self, company_id: &str) -> CompanyResult {
        let lease = match self.leases.try_acquire(company_id, &new_holder()).await {
            Ok(Some(lease)) => lease,
            Ok(None) => return busy(company_id),
            Err(error) => {
                tracing::error!(company_id, %error, "cannot take the company's lease");
                return CompanyResult::bare(company_id, Outcome::Failed, STORAGE_FAILED);
            }
        };
        self.run_with_lease(company_id, lease).await
    }

    /// Runs a company whose lease is held, and gives the lease back.
    async fn run_with_lease(&self, company_id: &str, lease: Lease) -> CompanyResult {
        let finished = self.run_leased(company_id, &lease).await;
        if !finished.lease_released
            && let Err(error) = self.leases.release(lease).await
        {
            // Harmless: the lease expires after its ttl.
            tracing::warn!(company_id, %error, "cannot release the company's lease");
        }
        let result = finished.result;
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
