//! Every gRPC hop over mutual TLS, on the real binary in separate processes, with certificates
//! the test issues: `kintai serve settings|matcher|syncer`, each presenting its own certificate
//! and requiring one from every caller; the matcher → settings and syncer → settings / matcher
//! clients dialling `https://` with their certificates; `kintai trigger match|sync` with its own;
//! grpcurl as the cyzen platform (`-cacert`, `-cert`/`-key`, and once with a bearer secret). The
//! matcher is named by its certificate alone, the syncer by certificate and secret together.
//!
//! A TCP proxy between the syncer and settings and another between the trigger and the syncer
//! keep every byte: neither holds a bearer secret nor the KING OF TIME token (GetCredentials
//! answers it on the first hop). The same scan of the settings → KING OF TIME hop, plaintext
//! HTTP to the simulator here, finds the token: the scan can see a secret where there is one.
//! On SQLite and on PostgreSQL.

mod common;

use common::tls::{Certs, Process, Proxy, holds};
use common::{SimProcess, grpcurl, kintai};
use kintai_core::auth::hash_secret;
use kintai_core::testing::{TestDb, TestEngine};
use kintai_core::tls::test_ca::Usage;
use serde_json::{Value, json};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const PLATFORM_SECRET: &str = "tls-test-platform-secret-0123456789abcdef";
const SYNCER_SECRET: &str = "tls-test-syncer-secret-0123456789abcdef0";
const TRIGGER_SECRET: &str = "tls-test-trigger-secret-0123456789abcdef";
const KEY: &str = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A call as the cyzen platform, by its certificate (or also with `bearer`); the answer's JSON.
fn platform(certs: &Certs, address: &str, method: &str, body: Value, bearer: bool) -> Value {
    let (cert, key) = (
        certs.file("cyzen-platform.crt"),
        certs.file("cyzen-platform.key"),
    );
    let body = body.to_string();
    let header = format!("authorization: Bearer {PLATFORM_SECRET}");
    let ca = certs.ca_file();
    let mut args = vec![
        "-cacert",
        ca.as_str(),
        "-cert",
        cert.as_str(),
        "-key",
        key.as_str(),
    ];
    if bearer {
        args.extend(["-H", header.as_str()]);
    }
    args.extend(["-d", body.as_str(), address, method]);
    let output = grpcurl(&args);
    assert!(output.status.success(), "{method}: {output:?}");
    serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
}

/// `kintai trigger RUN` over TLS to `target`; its exit code and stdout.
fn trigger(certs: &Certs, run: &str, target: &str) -> (Option<i32>, String) {
    let trigger_cert = (
        certs.file("kintai-trigger.crt"),
        certs.file("kintai-trigger.key"),
    );
    let output = kintai()
        .args(["trigger", run, "--company", "acme", "--target", target])
        .envs(certs.client_env(&trigger_cert))
        .env("KINTAI__AUTH__SECRET", TRIGGER_SECRET)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "trigger {run}: {stdout} {stderr}"
    );
    (output.status.code(), stdout)
}

