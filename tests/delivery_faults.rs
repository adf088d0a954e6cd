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
use common::{DevServer, SimProcess};
use kintai_core::testing::{TestDb, TestEngine};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::matcher::v1::RunMatchRequest;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{ListPunchesRequest, Platform, PunchInput, RecordPunchesRequest};
use serde_json::{Value, json};

const COMPANIES: usize = 4;
const USERS: usize = 5;
const PER_USER: usize = 50;
const TOTAL: usize = COMPANIES * USERS * PER_USER;

fn company(i: usize) -> String {
    format!("fm{i}")
}

/// The simulator: 4 companies with a token and 5 employees each, the test week's clock, budgets
/// raised so the run is set by the faults, not by pacing, and a little latency.
async fn prepare(sim: &SimProcess) -> Vec<String> {
    let http = reqwest::Client::new();
    let admin = &sim.admin_url;
    let ok = |response: reqwest::Response| {
        assert!(response.status().is_success(), "{response:?}");
        response
    };
    ok(http
        .put(format!("{admin}/clock"))
        .json(&json!({"mode": "startingAt", "at": "2024-06-07T12:00:00Z"}))
        .send()
        .await
        .unwrap());
    ok(http
        .put(format!("{admin}/rate-limits"))
        .json(&json!({
            "general": {"requests": 100_000, "perMillis": 300_000},
            "punch": {"requests": 100_000, "perMillis": 300_000}
        }))
        .send()
        .await
        .unwrap());
    ok(http
        .put(format!("{admin}/latency"))
        .json(&json!({"millis": 5}))
        .send()
        .await
        .unwrap());
    let mut tokens = Vec::new();
    for c in 0..COMPANIES {
        let code = company(c);
        ok(http
            .post(format!("{admin}/companies"))
            .json(&json!({"code": code}))
            .send()
            .await
            .unwrap());
        ok(http
            .post(format!("{admin}/companies/{code}/divisions"))
            .json(&json!({"code": "100", "name": "本社"}))
            .send()
            .await
            .unwrap());
        for u in 0..USERS {
            ok(http
                .post(format!("{admin}/companies/{code}/employees"))
                .json(&json!({"code": format!("E{u:03}"), "lastName": "試験", "firstName": format!("{u}"), "divisionCode": "100"}))
                .send()
                .await
                .unwrap());
        }
        let answer: Value = ok(http
            .post(format!("{admin}/companies/{code}/tokens"))
            .json(&json!({}))
            .send()
            .await
            .unwrap())
        .json()
        .await
        .unwrap();
        tokens.push(answer["token"].as_str().unwrap().to_owned());
    }
    tokens
}

/// Alternating 出勤 / 退勤 every 30 minutes from 2024-06-01 00:00 JST, per user.
fn punches(c: usize) -> Vec<PunchInput> {
    let mut punches = Vec::new();
    for u in 0..USERS {
        for i in 0..PER_USER {
            let clock_in = i % 2 == 0;
            punches.push(PunchInput {
                punch_id: format!("{}-u{u}-{i:03}", company(c)),
                user_id: format!("u{u}"),
                status_id: if clock_in { "s1" } else { "s2" }.into(),
                status_name: if clock_in { "出勤" } else { "退勤" }.into(),
                status_kind: if clock_in {
                    StatusKind::WorkStart
                } else {
                    StatusKind::WorkEnd
                } as i32,
                punched_at: Some(prost_types::Timestamp {
                    seconds: 1_717_167_600 + (i as i64) * 1_800,
                    nanos: 0,
                }),
                latitude: Some(35.68),
                longitude: Some(139.76),
                platform: Platform::Android as i32,
                app_version: "3.60.0".into(),
                ..PunchInput::default()
            });
        }
    }
    punches
}

/// Each company enabled with its token, its 5 users linked, matched.
async fn configure(url: &str, tokens: &[String]) {
    let mut settings = SettingsServiceClient::connect(url.to_owned())
        .await
        .unwrap();
    let mut matcher = MatcherServiceClient::connect(url.to_owned()).await.unwrap();
    for (c, token) in tokens.iter().enumerate() {
        let company_id = company(c);
        settings
            .update_integration(UpdateIntegrationRequest {
                company_id: company_id.clone(),
                enabled: true,
                vendor: 0,
            })
            .await
            .unwrap();
        settings
            .register_token(RegisterTokenRequest {
                company_id: company_id.clone(),
                token: token.clone(),
                acceptance: Some(TermsAcceptance {
                    accepted_by: "admin".into(),
                    api_terms_accepted: true,
                    data_sharing_consented: true,
                    accepted_at: None,
                }),
            })
            .await
            .unwrap();
        settings
            .upsert_users(UpsertUsersRequest {
                company_id: company_id.clone(),
                users: (0..USERS)
                    .map(|u| UserInput {
                        user_id: format!("u{u}"),
                        user_code: format!("E{u:03}"),
                        name: format!("試験 {u}"),
                    })
                    .collect(),
            })
            .await
            .unwrap();
        settings
            .set_user_links(SetUserLinksRequest {
                company_id: company_id.clone(),
                links: (0..USERS)
                    .map(|u| UserLinkFlag {
                        user_id: format!("u{u}"),
                        enabled: true,
                    })
                    .collect(),
            })
            .await
            .unwrap();
        let matched = matcher
            .run_match(RunMatchRequest {
                company_id: company_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(matched.results[0].linked as usize, USERS, "{matched:?}");
    }
}

async fn record_all(url: &str) {
    let mut syncer = SyncerServiceClient::connect(url.to_owned()).await.unwrap();
    for c in 0..COMPANIES {
        let answer = syncer
            .record_punches(RecordPunchesRequest {
                company_id: company(c),
                punches: punches(c),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.accepted as usize, USERS * PER_USER);
    }
}

/// Every punch the simulator stores, as (company, employee key, time, code).
async fn stored(admin_url: &str) -> Vec<(String, String, String, String)> {
    let mut all = Vec::new();
    for c in 0..COMPANIES {
        let punches: Vec<Value> =
            reqwest::get(format!("{admin_url}/companies/{}/punches", company(c)))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        all.extend(punches.iter().map(|p| {
            (
                company(c),
                p["employeeKey"].as_str().unwrap().to_owned(),
                p["time"].as_str().unwrap().to_owned(),
                p["code"].as_str().unwrap().to_owned(),
            )
        }));
    }
    all
}

async fn admin(method: reqwest::Method, url: String, body: Value) {
    let response = reqwest::Client::new()
        .request(method, url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{response:?}");
}

/// Waits until the simulator holds at least `count` punches.
async fn wait_stored(admin_url: &str, count: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let now = stored(admin_url).await.len();
        if now >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {now} of {count} punches stored"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every punch's state in our ledger, counted.
async fn states(url: &str) -> BTreeMap<String, usize> {
    let mut syncer = SyncerServiceClient::connect(url.to_owned()).await.unwrap();
    let mut counts = BTreeMap::new();
    for c in 0..COMPANIES {
        let mut page_token = String::new();
        loop {
            let page = syncer
                .list_punches(ListPunchesRequest {
                    company_id: company(c),
                    page_size: 1000,
                    page_token: page_token.clone(),
                    ..ListPunchesRequest::default()
                })
                .await
                .unwrap()
                .into_inner();
            for punch in &page.punches {
                *counts
                    .entry(punch.state().as_str_name().to_owned())
                    .or_default() += 1;
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
    }
    counts
}

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
