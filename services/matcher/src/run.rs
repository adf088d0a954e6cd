//! Match runs: one company under its lease, or every enabled company with bounded
//! concurrency. Each company's outcome is reported on its own; one company's failure never
//! stops the others.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::channel::oneshot;
use kintai_core::Db;
use kintai_core::lease::{Lease, Leases};
use kintai_core::telemetry::metrics;
use kot_client::AttendanceVendor;
use tracing::Instrument;

use crate::model::CompanyRecord;
use crate::report::{CompanyResult, Outcome, RunReport, STORAGE_FAILED};
use crate::schema::{DUE_TABLE, LEASE_TABLE};
use crate::settings_port::{PortError, SettingsPort};
use crate::store::LinkStore;
use crate::trace::CompanyTrace;
use crate::unchanged::UnchangedWriter;
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

/// Whether a batch acquisition took a company's lease, and then the company's record as read
/// under it (`None` when that read failed; `Some(None)` when the company has no record yet).
enum LeaseState {
    Taken(Lease, Option<Option<CompanyRecord>>),
    Busy,
    Failed,
}

/// What a run over every company knows about a company before its run: its record, read
/// under the lease in one statement for the batch, and the writer that stores the record of
/// an unchanged company together with other companies' (see [`UnchangedWriter`]).
pub(crate) struct Known {
    pub record: Option<Option<CompanyRecord>>,
    pub writer: UnchangedWriter,
    /// Fired (or dropped) when the run has nothing left to do but wait for its shared write:
    /// its place among the `concurrency` companies goes to the next company then.
    pub slot: oneshot::Sender<()>,
}

/// A result known without running the company (its lease was busy or could not be taken),
/// traced and measured as a run of its own.
fn settled(result: CompanyResult) -> Started {
    CompanyTrace::start(&result.company_id).finish(&result);
    Started::Done(result)
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

/// A company of a run over every company, once it no longer counts against `concurrency`.
enum Started {
    /// The company, when its run started (for a run that panics), and the run.
    Running(String, Instant, AbortOnDrop<CompanyResult>),
    Done(CompanyResult),
}

impl Started {
    async fn result(self) -> CompanyResult {
        match self {
            Self::Done(result) => result,
            Self::Running(company_id, started, mut run) => match (&mut run.0).await {
                Ok(result) => result,
                Err(error) => {
                    tracing::error!(company_id, %error, "the company's run panicked");
                    let outcome = Outcome::Failed.as_str();
                    metrics::record_run("matcher", outcome, started.elapsed().as_secs_f64());
                    CompanyResult::bare(
                        &company_id,
                        Outcome::Failed,
                        "the company's run failed unexpectedly; the operators have the details in the logs",
                    )
                }
            },
        }
    }
}

/// A spawned company run that ends with the run over every company: dropping that run (a
/// cancelled caller) stops its companies' runs as it did before they were tasks.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
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

    /// Every company whose integration is enabled, `concurrency` at a time. Fails only when
    /// the list of companies cannot be read.
    ///
    /// The leases are taken a batch of `concurrency` companies at a time, while the batch
    /// before runs: one statement and one commit per batch instead of one per company, which
    /// with many unchanged companies was a good part of their database work. The companies'
    /// records are read under those leases in one statement per batch too, and the runs of
    /// unchanged companies store their records together ([`UnchangedWriter`]). Each company
    /// runs as a task of its own.
    pub async fn run_all(&self) -> Result<RunReport, PortError> {
        let started_at = self.now();
        let mut companies: Vec<String> = self
            .deps
            .settings
            .enabled_companies()
            .await?
            .into_iter()
            .map(|company| company.company_id)
            .collect();
        companies.sort();
        companies.dedup();
        let batch = self.deps.concurrency.max(1);
        let holder = new_holder();
        // The stream's futures own a clone of the matcher: futures borrowing `self` from
        // inside these closures would not be provably Send for every lifetime.
        let this = self.clone();
        let runner = self.clone();
        let (writer, write_unchanged) = UnchangedWriter::new(self.store.clone(), holder.clone());
        let runs = futures::stream::iter(companies)
            .chunks(batch)
            // The next batch's leases are taken (in a task of their own) while this batch
            // runs, so that its companies start as soon as this batch's finish.
            .map(move |chunk| {
                let (this, holder) = (this.clone(), holder.clone());
                let ids = chunk.clone();
                let span = tracing::info_span!(
                    "take leases",
                    otel.name = "take leases",
                    companies = chunk.len(),
                );
                let take = AbortOnDrop(tokio::spawn(
                    async move { this.take_leases(chunk, &holder).await }.instrument(span),
                ));
                async move {
                    let mut take = take;
                    (&mut take.0).await.unwrap_or_else(|error| {
                        tracing::error!(%error, "taking the companies' leases panicked");
                        ids.into_iter()
                            .map(|company_id| (company_id, LeaseState::Failed))
                            .collect()
                    })
                }
            })
            .buffered(2)
            .flat_map(futures::stream::iter)
            .map(move |(company_id, lease)| {
                let (runner, writer) = (runner.clone(), writer.clone());
                async move {
                    match lease {
                        LeaseState::Taken(lease, record) => {
                            // A task of its own, so that the companies' CPU work (reading the
                            // employee list, matching, the database client) spreads over the
                            // runtime's threads instead of sharing this one task's.
                            let (slot, freed) = oneshot::channel();
                            let id = company_id.clone();
                            let trace = CompanyTrace::start(&company_id);
                            let (span, started) = (trace.span.clone(), trace.started);
                            let run = tokio::spawn(
                                async move {
                                    let known = Known {
                                        record,
                                        writer,
                                        slot,
                                    };
                                    let result =
                                        runner.run_with_lease(&id, lease, Some(known)).await;
                                    trace.finish(&result);
                                    result
                                }
                                .instrument(span),
                            );
                            // Fired when the run waits for its shared write, or dropped when it
                            // ends (a panic included).
                            let _ = freed.await;
                            Started::Running(company_id, started, AbortOnDrop(run))
                        }
                        LeaseState::Busy => settled(busy(&company_id)),
                        LeaseState::Failed => settled(CompanyResult::bare(
                            &company_id,
                            Outcome::Failed,
                            STORAGE_FAILED,
                        )),
                    }
                }
            })
            .buffer_unordered(batch)
            .collect::<Vec<Started>>();
        let results = async {
            let started = runs.await;
            futures::future::join_all(started.into_iter().map(Started::result)).await
        };
        // The company runs own the last clones of the writer, so the write loop ends with them.
        let (mut results, ()) = futures::join!(results, write_unchanged);
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
        // The records of the companies taken, read under their leases: their runs then need
        // not read them in their write transactions.
        let mut records = match &taken {
            Ok(taken) if !taken.is_empty() => {
                let ids: Vec<String> = taken.iter().cloned().collect();
                match self.store.companies(&ids).await {
                    Ok(records) => Some(records),
                    Err(error) => {
                        tracing::warn!(%error, "cannot read the companies' records; each run reads its own");
                        None
                    }
                }
            }
            _ => None,
        };
        chunk
            .into_iter()
            .map(|company_id| {
                let state = match &taken {
                    Ok(taken) if taken.contains(&company_id) => {
                        let record = records.as_mut().map(|records| records.remove(&company_id));
                        let lease = Lease {
                            company_id: company_id.clone(),
                            holder: holder.to_owned(),
                        };
                        LeaseState::Taken(lease, record)
                    }
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
    async fn run_with_lease(
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
