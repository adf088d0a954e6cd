//! Upload throughput: punches per second into the simulator with 20 ms latency and its limit of
//! 2,000 punch requests per 5 minutes per token, over 100 companies (one token each).
//!
//! `cargo bench -p kintai-syncer --bench upload` (SQLite; PostgreSQL instead when
//! KINTAI_TEST_POSTGRES_URL is set). Target: at least 90 % of the allowed rate, no 303.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveTime;
use kintai_core::testing::{TestDb, TestEngine};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::syncer_service_server::SyncerService;
use kintai_proto::syncer::v1::{Platform, PunchInput, RecordPunchesRequest};
use kintai_syncer::ports::memory::{MemoryLinks, MemorySettings};
use kintai_syncer::{SyncOptions, SyncOutcome, Syncer, SyncerApi, SyncerDeps};
use kot_client::{KotClient, KotConfig};
use kot_sim::{NewEmployee, RateLimit, SimConfig, Simulator, TokenOptions};

const COMPANIES: usize = 100;
const EMPLOYEES: usize = 5;
const PUNCHES_PER_COMPANY: usize = 200;
const LIMIT: RateLimit = RateLimit {
    requests: 2000,
    per: Duration::from_secs(300),
};

#[tokio::main]
async fn main() {
    let engine = if kintai_core::testing::postgres_url().is_ok() {
        TestEngine::Postgres
    } else {
        TestEngine::Sqlite
    };
    let test_db = TestDb::new(engine).await.unwrap();
    let sim = Simulator::new(SimConfig {
        punch_limit: LIMIT,
        ..SimConfig::default()
    });
    let settings = Arc::new(MemorySettings::new());
    let links = Arc::new(MemoryLinks::new());
    for c in 0..COMPANIES {
        let company = format!("c{c:03}");
        sim.create_company(&company).unwrap();
        sim.add_division(&company, "100", "本社", NaiveTime::MIN)
            .unwrap();
        let token = sim.issue_token(&company, TokenOptions::default()).unwrap();
        settings.set_company(&company, true, Some(&token));
        for e in 0..EMPLOYEES {
            let employee = NewEmployee {
                code: format!("E{e:04}"),
                last_name: "社員".into(),
                first_name: format!("{e}"),
                division_code: "100".into(),
                resigned_on: None,
            };
            let key = sim.add_employee(&company, employee).unwrap();
            let (user, code) = (format!("u{e}"), format!("E{e:04}"));
            settings.set_user(&company, &user, &code, true);
            links.link(&company, &user, &key, &code);
        }
    }
    sim.set_latency(Duration::from_millis(20));
    let handle = sim.spawn_local().await.unwrap();
    let client = KotClient::new(KotConfig {
        base_url: handle.base_url.clone(),
        ..KotConfig::default()
    })
    .unwrap();
    let deps = SyncerDeps {
        settings,
        links,
        vendor: Arc::new(client),
        clock: kintai_core::Clock::system(),
        options: SyncOptions {
            concurrency: COMPANIES,
            ..SyncOptions::default()
        },
    };
    // Each punch commits twice (in flight, sent) while 100 companies post side by side: the
    // pool is sized like a production syncer's, not like the 5-connection test default.
    let db = kintai_core::Db::connect(&test_db.url, 20).await.unwrap();
    let syncer = Syncer::start(db.clone(), deps).await.unwrap();
    let api = SyncerApi::new(syncer.clone());
    let now = chrono::Utc::now().timestamp();
    for c in 0..COMPANIES {
        let punches = (0..PUNCHES_PER_COMPANY)
            .map(|i| PunchInput {
                punch_id: format!("p{i}"),
                user_id: format!("u{}", i % EMPLOYEES),
                status_id: "st".into(),
                status_name: "出勤".into(),
                status_kind: StatusKind::WorkStart.into(),
                punched_at: Some(prost_types::Timestamp {
                    seconds: now - 60 + i as i64,
                    nanos: 0,
                }),
                platform: Platform::Ios.into(),
                app_version: "3.60.0".into(),
                ..PunchInput::default()
            })
            .collect();
        api.record_punches(tonic::Request::new(RecordPunchesRequest {
            company_id: format!("c{c:03}"),
            punches,
        }))
        .await
        .unwrap();
    }
    let started = Instant::now();
    let report = syncer.run(None, false).await.unwrap();
    let elapsed = started.elapsed();
    let sent: u32 = report.results.iter().map(|r| r.sent).sum();
    let completed = report
        .results
        .iter()
        .filter(|r| r.outcome == SyncOutcome::Completed)
        .count();
    let rate_limited = sim
        .request_log()
        .iter()
        .filter(|r| r.code == Some(303))
        .count();
    let stored: usize = (0..COMPANIES)
        .map(|c| sim.punches(&format!("c{c:03}")).len())
        .sum();
    let allowed = COMPANIES as f64 * f64::from(LIMIT.requests) / LIMIT.per.as_secs_f64();
    let rate = f64::from(sent) / elapsed.as_secs_f64();
    println!(
        "upload {engine:?}: {sent} punches ({stored} stored) from {COMPANIES} companies in {:.1} s: {rate:.0} punches/s, \
         {:.0} % of the allowed {allowed:.0}/s; 303 answers: {rate_limited}; companies completed: {completed}",
        elapsed.as_secs_f64(),
        100.0 * rate / allowed
    );
    db.close().await;
    test_db.finish().await;
}
