//! The fault matrix (design.md, "Exactly once"): 1,000 punches of 4 companies through KING OF
//! TIME answering 5 % `500 {"code":300}`, 2 % 502 pages before storing, 2 % 504 pages after
//! storing, 2 % resets after storing, 1 % answers slower than the client's timeout after storing,
//! a 60-second outage, and the syncer process SIGKILLed twice mid-run. Then it runs until
//! settled: the simulator (its own process) holds every punch exactly once, none is FAILED, none
//! is left pending. On SQLite and on PostgreSQL.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::flow::START_AT;
use common::matrix::{TOTAL, admin, configure, prepare, record_all, states, stored, wait_stored};
use common::{DevServer, SimProcess};
use kintai_core::testing::{TestDb, TestEngine};
use serde_json::{Value, json};

async fn fault_matrix(engine: TestEngine) {
    let Some(database) = TestDb::new(engine).await else {
        return;
    };
    let sim = SimProcess::start();
    let tokens = prepare(&sim).await;
    let args = [
        "--kot-base-url",
        sim.base_url.as_str(),
        "--start-at",
        START_AT,
    ];
    let database_url = match engine {
        TestEngine::Sqlite => String::new(),
        TestEngine::Postgres => database.url.clone(),
    };
    // Prompt delivery on; a crashed run frees its company after 5 s; transient failures are
    // retried after at most 4 s; the client gives up on an answer after 1 s (the slow faults
    // answer after 2 s).
    let env = [
        ("KINTAI__DATABASE__URL", database_url.as_str()),
        ("KINTAI__SYNCER__LEASE_TTL_SECS", "5"),
        ("KINTAI__SYNCER__RETRY_MAX_BACKOFF_SECS", "4"),
        // A read-back that finds nothing is confirmed by a second read this long after (10 s
        // in production): the matrix's 5 % of 500s before storing would otherwise make every
        // employee wait 10 s for each of them.
        ("KINTAI__SYNCER__READBACK_CONFIRM_SECS", "1"),
        ("KINTAI__SYNCER__DISPATCH_DEBOUNCE_MS", "200"),
        ("KINTAI__DEV__SYNC_INTERVAL_SECS", "86400"),
        ("KINTAI__KOT__REQUEST_TIMEOUT_SECS", "1"),
        ("KINTAI__KOT__PUNCH_REQUESTS", "100000"),
        ("KINTAI__KOT__GENERAL_REQUESTS", "100000"),
    ];
    let server = DevServer::start_in(tempfile::tempdir().unwrap(), &args, &env);
    let url = format!("http://{}", server.address);
    configure(&url, &tokens).await;
    let profile = json!({
        "seed": 20241201,
        "punchPost": {
            "status500Code300": 0.05,
            "gateway502BeforeStore": 0.02,
            "gateway504AfterStore": 0.02,
            "resetAfterStore": 0.02,
            "slowAfterStore": 0.01
        },
        "reads": {"status500Code300": 0.05, "gateway502": 0.02},
        "slowAfterStoreMs": 2000
    });
    admin(
        reqwest::Method::PUT,
        format!("{}/faults/profile", sim.admin_url),
        profile,
    )
    .await;
    record_all(&url).await;

    // First kill: a quarter in.
    wait_stored(&sim.admin_url, TOTAL / 4, Duration::from_secs(120)).await;
    let data_dir = server.kill_hard();
    let at_first_kill = stored(&sim.admin_url).await.len();
    assert!(at_first_kill < TOTAL, "the first kill came after the run");
    let server = DevServer::start_in(data_dir, &args, &env);
    // The outage, then the second kill in the middle of it.
    wait_stored(&sim.admin_url, TOTAL / 2, Duration::from_secs(120)).await;
    admin(
        reqwest::Method::POST,
        format!("{}/faults/outage", sim.admin_url),
        json!({"seconds": 60}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let data_dir = server.kill_hard();
    let at_second_kill = stored(&sim.admin_url).await.len();
    assert!(at_second_kill < TOTAL, "the second kill came after the run");
    eprintln!("{engine:?}: killed at {at_first_kill} and {at_second_kill} of {TOTAL} punches");
    let server = DevServer::start_in(data_dir, &args, &env);
    let url = format!("http://{}", server.address);

    // Settled: every punch sent, the faults still on.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let counts = states(&url).await;
        if counts.get("PUNCH_STATE_SENT") == Some(&TOTAL) {
            break;
        }
        assert!(
            !counts.contains_key("PUNCH_STATE_FAILED"),
            "a transient fault failed a punch: {counts:?}"
        );
        assert!(Instant::now() < deadline, "not settled: {counts:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let all = stored(&sim.admin_url).await;
    let mut counts: BTreeMap<&(String, String, String, String), usize> = BTreeMap::new();
    for punch in &all {
        *counts.entry(punch).or_default() += 1;
    }
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "sent twice: {doubled:?}");
    assert_eq!(all.len(), TOTAL, "every punch once");
    let stats: Value = reqwest::get(format!("{}/faults/stats", sim.admin_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    eprintln!("{engine:?}: faults injected {stats}");
    for fault in ["gateway504AfterStore", "resetAfterStore", "slowAfterStore"] {
        assert!(
            stats[fault].as_u64().unwrap_or(0) > 0,
            "the matrix never injected {fault}: {stats}"
        );
    }
    let (status, _) = server.terminate();
    assert_eq!(status.code(), Some(0));
    database.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_matrix_on_sqlite_sends_each_punch_once() {
    fault_matrix(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_matrix_on_postgres_sends_each_punch_once() {
    fault_matrix(TestEngine::Postgres).await;
}
