//! The simulator refuses each malformed request kot-api.md describes, one test per rule, with
//! the documented status and error shape, and stores nothing: punch bodies, employee keys and
//! codes, date ranges, queries, paths, hostile input. The authorization and content-type rules
//! are in `rejects_headers.rs`.

mod common;

use common::*;
use kot_sim::{
    CODE_AUTHENTICATION_FAILED as AUTH, CODE_INVALID_REQUEST as INVALID,
    CODE_NOT_FOUND as NOT_FOUND,
};

async fn post_punch(sim: &Sim, body: &str) -> (u16, serde_json::Value) {
    let path = format!("/v1.0/daily-workings/timerecord/{}", sim.key);
    send(sim, "POST", &path, &[], Some(body.as_bytes())).await
}

async fn assert_punch_refused(body: &str, needle: &str) {
    let sim = start().await;
    let answer = post_punch(&sim, body).await;
    let message = assert_error(&answer, 400, INVALID);
    assert!(
        message.contains(needle),
        "{message:?} should mention {needle:?}"
    );
    assert!(sim.sim.punches(COMPANY).is_empty());
}

#[tokio::test]
async fn valid_punch_is_accepted() {
    // The baseline every refusal below differs from in one point.
    let sim = start().await;
    let answer = post_punch(
        &sim,
        r#"{"date":"2024-06-03","time":"2024-06-03T09:00:00+09:00","code":"1"}"#,
    )
    .await;
    assert_eq!(answer.0, 201, "{answer:?}");
    assert_eq!(sim.sim.punches(COMPANY).len(), 1);
}

#[tokio::test]
async fn punch_body_must_be_json() {
    assert_punch_refused("date=2024-06-03", "not valid JSON").await;
}

