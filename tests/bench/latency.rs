//! Delivery latency on the production topology (separate processes: the simulator, settings,
//! matcher, two syncer replicas, PostgreSQL): 100 companies record punches, one per
//! `RecordPunches` call, at 50 % of KING OF TIME's per-token punch budget; the simulator answers
//! after 20 ms and enforces the budget. Figures: p50 / p99 / max from each `RecordPunches` answer
//! to the moment the simulator stored the punch (its 201), every punch once, no 303.
//!
//! `KINTAI_TEST_POSTGRES_URL=postgres://… cargo bench -p kintai --bench latency`
//! (`KINTAI_BENCH_SECS=30` for a shorter load than the 2 minutes). Target: p99 ≤ 60 s.

mod delivery;
mod fleet;
mod topology;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use delivery::{Bench, COMPANIES, EMPLOYEES, allowed_per_company, length};

/// How long the punches may take to arrive after the load ends before the bench gives up.
const DRAIN_LIMIT: Duration = Duration::from_secs(180);

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let length = length();
    let mut bench = Bench::start(length + DRAIN_LIMIT + Duration::from_secs(120)).await;
    bench.top.set_latency(Duration::from_millis(20)).await;
    let per_company = 0.5 * allowed_per_company();
    eprintln!(
        "recording {per_company:.2} punches/s per company ({:.0}/s in all) for {} s",
        per_company * COMPANIES as f64,
        length.as_secs()
    );
    let answered = fleet::load(&bench.top, COMPANIES, EMPLOYEES, per_company, length).await;
    let load_ended = Instant::now();
    let mut stored = fleet::stored(&bench.top, &bench.keys).await;
    while stored.len() < answered.len() && load_ended.elapsed() < DRAIN_LIMIT {
        tokio::time::sleep(Duration::from_secs(3)).await;
        stored = fleet::stored(&bench.top, &bench.keys).await;
    }
    bench.top.check_alive();
    let mut times: HashMap<fleet::PunchKey, usize> = HashMap::new();
    let mut latencies = Vec::new();
    for punch in &stored {
        *times.entry(punch.key).or_default() += 1;
        if let Some(answered_at) = answered.get(&punch.key) {
            let took = punch.received_at.signed_duration_since(*answered_at);
            latencies.push(took.num_milliseconds() as f64 / 1000.0);
        }
    }
    let twice = times.values().filter(|n| **n > 1).count();
    let missing = answered.keys().filter(|k| !times.contains_key(*k)).count();
    latencies.sort_by(f64::total_cmp);
    let (limited, requests) = fleet::rate_limited(&bench.top).await;
    println!(
        "latency: {} punches recorded by {COMPANIES} companies at {:.0} punches/s (50 % of the allowed \
         {:.0}/s) for {} s, simulator at 20 ms: RecordPunches answer → simulator 201: \
         p50 {:.1} s, p99 {:.1} s, max {:.1} s; stored twice: {twice}, missing: {missing}; \
         303 answers: {limited} of {requests} requests; company runs per syncer replica: {:?}",
        answered.len(),
        per_company * COMPANIES as f64,
        allowed_per_company() * COMPANIES as f64,
        length.as_secs(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN),
        bench.runs_per_replica(),
    );
    bench.finish().await;
}
