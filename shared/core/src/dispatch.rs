//! The loop of a prompt-run dispatcher (design.md, "Prompt delivery"), one for every service
//! that has one: every `poll` it claims due companies from its [`DueTable`] (no more than its
//! free run slots and its batch) and runs each as a task of its own, keeping its claim while
//! the run lasts; every `watch` it lets the service mark
//! what changed elsewhere (settings' revisions). What a run does and when its company is due
//! again is the service's ([`Dispatch::run`]); the claiming, the bound on runs at once and the
//! ticking are the same everywhere and live here.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use crate::due::{Claim, DueTable};
use crate::task::AbortOnDrop;

/// How often a dispatcher looks, and how much it runs at once.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// How often due companies are looked for.
    pub poll: Duration,
    /// How often [`Dispatch::watch`] runs.
    pub watch: Duration,
    /// Companies this process runs at once.
    pub max_running: usize,
    /// Companies one look claims at most. A run that finds more punches waiting keeps its
    /// company, so whoever claims a company keeps it while it is busy; with a small batch and
    /// the next look soon after a full one, replicas looking at a crowd of due companies (all of
    /// them after a start) take turns instead of the first taking every one.
    pub claim_batch: usize,
    /// How long a claim holds its company: a crashed claimer's company is due again then.
    pub hold: Duration,
}

/// A service's side of the dispatcher.
pub trait Dispatch: Clone + Send + Sync + 'static {
    /// Where the due companies are.
    fn due(&self) -> &DueTable;
    fn now(&self) -> DateTime<Utc>;
    /// Marks due what changed since the last look.
    fn watch(&self) -> impl Future<Output = ()> + Send;
    /// Runs a claimed company and reschedules it (or lets the claim expire).
    fn run(self, claim: Claim) -> impl Future<Output = ()> + Send + 'static;
    /// Starts a run's task; the syncer tracks them so that shutdown waits for them.
    fn spawn(&self, run: impl Future<Output = ()> + Send + 'static) {
        tokio::spawn(run);
    }
}

/// Runs `service`'s dispatcher until `stop` completes (or the handle is aborted). Runs already
/// started go on after that; the service decides whether they stop early.
pub fn spawn<D: Dispatch>(
    service: D,
    pace: Pace,
    stop: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let running = Arc::new(Semaphore::new(pace.max_running.max(1)));
        let mut ticks = tokio::time::interval(pace.poll.max(Duration::from_millis(10)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut watch = tokio::time::interval(pace.watch.max(Duration::from_millis(10)));
        watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut stop = std::pin::pin!(stop);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = watch.tick() => {
                    service.watch().await;
                    continue;
                }
                () = &mut stop => return,
            }
            let batch = running.available_permits().min(pace.claim_batch.max(1));
            let claims = match service.due().claim(service.now(), batch, pace.hold).await {
                Ok(claims) => claims,
                Err(error) => {
                    tracing::warn!(%error, "cannot claim due companies; trying again");
                    continue;
                }
            };
            if batch > 0 && claims.len() == batch {
                // More may be due: look again soon, leaving other replicas a turn in between.
                ticks.reset_after((pace.poll / 10).max(Duration::from_millis(10)));
            }
            for claim in claims {
                let Ok(permit) = running.clone().try_acquire_owned() else {
                    // Cannot happen (no more claims than free permits); the claim expires.
                    break;
                };
                let company_id = claim.company_id.clone();
                let run = service.clone().run(claim);
                let keeper = service.clone();
                service.spawn(async move {
                    kept_claimed(run, &keeper, &company_id, pace.hold).await;
                    drop(permit);
                });
            }
        }
    })
}

/// Runs `run`, extending its company's claim every third of a hold while it lasts. The keeping
/// is a task of its own: awaited beside the run in one task, a keep waiting for a database
/// connection stopped the run from being polled, with its transaction and row locks held, and
/// the whole pool waited on them (measured: 30 s stalls, and a holder whose POST left only
/// after its lease had passed to another replica).
async fn kept_claimed<D: Dispatch>(
    run: impl Future<Output = ()>,
    service: &D,
    company_id: &str,
    hold: Duration,
) {
    let every = (hold / 3).max(Duration::from_millis(10));
    let (keeper, company_id) = (service.clone(), company_id.to_owned());
    let _keeping = AbortOnDrop(tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let until = keeper.now() + chrono::TimeDelta::from_std(hold).unwrap_or_default();
            if let Err(error) = keeper.due().keep(&company_id, until).await {
                // The claim may end early: the run's lease still keeps a second run out.
                tracing::debug!(company_id, %error, "cannot keep the company claimed");
            }
        }
    }));
    run.await;
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::time::Instant;

    use super::*;
    use crate::Db;

    const HOLD: Duration = Duration::from_millis(1_500);
    /// A run well beyond its claim's hold: only the keeping stops a second dispatcher from
    /// claiming the company while it runs.
    const RUN: Duration = Duration::from_secs(4);

    type Runs = Arc<Mutex<Vec<(&'static str, Instant, Instant)>>>;

    /// A service whose runs take [`RUN`], write down who ran when, and leave the company
    /// not due afterwards.
    #[derive(Clone)]
    struct Slow {
        name: &'static str,
        due: DueTable,
        runs: Runs,
    }

    impl Dispatch for Slow {
        fn due(&self) -> &DueTable {
            &self.due
        }
        fn now(&self) -> DateTime<Utc> {
            Utc::now()
        }
        async fn watch(&self) {}
        async fn run(self, claim: Claim) {
            let started = Instant::now();
            tokio::time::sleep(RUN).await;
            self.runs
                .lock()
                .unwrap()
                .push((self.name, started, Instant::now()));
            self.due.reschedule(&claim, None).await.unwrap();
        }
    }

    async fn due_table(db: &Db) -> DueTable {
        for statement in crate::due::create_table_sql("t_dispatch_due")
            .split(";\n")
            .filter(|s| !s.trim().is_empty())
        {
            sqlx::query(statement).execute(db.pool()).await.unwrap();
        }
        DueTable::new(db.clone(), "t_dispatch_due")
    }

    crate::both_engines!(
        a_long_run_keeps_its_company_from_a_second_dispatcher,
        |db: Db| async move {
            let due = due_table(&db).await;
            let runs = Runs::default();
            let pace = Pace {
                poll: Duration::from_millis(50),
                watch: Duration::from_secs(60),
                max_running: 4,
                claim_batch: 4,
                hold: HOLD,
            };
            due.mark("c", Utc::now()).await.unwrap();
            let dispatchers: Vec<_> = ["a", "b"]
                .into_iter()
                .map(|name| {
                    let service = Slow {
                        name,
                        due: due.clone(),
                        runs: runs.clone(),
                    };
                    AbortOnDrop(spawn(service, pace, std::future::pending()))
                })
                .collect();
            // Long enough for a second claimer's whole run had the first claim lapsed.
            tokio::time::sleep(HOLD + RUN + Duration::from_secs(1)).await;
            drop(dispatchers);
            let runs = runs.lock().unwrap().clone();
            assert_eq!(
                runs.len(),
                1,
                "the company ran more than once (by, from, to): {runs:?}"
            );
        }
    );
}
