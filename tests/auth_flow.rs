//! Caller authentication end to end: a whole settings → match → sync run works with the
//! callers' credentials, and no secret (a caller's or the KING OF TIME token) reaches the logs.

mod common;

use common::secured::{MATCHER, PLATFORM, SYNCER, TRIGGER, secured_dev};
use common::{grpcurl, kintai};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

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
