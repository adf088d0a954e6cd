//! Broken auth settings stop start-up with exit 64 and a message naming the setting, on the real
//! binary: unknown caller names, two entries for one name or one secret, and processes that call
//! other kintai services without a secret of their own while callers are configured.

mod common;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::kintai;
use kintai_core::auth::hash_secret;

const MATCHER_SECRET: &str = "matcher-secret-0123456789abcdef0123456789abcdef0";

/// Runs `kintai ARGS` with `env` and returns its output once it exits. A process that starts
/// serving instead of refusing is killed after a while, and the test fails on its exit code.
fn refused(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = kintai()
        .args(args)
        .env("KINTAI__DATABASE__DATA_DIR", dir.path())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A refusal comes at once; a process still running after a minute is serving instead.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

/// Asserts exit 64 and that stderr holds every one of `words`; answers stderr.
fn assert_config_error(output: &Output, words: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(64), "{stderr}");
    for word in words {
        assert!(stderr.contains(word), "{word:?} missing from: {stderr}");
    }
    stderr
}

fn entry(name: &str, secret: &str) -> String {
    format!("{name}:{}", hash_secret(secret))
}

const DEV: &[&str] = &["dev", "--listen", "127.0.0.1:0"];

#[test]
fn an_unknown_caller_name_is_refused_with_the_known_ones() {
    let callers = format!(
        "{},{}",
        entry("cyzen_platform", "p"),
        entry("matcher", MATCHER_SECRET)
    );
    let output = refused(
        DEV,
        &[
            ("KINTAI__AUTH__CALLERS", &callers),
            ("KINTAI__AUTH__SECRET", MATCHER_SECRET),
        ],
    );
    assert_config_error(
        &output,
        &[
            "auth.callers",
            "\"cyzen_platform\"",
            "cyzen-platform, matcher, syncer, trigger",
        ],
    );
}

#[test]
fn a_callers_file_is_checked_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("callers");
    std::fs::write(
        &file,
        format!(
            "{}\nmatcherr:{}\n",
            entry("matcher", MATCHER_SECRET),
            hash_secret("x")
        ),
    )
    .unwrap();
    let file = file.display().to_string();
    let output = refused(
        &["serve", "settings", "--listen", "127.0.0.1:0"],
        &[
            ("KINTAI__AUTH__CALLERS_FILE", &file),
            (
                "KINTAI__CRYPTO__TOKEN_KEYS",
                "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
        ],
    );
    assert_config_error(&output, &["auth.callers_file", "\"matcherr\""]);
}

#[test]
fn one_name_twice_or_one_secret_for_two_callers_is_refused() {
    let twice = format!(
        "{},{}",
        entry("matcher", MATCHER_SECRET),
        entry("matcher", "other")
    );
    let output = refused(
        DEV,
        &[
            ("KINTAI__AUTH__CALLERS", &twice),
            ("KINTAI__AUTH__SECRET", MATCHER_SECRET),
        ],
    );
    assert_config_error(&output, &["auth.callers", "matcher is listed twice"]);

    let shared = format!(
        "{},{}",
        entry("matcher", MATCHER_SECRET),
        entry("syncer", MATCHER_SECRET)
    );
    let output = refused(
        DEV,
        &[
            ("KINTAI__AUTH__CALLERS", &shared),
            ("KINTAI__AUTH__SECRET", MATCHER_SECRET),
        ],
    );
    let stderr = assert_config_error(&output, &["auth.callers", "same hash"]);
    assert!(!stderr.contains(MATCHER_SECRET), "the secret is not echoed");
}

