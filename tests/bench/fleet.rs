//! The companies of the delivery benches, set up through the real APIs (the simulator's admin
//! API, then SettingsService and MatcherService as the cyzen platform calls them), and the load:
//! every company records its employees' punches one per `RecordPunches` call at a steady rate,
//! alternating between the syncer replicas as a load balancer would.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kintai_core::auth::ClientCredentials;
use kintai_proto::common::v1::StatusKind;
use kintai_proto::matcher::v1::RunMatchRequest;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{Platform, PunchInput, RecordPunchesRequest};
use serde_json::{Value, json};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::topology::{Topology, platform};

type Syncer = SyncerServiceClient<InterceptedService<Channel, ClientCredentials>>;

/// One punch as both sides name it: company index, employee index, the punch's second.
pub type PunchKey = (usize, usize, i64);

pub fn company_id(c: usize) -> String {
    format!("bench{c:03}")
}

async fn channel(url: &str) -> Channel {
    tonic::transport::Endpoint::from_shared(url.to_owned())
        .expect("a URL")
        .connect()
        .await
        .unwrap_or_else(|error| panic!("cannot connect to {url}: {error}"))
}

async fn admin(http: &reqwest::Client, url: String, body: Value) -> Value {
    let response = http
        .post(&url)
        .json(&body)
        .send()
        .await
        .expect("simulator admin API");
    assert!(response.status().is_success(), "{url}: {response:?}");
    response.json().await.unwrap_or(Value::Null)
}

/// Sets up `companies` companies of `employees` employees each; the simulator's employee keys by
/// company.
pub async fn set_up(top: &Topology, companies: usize, employees: usize) -> Vec<Vec<String>> {
    let http = reqwest::Client::new();
    let settings =
        SettingsServiceClient::with_interceptor(channel(&top.settings_url).await, platform());
    let matcher =
        MatcherServiceClient::with_interceptor(channel(&top.matcher_url).await, platform());
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..companies {
        let (http, admin_url) = (http.clone(), top.sim_admin.clone());
        let (mut settings, mut matcher) = (settings.clone(), matcher.clone());
        tasks.spawn(async move {
            let code = company_id(c);
            admin(&http, format!("{admin_url}/companies"), json!({"code": code})).await;
            admin(
                &http,
                format!("{admin_url}/companies/{code}/divisions"),
                json!({"code": "100", "name": "本社"}),
            )
            .await;
            let mut keys = Vec::new();
            for e in 0..employees {
                let answer = admin(
                    &http,
                    format!("{admin_url}/companies/{code}/employees"),
                    json!({"code": format!("E{e:04}"), "lastName": "社員", "firstName": format!("{e}"), "divisionCode": "100"}),
                )
                .await;
                keys.push(answer["key"].as_str().expect("an employee key").to_owned());
            }
            let token = admin(&http, format!("{admin_url}/companies/{code}/tokens"), json!({})).await;
            let token = token["token"].as_str().expect("a token").to_owned();
            settings
                .update_integration(UpdateIntegrationRequest {
                    company_id: code.clone(),
                    enabled: true,
                    vendor: 0,
                })
                .await
                .expect("UpdateIntegration");
            settings
                .register_token(RegisterTokenRequest {
                    company_id: code.clone(),
                    token,
                    acceptance: Some(TermsAcceptance {
                        accepted_by: "admin".into(),
                        api_terms_accepted: true,
                        data_sharing_consented: true,
                        accepted_at: None,
                    }),
                })
                .await
                .expect("RegisterToken");
            let users = (0..employees)
                .map(|e| UserInput {
                    user_id: format!("u{e}"),
                    user_code: format!("E{e:04}"),
                    name: format!("社員 {e}"),
                })
                .collect();
            settings
                .upsert_users(UpsertUsersRequest {
                    company_id: code.clone(),
                    users,
                })
                .await
                .expect("UpsertUsers");
            let links = (0..employees)
                .map(|e| UserLinkFlag {
                    user_id: format!("u{e}"),
                    enabled: true,
                })
                .collect();
            settings
                .set_user_links(SetUserLinksRequest {
                    company_id: code.clone(),
                    links,
                })
                .await
                .expect("SetUserLinks");
            let matched = matcher
                .run_match(RunMatchRequest {
                    company_id: code.clone(),
                })
                .await
                .expect("RunMatch")
                .into_inner();
            assert_eq!(matched.results[0].linked as usize, employees, "{matched:?}");
            (c, keys)
        });
    }
    let mut keys = vec![Vec::new(); companies];
    while let Some(done) = tasks.join_next().await {
        let (c, company_keys) = done.expect("a set-up task");
        keys[c] = company_keys;
    }
    keys
}

