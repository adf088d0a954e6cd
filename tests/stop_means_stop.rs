//! Stop means stop, and a punch never lands on the wrong person, with the real services in
//! `kintai dev` (prompt delivery and prompt re-matching on) and the simulator in its own process:
//! a switch-off takes effect at once, with no match in between, and 連携状況 shows it at once;
//! after two users' codes were swapped, no punch of either reaches the other's employee, and the
//! prompt re-match sends both to the right ones — without any RunSync or RunMatch call.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::flow::{START_AT, prepare_simulator, sim_punch_fields, sim_punches};
use common::{DevServer, SimProcess};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::matcher::v1::{Link, ListLinksRequest};
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{Platform, PunchInput, RecordPunchesRequest};
use tonic::transport::Channel;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

struct Clients {
    settings: SettingsServiceClient<Channel>,
    matcher: MatcherServiceClient<Channel>,
    syncer: SyncerServiceClient<Channel>,
}

fn punch(id: &str, user: &str, clock_in: bool, seconds: i64) -> PunchInput {
    PunchInput {
        punch_id: id.into(),
        user_id: user.into(),
        status_id: if clock_in { "s1" } else { "s2" }.into(),
        status_name: if clock_in { "出勤" } else { "退勤" }.into(),
        status_kind: if clock_in {
            StatusKind::WorkStart
        } else {
            StatusKind::WorkEnd
        } as i32,
        // 2024-06-07 (the simulator's and the server's day), JST morning.
        punched_at: Some(prost_types::Timestamp {
            seconds: 1_717_714_800 + seconds,
            nanos: 0,
        }),
        platform: Platform::Android as i32,
        app_version: "3.60.0".into(),
        ..PunchInput::default()
    }
}

