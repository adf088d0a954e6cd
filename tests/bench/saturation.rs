//! Delivery throughput at saturation on the production topology (as the latency bench: separate
//! processes, two syncer replicas, PostgreSQL, the simulator at 20 ms with KING OF TIME's
//! per-token punch budget): 100 companies record punches faster than the budget lets them out
//! (125 % of it). Figures: punches the simulator stored per second while the load ran, as a share
//! of the allowed rate (2,000 punches per 5 minutes per token), and its 303 answers.
//!
//! `KINTAI_TEST_POSTGRES_URL=postgres://… cargo bench -p kintai --bench saturation`
//! (`KINTAI_BENCH_SECS=30` for a shorter load than the 2 minutes). Target: ≥ 98 %, no 303.

mod delivery;
mod fleet;
mod topology;

use std::time::Duration;

use delivery::{Bench, COMPANIES, EMPLOYEES, allowed_per_company, length};

/// Offered load, as a share of the allowed rate.
const OFFERED: f64 = 1.25;
/// The first seconds are left out of the rate: the first debounce and claim, before every
/// company has a backlog.
const WARM_UP: Duration = Duration::from_secs(10);

/// Per company on average: the seconds between consecutive stored punches beyond the client's
/// pacing interval (budget left unused), and how many gaps exceeded half a second (a run
/// ending and the next starting).
fn idle_time(
    stored: &[fleet::Stored],
    from: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> (f64, f64) {
    let interval = (delivery::WINDOW_SECS * 1.01) / delivery::PUNCHES_PER_WINDOW;
    let mut by_company: Vec<Vec<i64>> = vec![Vec::new(); COMPANIES];
    for punch in stored {
        if punch.received_at >= from && punch.received_at < until {
            by_company[punch.key.0].push(punch.received_at.timestamp_millis());
        }
    }
    let (mut idle, mut gaps) = (0.0, 0_usize);
    for times in &mut by_company {
        times.sort_unstable();
        for pair in times.windows(2) {
            let gap = (pair[1] - pair[0]) as f64 / 1000.0;
            idle += (gap - interval).max(0.0);
            gaps += usize::from(gap > 0.5);
        }
    }
    (idle / COMPANIES as f64, gaps as f64 / COMPANIES as f64)
}

#[tokio::main]
async fn main() {
    let length = length();
    assert!(
        length > WARM_UP * 2,
        "KINTAI_BENCH_SECS must be above {} s",
        WARM_UP.as_secs() * 2
    );
    let mut bench = Bench::start(length + Duration::from_secs(180)).await;
    bench.top.set_latency(Duration::from_millis(20)).await;
    let per_company = OFFERED * allowed_per_company();
    let allowed = allowed_per_company() * COMPANIES as f64;
    eprintln!(
        "recording {:.0} punches/s in all ({:.0} % of the allowed {allowed:.0}/s) for {} s",
        per_company * COMPANIES as f64,
        OFFERED * 100.0,
        length.as_secs()
    );
    let started = chrono::Utc::now();
    let answered = fleet::load(&bench.top, COMPANIES, EMPLOYEES, per_company, length).await;
    let ended = chrono::Utc::now();
    bench.top.check_alive();
    let stored = fleet::stored(&bench.top, &bench.keys).await;
    let from = started + chrono::TimeDelta::from_std(WARM_UP).unwrap_or_default();
    let window = (ended - from).num_milliseconds() as f64 / 1000.0;
    let in_window = stored
        .iter()
        .filter(|p| p.received_at >= from && p.received_at < ended)
        .count();
    let whole = stored.iter().filter(|p| p.received_at < ended).count();
    let whole_secs = (ended - started).num_milliseconds() as f64 / 1000.0;
    let rate = in_window as f64 / window;
    let mut seen = std::collections::HashSet::new();
    let twice = stored.iter().filter(|p| !seen.insert(p.key)).count();
    let (idle, long_gaps) = idle_time(&stored, from, ended);
    let (limited, requests) = fleet::rate_limited(&bench.top).await;
    println!(
        "saturation: {} punches recorded by {COMPANIES} companies at {:.0} % of the allowed rate for {} s; \
         simulator stored {rate:.1} punches/s from {} s on = {:.1} % of the allowed {allowed:.1}/s \
         (whole load: {:.1} %); stored twice: {twice}; 303 answers: {limited} of {requests} requests; \
         company runs per syncer replica: {:?}; where the rest went: per company {idle:.1} s \
         without a POST beyond the pacing interval, {long_gaps:.1} gaps over 0.5 s",
        answered.len(),
        OFFERED * 100.0,
        length.as_secs(),
        WARM_UP.as_secs(),
        100.0 * rate / allowed,
        100.0 * whole as f64 / whole_secs / allowed,
        bench.runs_per_replica(),
    );
    bench.finish().await;
}
