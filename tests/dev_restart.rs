//! `kintai dev` restarted on a used data folder meets the KING OF TIME it left: the built-in
//! simulator keeps its company data there (the same employee keys, the punches it stored), and
//! the start-up match runs before any sync, so a punch held while the process was down is sent
//! on restart — not failed against an employee key KING OF TIME no longer knows (issue 30).

mod common;

use std::time::{Duration, Instant};

use common::DevServer;
use common::flow::{DEV_ENV, START_AT, company_with, sim_punch_fields};
use kintai_proto::matcher::v1::ListLinksRequest;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::{SetUserLinksRequest, UserLinkFlag};
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{
    ListPunchesRequest, PunchRecord, PunchState, RecordPunchesRequest, RunSyncRequest,
};

/// The built-in simulator's admin API, from the line `kintai dev` logs about it.
fn simulator_admin(server: &DevServer) -> String {
    let logs = server.logs();
    let base = logs
        .iter()
        .filter(|line| line.contains("built-in KING OF TIME simulator"))
        .find_map(|line| line.split("base_url=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no simulator line in {logs:#?}"));
    format!("{}/_admin", base.trim_end_matches("/v1.0"))
}

async fn employee_key(url: &str) -> String {
    let links = MatcherServiceClient::connect(url.to_owned())
        .await
        .unwrap()
        .list_links(ListLinksRequest {
            company_id: "c1".into(),
            ..ListLinksRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .links;
    links[0].employee_key.clone()
}

async fn punches(url: &str) -> Vec<PunchRecord> {
    SyncerServiceClient::connect(url.to_owned())
        .await
        .unwrap()
        .list_punches(ListPunchesRequest {
            company_id: "c1".into(),
            ..ListPunchesRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .punches
}

async fn sync(url: &str) {
    SyncerServiceClient::connect(url.to_owned())
        .await
        .unwrap()
        .run_sync(RunSyncRequest {
            company_id: "c1".into(),
            dry_run: false,
        })
        .await
        .unwrap();
}

async fn set_link(url: &str, enabled: bool) {
    SettingsServiceClient::connect(url.to_owned())
        .await
        .unwrap()
        .set_user_links(SetUserLinksRequest {
            company_id: "c1".into(),
            links: vec![UserLinkFlag {
                user_id: "u1".into(),
                enabled,
            }],
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_dev_keeps_its_simulator_and_sends_what_was_held() {
    let args = ["--start-at", START_AT];
    let server = DevServer::start_in(tempfile::tempdir().unwrap(), &args, DEV_ENV);
    let url = format!("http://{}", server.address);
    let first = common::flow::punches_every(1, 60);
    company_with(&url, first).await;
    sync(&url).await;
    assert_eq!(punches(&url).await[0].state(), PunchState::Sent);
    let key = employee_key(&url).await;
    let stored = sim_punch_fields(&simulator_admin(&server), ["employeeKey", "time"]).await;
    assert_eq!(stored.len(), 1);

    // The link switched off, then a punch: held while the process goes down.
    set_link(&url, false).await;
    let mut late = common::flow::punches_every(2, 60);
    late.remove(0);
    SyncerServiceClient::connect(url.clone())
        .await
        .unwrap()
        .record_punches(RecordPunchesRequest {
            company_id: "c1".into(),
            punches: late,
        })
        .await
        .unwrap();
    sync(&url).await;
    let (status, _, data_dir) = server.terminate_keeping_data();
    assert_eq!(status.code(), Some(0));
    let file = data_dir.path().join("kot-simulator.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "it holds tokens: owner-only");
    }

    let server = DevServer::start_in(data_dir, &args, DEV_ENV);
    let url = format!("http://{}", server.address);
    let admin = simulator_admin(&server);
    assert_eq!(
        sim_punch_fields(&admin, ["employeeKey", "time"]).await,
        stored,
        "the simulator kept what it stored"
    );
    assert_eq!(employee_key(&url).await, key, "and its employee keys");
    set_link(&url, true).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        sync(&url).await;
        let states: Vec<PunchState> = punches(&url).await.iter().map(|p| p.state()).collect();
        assert!(!states.contains(&PunchState::Failed), "{states:?}");
        if states.iter().all(|s| *s == PunchState::Sent) {
            break;
        }
        assert!(Instant::now() < deadline, "never sent: {states:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let now_stored = sim_punch_fields(&admin, ["employeeKey", "time"]).await;
    assert_eq!(now_stored.len(), 2, "{now_stored:?}");
    assert!(now_stored.iter().all(|(k, _)| *k == key));
    let (status, _) = server.terminate();
    assert_eq!(status.code(), Some(0));
}
