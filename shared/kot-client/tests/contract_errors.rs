//! Client ↔ simulator: every typed error of `KotError`, produced by the real mechanism. The
//! connection-level ones (refused, timed out, dropped) are in `contract_connection_errors.rs`.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use kot_client::{
    AttendanceVendor, EmployeeQuery, KotClient, KotConfig, KotError, PunchCode, TimeRecordRequest,
    Token,
};
use kot_sim::{FailureKind, RateLimit, SimConfig, TokenOptions};

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
async fn unknown_and_suspended_tokens_fail_authentication() {
    let f = fixture().await;
    let stranger = Token::new("ffffffffffffffffffffffffffffffff");
    let err = f.client.list_divisions(&stranger).await.unwrap_err();
    assert!(
        matches!(err, KotError::AuthenticationFailed { .. }),
        "{err:?}"
    );
    assert!(err.is_authentication_failure() && !err.is_retryable());

    f.sim.suspend_token(SECRET).unwrap();
    let err = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &clock_in())
        .await
        .unwrap_err();
    assert!(
        matches!(err, KotError::AuthenticationFailed { .. }),
        "{err:?}"
    );
    assert!(f.sim.punches(COMPANY).is_empty());
    assert!(!f.client.check_token(&f.token).await.unwrap());
}

#[tokio::test]
async fn peer_outside_permitted_ips_fails_authentication() {
    let f = fixture().await;
    let elsewhere: IpAddr = "192.0.2.10".parse().unwrap();
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    f.sim
        .add_token(
            COMPANY,
            "fenced",
            TokenOptions {
                permitted_ips: Some(vec![elsewhere]),
            },
        )
        .unwrap();
    f.sim
        .add_token(
            COMPANY,
            "local",
            TokenOptions {
                permitted_ips: Some(vec![loopback]),
            },
        )
        .unwrap();
    let fenced = Token::new("fenced");
    let err = f
        .client
        .list_employees(&fenced, &EmployeeQuery::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, KotError::AuthenticationFailed { .. }),
        "{err:?}"
    );
    // From a non-permitted IP the token check fails authentication too (not "unavailable"):
    // the administrator must add this server's IP, not issue a new token.
    assert!(matches!(
        f.client.check_token(&fenced).await,
        Err(KotError::AuthenticationFailed { .. })
    ));
    let local = Token::new("local");
    assert_eq!(f.client.list_divisions(&local).await.unwrap().len(), 2);
    assert!(f.client.check_token(&local).await.unwrap());
}

