//! A run over every company: leases taken a batch at a time while the batch before runs, each
//! company's run a task of its own, unchanged companies' records stored together.

use std::time::Instant;

use futures::StreamExt;
use futures::channel::oneshot;
use kintai_core::lease::Lease;
use kintai_core::task::AbortOnDrop;
use kintai_core::telemetry::metrics;
use tracing::Instrument;

use crate::model::CompanyRecord;
use crate::report::{CompanyResult, Outcome, RunReport, STORAGE_FAILED};
use crate::run::{Matcher, busy, new_holder};
use crate::settings_port::PortError;
use crate::trace::CompanyTrace;
use crate::unchanged::{Known, UnchangedWriter};

/// Whether a batch acquisition took a company's lease, and then the company's record as read
/// under it (`None` when that read failed; `Some(None)` when the company has no record yet).
enum LeaseState {
    Taken(Lease, Option<Option<CompanyRecord>>),
    Busy,
    Failed,
}

impl Matcher {
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
            .map(move |chunk| take_batch(this.clone(), holder.clone(), chunk))
            .buffered(2)
            .flat_map(futures::stream::iter)
            .map(move |(company_id, lease)| {
                start(runner.clone(), writer.clone(), company_id, lease)
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
}

/// Takes a batch's leases in a task of its own, started at once (while the batch before
/// runs); the future answers each company's lease state.
fn take_batch(
    this: Matcher,
    holder: String,
    chunk: Vec<String>,
) -> impl std::future::Future<Output = Vec<(String, LeaseState)>> {
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
}

/// Starts one company of the run; answers once the company no longer counts against
/// `concurrency` (its run waits only for its shared write, or has ended).
async fn start(
    runner: Matcher,
    writer: UnchangedWriter,
    company_id: String,
    lease: LeaseState,
) -> Started {
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
                    let result = runner.run_with_lease(&id, lease, Some(known)).await;
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

/// A result known without running the company (its lease was busy or could not be taken),
/// traced and measured as a run of its own.
fn settled(result: CompanyResult) -> Started {
    CompanyTrace::start(&result.company_id).finish(&result);
    Started::Done(result)
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