#[test]
fn processes_that_call_other_services_need_their_own_secret() {
    let callers = entry("matcher", MATCHER_SECRET);
    // kintai dev, even where callers make a non-loopback address legal.
    let output = refused(
        &["dev", "--listen", "0.0.0.0:0"],
        &[("KINTAI__AUTH__CALLERS", &callers)],
    );
    assert_config_error(&output, &["auth.secret", "kintai dev"]);
    // One service per process: the matcher calls settings, the syncer settings and the matcher.
    for service in ["matcher", "syncer"] {
        let output = refused(
            &["serve", service, "--listen", "127.0.0.1:0"],
            &[
                ("KINTAI__AUTH__CALLERS", &callers),
                ("KINTAI__PEERS__SETTINGS_URL", "http://127.0.0.1:9"),
                ("KINTAI__PEERS__MATCHER_URL", "http://127.0.0.1:9"),
            ],
        );
        assert_config_error(&output, &["auth.secret", &format!("serve {service}")]);
    }
    // The CronJob's trigger, when it shares a configuration with callers in it.
    let output = refused(
        &["trigger", "match", "--target", "127.0.0.1:9"],
        &[("KINTAI__AUTH__CALLERS", &callers)],
    );
    assert_config_error(&output, &["auth.secret", "kintai trigger"]);
}

#[test]
fn kintai_dev_calls_itself_only_with_the_matchers_or_the_syncers_secret() {
    let platform = "platform-secret-0123456789abcdef0123456789abcdef";
    let callers = format!(
        "{},{}",
        entry("cyzen-platform", platform),
        entry("matcher", MATCHER_SECRET)
    );
    for secret in [platform, "a-secret-nobody-has-0123456789abcdef01234567"] {
        let output = refused(
            DEV,
            &[
                ("KINTAI__AUTH__CALLERS", &callers),
                ("KINTAI__AUTH__SECRET", secret),
            ],
        );
        let stderr = assert_config_error(&output, &["auth.secret", "matcher"]);
        assert!(
            !stderr.contains(secret),
            "the secret is not echoed: {stderr}"
        );
    }
}

/// The simulator's token of its example company (`kintai dev`'s built-in KING OF TIME).
const DEV_TOKEN: &str = "0123456789abcdef0123456789abcdef";
const START_AT: &str = "2024-06-07T21:00:00+09:00";