async fn record(c: &mut Clients, punches: Vec<PunchInput>) {
    let answer = c
        .syncer
        .record_punches(RecordPunchesRequest {
            company_id: "c1".into(),
            punches,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.rejected, 0, "{answer:?}");
}

async fn users(c: &mut Clients, users: &[(&str, &str)]) {
    c.settings
        .upsert_users(UpsertUsersRequest {
            company_id: "c1".into(),
            users: users
                .iter()
                .map(|(id, code)| UserInput {
                    user_id: (*id).into(),
                    user_code: (*code).into(),
                    name: format!("{id}さん"),
                })
                .collect(),
        })
        .await
        .unwrap();
}

async fn flag(c: &mut Clients, user: &str, enabled: bool) {
    c.settings
        .set_user_links(SetUserLinksRequest {
            company_id: "c1".into(),
            links: vec![UserLinkFlag {
                user_id: user.into(),
                enabled,
            }],
        })
        .await
        .unwrap();
}

async fn links(c: &mut Clients) -> BTreeMap<String, Link> {
    c.matcher
        .list_links(ListLinksRequest {
            company_id: "c1".into(),
            ..ListLinksRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .links
        .into_iter()
        .map(|link| (link.user_id.clone(), link))
        .collect()
}

async fn wait_for(admin_url: &str, count: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while sim_punches(admin_url).await.len() < count {
        assert!(
            Instant::now() < deadline,
            "{} of {count} punches in KING OF TIME after {limit:?}",
            sim_punches(admin_url).await.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_offs_and_code_fixes_take_effect_at_once() {
    let sim = SimProcess::start();
    prepare_simulator(&sim, 0).await;
    let args = [
        "--kot-base-url",
        sim.base_url.as_str(),
        "--start-at",
        START_AT,
    ];
    let env = [
        ("KINTAI__DEV__SYNC_INTERVAL_SECS", "86400"),
        ("KINTAI__DEV__MATCH_INTERVAL_SECS", "86400"),
        ("KINTAI__SYNCER__DISPATCH_DEBOUNCE_MS", "200"),
        ("KINTAI__SYNCER__SETTINGS_WATCH_SECS", "1"),
        ("KINTAI__MATCHER__DISPATCH_DEBOUNCE_SECS", "1"),
        ("KINTAI__MATCHER__SETTINGS_WATCH_SECS", "1"),
    ];
    let server = DevServer::start_in(tempfile::tempdir().unwrap(), &args, &env);
    let url = format!("http://{}", server.address);
    let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
    let mut c = Clients {
        settings: SettingsServiceClient::new(channel.clone()),
        matcher: MatcherServiceClient::new(channel.clone()),
        syncer: SyncerServiceClient::new(channel),
    };
    c.settings
        .update_integration(UpdateIntegrationRequest {
            company_id: "c1".into(),
            enabled: true,
            vendor: 0,
        })
        .await
        .unwrap();
    c.settings
        .register_token(RegisterTokenRequest {
            company_id: "c1".into(),
            token: TOKEN.into(),
            acceptance: common::flow::admin_acceptance(),
        })
        .await
        .unwrap();
    users(&mut c, &[("u1", "U000123"), ("u2", "U000124")]).await;
    flag(&mut c, "u1", true).await;
    flag(&mut c, "u2", true).await;
    // No RunMatch: the directory change is matched on its own.
    let deadline = Instant::now() + Duration::from_secs(30);
    while links(&mut c)
        .await
        .values()
        .filter(|l| l.state_label == "有効")
        .count()
        < 2
    {
        assert!(
            Instant::now() < deadline,
            "never matched: {:?}",
            links(&mut c).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = links(&mut c).await;
    let (ichiko, shinsuke) = (
        before["u1"].employee_key.clone(),
        before["u2"].employee_key.clone(),
    );
    record(
        &mut c,
        vec![
            punch("u1-in", "u1", true, 0),
            punch("u2-in", "u2", true, 60),
        ],
    )
    .await;
    wait_for(&sim.admin_url, 2, Duration::from_secs(20)).await;

    // Switched off: 連携状況 says so at once, and a later punch is not sent.
    flag(&mut c, "u1", false).await;
    assert!(!links(&mut c).await["u1"].kot_link_enabled);
    record(&mut c, vec![punch("u1-out", "u1", false, 3_600)]).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        sim_punches(&sim.admin_url).await.len(),
        2,
        "nothing after the switch-off"
    );
    // On again: the held punch goes.
    flag(&mut c, "u1", true).await;
    wait_for(&sim.admin_url, 3, Duration::from_secs(30)).await;

    // The codes swapped (the FAQ's failure, fixed by the admin): the old links are not used.
    users(&mut c, &[("u1", "U000124"), ("u2", "U000123")]).await;
    let now = links(&mut c).await;
    assert!(
        now["u1"].state_label == "無効" && now["u1"].reason_text.contains("ユーザーコード"),
        "{:?}",
        now["u1"]
    );
    record(
        &mut c,
        vec![
            punch("u1-b", "u1", false, 7_200),
            punch("u2-b", "u2", false, 7_260),
        ],
    )
    .await;
    wait_for(&sim.admin_url, 5, Duration::from_secs(60)).await;
    let all = sim_punch_fields(&sim.admin_url, ["employeeKey", "time"]).await;
    let at = |key: &str, seconds: i64| {
        let time = chrono::DateTime::from_timestamp(1_717_714_800 + seconds, 0)
            .unwrap()
            .with_timezone(&kot_client::jst())
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string();
        all.iter().filter(|(k, t)| k == key && *t == time).count()
    };
    assert_eq!(
        at(&shinsuke, 7_200),
        1,
        "u1's punch at U000124's employee: {all:?}"
    );
    assert_eq!(
        at(&ichiko, 7_260),
        1,
        "u2's punch at U000123's employee: {all:?}"
    );
    assert_eq!(
        at(&ichiko, 7_200) + at(&shinsuke, 7_260),
        0,
        "nothing on the old links"
    );
    assert_eq!(all.len(), 5);
    let after = links(&mut c).await;
    assert_eq!(after["u1"].employee_key, shinsuke);
    let (status, _) = server.terminate();
    assert_eq!(status.code(), Some(0));
}
