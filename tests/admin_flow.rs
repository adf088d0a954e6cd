//! End to end: the administrator's settings flow of the manual, through the real grpcurl against
//! the real `kintai dev` and its built-in KING OF TIME simulator.

mod common;

use common::{DevServer, grpcurl};
use serde_json::{Value, json};

/// Calls one RPC with a JSON body and answers the JSON response (panics with grpcurl's output on
/// failure).
fn call(server: &DevServer, method: &str, body: Value) -> Value {
    let body = body.to_string();
    let output = grpcurl(&["-plaintext", "-d", &body, &server.address, method]);
    assert!(
        output.status.success(),
        "{method} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn enable_register_push_users_bulk_enable_and_list_statuses() {
    let server = DevServer::start(&[]);
    let settings = "kintai.settings.v1.SettingsService";

    let enabled = call(
        &server,
        &format!("{settings}/UpdateIntegration"),
        json!({"company_id": "acme", "enabled": true}),
    );
    assert_eq!(enabled["integration"]["enabled"], true);

    let token = "0123456789abcdef0123456789abcdef"; // the simulator's token of its example company
    let registered = call(
        &server,
        &format!("{settings}/RegisterToken"),
        json!({
            "company_id": "acme",
            "token": token,
            "acceptance": {"accepted_by": "admin@acme.example", "api_terms_accepted": true, "data_sharing_consented": true}
        }),
    );
    assert_eq!(
        registered["integration"]["token"]["state"],
        "TOKEN_STATE_VALID"
    );
    assert!(!registered.to_string().contains(token));

    let pushed = call(
        &server,
        &format!("{settings}/UpsertUsers"),
        json!({"company_id": "acme", "users": [
            {"user_id": "u1", "user_code": "U000123", "name": "市ヶ谷 市子"},
            {"user_id": "u2", "user_code": "U000124", "name": "湊山 信輔"},
            {"user_id": "u3", "user_code": "U00528", "name": "千住 五郎"},
            {"user_id": "u4", "name": "戸田 八郎"},
            {"user_id": "u5", "name": "用賀 百男"}
        ]}),
    );
    assert_eq!(pushed["upserted"], 5);
    assert_eq!(
        pushed["warnings"].as_array().unwrap().len(),
        2,
        "the two users without a code: {pushed}"
    );

    let bulk = call(
        &server,
        &format!("{settings}/SetUserLinks"),
        json!({"company_id": "acme", "links": [
            {"user_id": "u1", "enabled": true}, {"user_id": "u2", "enabled": true}, {"user_id": "u3", "enabled": true}
        ]}),
    );
    assert_eq!(bulk["updated"], 3);

    let users = call(
        &server,
        &format!("{settings}/ListUsers"),
        json!({"company_id": "acme"}),
    );
    let flags: Vec<bool> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["kotLinkEnabled"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(flags, [true, true, true, false, false]);

    call(
        &server,
        &format!("{settings}/UpsertStatuses"),
        json!({"company_id": "acme", "statuses": [
            {"status_id": "s1", "name": "出勤", "kind": "STATUS_KIND_WORK_START"},
            {"status_id": "s2", "name": "退勤", "kind": "STATUS_KIND_WORK_END"},
            {"status_id": "s3", "name": "休憩開始", "kind": "STATUS_KIND_WORKING"},
            {"status_id": "s4", "name": "休憩終了", "kind": "STATUS_KIND_WORKING"},
            {"status_id": "s5", "name": "作業開始", "kind": "STATUS_KIND_WORKING"}
        ]}),
    );
    let statuses = call(
        &server,
        &format!("{settings}/ListStatuses"),
        json!({"company_id": "acme"}),
    );
    let labels: Vec<&str> = statuses["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|status| status["mappingLabel"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "出勤 連携",
            "退勤 連携",
            "休憩開始 連携",
            "休憩終了 連携",
            "× 連携されません"
        ]
    );

    let (status, logs) = server.terminate();
    assert_eq!(status.code(), Some(0));
    assert!(
        !logs
            .iter()
            .any(|line| line.contains(token) && !line.contains("built-in KING OF TIME simulator")),
        "the token appeared in a log line other than the simulator's own announcement"
    );
}

#[test]
fn bad_input_comes_back_as_invalid_argument_naming_the_field() {
    let server = DevServer::start(&[]);
    let output = grpcurl(&[
        "-plaintext",
        "-d",
        r#"{"company_id": "acme", "users": [{"user_id": "", "name": "x"}, {"user_id": "u2", "name": "ok"}]}"#,
        &server.address,
        "kintai.settings.v1.SettingsService/UpsertUsers",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("InvalidArgument"), "{stderr}");
    assert!(stderr.contains("users[0].user_id"), "{stderr}");
    let listed = call(
        &server,
        "kintai.settings.v1.SettingsService/ListUsers",
        json!({"company_id": "acme"}),
    );
    assert_eq!(
        listed["users"][0]["userId"], "u2",
        "the valid user was stored"
    );
}