/// Calls one RPC of an open (loopback) server: (success, stdout JSON or Null, stderr).
fn call(
    server: &common::DevServer,
    method: &str,
    body: serde_json::Value,
) -> (bool, serde_json::Value, String) {
    let body = body.to_string();
    let output = common::grpcurl(&["-plaintext", "-d", &body, &server.address, method]);
    let json = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (
        output.status.success(),
        json,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn ok(server: &common::DevServer, method: &str, body: serde_json::Value) -> serde_json::Value {
    let (success, json, stderr) = call(server, method, body);
    assert!(success, "{method}: {stderr}");
    json
}

const SETTINGS: &str = "kintai.settings.v1.SettingsService";

/// A company with the simulator's token and one linked user, in a fresh `kintai dev`.
fn company_with_a_token(server: &common::DevServer) {
    use serde_json::json;
    ok(
        server,
        &format!("{SETTINGS}/UpdateIntegration"),
        json!({"company_id": "acme", "enabled": true}),
    );
    register(server);
    ok(
        server,
        &format!("{SETTINGS}/UpsertUsers"),
        json!({"company_id": "acme", "users": [{"user_id": "u1", "user_code": "U000123", "name": "市ヶ谷 市子"}]}),
    );
}

fn register(server: &common::DevServer) -> serde_json::Value {
    ok(
        server,
        &format!("{SETTINGS}/RegisterToken"),
        serde_json::json!({"company_id": "acme", "token": DEV_TOKEN, "acceptance":
            {"accepted_by": "admin", "api_terms_accepted": true, "data_sharing_consented": true}}),
    )
}

/// The automatic match a few seconds after start holds the companies' leases while it runs (a
/// RunMatch then answers BUSY): waits until it has finished (the next one is a day later).
fn wait_for_the_periodic_match(server: &common::DevServer) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !server
        .logs()
        .iter()
        .any(|line| line.contains("periodic match run finished"))
    {
        assert!(
            Instant::now() < deadline,
            "the periodic match never finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_lost_laptop_key_stops_kintai_dev_and_then_shows_as_unreadable_tokens() {
    use serde_json::json;
    let server = common::DevServer::start_in(
        tempfile::tempdir().unwrap(),
        &["--start-at", START_AT],
        &[("KINTAI__DEV__MATCH_INTERVAL_SECS", "86400")],
    );
    company_with_a_token(&server);
    // Killed mid-run, it would leave the company's lease behind for minutes.
    wait_for_the_periodic_match(&server);
    let data_dir = server.kill_hard();
    let key_file = data_dir.path().join("token-keys");
    let key_id = std::fs::read_to_string(&key_file)
        .unwrap()
        .split_once(':')
        .unwrap()
        .0
        .to_owned();
    std::fs::remove_file(&key_file).unwrap();

    // Restarted without the key file: no new key over tokens it could never open.
    let data = data_dir.path().display().to_string();
    let output = refused(
        &["dev", "--listen", "127.0.0.1:0", "--data-dir", &data],
        &[],
    );
    assert_config_error(
        &output,
        &[&format!("{key_id:?}"), "token-keys", "crypto.token_keys"],
    );
    assert!(!key_file.exists(), "no key file was created");

    // Given a new key on purpose, it starts, and every view tells the truth about the token.
    let new_key = String::from_utf8(
        kintai()
            .args(["new-token-key", "recovered"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let server = common::DevServer::start_in(
        data_dir,
        &["--start-at", START_AT],
        &[
            ("KINTAI__CRYPTO__TOKEN_KEYS", new_key.trim()),
            ("KINTAI__DEV__MATCH_INTERVAL_SECS", "86400"),
        ],
    );
    wait_for_the_periodic_match(&server);
    let integration = ok(
        &server,
        &format!("{SETTINGS}/GetIntegration"),
        json!({"company_id": "acme"}),
    );
    let token = &integration["integration"]["token"];
    assert_eq!(token["state"], "TOKEN_STATE_UNREADABLE", "{integration}");
    let detail = token["detail"].as_str().unwrap();
    assert!(
        detail.contains(&key_id) && detail.contains("トークンを登録し直してください"),
        "{detail}"
    );
    let listed = ok(&server, &format!("{SETTINGS}/ListCompanies"), json!({}));
    assert_eq!(
        listed["companies"][0]["tokenState"], "TOKEN_STATE_UNREADABLE",
        "{listed}"
    );
    assert!(
        listed["companies"][0]["tokenDetail"]
            .as_str()
            .unwrap()
            .contains(&key_id)
    );
    let (success, _, stderr) = call(
        &server,
        &format!("{SETTINGS}/GetCredentials"),
        json!({"company_id": "acme"}),
    );
    assert!(!success);
    assert!(
        stderr.contains("FailedPrecondition") && stderr.contains(&key_id),
        "{stderr}"
    );
    let matched = ok(
        &server,
        "kintai.matcher.v1.MatcherService/RunMatch",
        json!({"company_id": "acme"}),
    );
    assert_eq!(
        matched["results"][0]["outcome"], "MATCH_OUTCOME_SKIPPED",
        "{matched}"
    );
    let links = ok(
        &server,
        "kintai.matcher.v1.MatcherService/ListLinks",
        json!({"company_id": "acme"}),
    );
    assert_eq!(
        links["links"][0]["reason"], "INACTIVE_REASON_TOKEN_UNREADABLE",
        "{links}"
    );
    assert!(
        server
            .logs()
            .iter()
            .any(|line| line.contains("TOKEN_STATE_UNREADABLE") && line.contains(&key_id)),
        "the operator is told at start-up"
    );

    // Registering the token again under the new key makes it usable.
    let registered = register(&server);
    assert_eq!(
        registered["integration"]["token"]["state"],
        "TOKEN_STATE_VALID"
    );
    let matched = ok(
        &server,
        "kintai.matcher.v1.MatcherService/RunMatch",
        json!({"company_id": "acme"}),
    );
    assert_eq!(
        matched["results"][0]["outcome"], "MATCH_OUTCOME_MATCHED",
        "{matched}"
    );
}
