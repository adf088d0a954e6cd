//! The start-up rules of TLS, on the real binary: plaintext beyond loopback stops a server with
//! exit 64 naming the setting unless `server.allow_plaintext` is set (then it starts and warns);
//! a client refuses to dial plaintext beyond loopback, or `https://` without a CA, before any
//! connection; TLS files that do not load and SANs without a client CA stop start-up too.

mod common;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::kintai;
use common::tls::{Certs, Process};
use kintai_core::auth::hash_secret;

const KEY: &str = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn callers() -> String {
    format!("cyzen-platform:{}", hash_secret("platform-secret"))
}

/// Runs `kintai ARGS` with `env`; a process still running after a minute is killed (and then
/// fails the exit-code assertion).
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
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
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

fn assert_refused(output: &Output, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(64), "{stderr}");
    for word in words {
        assert!(stderr.contains(word), "{word:?} missing from: {stderr}");
    }
}

#[test]
fn a_plaintext_server_beyond_loopback_stops_start_up_unless_allowed() {
    let callers = callers();
    let env = [
        ("KINTAI__AUTH__CALLERS", callers.as_str()),
        ("KINTAI__CRYPTO__TOKEN_KEYS", KEY),
    ];
    let output = run(&["serve", "settings", "--listen", "0.0.0.0:0"], &env);
    assert_refused(
        &output,
        &[
            "server.tls.cert_file",
            "server.allow_plaintext",
            "0.0.0.0:0",
        ],
    );

    // On purpose, behind a mesh: it starts, and says what it is doing.
    let allowed = [
        ("KINTAI__SERVER__ALLOW_PLAINTEXT", "true"),
        ("KINTAI__SERVER__LISTEN", "0.0.0.0:0"),
        ("KINTAI__AUTH__CALLERS", callers.as_str()),
        ("KINTAI__CRYPTO__TOKEN_KEYS", KEY),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> = allowed
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    env.push((
        "KINTAI__DATABASE__DATA_DIR".into(),
        dir.path().display().to_string(),
    ));
    let server = Process::start(&["serve", "settings"], &env);
    assert!(
        server
            .logs()
            .iter()
            .any(|line| line.contains("WARN") && line.contains("PLAINTEXT")),
        "{:?}",
        server.logs()
    );
}

#[test]
fn kintai_dev_beyond_loopback_needs_tls_too() {
    let callers = format!("matcher:{}", hash_secret("matcher-secret"));
    let output = run(
        &["dev", "--listen", "0.0.0.0:0"],
        &[
            ("KINTAI__AUTH__CALLERS", callers.as_str()),
            ("KINTAI__AUTH__SECRET", "matcher-secret"),
        ],
    );
    assert_refused(&output, &["server.tls.cert_file", "server.allow_plaintext"]);
    // On loopback it stays plaintext and needs nothing (tests/dev_server.rs and the README's
    // walkthrough run it so).
}

#[test]
fn a_client_never_dials_plaintext_beyond_loopback_nor_https_without_a_ca() {
    let output = run(
        &[
            "trigger",
            "match",
            "--target",
            "http://kintai-matcher:50051",
        ],
        &[],
    );
    assert_refused(&output, &["--target", "peers.allow_plaintext", "https://"]);
    let output = run(
        &["trigger", "match", "--target", "https://127.0.0.1:9"],
        &[],
    );
    assert_refused(&output, &["--target", "peers.tls.ca_file"]);

    let callers = format!("matcher:{}", hash_secret("matcher-secret"));
    let output = run(
        &["serve", "matcher", "--listen", "127.0.0.1:0"],
        &[
            ("KINTAI__AUTH__CALLERS", callers.as_str()),
            ("KINTAI__AUTH__SECRET", "matcher-secret"),
            ("KINTAI__PEERS__SETTINGS_URL", "http://10.11.12.13:50051"),
        ],
    );
    assert_refused(
        &output,
        &["peers.settings_url", "in clear", "peers.allow_plaintext"],
    );
}

#[test]
fn tls_files_that_do_not_load_stop_start_up_naming_them() {
    let certs = Certs::new();
    let (cert, _) = certs.service("settings");
    let callers = callers();
    let missing = certs.file("missing.key");
    let output = run(
        &["serve", "settings", "--listen", "127.0.0.1:0"],
        &[
            ("KINTAI__AUTH__CALLERS", callers.as_str()),
            ("KINTAI__CRYPTO__TOKEN_KEYS", KEY),
            ("KINTAI__SERVER__TLS__CERT_FILE", cert.as_str()),
            ("KINTAI__SERVER__TLS__KEY_FILE", missing.as_str()),
        ],
    );
    assert_refused(&output, &["server.tls", "missing.key"]);

    let output = run(
        &["serve", "settings", "--listen", "127.0.0.1:0"],
        &[
            ("KINTAI__AUTH__CALLERS", callers.as_str()),
            ("KINTAI__CRYPTO__TOKEN_KEYS", KEY),
            ("KINTAI__SERVER__TLS__CERT_FILE", cert.as_str()),
        ],
    );
    assert_refused(&output, &["server.tls.key_file"]);

    let output = run(
        &["serve", "settings", "--listen", "127.0.0.1:0"],
        &[
            ("KINTAI__CRYPTO__TOKEN_KEYS", KEY),
            ("KINTAI__AUTH__CALLER_SANS", "matcher:kintai-matcher"),
        ],
    );
    assert_refused(&output, &["auth.caller_sans", "server.tls.client_ca_file"]);
}