#[tokio::test]
async fn punch_body_must_be_an_object() {
    assert_punch_refused(r#"["2024-06-03"]"#, "JSON object").await;
}

#[tokio::test]
async fn punch_date_is_required() {
    assert_punch_refused(
        r#"{"time":"2024-06-03T09:00:00+09:00","code":"1"}"#,
        "date is required",
    )
    .await;
}

#[tokio::test]
async fn punch_date_must_be_yyyy_mm_dd() {
    assert_punch_refused(
        r#"{"date":"2024-6-3","time":"2024-06-03T09:00:00+09:00","code":"1"}"#,
        "YYYY-MM-DD",
    )
    .await;
}

#[tokio::test]
async fn punch_time_is_required() {
    assert_punch_refused(r#"{"date":"2024-06-03","code":"1"}"#, "time is required").await;
}

#[tokio::test]
async fn punch_time_needs_seconds() {
    assert_punch_refused(
        r#"{"date":"2024-06-03","time":"2024-06-03T09:00+09:00","code":"1"}"#,
        "HH:MM:SS",
    )
    .await;
}

#[tokio::test]
async fn punch_time_z_is_refused() {
    assert_punch_refused(
        r#"{"date":"2024-06-03","time":"2024-06-03T00:00:00Z","code":"1"}"#,
        "+09:00",
    )
    .await;
}

#[tokio::test]
async fn punch_time_other_offset_is_refused() {
    assert_punch_refused(
        r#"{"date":"2024-06-03","time":"2024-06-03T08:00:00+08:00","code":"1"}"#,
        "+09:00",
    )
    .await;
}

#[tokio::test]
async fn punch_time_hour_24_is_refused() {
    assert_punch_refused(
        r#"{"date":"2024-06-03","time":"2024-06-03T24:00:00+09:00","code":"1"}"#,
        "HH:MM:SS",
    )
    .await;
}

#[tokio::test]
async fn punch_code_must_be_a_string() {
    assert_punch_refused(
        r#"{"date":"2024-06-03","time":"2024-06-03T09:00:00+09:00","code":1}"#,
        "JSON string",
    )
    .await;
}

#[tokio::test]
async fn punch_code_must_be_in_the_documented_set() {
    assert_punch_refused(
        r#"{"date":"2024-06-03","time":"2024-06-03T09:00:00+09:00","code":"5"}"#,
        "not one of",
    )
    .await;
}

#[tokio::test]
async fn punch_time_at_most_end_of_next_day() {
    assert_punch_refused(
        r#"{"date":"2024-06-03","time":"2024-06-05T00:00:00+09:00","code":"2"}"#,
        "day after",
    )
    .await;
    // 23:59:59 of the next day is still accepted.
    let sim = start().await;
    let ok = post_punch(
        &sim,
        r#"{"date":"2024-06-03","time":"2024-06-04T23:59:59+09:00","code":"2"}"#,
    )
    .await;
    assert_eq!(ok.0, 201, "{ok:?}");
}

#[tokio::test]
async fn punch_coordinates_must_be_numbers() {
    let body =
        r#"{"date":"2024-06-03","time":"2024-06-03T09:00:00+09:00","code":"1","latitude":"35.6"}"#;
    assert_punch_refused(body, "latitude must be a number").await;
}

#[tokio::test]
async fn unknown_employee_key_is_404() {
    let sim = start().await;
    let path = format!("/v1.0/daily-workings/timerecord/{}", "f".repeat(64));
    let body = br#"{"date":"2024-06-03","time":"2024-06-03T09:00:00+09:00","code":"1"}"#;
    assert_error(
        &send(&sim, "POST", &path, &[], Some(body)).await,
        404,
        NOT_FOUND,
    );
    assert!(sim.sim.punches(COMPANY).is_empty());
}

#[tokio::test]
async fn unknown_employee_code_is_404() {
    let sim = start().await;
    assert_error(
        &send(&sim, "GET", "/v1.0/employees/U999999", &[], None).await,
        404,
        NOT_FOUND,
    );
}

#[tokio::test]
async fn range_over_62_days_is_400_and_62_is_fine() {
    let sim = start().await;
    let path = |end: &str| {
        format!(
            "/v1.0/daily-workings/timerecord?employeeKeys={}&start=2024-01-01&end={end}",
            sim.key
        )
    };
    assert_error(
        &send(&sim, "GET", &path("2024-03-03"), &[], None).await,
        400,
        INVALID,
    );
    let ok = send(&sim, "GET", &path("2024-03-02"), &[], None).await;
    assert_eq!((ok.0, ok.1.as_array().map(Vec::len)), (200, Some(62)));
}

#[tokio::test]
async fn range_ending_before_start_is_400() {
    let sim = start().await;
    let path = format!(
        "/v1.0/daily-workings/timerecord?employeeKeys={}&start=2024-02-01&end=2024-01-31",
        sim.key
    );
    assert_error(&send(&sim, "GET", &path, &[], None).await, 400, INVALID);
}

#[tokio::test]
async fn range_dates_must_be_yyyy_mm_dd() {
    let sim = start().await;
    let path = format!(
        "/v1.0/daily-workings/timerecord?employeeKeys={}&start=2024/01/01&end=2024-01-31",
        sim.key
    );
    assert_error(&send(&sim, "GET", &path, &[], None).await, 400, INVALID);
    assert_error(
        &send(
            &sim,
            "GET",
            "/v1.0/daily-workings/timerecord/20240101",
            &[],
            None,
        )
        .await,
        400,
        INVALID,
    );
}

#[tokio::test]
async fn listing_unknown_employee_key_is_400() {
    let sim = start().await;
    let path = format!(
        "/v1.0/daily-workings/timerecord?employeeKeys={},nope&start=2024-01-01&end=2024-01-02",
        sim.key
    );
    assert_error(&send(&sim, "GET", &path, &[], None).await, 400, INVALID);
}

#[tokio::test]
async fn employee_as_of_date_limits() {
    let sim = start().await;
    assert_eq!(
        send(&sim, "GET", "/v1.0/employees?date=2021-06-03", &[], None)
            .await
            .0,
        200
    );
    assert_error(
        &send(&sim, "GET", "/v1.0/employees?date=2021-06-02", &[], None).await,
        400,
        INVALID,
    );
    assert_eq!(
        send(&sim, "GET", "/v1.0/employees?date=2025-06-03", &[], None)
            .await
            .0,
        200
    );
    assert_error(
        &send(&sim, "GET", "/v1.0/employees?date=2025-06-04", &[], None).await,
        400,
        INVALID,
    );
    assert_error(
        &send(&sim, "GET", "/v1.0/employees?date=20240603", &[], None).await,
        400,
        INVALID,
    );
}

#[tokio::test]
async fn include_resigner_must_be_boolean() {
    let sim = start().await;
    assert_error(
        &send(
            &sim,
            "GET",
            "/v1.0/employees?includeResigner=yes",
            &[],
            None,
        )
        .await,
        400,
        INVALID,
    );
}

#[tokio::test]
async fn unknown_path_and_method_answer_in_kot_shape() {
    let sim = start().await;
    assert_error(
        &send(&sim, "GET", "/v1.0/nothing-here", &[], None).await,
        404,
        NOT_FOUND,
    );
    assert_error(
        &send(&sim, "PATCH", "/v1.0/divisions", &[], None).await,
        405,
        INVALID,
    );
}

#[tokio::test]
async fn hostile_input_never_breaks_the_simulator() {
    let sim = start().await;
    let key_path = format!("/v1.0/daily-workings/timerecord/{}", sim.key);
    let huge = vec![b'{'; 3 * 1024 * 1024];
    let bodies: [&[u8]; 6] = [
        b"",
        b"\xff\xfe\x00",
        b"null",
        b"{\"date\":{\"$gt\":1}}",
        b"{{{{",
        &huge,
    ];
    for body in bodies {
        let answer = send(&sim, "POST", &key_path, &[], Some(body)).await;
        assert!((400..500).contains(&answer.0), "{answer:?}");
        assert!(answer.1["errors"].is_array(), "{answer:?}");
    }
    for path in [
        "/v1.0/employees/%FF%FE",
        "/v1.0/employees/..%2F..%2Fetc",
        "/v1.0/daily-workings/timerecord/%00",
        "/v1.0/employees?date=%FF&includeResigner=%00",
        "/v1.0/daily-workings/timerecord?start=9999-12-31&end=9999-12-31",
        "/v1.0/daily-workings/timerecord?start=0001-01-01&end=0001-01-01",
    ] {
        let answer = send(&sim, "GET", path, &[], None).await;
        assert!((200..500).contains(&answer.0), "{path}: {answer:?}");
    }
    let long_auth = format!("Bearer {}", "x".repeat(10_000));
    assert_error(
        &send(
            &sim,
            "GET",
            "/v1.0/divisions",
            &[("authorization", Some(&long_auth))],
            None,
        )
        .await,
        403,
        AUTH,
    );
    assert!(sim.sim.punches(COMPANY).is_empty());
    assert_eq!(
        send(&sim, "GET", "/v1.0/divisions", &[], None).await.0,
        200,
        "still serving"
    );
}
