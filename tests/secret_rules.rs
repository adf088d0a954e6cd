//! The caller secret a process presents, at the command line (issue 30): a digits-only secret
//! from the environment is a string like any other and is sent and recognised; a secret that
//! cannot be sent as it is (not printable ASCII, a tab in it) stops `kintai trigger` and
//! `kintai dev` at start-up with exit 64, naming the rule and the character, instead of failing
//! every call later with UNAUTHENTICATED.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{DevServer, kintai};
use kintai_core::auth::hash_secret;

/// Digits only, and each below 2^64: figment's own environment provider read them as integers
/// ("auth.secret: invalid type: found unsigned int").
const DEV_SECRET: &str = "12345678901234567890";
const TRIGGER_SECRET: &str = "10987654321098765432";

fn callers() -> String {
    format!(
        "matcher:{},trigger:{}",
        hash_secret(DEV_SECRET),
        hash_secret(TRIGGER_SECRET)
    )
}

#[test]
fn a_digits_only_secret_from_the_environment_is_a_string() {
    let callers = callers();
    let server = DevServer::start_in(
        tempfile::tempdir().unwrap(),
        &["--start-at", "2024-06-07T21:00:00+09:00"],
        &[
            ("KINTAI__AUTH__CALLERS", callers.as_str()),
            ("KINTAI__AUTH__SECRET", DEV_SECRET),
        ],
    );
    let output = kintai()
        .args(["trigger", "match", "--target", &server.address])
        .env("KINTAI__AUTH__SECRET", TRIGGER_SECRET)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("match run finished"));
}

/// Runs `kintai ARGS` with `secret` as its own; its exit code and stderr.
fn with_secret(args: &[&str], secret: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let callers = callers();
    let mut child = kintai()
        .args(args)
        .env("KINTAI__DATABASE__DATA_DIR", dir.path())
        .env("KINTAI__AUTH__CALLERS", callers)
        .env("KINTAI__AUTH__SECRET", secret)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A refusal comes at once; a process still running after a minute is serving instead.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_secret_that_cannot_be_sent_stops_trigger_and_dev_at_start_up() {
    let trigger = ["trigger", "match", "--target", "127.0.0.1:9"];
    let dev = ["dev", "--listen", "127.0.0.1:0"];
    for (args, secret, named) in [
        (&trigger[..], "ひみつ", "U+3072"),
        (
            &trigger[..],
            "tab\tsecret-0123456789",
            "character 4 is a tab",
        ),
        (&dev[..], "tab\tsecret-0123456789", "character 4 is a tab"),
        (&dev[..], "ひみつ", "U+3072"),
    ] {
        let (code, stderr) = with_secret(args, secret);
        assert_eq!(code, Some(64), "{args:?} {secret:?}: {stderr}");
        assert!(
            stderr.contains("auth.secret") && stderr.contains("printable ASCII"),
            "{stderr}"
        );
        assert!(stderr.contains(named), "{named:?} missing from: {stderr}");
        assert!(!stderr.contains("none of the callers"), "{stderr}");
        assert!(
            !stderr.contains("secret-0123456789"),
            "the secret is not echoed: {stderr}"
        );
    }
}
