//! The syncer's logic as plain Rust: the gRPC handlers and the periodic runner call this.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kintai_core::Db;
use kintai_core::due::DueTable;
use kintai_core::lease::Leases;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::SyncerError;
use crate::ledger::LEASE_TABLE;
use crate::model::{NewPunch, PunchRecord};
use crate::retry::{self, Requeued, RetryRequest};
use crate::schema::DUE_TABLE;
use crate::store::{self, Cursor, ListFilter, Recorded};
use crate::{SERVICE, SyncerDeps, schema};

/// The syncer. Cloning is cheap; clones share the database pool and the dependencies.
#[derive(Clone, Debug)]
pub struct Syncer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    deps: SyncerDeps,
    leases: Leases,
    due: DueTable,
    /// Tells this process's lease holders apart from other pods'.
    instance: String,
    runs: AtomicU64,
    /// Company runs that took their company's lease.
    leased_runs: AtomicU64,
    /// Cancelled at shutdown: runs stop starting POSTs.
    cancel: CancellationToken,
    /// The company runs, detached from the callers that asked for them.
    tasks: TaskTracker,
    /// When this process last checked each company's days (crate::busy_check).
    pub(crate) day_checked: crate::busy_check::LastChecks,
    /// The latest readings of days' closing (crate::preflight).
    closings: crate::preflight::Closings,
}

impl Syncer {
    /// Applies the schema and returns a ready syncer.
    pub async fn start(db: Db, deps: SyncerDeps) -> anyhow::Result<Self> {
        kintai_core::migrate::migrate(&db, SERVICE, schema::MIGRATIONS).await?;
        let leases = Leases::new(db.clone(), LEASE_TABLE, deps.options.lease_ttl);
        let due = DueTable::new(db.clone(), DUE_TABLE);
        let instance = format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "syncer".into()),
            std::process::id(),
            Utc::now().timestamp_millis()
        );
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                deps,
                leases,
                due,
                instance,
                runs: AtomicU64::new(0),
                leased_runs: AtomicU64::new(0),
                cancel: CancellationToken::new(),
                tasks: TaskTracker::new(),
                day_checked: crate::busy_check::LastChecks::default(),
                closings: crate::preflight::Closings::default(),
            }),
        })
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn deps(&self) -> &SyncerDeps {
        &self.inner.deps
    }

    pub(crate) fn leases(&self) -> &Leases {
        &self.inner.leases
    }

    pub(crate) fn due(&self) -> &DueTable {
        &self.inner.due
    }

    pub(crate) fn clock(&self) -> &kintai_core::Clock {
        &self.inner.deps.clock
    }

    pub(crate) fn closings(&self) -> &crate::preflight::Closings {
        &self.inner.closings
    }

    pub(crate) fn day_checked(&self) -> &crate::busy_check::LastChecks {
        &self.inner.day_checked
    }

    pub(crate) fn cancel(&self) -> &CancellationToken {
        &self.inner.cancel
    }

    /// Runs `work` as a task of its own that outlives its caller and that shutdown waits for,
    /// inside the caller's span (a RunSync's company spans stay in its trace).
    pub(crate) fn spawn<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = T> + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        use tracing::Instrument;
        self.inner.tasks.spawn(work.in_current_span())
    }

    /// Stops starting new POSTs: the running company runs let the POSTs that are out finish,
    /// record what happened and give their leases back. Call it when the process is asked to stop.
    pub fn shut_down(&self) {
        self.inner.cancel.cancel();
        self.inner.tasks.close();
    }

    /// Waits until every company run has ended after [`Syncer::shut_down`], at most `limit`;
    /// `false` when some did not end in time.
    pub async fn drained(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.inner.tasks.wait())
            .await
            .is_ok()
    }

    /// The syncer's "now" (injectable for tests).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock().now()
    }

    /// How far ahead of [`Syncer::now`] a recorded punch may be (`syncer.max_clock_skew_secs`).
    pub(crate) fn max_clock_skew(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.inner.deps.options.max_clock_skew)
            .unwrap_or(chrono::TimeDelta::MAX)
    }

    /// Company runs this process has made under the company's lease (attempts that found it
    /// busy not counted), for operators' debug logs and the tests of prompt delivery.
    pub fn runs_started(&self) -> u64 {
        self.inner.leased_runs.load(Ordering::Relaxed)
    }

    /// Counts a run that took its company's lease.
    pub(crate) fn count_leased_run(&self) {
        self.inner.leased_runs.fetch_add(1, Ordering::Relaxed);
    }

    /// A lease holder name unique to one company run.
    pub(crate) fn new_holder(&self) -> String {
        let run = self.inner.runs.fetch_add(1, Ordering::Relaxed);
        format!("{}-{run}", self.inner.instance)
    }

    /// Stores validated punches of one company (see [`store::record`]); a company with new
    /// punches to send is due for a prompt run.
    pub async fn record(
        &self,
        company_id: &str,
        punches: &[NewPunch],
    ) -> Result<Vec<Recorded>, SyncerError> {
        let recorded = store::record(self.db(), company_id, punches, self.now()).await?;
        let to_send = recorded.iter().any(|r| {
            matches!(r, Recorded::Accepted(kind) if *kind != crate::model::PunchType::NotSynced)
        });
        if to_send {
            self.mark_due(company_id).await;
        }
        Ok(recorded)
    }

    /// Puts the named failed punches back into the queue (RetryPunches).
    pub async fn retry_ids(
        &self,
        company_id: &str,
        punch_ids: &[String],
        request: &RetryRequest<'_>,
    ) -> Result<Vec<(String, Requeued)>, SyncerError> {
        let results = retry::requeue_ids(self.db(), company_id, punch_ids, request).await?;
        if results.iter().any(|(_, r)| *r == Requeued::Requeued) {
            self.mark_due(company_id).await;
        }
        Ok(results)
    }

    /// Puts every failed punch of the company punched in `from..until` back into the queue.
    pub async fn retry_range(
        &self,
        company_id: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        request: &RetryRequest<'_>,
    ) -> Result<Vec<String>, SyncerError> {
        let requeued = retry::requeue_range(self.db(), company_id, from, until, request).await?;
        if !requeued.is_empty() {
            self.mark_due(company_id).await;
        }
        Ok(requeued)
    }

    /// One page of a company's punches and the cursor of the next.
    pub async fn list(
        &self,
        company_id: &str,
        filter: &ListFilter,
        page_size: u32,
        after: Option<&Cursor>,
    ) -> Result<(Vec<PunchRecord>, Option<Cursor>), SyncerError> {
        Ok(store::list(self.db(), company_id, filter, page_size, after).await?)
    }
}

/// Runs a sync over every enabled company every `every`, until `shutdown` completes (the
/// laptop mode's stand-in for the CronJob). A failed run is logged and the next one comes. A run
/// going on when `shutdown` completes is not dropped: it ends by itself once
/// [`Syncer::shut_down`] is called, with its POSTs recorded and its leases given back.
pub fn spawn_periodic(
    syncer: Syncer,
    every: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = &mut shutdown => return,
            }
            if syncer.cancel().is_cancelled() {
                return;
            }
            match syncer.run(None, false).await {
                Ok(report) => {
                    tracing::info!(companies = report.results.len(), "periodic sync done")
                }
                Err(error) => {
                    tracing::warn!(%error, "periodic sync failed; retried at the next tick")
                }
            }
        }
    })
}