fn punch(c: usize, e: usize, n: usize, second: i64) -> PunchInput {
    let clock_in = n.is_multiple_of(2);
    PunchInput {
        punch_id: format!("{}-{e}-{n}", company_id(c)),
        user_id: format!("u{e}"),
        status_id: if clock_in { "s1" } else { "s2" }.into(),
        status_name: if clock_in { "出勤" } else { "退勤" }.into(),
        status_kind: if clock_in {
            StatusKind::WorkStart
        } else {
            StatusKind::WorkEnd
        } as i32,
        punched_at: Some(prost_types::Timestamp {
            seconds: second,
            nanos: 0,
        }),
        platform: Platform::Android as i32,
        app_version: "3.60.0".into(),
        ..PunchInput::default()
    }
}

/// Records punches for every company at `per_company` punches per second for `length`; when each
/// punch's `RecordPunches` answer came.
pub async fn load(
    top: &Topology,
    companies: usize,
    employees: usize,
    per_company: f64,
    length: Duration,
) -> HashMap<PunchKey, DateTime<Utc>> {
    let mut replicas: Vec<Syncer> = Vec::new();
    for url in &top.syncer_urls {
        replicas.push(SyncerServiceClient::with_interceptor(
            channel(url).await,
            platform(),
        ));
    }
    let every = Duration::from_secs_f64(1.0 / per_company);
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..companies {
        let replicas = replicas.clone();
        tasks.spawn(async move {
            // Companies start spread over one interval, not all on the same tick.
            tokio::time::sleep(every.mul_f64(c as f64 / companies as f64)).await;
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let started = tokio::time::Instant::now();
            let mut last_second = vec![i64::MIN; employees];
            // Each call goes out on its tick without waiting for the previous answer: a slow
            // answer must not lower the offered rate.
            let mut calls = tokio::task::JoinSet::new();
            let mut n = 0_usize;
            while started.elapsed() < length {
                ticks.tick().await;
                let e = n % employees;
                // One punch per employee and second: KING OF TIME keys punches by their second.
                let second = Utc::now().timestamp().max(last_second[e] + 1);
                last_second[e] = second;
                let mut client = replicas[n % replicas.len()].clone();
                let request = RecordPunchesRequest {
                    company_id: company_id(c),
                    punches: vec![punch(c, e, n / employees, second)],
                };
                calls.spawn(async move {
                    let answer = client
                        .record_punches(request)
                        .await
                        .expect("RecordPunches")
                        .into_inner();
                    assert_eq!(answer.accepted, 1, "{:?}", answer.results);
                    ((c, e, second), Utc::now())
                });
                n += 1;
            }
            let mut answered = Vec::new();
            while let Some(call) = calls.join_next().await {
                answered.push(call.expect("a RecordPunches call"));
            }
            answered
        });
    }
    let mut answered = HashMap::new();
    while let Some(done) = tasks.join_next().await {
        answered.extend(done.expect("a load task"));
    }
    answered
}

/// One punch the simulator stored: which one, and when it stored it.
pub struct Stored {
    pub key: PunchKey,
    pub received_at: DateTime<Utc>,
}

/// Every punch the simulator holds for the companies.
pub async fn stored(top: &Topology, keys: &[Vec<String>]) -> Vec<Stored> {
    let http = reqwest::Client::new();
    let mut all = Vec::new();
    for (c, company_keys) in keys.iter().enumerate() {
        let index: HashMap<&str, usize> = company_keys
            .iter()
            .enumerate()
            .map(|(e, key)| (key.as_str(), e))
            .collect();
        let url = format!("{}/companies/{}/punches", top.sim_admin, company_id(c));
        let punches: Vec<Value> = http
            .get(&url)
            .send()
            .await
            .expect("simulator admin API")
            .json()
            .await
            .expect("a punch list");
        for p in punches {
            let e = index[p["employeeKey"].as_str().expect("employeeKey")];
            let time = DateTime::parse_from_rfc3339(p["time"].as_str().expect("time"))
                .expect("an RFC 3339 time");
            let received_at = p["receivedAt"]
                .as_str()
                .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
                .expect("receivedAt")
                .to_utc();
            all.push(Stored {
                key: (c, e, time.timestamp()),
                received_at,
            });
        }
    }
    all
}

/// The simulator's answers with KING OF TIME's rate-limit code 303, and all API requests.
pub async fn rate_limited(top: &Topology) -> (usize, usize) {
    let log: Vec<Value> = reqwest::get(format!("{}/requests", top.sim_admin))
        .await
        .expect("simulator admin API")
        .json()
        .await
        .expect("the request log");
    let limited = log
        .iter()
        .filter(|r| r["code"].as_i64() == Some(303) || r["status"].as_u64() == Some(303))
        .count();
    (limited, log.len())
}
