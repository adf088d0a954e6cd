//! Exactly once across a crash: the process running a sync is killed with SIGKILL in the middle
//! of the run, restarted on the same database, and run again. KING OF TIME (the simulator, in
//! its own process so it survives the crash) must hold every punch exactly once.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{DevServer, SimProcess};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::matcher::v1::RunMatchRequest;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{
    Platform, PunchInput, RecordPunchesRequest, RunSyncRequest, SyncOutcome,
};
use serde_json::{Value, json};

const START_AT: &str = "2024-06-07T21:00:00+09:00";
const PUNCHES: usize = 120;
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

async fn sim_punches(admin_url: &str) -> Vec<(String, String)> {
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
                p["time"].as_str().unwrap().to_owned(),
                p["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Alternating 出勤 / 退勤 every 30 minutes from 2024-06-01 00:00 JST.
fn punches() -> Vec<PunchInput> {
    (0..PUNCHES)
        .map(|i| {
            let clock_in = i % 2 == 0;
            let seconds = 1_717_167_600 + (i as i64) * 1_800; // 2024-06-01T00:00:00+09:00
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_mid_run_resumes_without_losing_or_doubling_a_punch() {
    let sim = SimProcess::start();
    let http = reqwest::Client::new();
    http.put(format!("{}/clock", sim.admin_url))
        .json(&json!({"mode": "startingAt", "at": "2024-06-07T12:00:00Z"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    // Slow KING OF TIME down so that the kill lands in the middle of the run.
    http.put(format!("{}/latency", sim.admin_url))
        .json(&json!({"millis": 40}))
        .send()
        .await
        .unwrap();

    let env = [
        ("KINTAI__SYNCER__LEASE_TTL_SECS", "5"),
        ("KINTAI__DEV__SYNC_INTERVAL_SECS", "86400"),
    ];
    let args = [
        "--kot-base-url",
        sim.base_url.as_str(),
        "--start-at",
        START_AT,
    ];
    let server = DevServer::start_in(tempfile::tempdir().unwrap(), &args, &env);
    let url = format!("http://{}", server.address);
    let mut settings = SettingsServiceClient::connect(url.clone()).await.unwrap();
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
    let matched = MatcherServiceClient::connect(url.clone())
        .await
        .unwrap()
        .run_match(RunMatchRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(matched.results[0].linked, 1, "{matched:?}");
    let mut syncer = SyncerServiceClient::connect(url.clone()).await.unwrap();
    let recorded = syncer
        .record_punches(RecordPunchesRequest {
            company_id: "c1".into(),
            punches: punches(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(recorded.accepted as usize, PUNCHES);

    // Start the run, and kill the process once KING OF TIME holds some but not all punches.
    let mut running = syncer.clone();
    let run = tokio::spawn(async move {
        running
            .run_sync(RunSyncRequest {
                company_id: "c1".into(),
                dry_run: false,
            })
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored = sim_punches(&sim.admin_url).await.len();
        if stored >= 10 {
            assert!(
                stored < PUNCHES,
                "the run finished before the kill; slow the simulator down"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the run never started posting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let data_dir = server.kill_hard();
    assert!(
        run.await.unwrap().is_err(),
        "the killed server cannot have answered"
    );
    let stored_at_kill = sim_punches(&sim.admin_url).await.len();

    // Restart on the same database: the crashed run's lease expires, and the next run verifies
    // what was in flight before sending the rest.
    let server = DevServer::start_in(data_dir, &args, &env);
    let mut syncer = SyncerServiceClient::connect(format!("http://{}", server.address))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let answer = syncer
            .run_sync(RunSyncRequest {
                company_id: "c1".into(),
                dry_run: false,
            })
            .await
            .unwrap()
            .into_inner();
        let result = &answer.results[0];
        if result.outcome() == SyncOutcome::Completed && result.deferred == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the company never completed after the restart: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let stored = sim_punches(&sim.admin_url).await;
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for punch in &stored {
        *counts.entry(punch.clone()).or_default() += 1;
    }
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "sent twice: {doubled:?}");
    assert_eq!(
        stored.len(),
        PUNCHES,
        "every punch once (KING OF TIME held {stored_at_kill} at the kill)"
    );
    let (status, _) = server.terminate();
    assert_eq!(status.code(), Some(0));
}