#[tokio::test]
async fn restricted_hours_error_carries_the_window_end() {
    let f = fixture_with(SimConfig {
        clock: kot_sim::Clock::Fixed(utc("2024-06-03T09:15:00")),
        ..SimConfig::default()
    })
    .await;
    let err = f.client.list_divisions(&f.token).await.unwrap_err();
    match &err {
        KotError::RestrictedHours { message } => {
            assert!(message.contains("08:30 ~ 10:00"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.retry_not_before(utc("2024-06-03T09:15:00")),
        Some(utc("2024-06-03T10:00:00"))
    );
}

#[tokio::test]
async fn exceeding_the_simulator_limit_is_rate_limited() {
    let f = fixture_with(SimConfig {
        clock: kot_sim::Clock::Fixed(utc("2024-06-03T12:00:00")),
        general_limit: RateLimit {
            requests: 2,
            per: Duration::from_secs(300),
        },
        ..SimConfig::default()
    })
    .await;
    f.client.list_divisions(&f.token).await.unwrap();
    f.client.list_divisions(&f.token).await.unwrap();
    let err = f.client.list_divisions(&f.token).await.unwrap_err();
    assert_eq!(
        err,
        KotError::RateLimited {
            message: "Too Many Requests".into()
        }
    );
    // The punch budget is separate: a punch still goes through.
    f.client
        .post_timerecord(&f.token, &f.ichiko, &clock_in())
        .await
        .unwrap();
    assert_eq!(count(&f.sim, "GET", "/v1.0/divisions", Some(429)), 1);
}

#[tokio::test]
async fn code_303_is_rate_limited_whatever_the_http_status() {
    for status in [403, 503, 200] {
        let f = fixture_with(SimConfig {
            clock: kot_sim::Clock::Fixed(utc("2024-06-03T12:00:00")),
            rate_limit_status: status,
            ..SimConfig::default()
        })
        .await;
        f.sim.fail_next(1, FailureKind::RateLimited);
        let err = f.client.list_divisions(&f.token).await.unwrap_err();
        assert!(
            matches!(err, KotError::RateLimited { .. }),
            "status {status}: {err:?}"
        );
    }
}

#[tokio::test]
async fn server_errors_500_300_and_5xx() {
    let f = fixture().await;
    f.sim.fail_next(1, FailureKind::Status500Code300);
    f.sim.fail_next(1, FailureKind::Status503);
    f.sim.fail_next(1, FailureKind::Status502Html);
    f.sim.fail_next(1, FailureKind::Status500Code300);
    // On a punch POST a 5xx says nothing about whether the punch was stored.
    let first = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &clock_in())
        .await
        .unwrap_err();
    match &first {
        KotError::OutcomeUnknown { reason } => assert!(
            reason.contains("HTTP 500 with KING OF TIME error 300 (Resource Server Error.)"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(first.is_retryable() && !first.certainly_not_applied());
    // A read may simply be repeated: a server error.
    let second = f.client.list_divisions(&f.token).await.unwrap_err();
    assert!(
        matches!(
            second,
            KotError::ServerError {
                status: 503,
                code: None,
                ..
            }
        ),
        "{second:?}"
    );
    let third = f.client.list_divisions(&f.token).await.unwrap_err();
    assert!(
        matches!(
            third,
            KotError::ServerError {
                status: 502,
                code: None,
                ..
            }
        ),
        "{third:?}"
    );
    let fourth = f.client.list_divisions(&f.token).await.unwrap_err();
    assert_eq!(
        fourth,
        KotError::ServerError {
            status: 500,
            code: Some(300),
            message: "Resource Server Error.".into()
        }
    );
    assert!(fourth.is_retryable() && !fourth.certainly_not_applied());
    assert!(
        f.sim.punches(COMPANY).is_empty(),
        "an injected failure happens before processing"
    );
    assert_eq!(
        f.client.list_divisions(&f.token).await.unwrap().len(),
        2,
        "faults are used up"
    );
}

#[tokio::test]
async fn unknown_code_and_key_are_not_found() {
    let f = fixture().await;
    assert!(matches!(
        f.client.get_employee(&f.token, "NOBODY").await,
        Err(KotError::NotFound { .. })
    ));
    let unknown_key = "0".repeat(64);
    let err = f
        .client
        .post_timerecord(&f.token, &unknown_key, &clock_in())
        .await
        .unwrap_err();
    assert!(matches!(err, KotError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn employees_of_other_companies_are_invisible() {
    let f = fixture().await;
    f.sim.create_company("other").unwrap();
    f.sim
        .add_token("other", "other-token", TokenOptions::default())
        .unwrap();
    let other = Token::new("other-token");
    let err = f
        .client
        .post_timerecord(&other, &f.ichiko, &clock_in())
        .await
        .unwrap_err();
    assert!(matches!(err, KotError::NotFound { .. }), "{err:?}");
    assert!(
        f.client
            .list_employees(&other, &EmployeeQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(f.sim.punches(COMPANY).is_empty());
}

#[tokio::test]
async fn invalid_punch_is_rejected_with_kot_message() {
    let f = fixture().await;
    let mut late = clock_in();
    late.time = jst("2024-06-05T00:00:00");
    let err = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &late)
        .await
        .unwrap_err();
    match &err {
        KotError::Rejected {
            status: 400,
            code: Some(200),
            message,
        } => {
            assert!(
                message.contains("later than the end of the day after"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    let mut elsewhere = clock_in();
    elsewhere.division_code = Some("999".into());
    assert!(matches!(
        f.client
            .post_timerecord(&f.token, &f.ichiko, &elsewhere)
            .await,
        Err(KotError::Rejected { status: 400, .. })
    ));
    assert!(f.sim.punches(COMPANY).is_empty());
}

#[tokio::test]
async fn flat_out_client_never_sees_303_from_equally_limited_simulator() {
    // 20 requests per second on both sides; 8 tasks call as fast as they can for 50 calls.
    let limit = Duration::from_secs(1);
    let f = fixture_with(SimConfig {
        clock: kot_sim::Clock::starting_at(utc("2024-06-03T12:00:00")),
        general_limit: RateLimit {
            requests: 20,
            per: limit,
        },
        ..SimConfig::default()
    })
    .await;
    let config = KotConfig {
        general_limit: kot_client::RateLimit {
            requests: 20,
            per: limit,
        },
        ..fast_config(&f.handle)
    };
    let client = KotClient::new(config).unwrap();
    let mut tasks = Vec::new();
    for task in 0..8 {
        let client = client.clone();
        let token = f.token.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..(if task < 2 { 7 } else { 6 }) {
                client.list_divisions(&token).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(count(&f.sim, "GET", "/v1.0/divisions", Some(200)), 50);
    assert_eq!(
        f.sim
            .request_log()
            .iter()
            .filter(|e| e.code == Some(303))
            .count(),
        0
    );
}
