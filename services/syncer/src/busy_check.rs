//! The day check of a busy company waits: a run that ends with more punches already waiting
//! goes on to them, and the company's days are checked at most once a minute meanwhile. The
//! check's two reads spend the token's general budget (500 per 5 minutes, one every 0.6 s), and
//! checking after every run of a company punching faster than its budget lets out cost each run
//! about a second in which nothing was posted (the saturation bench). A quiet company's days are
//! still checked right after the run that sent them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use crate::syncer::Syncer;

tokio::task_local! {
    /// Set for a run the dispatcher started under its claim of the company: only there does
    /// the due row tell whether more punches are waiting (a RunSync's company may be due for
    /// the dispatcher's next run, which then checks).
    pub(crate) static DISPATCHED: ();
}

/// How long a busy company's day check may wait.
const BUSY_CHECK_GAP: Duration = Duration::from_secs(60);

/// When this process last checked each company's days.
#[derive(Debug, Default)]
pub(crate) struct LastChecks(Mutex<HashMap<String, Instant>>);

impl LastChecks {
    pub fn checked(&self, company_id: &str) {
        let mut last = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        last.insert(company_id.to_owned(), Instant::now());
    }

    /// How long ago this process checked the company, if it did.
    fn since(&self, company_id: &str) -> Option<Duration> {
        let last = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        last.get(company_id).map(Instant::elapsed)
    }
}

impl Syncer {
    /// When the day check should happen instead of now: `Some` only for a dispatched run of a
    /// company with more punches waiting (marked since this run's claim, its debounce as good
    /// as over) whose days this process checked less than [`BUSY_CHECK_GAP`] ago.
    pub(crate) async fn day_check_wait(&self, company_id: &str) -> Option<DateTime<Utc>> {
        DISPATCHED.try_with(|_| ()).ok()?;
        let since = self.day_checked().since(company_id)?;
        let left = BUSY_CHECK_GAP.checked_sub(since)?;
        let now = self.now();
        let soon = now + TimeDelta::from_std(self.deps().options.dispatch.debounce).ok()?;
        // A claimed company's row is due at the end of its claim unless a mark brought it in.
        let due_at = self.due().due_at(company_id).await.ok()??;
        (due_at <= soon).then(|| now + TimeDelta::from_std(left).unwrap_or_default())
    }
}
