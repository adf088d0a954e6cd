//! The secret scan, on the real binary against a separate KING OF TIME simulator: tokens are
//! registered, rejected by KING OF TIME during a sync and during a match, replaced, and used for
//! a successful match and sync; a rejection report even quotes the stored token. Then every log
//! line, every response and every database file (with its -wal and -shm) is searched for each
//! token, whole and by halves, in either case.

mod common;

use std::time::{Duration, Instant};

use common::flow::{START_AT, prepare_simulator};
use common::{DevServer, SimProcess, grpcurl};
use serde_json::{Value, json};

/// Tokens the simulator issues for its example company: rejected during a sync, rejected during
/// a match, and the one that works.
const SYNC_REJECTED: &str = "5a1e0c3b7d9f42e6a8b1c0d2e4f60718";
const MATCH_REJECTED: &str = "9c8b7a6f5e4d3c2b1a09f8e7d6c5b4a3";
const WORKING: &str = "e1d2c3b4a5968778695a4b3c2d1e0f0a";
const TOKENS: [&str; 3] = [SYNC_REJECTED, MATCH_REJECTED, WORKING];

const SETTINGS: &str = "kintai.settings.v1.SettingsService";
const MATCHER: &str = "kintai.matcher.v1.MatcherService";
const SYNCER: &str = "kintai.syncer.v1.SyncerService";

/// Every text a caller got back from the product.
#[derive(Default)]
struct Responses(Vec<String>);

impl Responses {
    /// Calls an RPC; keeps what came back; answers (success, JSON).
    fn call(&mut self, server: &DevServer, method: &str, body: Value) -> (bool, Value) {
        let body = body.to_string();
        let output = grpcurl(&["-plaintext", "-d", &body, &server.address, method]);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        self.0.push(stdout.clone());
        self.0
            .push(String::from_utf8_lossy(&output.stderr).into_owned());
        (
            output.status.success(),
            serde_json::from_str(&stdout).unwrap_or(Value::Null),
        )
    }

    fn ok(&mut self, server: &DevServer, method: &str, body: Value) -> Value {
        let (success, json) = self.call(server, method, body);
        assert!(success, "{method} failed: {:?}", self.0.last());
        json
    }

    fn register(&mut self, server: &DevServer, token: &str) -> (bool, Value) {
        self.call(
            server,
            &format!("{SETTINGS}/RegisterToken"),
            json!({"company_id": "acme", "token": token, "acceptance":
                {"accepted_by": "admin", "api_terms_accepted": true, "data_sharing_consented": true}}),
        )
    }

    fn token_state(&mut self, server: &DevServer) -> Value {
        let got = self.ok(
            server,
            &format!("{SETTINGS}/GetIntegration"),
            json!({"company_id": "acme"}),
        );
        got["integration"]["token"].clone()
    }
}

/// Where `text` holds a token, whole or either half, in any case; `None` when clean.
fn leak(text: &str) -> Option<&'static str> {
    let lowered = text.to_lowercase();
    TOKENS.into_iter().find(|token| {
        let (first, second) = token.split_at(token.len() / 2);
        [*token, first, second]
            .iter()
            .any(|part| lowered.contains(part))
    })
}

fn simulator_admin(sim: &SimProcess, runtime: &tokio::runtime::Runtime, path: &str, body: Value) {
    runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{}{path}", sim.admin_url))
            .json(&body)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    });
}

