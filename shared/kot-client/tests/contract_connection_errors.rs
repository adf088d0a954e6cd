//! Client ↔ simulator: the connection-level errors of `KotError`, produced by the real
//! mechanism: a refused connection is `NotSent` and hides the token; a timeout after sending
//! and a connection dropped after storing are `OutcomeUnknown`, and the stored punch is found by
//! reading the day back.

mod common;

use std::time::Duration;

use common::*;
use kot_client::{
    AttendanceVendor, KotClient, KotConfig, KotError, PunchCode, TimeRecordRequest, Token,
};

fn clock_in() -> TimeRecordRequest {
    TimeRecordRequest {
        date: day("2024-06-03"),
        time: jst("2024-06-03T09:01:02"),
        code: PunchCode::ClockIn,
        division_code: None,
        latitude: None,
        longitude: None,
    }
}

#[tokio::test]
async fn connection_refused_is_not_sent_and_hides_the_token() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = KotConfig {
        base_url: format!("http://127.0.0.1:{port}/v1.0").parse().unwrap(),
        ..KotConfig::default()
    };
    let client = KotClient::new(config).unwrap();
    let token = Token::new(SECRET);
    let err = client
        .post_timerecord(&token, &"a".repeat(64), &clock_in())
        .await
        .unwrap_err();
    assert!(matches!(err, KotError::NotSent { .. }), "{err:?}");
    assert!(err.is_retryable() && err.certainly_not_applied());
    // /tokens/{token} puts the secret in the URL: it must not reach the error text.
    let err = client.check_token(&token).await.unwrap_err();
    assert!(matches!(err, KotError::NotSent { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(SECRET), "{err:?}");
}

#[tokio::test]
async fn timeout_after_sending_is_outcome_unknown_and_the_punch_is_stored() {
    let f = fixture().await;
    let config = KotConfig {
        request_timeout: Duration::from_secs(1),
        ..fast_config(&f.handle)
    };
    let client = KotClient::new(config).unwrap();
    f.sim.set_latency(Duration::from_secs(5));
    let err = client
        .post_timerecord(&f.token, &f.ichiko, &clock_in())
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert!(!err.certainly_not_applied());
    assert_eq!(
        f.sim.punches(COMPANY).len(),
        1,
        "the simulator stored it before the client gave up"
    );
    let err = client.refresh_token(&f.token).await.unwrap_err();
    assert!(
        err.outcome_unknown() && !format!("{err} {err:?}").contains(SECRET),
        "{err:?}"
    );
}

#[tokio::test]
async fn connection_dropped_after_storing_is_outcome_unknown_then_verifiable() {
    let f = fixture().await;
    f.sim.drop_connection_after_next_punch(1);
    let request = clock_in();
    let err = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &request)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    let stored = f.sim.punches(COMPANY);
    assert_eq!(stored.len(), 1, "stored before the connection was dropped");
    assert_eq!(
        count(
            &f.sim,
            "POST",
            "/v1.0/daily-workings/timerecord/{keyOrDate}",
            None
        ),
        1
    );
    // The syncer's verification: read the day back and find the punch by time + code.
    let records = f
        .client
        .read_day(&f.token, &f.ichiko, request.date)
        .await
        .unwrap();
    assert_eq!(
        records
            .iter()
            .filter(|r| r.is_same_punch(&request.time, request.code))
            .count(),
        1
    );
    // The fault was used up: the next punch succeeds normally.
    f.client
        .post_timerecord(&f.token, &f.shinsuke, &request)
        .await
        .unwrap();
    assert_eq!(f.sim.punches(COMPANY).len(), 2);
}
