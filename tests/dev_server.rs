//! End to end: the real `kintai dev` binary, driven with the real grpcurl through reflection.

mod common;

use common::{DevServer, grpcurl, kintai};

#[test]
fn dev_serves_every_service_with_health_and_reflection_and_drains_on_sigterm() {
    let server = DevServer::start(&[]);

    let list = grpcurl(&["-plaintext", &server.address, "list"]);
    assert!(list.status.success(), "{list:?}");
    let services = String::from_utf8(list.stdout).unwrap();
    for expected in [
        "kintai.settings.v1.SettingsService",
        "kintai.matcher.v1.MatcherService",
        "kintai.syncer.v1.SyncerService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            services.lines().any(|line| line == expected),
            "{expected} missing from:\n{services}"
        );
    }

    // Reflection carries the proto comments, so grpcurl can describe without proto files.
    let describe = grpcurl(&[
        "-plaintext",
        &server.address,
        "describe",
        "kintai.syncer.v1.PunchInput",
    ]);
    assert!(describe.status.success(), "{describe:?}");
    assert!(String::from_utf8_lossy(&describe.stdout).contains("punched_at"));

    // A call built from reflection alone, per service.
    let health = grpcurl(&[
        "-plaintext",
        "-d",
        r#"{"service":"kintai.syncer.v1.SyncerService"}"#,
        &server.address,
        "grpc.health.v1.Health/Check",
    ]);
    assert!(
        String::from_utf8_lossy(&health.stdout).contains("\"SERVING\""),
        "{health:?}"
    );

    let (status, logs) = server.terminate();
    assert_eq!(status.code(), Some(0), "logs: {logs:#?}");
    assert!(
        logs.iter().any(|line| line.contains("draining")),
        "logs: {logs:#?}"
    );
}

#[test]
fn a_bad_configuration_value_exits_64_naming_the_setting() {
    let output = kintai()
        .args(["dev", "--listen", "127.0.0.1:0"])
        .env("KINTAI__SERVER__DRAIN_TIMEOUT_SECS", "soon")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("server.drain_timeout_secs"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kintai.toml");
    std::fs::write(
        &file,
        "[database]\nurl = \"mysql://root:hunter2@db/kintai\"\n",
    )
    .unwrap();
    let output = kintai()
        .arg("--config")
        .arg(&file)
        .args(["serve", "settings"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("database.url"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password leaked: {stderr}");
}

#[test]
fn a_missing_config_file_exits_64() {
    let output = kintai()
        .args(["--config", "/nonexistent/kintai.toml", "dev"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/kintai.toml"));
}

#[test]
fn trigger_exits_69_when_the_target_is_unreachable() {
    // Port 9 (discard) on loopback: nothing listens there in a test environment.
    let output = kintai()
        .args(["trigger", "match", "--target", "127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(69), "{output:?}");
}

#[test]
fn settings_without_a_token_key_refuses_to_start_with_exit_64() {
    let dir = tempfile::tempdir().unwrap();
    let output = kintai()
        .args([
            "serve",
            "settings",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
        ])
        .arg(format!("sqlite://{}/settings.db", dir.path().display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("crypto.token_keys"));

    let output = kintai()
        .args(["serve", "settings", "--listen", "127.0.0.1:0"])
        .env("KINTAI__CRYPTO__TOKEN_KEYS", "k1:bm90LWEta2V5")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("crypto.token_keys") && stderr.contains("32 bytes"),
        "{stderr}"
    );
}
