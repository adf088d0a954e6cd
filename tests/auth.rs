//! Caller authentication end to end: every RPC refuses missing and wrong credentials
//! (UNAUTHENTICATED) and callers it is not for (PERMISSION_DENIED), admits the callers it is
//! for; a whole settings → match → sync run works with credentials, and no secret reaches the
//! logs; a server without callers refuses to listen beyond loopback.

mod common;

use common::{DevServer, grpcurl, kintai};

const PLATFORM: &str = "platform-secret-0123456789abcdef0123456789abcdef";
const MATCHER: &str = "matcher-secret-0123456789abcdef0123456789abcdef0";
const SYNCER: &str = "syncer-secret-0123456789abcdef0123456789abcdef01";
const TRIGGER: &str = "trigger-secret-0123456789abcdef0123456789abcdef0";
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn callers() -> String {
    [
        ("cyzen-platform", PLATFORM),
        ("matcher", MATCHER),
        ("syncer", SYNCER),
        ("trigger", TRIGGER),
    ]
    .iter()
    .map(|(name, secret)| format!("{name}:{}", kintai_core::auth::hash_secret(secret)))
    .collect::<Vec<_>>()
    .join(",")
}

/// A `kintai dev` that admits the four callers and presents the matcher's secret on its own
/// internal calls.
fn secured_dev() -> DevServer {
    let callers = callers();
    DevServer::start_in(
        tempfile::tempdir().unwrap(),
        &["--start-at", "2024-06-07T21:00:00+09:00"],
        &[
            ("KINTAI__AUTH__CALLERS", callers.as_str()),
            ("KINTAI__AUTH__SECRET", MATCHER),
            // The test triggers the runs itself; automatic ones would only compete for the lease.
            ("KINTAI__MATCHER__DISPATCH", "false"),
            ("KINTAI__SYNCER__DISPATCH", "false"),
        ],
    )
}

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
fn a_whole_run_works_with_credentials_and_no_secret_reaches_the_logs() {
    let server = secured_dev();
    let call = |method: &str, body: &str| {
        let header = format!("authorization: Bearer {PLATFORM}");
        let output = grpcurl(&[
            "-plaintext",
            "-H",
            &header,
            "-d",
            body,
            &server.address,
            method,
        ]);
        assert!(
            output.status.success(),
            "{method}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let settings = "kintai.settings.v1.SettingsService";
    call(
        &format!("{settings}/UpdateIntegration"),
        r#"{"company_id": "acme", "enabled": true}"#,
    );
    call(
        &format!("{settings}/RegisterToken"),
        &format!(
            r#"{{"company_id": "acme", "token": "{TOKEN}", "acceptance": {{"accepted_by": "admin", "api_terms_accepted": true, "data_sharing_consented": true}}}}"#
        ),
    );
    call(
        &format!("{settings}/UpsertUsers"),
        r#"{"company_id": "acme", "users": [{"user_id": "u1", "user_code": "U000123", "name": "市ヶ谷 市子"}]}"#,
    );
    call(
        &format!("{settings}/SetUserLinks"),
        r#"{"company_id": "acme", "links": [{"user_id": "u1", "enabled": true}]}"#,
    );
    // The CronJob's trigger, with its own secret (the matcher calls settings with its own).
    // The dev server's first automatic match (2 s after start) may hold the company's lease:
    // BUSY says "try again", as a CronJob's next run would.
    let trigger_match = || {
        kintai()
            .args([
                "trigger",
                "match",
                "--company",
                "acme",
                "--target",
                &server.address,
            ])
            .env("KINTAI__AUTH__SECRET", TRIGGER)
            .output()
            .unwrap()
    };
    let mut trigger = trigger_match();
    for _ in 0..20 {
        if !String::from_utf8_lossy(&trigger.stdout).contains("BUSY") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
        trigger = trigger_match();
    }
    assert!(trigger.status.success(), "{trigger:?}");
    assert!(
        String::from_utf8_lossy(&trigger.stdout).contains("linked=1"),
        "{trigger:?}"
    );
    let refused = kintai()
        .args(["trigger", "match", "--target", &server.address])
        .output()
        .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a trigger without credentials is refused"
    );

    call(
        "kintai.syncer.v1.SyncerService/RecordPunches",
        r#"{"company_id": "acme", "punches": [{"punch_id": "p1", "user_id": "u1", "status_id": "s1", "status_name": "出勤",
            "status_kind": "STATUS_KIND_WORK_START", "punched_at": "2024-06-07T00:00:00Z", "platform": "PLATFORM_ANDROID", "app_version": "3.60.0"}]}"#,
    );
    let synced = call(
        "kintai.syncer.v1.SyncerService/RunSync",
        r#"{"company_id": "acme"}"#,
    );
    assert!(synced.contains(r#""sent": 1"#), "{synced}");

    let (status, logs) = server.terminate();
    assert_eq!(status.code(), Some(0));
    let logs = logs.join("\n");
    assert!(
        logs.contains("caller") || logs.contains("refused"),
        "auth decisions are logged: {logs}"
    );
    for secret in [PLATFORM, MATCHER, SYNCER, TRIGGER] {
        assert!(!logs.contains(secret), "a caller secret reached the logs");
    }
    assert!(
        !logs
            .lines()
            .any(|line| line.contains(TOKEN) && !line.contains("built-in KING OF TIME simulator")),
        "the KING OF TIME token reached the logs"
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
