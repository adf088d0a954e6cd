//! What the real server answers to requests at the edges, over gRPC: a request over
//! `server.max_message_bytes` is RESOURCE_EXHAUSTED naming the limit, and a punch with half a
//! location is rejected naming the missing coordinate while the rest of its batch is stored.

mod common;

use common::{DevServer, grpcurl};

/// (success, stdout, stderr) of a grpcurl call.
fn call(server: &DevServer, method: &str, body: &str) -> (bool, String, String) {
    let output = grpcurl(&["-plaintext", "-d", body, server.address.as_str(), method]);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_oversized_request_is_resource_exhausted_with_the_limit() {
    let server = DevServer::start_in(
        tempfile::tempdir().unwrap(),
        &[],
        &[("KINTAI__SERVER__MAX_MESSAGE_BYTES", "2048")],
    );
    let users: Vec<String> = (0..100)
        .map(|i| {
            format!(r#"{{"user_id": "u{i:03}", "user_code": "U{i:06}", "name": "ユーザー {i}"}}"#)
        })
        .collect();
    let body = format!(
        r#"{{"company_id": "acme", "users": [{}]}}"#,
        users.join(",")
    );
    assert!(body.len() > 2048);
    let (ok, _, stderr) = call(
        &server,
        "kintai.settings.v1.SettingsService/UpsertUsers",
        &body,
    );
    assert!(!ok);
    assert!(stderr.contains("Code: ResourceExhausted"), "{stderr}");
    assert!(
        stderr.contains("2048 bytes") && stderr.contains("server.max_message_bytes"),
        "the limit is named: {stderr}"
    );
    // Under the limit, the same RPC works.
    let small = r#"{"company_id": "acme", "users": [{"user_id": "u1", "user_code": "U000123", "name": "市ヶ谷 市子"}]}"#;
    let (ok, stdout, stderr) = call(
        &server,
        "kintai.settings.v1.SettingsService/UpsertUsers",
        small,
    );
    assert!(ok, "{stdout}{stderr}");
}

#[test]
fn a_punch_with_half_a_location_is_rejected_naming_the_missing_coordinate() {
    let server = DevServer::start(&["--start-at", "2024-06-07T21:00:00+09:00"]);
    let punch = |id: &str, location: &str| {
        format!(
            r#"{{"punch_id": "{id}", "user_id": "u1", "status_id": "s1", "status_name": "出勤",
                "status_kind": "STATUS_KIND_WORK_START", "punched_at": "2024-06-07T00:00:00Z",
                "platform": "PLATFORM_ANDROID", "app_version": "3.60.0"{location}}}"#
        )
    };
    let body = format!(
        r#"{{"company_id": "acme", "punches": [{}, {}, {}, {}]}}"#,
        punch("p-lat", r#", "latitude": 35.681236"#),
        punch("p-lon", r#", "longitude": 139.767125"#),
        punch(
            "p-both",
            r#", "latitude": 35.681236, "longitude": 139.767125"#
        ),
        punch("p-none", ""),
    );
    let (ok, stdout, stderr) = call(
        &server,
        "kintai.syncer.v1.SyncerService/RecordPunches",
        &body,
    );
    assert!(ok, "{stderr}");
    let answer: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let results = answer["results"].as_array().unwrap();
    let outcome = |i: usize| {
        results[i]["outcome"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let field = |i: usize| results[i]["field"].as_str().unwrap_or_default().to_owned();
    assert_eq!(outcome(0), "RECORD_OUTCOME_REJECTED", "{stdout}");
    assert_eq!(field(0), "punches[0].longitude");
    assert!(
        results[0]["reason"].as_str().unwrap().contains("latitude"),
        "{stdout}"
    );
    assert_eq!(outcome(1), "RECORD_OUTCOME_REJECTED", "{stdout}");
    assert_eq!(field(1), "punches[1].latitude");
    assert_eq!(outcome(2), "RECORD_OUTCOME_ACCEPTED", "{stdout}");
    assert_eq!(outcome(3), "RECORD_OUTCOME_ACCEPTED", "{stdout}");
}
