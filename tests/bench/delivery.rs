//! What the latency and saturation benches share: the fleet on the production topology, on a
//! fresh PostgreSQL database, and the run length.

use std::time::Duration;

use kintai_core::testing::TestDb;

use crate::fleet;
use crate::topology::Topology;

pub const COMPANIES: usize = 100;
/// Employees per company: enough that one employee punches at most every two seconds.
pub const EMPLOYEES: usize = 20;
/// KING OF TIME's punch budget per token (kot-api.md), the simulator's default.
pub const PUNCHES_PER_WINDOW: f64 = 2000.0;
pub const WINDOW_SECS: f64 = 300.0;

/// The allowed rate of one company (one token), punches per second.
pub fn allowed_per_company() -> f64 {
    PUNCHES_PER_WINDOW / WINDOW_SECS
}

/// The load's length: `KINTAI_BENCH_SECS`, 120 s by default.
pub fn length() -> Duration {
    let secs = std::env::var("KINTAI_BENCH_SECS")
        .ok()
        .map(|text| {
            text.parse::<u64>()
                .ok()
                .filter(|secs| *secs > 0)
                .unwrap_or_else(|| {
                    panic!("KINTAI_BENCH_SECS={text:?} is not a whole number of seconds")
                })
        })
        .unwrap_or(120);
    Duration::from_secs(secs)
}

/// The running set-up.
pub struct Bench {
    pub top: Topology,
    /// The simulator's employee keys by company.
    pub keys: Vec<Vec<String>>,
    db: TestDb,
}

impl Bench {
    /// Starts the topology on a fresh PostgreSQL database and sets the fleet up; refuses to run
    /// when KING OF TIME's restricted hours would cut into it (the matcher cannot read then).
    pub async fn start(busy_for: Duration) -> Self {
        let now = chrono::Utc::now();
        let end = now + chrono::TimeDelta::from_std(busy_for).unwrap_or_default();
        assert!(
            !kot_client::is_restricted(now) && !kot_client::is_restricted(end),
            "KING OF TIME's restricted hours (08:30–10:00, 17:30–18:30 JST) fall into the next {} s: \
             matching cannot read employees then; run the bench outside them",
            busy_for.as_secs()
        );
        let db = TestDb::postgres().await.unwrap_or_else(|| {
            panic!("the delivery benches run on PostgreSQL: set KINTAI_TEST_POSTGRES_URL")
        });
        let top = Topology::start(&db.url, 2);
        let started = std::time::Instant::now();
        let keys = fleet::set_up(&top, COMPANIES, EMPLOYEES).await;
        eprintln!(
            "set up {COMPANIES} companies of {EMPLOYEES} employees in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Self { top, keys, db }
    }

    /// Company runs per syncer replica, as their logs say.
    pub fn runs_per_replica(&self) -> Vec<usize> {
        self.top
            .processes
            .iter()
            .filter(|p| p.name().starts_with("syncer"))
            .map(|p| p.runs())
            .collect()
    }

    pub async fn finish(mut self) {
        self.top.check_alive();
        drop(self.top);
        self.db.finish().await;
    }
}
