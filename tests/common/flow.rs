//! A company set up through the real APIs and a batch of punches, for the process-level
//! exactly-once tests (crash, graceful shutdown).

use std::collections::BTreeMap;

use kintai_proto::common::v1::StatusKind;
use kintai_proto::matcher::v1::RunMatchRequest;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{Platform, PunchInput, RecordPunchesRequest};
use serde_json::{Value, json};

use super::SimProcess;

/// An admin's acceptance of KING OF TIME's API terms and data sharing, which RegisterToken
/// requires.
pub fn admin_acceptance() -> Option<TermsAcceptance> {
    Some(TermsAcceptance {
        accepted_by: "admin".into(),
        api_terms_accepted: true,
        data_sharing_consented: true,
        accepted_at: None,
    })
}

pub const START_AT: &str = "2024-06-07T21:00:00+09:00";
pub const PUNCHES: usize = 120;
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

pub async fn sim_punches(admin_url: &str) -> Vec<(String, String)> {
    sim_punch_fields(admin_url, ["time", "code"]).await
}

/// Two fields of each punch the simulator stored for the test company, e.g. `["employeeKey",
/// "time"]`.
pub async fn sim_punch_fields(
    admin_url: &str,
    [first, second]: [&str; 2],
) -> Vec<(String, String)> {
    let stored: Vec<Value> = reqwest::get(format!("{admin_url}/companies/cyzen3/punches"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stored
        .iter()
        .map(|p| {
            (
                p[first].as_str().unwrap().to_owned(),
                p[second].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Alternating 出勤 / 退勤 every 30 minutes from 2024-06-01 00:00 JST.
pub fn punches() -> Vec<PunchInput> {
    punches_every(PUNCHES, 1_800)
}

/// `count` alternating 出勤 / 退勤, `step_secs` apart from 2024-06-01 00:00 JST.
pub fn punches_every(count: usize, step_secs: i64) -> Vec<PunchInput> {
    (0..count)
        .map(|i| {
            let clock_in = i % 2 == 0;
            let seconds = 1_717_167_600 + (i as i64) * step_secs; // 2024-06-01T00:00:00+09:00
            PunchInput {
                punch_id: format!("p{i:04}"),
                user_id: "u1".into(),
                status_id: if clock_in { "s1" } else { "s2" }.into(),
                status_name: if clock_in { "出勤" } else { "退勤" }.into(),
                status_kind: if clock_in {
                    StatusKind::WorkStart
                } else {
                    StatusKind::WorkEnd
                } as i32,
                punched_at: Some(prost_types::Timestamp { seconds, nanos: 0 }),
                platform: Platform::Android as i32,
                app_version: "3.60.0".into(),
                ..PunchInput::default()
            }
        })
        .collect()
}

/// Punch requests per 5 minutes, for both the simulator and the client: raised from KING OF
/// TIME's 2,000 so that a run's length is set by the simulator's latency, not by pacing.
pub const PUNCH_BUDGET: u32 = 30_000;

/// `kintai dev`'s environment for these tests: a short lease (a crashed run frees the company
/// quickly), no periodic sync and no prompt delivery competing with the test's own runs, and the
/// raised punch budget.
pub const DEV_ENV: &[(&str, &str)] = &[
    ("KINTAI__SYNCER__LEASE_TTL_SECS", "5"),
    ("KINTAI__DEV__SYNC_INTERVAL_SECS", "86400"),
    ("KINTAI__SYNCER__DISPATCH", "false"),
    ("KINTAI__MATCHER__DISPATCH", "false"),
    ("KINTAI__KOT__PUNCH_REQUESTS", "30000"),
];

/// Sets the simulator's clock to the test week, its punch budget to [`PUNCH_BUDGET`], and slows
/// it down, so a run takes seconds.
pub async fn prepare_simulator(sim: &SimProcess, latency_millis: u64) {
    let http = reqwest::Client::new();
    http.put(format!("{}/clock", sim.admin_url))
        .json(&json!({"mode": "startingAt", "at": "2024-06-07T12:00:00Z"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    http.put(format!("{}/rate-limits", sim.admin_url))
        .json(&json!({
            "general": {"requests": 500, "perMillis": 300_000},
            "punch": {"requests": PUNCH_BUDGET, "perMillis": 300_000}
        }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    http.put(format!("{}/latency", sim.admin_url))
        .json(&json!({"millis": latency_millis}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

/// Company c1 enabled with the simulator's token, user u1 linked to U000123 with its flag on,
/// and the punches recorded.
pub async fn company_with_punches(url: &str) {
    company_with(url, punches()).await;
}

/// As [`company_with_punches`], with the given punches.
pub async fn company_with(url: &str, punches: Vec<PunchInput>) {
    let count = punches.len();
    let mut settings = SettingsServiceClient::connect(url.to_owned())
        .await
        .unwrap();
    settings
        .update_integration(UpdateIntegrationRequest {
            company_id: "c1".into(),
            enabled: true,
            vendor: 0,
        })
        .await
        .unwrap();
    settings
        .register_token(RegisterTokenRequest {
            company_id: "c1".into(),
            token: TOKEN.into(),
            acceptance: admin_acceptance(),
        })
        .await
        .unwrap();
    settings
        .upsert_users(UpsertUsersRequest {
            company_id: "c1".into(),
            users: vec![UserInput {
                user_id: "u1".into(),
                user_code: "U000123".into(),
                name: "市ヶ谷 市子".into(),
            }],
        })
        .await
        .unwrap();
    settings
        .set_user_links(SetUserLinksRequest {
            company_id: "c1".into(),
            links: vec![UserLinkFlag {
                user_id: "u1".into(),
                enabled: true,
            }],
        })
        .await
        .unwrap();
    let matched = MatcherServiceClient::connect(url.to_owned())
        .await
        .unwrap()
        .run_match(RunMatchRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(matched.results[0].linked, 1, "{matched:?}");
    let recorded = SyncerServiceClient::connect(url.to_owned())
        .await
        .unwrap()
        .record_punches(RecordPunchesRequest {
            company_id: "c1".into(),
            punches,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(recorded.accepted as usize, count);
}

/// Asserts the simulator holds every punch of [`punches`] exactly once.
pub async fn assert_each_punch_once(admin_url: &str) {
    assert_each_once(admin_url, PUNCHES).await;
}

/// Asserts the simulator holds `count` distinct punches, none twice.
pub async fn assert_each_once(admin_url: &str, count: usize) {
    let stored = sim_punches(admin_url).await;
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for punch in &stored {
        *counts.entry(punch.clone()).or_default() += 1;
    }
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "sent twice: {doubled:?}");
    assert_eq!(stored.len(), count, "every punch once");
}
