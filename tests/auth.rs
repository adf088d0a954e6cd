//! Caller authentication end to end: every RPC refuses missing and wrong credentials
//! (UNAUTHENTICATED) and callers it is not for (PERMISSION_DENIED), admits the callers it is
//! for; the bearer scheme and a single authorization value; a server without callers refuses
//! to listen beyond loopback. A whole run with credentials is in `auth_flow.rs`.

mod common;

use common::secured::{MATCHER, PLATFORM, SYNCER, TRIGGER, secured_dev};
use common::{DevServer, grpcurl, kintai};

/// The gRPC code grpcurl reports for a call, or "OK".
fn code(server: &DevServer, method: &str, secret: Option<&str>, body: &str) -> String {
    let header = secret.map(|s| format!("authorization: Bearer {s}"));
    let mut args = vec!["-plaintext", "-d", body];
    if let Some(header) = &header {
        args.extend(["-H", header.as_str()]);
    }
    args.extend([server.address.as_str(), method]);
    let output = grpcurl(&args);
    if output.status.success() {
        return "OK".to_owned();
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("Code: "))
        .unwrap_or_else(|| panic!("no gRPC code for {method}: {stderr}"))
        .to_owned()
}

/// (method, the callers allowed, one caller that is not).
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "kintai.settings.v1.SettingsService/GetIntegration",
        &[PLATFORM, MATCHER, SYNCER],
        TRIGGER,
    ),
    (
        "kintai.settings.v1.SettingsService/UpdateIntegration",
        &[PLATFORM],
        MATCHER,
    ),
    (
        "kintai.settings.v1.SettingsService/RegisterToken",
        &[PLATFORM],
        SYNCER,
    ),
    (
        "kintai.settings.v1.SettingsService/DeleteToken",
        &[PLATFORM],
        MATCHER,
    ),
    (
        "kintai.settings.v1.SettingsService/UpsertUsers",
        &[PLATFORM],
        TRIGGER,
    ),
    (
        "kintai.settings.v1.SettingsService/DeleteUsers",
        &[PLATFORM],
        SYNCER,
    ),
    (
        "kintai.settings.v1.SettingsService/ListUsers",
        &[PLATFORM, MATCHER, SYNCER],
        TRIGGER,
    ),
    (
        "kintai.settings.v1.SettingsService/SetUserLinks",
        &[PLATFORM],
        MATCHER,
    ),
    (
        "kintai.settings.v1.SettingsService/UpsertStatuses",
        &[PLATFORM],
        SYNCER,
    ),
    (
        "kintai.settings.v1.SettingsService/ListStatuses",
        &[PLATFORM],
        TRIGGER,
    ),
    (
        "kintai.settings.v1.SettingsService/ListCompanies",
        &[PLATFORM, MATCHER, SYNCER],
        TRIGGER,
    ),
    (
        "kintai.settings.v1.SettingsService/GetCredentials",
        &[MATCHER, SYNCER],
        PLATFORM,
    ),
    (
        "kintai.settings.v1.SettingsService/ReportTokenRejected",
        &[MATCHER, SYNCER],
        PLATFORM,
    ),
    (
        "kintai.matcher.v1.MatcherService/RunMatch",
        &[PLATFORM, TRIGGER],
        SYNCER,
    ),
    (
        "kintai.matcher.v1.MatcherService/ListLinks",
        &[PLATFORM, MATCHER, SYNCER],
        TRIGGER,
    ),
    (
        "kintai.syncer.v1.SyncerService/RecordPunches",
        &[PLATFORM],
        MATCHER,
    ),
    (
        "kintai.syncer.v1.SyncerService/RunSync",
        &[PLATFORM, TRIGGER],
        MATCHER,
    ),
    (
        "kintai.syncer.v1.SyncerService/ListPunches",
        &[PLATFORM],
        SYNCER,
    ),
];

#[test]
fn every_rpc_admits_exactly_its_callers() {
    let server = secured_dev();
    // Probes and grpcurl's reflection stay open.
    let list = grpcurl(&["-plaintext", &server.address, "list"]);
    assert!(list.status.success(), "{list:?}");
    assert_eq!(
        code(&server, "grpc.health.v1.Health/Check", None, "{}"),
        "OK"
    );

    for (method, allowed, refused) in RULES {
        // A body whose company does not exist: an admitted call fails later, if at all, with
        // a code that is neither UNAUTHENTICATED nor PERMISSION_DENIED.
        let body = if method.ends_with("/ListCompanies") {
            "{}"
        } else {
            r#"{"company_id": "nobody"}"#
        };
        assert_eq!(
            code(&server, method, None, body),
            "Unauthenticated",
            "{method} without credentials"
        );
        assert_eq!(
            code(&server, method, Some("not-a-secret"), body),
            "Unauthenticated",
            "{method} wrong secret"
        );
        assert_eq!(
            code(&server, method, Some(refused), body),
            "PermissionDenied",
            "{method} wrong caller"
        );
        for secret in *allowed {
            let answer = code(&server, method, Some(secret), body);
            assert!(
                answer != "Unauthenticated" && answer != "PermissionDenied",
                "{method} refused an allowed caller: {answer}"
            );
        }
    }
    // Every RPC of the contract has a rule above.
    let described = String::from_utf8(
        grpcurl(&[
            "-plaintext",
            &server.address,
            "describe",
            "kintai.settings.v1.SettingsService",
        ])
        .stdout,
    )
    .unwrap();
    let rpcs = described
        .lines()
        .filter(|line| line.trim_start().starts_with("rpc "))
        .count();
    assert_eq!(
        rpcs,
        RULES
            .iter()
            .filter(|(m, _, _)| m.starts_with("kintai.settings"))
            .count()
    );
}

#[test]
fn a_server_without_callers_refuses_to_listen_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let output = kintai()
        .args(["dev", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("auth.callers") && stderr.contains("refusing"),
        "{stderr}"
    );
}

/// The gRPC code of a call with these raw header lines.
fn code_with_headers(server: &DevServer, method: &str, headers: &[String]) -> String {
    let mut args = vec!["-plaintext", "-d", r#"{"company_id": "nobody"}"#];
    for header in headers {
        args.extend(["-H", header.as_str()]);
    }
    args.extend([server.address.as_str(), method]);
    let output = grpcurl(&args);
    if output.status.success() {
        return "OK".to_owned();
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("Code: "))
        .unwrap_or_else(|| panic!("no gRPC code for {method}: {stderr}"))
        .to_owned()
}

#[test]
fn the_bearer_scheme_is_case_insensitive_and_one_authorization_value_is_required() {
    let server = secured_dev();
    let method = "kintai.settings.v1.SettingsService/GetIntegration";
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        assert_eq!(
            code_with_headers(
                &server,
                method,
                &[format!("authorization: {scheme} {PLATFORM}")]
            ),
            "OK",
            "scheme {scheme}"
        );
    }
    // Two values, whichever comes first and even when both are right: which one counts would
    // be a guess, so neither does.
    for (first, second) in [
        (PLATFORM, "wrong"),
        ("wrong", PLATFORM),
        (PLATFORM, PLATFORM),
    ] {
        assert_eq!(
            code_with_headers(
                &server,
                method,
                &[
                    format!("authorization: Bearer {first}"),
                    format!("authorization: Bearer {second}"),
                ],
            ),
            "Unauthenticated",
            "two authorization values"
        );
    }
    assert_eq!(
        code_with_headers(
            &server,
            method,
            &[format!("authorization: Basic {PLATFORM}")]
        ),
        "Unauthenticated"
    );
}