async fn every_hop_over_mutual_tls(engine: TestEngine) {
    let Some(database) = TestDb::new(engine).await else {
        return;
    };
    let database_url = match engine {
        TestEngine::Sqlite => String::new(),
        TestEngine::Postgres => database.url.clone(),
    };
    let certs = Certs::new();
    let data = tempfile::tempdir().unwrap();
    certs.issue("cyzen-platform", &["cyzen-platform"], Usage::Client);
    certs.issue("kintai-trigger", &["kintai-trigger"], Usage::Client);
    let callers = [
        ("cyzen-platform", PLATFORM_SECRET),
        ("syncer", SYNCER_SECRET),
        ("trigger", TRIGGER_SECRET),
    ]
    .map(|(name, secret)| format!("{name}:{}", hash_secret(secret)))
    .join(",");
    let data_dir = data.path().display().to_string();
    let shared = env(&[
        ("KINTAI__SERVER__LISTEN", "127.0.0.1:0"),
        ("KINTAI__DATABASE__URL", &database_url),
        ("KINTAI__DATABASE__DATA_DIR", &data_dir),
        ("KINTAI__AUTH__CALLERS", &callers),
        (
            "KINTAI__AUTH__CALLER_SANS",
            "cyzen-platform:cyzen-platform,matcher:kintai-matcher,syncer:kintai-syncer,trigger:kintai-trigger",
        ),
        ("KINTAI__SYNCER__DISPATCH", "false"),
        ("KINTAI__MATCHER__DISPATCH", "false"),
    ]);

    let sim = SimProcess::start();
    let sim_host = sim
        .base_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let kot_proxy = Proxy::start(&sim_host).await;
    let settings_cert = certs.service("settings");
    let mut settings_env = [shared.clone(), certs.server_env(&settings_cert)].concat();
    settings_env.extend(env(&[
        ("KINTAI__CRYPTO__TOKEN_KEYS", KEY),
        (
            "KINTAI__KOT__BASE_URL",
            &format!("http://{}/v1.0", kot_proxy.address),
        ),
    ]));
    let settings = Process::start(&["serve", "settings"], &settings_env);
    let settings_proxy = Proxy::start(&settings.address).await;

    let matcher_cert = certs.service("matcher");
    let mut matcher_env = [
        shared.clone(),
        certs.server_env(&matcher_cert),
        certs.client_env(&matcher_cert),
    ]
    .concat();
    matcher_env.extend(env(&[
        ("KINTAI__KOT__BASE_URL", &sim.base_url),
        (
            "KINTAI__PEERS__SETTINGS_URL",
            &format!("https://{}", settings.address),
        ),
    ]));
    let matcher = Process::start(&["serve", "matcher"], &matcher_env);

    let syncer_cert = certs.service("syncer");
    let mut syncer_env = [
        shared.clone(),
        certs.server_env(&syncer_cert),
        certs.client_env(&syncer_cert),
    ]
    .concat();
    syncer_env.extend(env(&[
        ("KINTAI__KOT__BASE_URL", &sim.base_url),
        ("KINTAI__AUTH__SECRET", SYNCER_SECRET),
        (
            "KINTAI__PEERS__SETTINGS_URL",
            &format!("https://{}", settings_proxy.address),
        ),
        (
            "KINTAI__PEERS__MATCHER_URL",
            &format!("https://{}", matcher.address),
        ),
    ]));
    let syncer = Process::start(&["serve", "syncer"], &syncer_env);
    let trigger_proxy = Proxy::start(&syncer.address).await;

    // The cyzen platform sets the company up over TLS; RegisterToken crosses to KING OF TIME.
    let settings_api = "kintai.settings.v1.SettingsService";
    for (method, body) in [
        (
            "UpdateIntegration",
            json!({"company_id": "acme", "enabled": true}),
        ),
        (
            "RegisterToken",
            json!({"company_id": "acme", "token": TOKEN, "acceptance":
            {"accepted_by": "admin", "api_terms_accepted": true, "data_sharing_consented": true}}),
        ),
        (
            "UpsertUsers",
            json!({"company_id": "acme", "users":
            [{"user_id": "u1", "user_code": "U000123", "name": "市ヶ谷 市子"}]}),
        ),
        (
            "SetUserLinks",
            json!({"company_id": "acme", "links": [{"user_id": "u1", "enabled": true}]}),
        ),
    ] {
        platform(
            &certs,
            &settings.address,
            &format!("{settings_api}/{method}"),
            body,
            false,
        );
    }
    let punched_at = (chrono::Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let recorded = platform(
        &certs,
        &syncer.address,
        "kintai.syncer.v1.SyncerService/RecordPunches",
        json!({"company_id": "acme", "punches": [{"punch_id": "p1", "user_id": "u1",
            "status_id": "s1", "status_name": "出勤", "status_kind": "STATUS_KIND_WORK_START",
            "punched_at": punched_at, "platform": "PLATFORM_ANDROID", "app_version": "3.62.0"}]}),
        true,
    );
    assert_eq!(recorded["accepted"], 1, "{recorded}");

    // trigger → matcher → settings, trigger → syncer → settings and matcher: exit 0 means no
    // company failed, so every hop answered (a refused handshake fails the company's run).
    let (_, matched) = trigger(&certs, "match", &format!("https://{}", matcher.address));
    let (_, synced) = trigger(
        &certs,
        "sync",
        &format!("https://{}", trigger_proxy.address),
    );
    eprintln!("{matched}{synced}");
    let links = platform(
        &certs,
        &matcher.address,
        "kintai.matcher.v1.MatcherService/ListLinks",
        json!({"company_id": "acme"}),
        false,
    );
    let punches = platform(
        &certs,
        &syncer.address,
        "kintai.syncer.v1.SyncerService/ListPunches",
        json!({"company_id": "acme"}),
        false,
    );
    // In KING OF TIME's restricted hours the match is DEFERRED and the punch waits for its link;
    // otherwise the user is linked and the punch is in KING OF TIME.
    if matched.contains("outcome=MATCH_OUTCOME_MATCHED") {
        assert_eq!(links["links"][0]["state"], "LINK_STATE_ACTIVE", "{links}");
        assert_eq!(
            punches["punches"][0]["state"], "PUNCH_STATE_SENT",
            "{punches} {synced}"
        );
    } else {
        assert!(matched.contains("DEFERRED"), "{matched}");
    }

    for (hop, proxy) in [
        ("syncer → settings", &settings_proxy),
        ("trigger → syncer", &trigger_proxy),
    ] {
        let bytes = proxy.captured();
        assert!(
            bytes.len() > 1_000,
            "{hop}: the proxy carried the hop ({} bytes)",
            bytes.len()
        );
        for (what, secret) in [
            ("the KING OF TIME token", TOKEN),
            ("the syncer's secret", SYNCER_SECRET),
            ("the trigger's secret", TRIGGER_SECRET),
            ("the platform's secret", PLATFORM_SECRET),
        ] {
            assert!(!holds(&bytes, secret), "{hop} carries {what} in clear");
        }
    }
    assert!(
        holds(&kot_proxy.captured(), TOKEN),
        "the scan finds the token on the plaintext hop to the simulator"
    );
    drop((syncer, matcher, settings));
    database.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hop_over_mutual_tls_on_sqlite() {
    every_hop_over_mutual_tls(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hop_over_mutual_tls_on_postgres() {
    every_hop_over_mutual_tls(TestEngine::Postgres).await;
}