fn wait_for_log(server: &DevServer, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !server.logs().iter().any(|line| line.contains(text)) {
        assert!(Instant::now() < deadline, "never logged {text:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Registers the tokens in turn, as the module docs tell, keeping every response.
fn rejected_then_fixed(
    server: &DevServer,
    sim: &SimProcess,
    runtime: &tokio::runtime::Runtime,
    r: &mut Responses,
) {
    r.ok(
        server,
        &format!("{SETTINGS}/UpdateIntegration"),
        json!({"company_id": "acme", "enabled": true}),
    );
    assert!(r.register(server, SYNC_REJECTED).0);
    r.ok(server, &format!("{SETTINGS}/UpsertUsers"),
        json!({"company_id": "acme", "users": [{"user_id": "u1", "user_code": "U000123", "name": "市ヶ谷 市子"}]}));
    r.ok(
        server,
        &format!("{SETTINGS}/SetUserLinks"),
        json!({"company_id": "acme", "links": [{"user_id": "u1", "enabled": true}]}),
    );
    let matched = r.ok(
        server,
        &format!("{MATCHER}/RunMatch"),
        json!({"company_id": "acme"}),
    );
    assert_eq!(matched["results"][0]["linked"], 1, "{matched}");

    // KING OF TIME suspends the token before the punch goes out: the sync is refused.
    simulator_admin(
        sim,
        runtime,
        &format!("/tokens/{SYNC_REJECTED}/suspend"),
        json!({}),
    );
    r.ok(
        server,
        &format!("{SYNCER}/RecordPunches"),
        json!({"company_id": "acme", "punches": [{
        "punch_id": "p1", "user_id": "u1", "status_id": "s1", "status_name": "出勤",
        "status_kind": "STATUS_KIND_WORK_START", "punched_at": "2024-06-07T00:00:00Z",
        "latitude": 35.681236, "longitude": 139.767125,
        "platform": "PLATFORM_ANDROID", "app_version": "3.60.0"}]}),
    );
    r.ok(
        server,
        &format!("{SYNCER}/RunSync"),
        json!({"company_id": "acme"}),
    );
    assert_eq!(r.token_state(server)["state"], "TOKEN_STATE_REJECTED");
    // Registering the suspended token again is refused (a failure path that handles it too).
    assert!(!r.register(server, SYNC_REJECTED).0);

    // The next token is suspended too, and this time the match finds out.
    assert!(r.register(server, MATCH_REJECTED).0);
    simulator_admin(
        sim,
        runtime,
        &format!("/tokens/{MATCH_REJECTED}/suspend"),
        json!({}),
    );
    let matched = r.ok(
        server,
        &format!("{MATCHER}/RunMatch"),
        json!({"company_id": "acme"}),
    );
    assert_eq!(
        matched["results"][0]["outcome"], "MATCH_OUTCOME_TOKEN_REJECTED",
        "{matched}"
    );
    let rejected = r.token_state(server);
    assert_eq!(rejected["state"], "TOKEN_STATE_REJECTED");
    assert!(
        rejected["rejectedReason"]
            .as_str()
            .unwrap_or_default()
            .contains("認証に失敗しました"),
        "{rejected}"
    );

    // Fixed: a working token; the match links and the held punch is sent.
    assert!(r.register(server, WORKING).0);
    let matched = r.ok(
        server,
        &format!("{MATCHER}/RunMatch"),
        json!({"company_id": "acme"}),
    );
    assert_eq!(
        matched["results"][0]["outcome"], "MATCH_OUTCOME_MATCHED",
        "{matched}"
    );
    r.ok(
        server,
        &format!("{SYNCER}/RunSync"),
        json!({"company_id": "acme"}),
    );
    let punches = r.ok(
        server,
        &format!("{SYNCER}/ListPunches"),
        json!({"company_id": "acme"}),
    );
    assert_eq!(
        punches["punches"][0]["state"], "PUNCH_STATE_SENT",
        "{punches}"
    );
}

#[test]
fn no_token_reaches_a_log_line_a_response_or_a_database_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = SimProcess::start();
    runtime.block_on(prepare_simulator(&sim, 0));
    for token in TOKENS {
        simulator_admin(
            &sim,
            &runtime,
            "/companies/cyzen3/tokens",
            json!({"token": token}),
        );
    }
    let server = DevServer::start_in(
        tempfile::tempdir().unwrap(),
        &["--kot-base-url", &sim.base_url, "--start-at", START_AT],
        &[
            ("KINTAI__DEV__MATCH_INTERVAL_SECS", "86400"),
            ("KINTAI__DEV__SYNC_INTERVAL_SECS", "86400"),
        ],
    );
    // The one automatic match of the day runs before the test's, not in the middle of them.
    wait_for_log(&server, "periodic match run finished");
    let mut responses = Responses::default();
    rejected_then_fixed(&server, &sim, &runtime, &mut responses);

    // A rejection report that quotes the stored token (as a careless caller might).
    let fingerprint = responses.token_state(&server)["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let reported = responses.ok(
        &server,
        &format!("{SETTINGS}/ReportTokenRejected"),
        json!({
        "company_id": "acme", "token_fingerprint": fingerprint,
        "rejection": "TOKEN_REJECTION_AUTHENTICATION_FAILED",
        "vendor_message": format!("rejected {} (was {SYNC_REJECTED})", WORKING.to_uppercase())}),
    );
    let reason = reported["integration"]["token"]["rejectedReason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("[redacted]"), "{reported}");

    assert_eq!(
        leak(&format!("x {} y", &WORKING[16..].to_uppercase())),
        Some(WORKING),
        "the scan sees halves"
    );

    // Every database file, while the process runs (the -wal and -shm files exist now).
    let mut files = 0;
    for entry in std::fs::read_dir(server.data_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            leak(&String::from_utf8_lossy(&bytes)).is_none(),
            "a token in {}",
            path.display()
        );
        files += 1;
    }
    assert!(
        files >= 7,
        "the databases, their WAL files and the key file were read"
    );
    for (index, response) in responses.0.iter().enumerate() {
        assert_eq!(
            leak(response),
            None,
            "a token in response {index}: {response}"
        );
    }
    let (status, logs) = server.terminate();
    assert_eq!(status.code(), Some(0));
    assert!(
        logs.iter()
            .any(|line| line.contains("token marked rejected")),
        "the logs were read"
    );
    for line in &logs {
        assert_eq!(leak(line), None, "a token in the log line {line}");
    }
}
