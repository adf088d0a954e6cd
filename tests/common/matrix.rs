//! The fault matrix's fleet (`delivery_faults.rs`): 4 companies of 5 employees in a `kintai
//! kot-sim` process and through the real APIs, 50 punches per user, and what the simulator and
//! our ledger hold afterwards.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kintai_proto::common::v1::StatusKind;
use kintai_proto::matcher::v1::RunMatchRequest;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{ListPunchesRequest, Platform, PunchInput, RecordPunchesRequest};
use serde_json::{Value, json};

use super::SimProcess;

pub const COMPANIES: usize = 4;
pub const USERS: usize = 5;
pub const PER_USER: usize = 50;
pub const TOTAL: usize = COMPANIES * USERS * PER_USER;

fn company(i: usize) -> String {
    format!("fm{i}")
}

/// The simulator: 4 companies with a token and 5 employees each, the test week's clock, budgets
/// raised so the run is set by the faults, not by pacing, and a little latency.
pub async fn prepare(sim: &SimProcess) -> Vec<String> {
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
pub async fn configure(url: &str, tokens: &[String]) {
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
                acceptance: super::flow::admin_acceptance(),
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

pub async fn record_all(url: &str) {
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
pub async fn stored(admin_url: &str) -> Vec<(String, String, String, String)> {
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

pub async fn admin(method: reqwest::Method, url: String, body: Value) {
    let response = reqwest::Client::new()
        .request(method, url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{response:?}");
}

/// Waits until the simulator holds at least `count` punches.
pub async fn wait_stored(admin_url: &str, count: usize, limit: Duration) {
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
pub async fn states(url: &str) -> BTreeMap<String, usize> {
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
