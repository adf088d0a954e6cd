//! Client ↔ simulator under the faults a network and a load balancer produce: what the client
//! answers, and whether KING OF TIME stored the punch. Every gateway page and every fault
//! after storing must be `OutcomeUnknown` for the punch POST; only KING OF TIME's own refusals
//! are certainly not applied.

mod common;

use std::time::Duration;

use chrono::TimeDelta;
use common::*;
use kot_client::{AttendanceVendor, KotClient, KotConfig, KotError, PunchCode, TimeRecordRequest};
use kot_sim::{Clock, FailureKind, FaultProfile, PunchPostFaults, SimConfig};

fn clock_in(at: &str) -> TimeRecordRequest {
    TimeRecordRequest {
        date: day("2024-06-03"),
        time: jst(at),
        code: PunchCode::ClockIn,
        division_code: None,
        latitude: None,
        longitude: None,
    }
}

fn reason(error: &KotError) -> &str {
    match error {
        KotError::OutcomeUnknown { reason } => reason,
        other => panic!("expected outcome unknown, got {other:?}"),
    }
}

/// A client that gives up after `timeout`.
fn impatient(f: &Fixture, timeout: Duration) -> KotClient {
    KotClient::new(KotConfig {
        request_timeout: timeout,
        ..fast_config(&f.handle)
    })
    .unwrap()
}

#[tokio::test]
async fn gateway_pages_and_server_errors_before_storing_are_unknown_and_store_nothing() {
    let f = fixture().await;
    let cases = [
        (
            FailureKind::Status502Html,
            "HTTP 502 without a KING OF TIME error body (HTML page",
        ),
        (
            FailureKind::Gateway503Html,
            "HTTP 503 without a KING OF TIME error body (HTML page",
        ),
        (
            FailureKind::Gateway504Html,
            "HTTP 504 without a KING OF TIME error body (HTML page",
        ),
        (
            FailureKind::Status503,
            "HTTP 503 without a KING OF TIME error body (empty body)",
        ),
        (
            FailureKind::Status500Code300,
            "HTTP 500 with KING OF TIME error 300",
        ),
    ];
    for (kind, needle) in cases {
        f.sim.fail_next(1, kind);
        let err = f
            .client
            .post_timerecord(&f.token, &f.ichiko, &clock_in("2024-06-03T09:00:00"))
            .await
            .unwrap_err();
        assert!(reason(&err).contains(needle), "{kind:?}: {err}");
        assert!(
            !err.certainly_not_applied() && err.outcome_unknown(),
            "{kind:?}"
        );
        assert!(!format!("{err} {err:?}").contains(SECRET));
    }
    assert!(f.sim.punches(COMPANY).is_empty(), "answered before storing");
    // The read-back settles it: nothing there.
    let day_records = f
        .client
        .read_day(&f.token, &f.ichiko, day("2024-06-03"))
        .await
        .unwrap();
    assert!(day_records.is_empty());
    let logged: Vec<_> = f
        .sim
        .request_log()
        .iter()
        .filter(|e| e.method == "POST")
        .map(|e| (e.status, e.fault))
        .collect();
    assert_eq!(
        logged,
        cases
            .iter()
            .zip([502, 503, 504, 503, 500])
            .map(|((kind, _), status)| (Some(status), Some(*kind)))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn only_kot_shaped_rate_limits_are_refusals() {
    // 303 as a 429 with KING OF TIME's body: refused before acting.
    let f = fixture().await;
    f.sim.fail_next(1, FailureKind::RateLimited);
    let err = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &clock_in("2024-06-03T09:00:00"))
        .await
        .unwrap_err();
    assert!(matches!(err, KotError::RateLimited { .. }), "{err:?}");
    assert!(err.certainly_not_applied());
    // 303 carried by a 503: a 5xx, whatever its body.
    let f = fixture_with(SimConfig {
        clock: Clock::Fixed(utc("2024-06-03T12:00:00")),
        rate_limit_status: 503,
        ..SimConfig::default()
    })
    .await;
    f.sim.fail_next(1, FailureKind::RateLimited);
    let err = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &clock_in("2024-06-03T09:00:00"))
        .await
        .unwrap_err();
    assert!(
        reason(&err).contains("HTTP 503 with KING OF TIME error 303"),
        "{err}"
    );
}

#[tokio::test]
async fn a_504_page_after_storing_is_unknown_and_the_punch_is_stored() {
    let f = fixture().await;
    f.sim.fail_next(1, FailureKind::Gateway504AfterStore);
    let request = clock_in("2024-06-03T09:00:00");
    let err = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &request)
        .await
        .unwrap_err();
    assert!(
        reason(&err).contains("HTTP 504 without a KING OF TIME error body"),
        "{err}"
    );
    assert_eq!(f.sim.punches(COMPANY).len(), 1, "KING OF TIME stored it");
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
    let entry = f.sim.request_log()[0].clone();
    assert_eq!(
        (entry.status, entry.fault),
        (Some(504), Some(FailureKind::Gateway504AfterStore))
    );
}

#[tokio::test]
async fn a_reset_after_storing_is_unknown_and_the_punch_is_stored() {
    let f = fixture().await;
    f.sim.fail_next(1, FailureKind::ResetAfterStore);
    let err = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &clock_in("2024-06-03T09:00:00"))
        .await
        .unwrap_err();
    assert!(
        err.outcome_unknown() && !err.certainly_not_applied(),
        "{err:?}"
    );
    assert_eq!(f.sim.punches(COMPANY).len(), 1);
    let entry = f.sim.request_log()[0].clone();
    assert_eq!(
        (entry.status, entry.fault),
        (None, Some(FailureKind::ResetAfterStore))
    );
}

#[tokio::test]
async fn an_answer_slower_than_the_client_timeout_is_unknown_and_the_punch_is_stored() {
    let f = fixture().await;
    let client = impatient(&f, Duration::from_secs(1));
    f.sim.fail_next(1, FailureKind::SlowAfterStore);
    let err = client
        .post_timerecord(&f.token, &f.ichiko, &clock_in("2024-06-03T09:00:00"))
        .await
        .unwrap_err();
    assert!(reason(&err).contains("timeout"), "{err}");
    assert_eq!(f.sim.punches(COMPANY).len(), 1);
    assert_eq!(
        f.sim.request_log()[0].status,
        Some(201),
        "the answer existed, it came too late"
    );
}

#[tokio::test]
async fn an_outage_fails_every_call_stores_nothing_and_ends_when_cleared() {
    let f = fixture().await;
    f.sim
        .start_outage(Duration::from_secs(600), FailureKind::Gateway503Html)
        .unwrap();
    let err = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &clock_in("2024-06-03T09:00:00"))
        .await
        .unwrap_err();
    assert!(reason(&err).contains("HTTP 503"), "{err}");
    for read in [
        f.client.list_divisions(&f.token).await.map(drop),
        f.client.check_token(&f.token).await.map(drop),
        f.client
            .read_day(&f.token, &f.ichiko, day("2024-06-03"))
            .await
            .map(drop),
    ] {
        assert!(
            matches!(read, Err(KotError::ServerError { status: 503, .. })),
            "{read:?}"
        );
    }
    assert!(f.sim.punches(COMPANY).is_empty());
    assert_eq!(f.sim.fault_stats()[&FailureKind::Gateway503Html], 4);
    f.sim.clear_faults();
    f.client
        .post_timerecord(&f.token, &f.ichiko, &clock_in("2024-06-03T09:00:00"))
        .await
        .unwrap();
    assert!(
        f.sim
            .start_outage(Duration::from_secs(1), FailureKind::SlowAfterStore)
            .is_err(),
        "an outage stores nothing"
    );
}

#[tokio::test]
async fn reads_under_gateway_faults_are_server_errors_to_repeat() {
    let f = fixture().await;
    f.sim.fail_next(1, FailureKind::Gateway504Html);
    f.sim.fail_next(1, FailureKind::Status502Html);
    let read = f
        .client
        .read_day(&f.token, &f.ichiko, day("2024-06-03"))
        .await;
    assert!(
        matches!(read, Err(KotError::ServerError { status: 504, .. })),
        "{read:?}"
    );
    let summaries = f
        .client
        .daily_workings(&f.token, None, day("2024-06-03"), day("2024-06-03"))
        .await;
    assert!(
        matches!(summaries, Err(KotError::ServerError { status: 502, .. })),
        "{summaries:?}"
    );
}

/// Sends `count` distinct clock-ins one after the other and returns each answer.
async fn punch_run(f: &Fixture, client: &KotClient, count: i64) -> Vec<Result<(), KotError>> {
    let mut results = Vec::new();
    for i in 0..count {
        let mut request = clock_in("2024-06-03T09:00:00");
        request.time += TimeDelta::seconds(i);
        let result = client.post_timerecord(&f.token, &f.ichiko, &request).await;
        results.push(result.map(drop));
    }
    results
}

fn heavy_profile(seed: u64) -> FaultProfile {
    FaultProfile {
        seed,
        punch_post: PunchPostFaults {
            status500_code300: Some(0.1),
            gateway502_before_store: Some(0.05),
            gateway503_before_store: Some(0.05),
            gateway504_before_store: Some(0.05),
            gateway504_after_store: Some(0.1),
            reset_after_store: Some(0.1),
            slow_after_store: Some(0.03),
        },
        slow_after_store_ms: Some(1500),
        ..FaultProfile::default()
    }
}

#[tokio::test]
async fn under_a_seeded_profile_no_stored_punch_ever_looks_refused() {
    let f = fixture().await;
    let client = impatient(&f, Duration::from_millis(500));
    f.sim.set_fault_profile(heavy_profile(42)).unwrap();
    let results = punch_run(&f, &client, 120).await;
    let stored = f.sim.punches(COMPANY);
    let log: Vec<_> = f.sim.request_log();
    for (i, result) in results.iter().enumerate() {
        let expected_time = jst("2024-06-03T09:00:00") + TimeDelta::seconds(i as i64);
        let copies = stored.iter().filter(|p| p.time == expected_time).count();
        let fault = log[i].fault;
        match result {
            Ok(()) => assert_eq!((copies, fault), (1, None), "punch {i}"),
            Err(error) => {
                assert!(error.outcome_unknown(), "punch {i}: {error:?}");
                let after_store = fault.is_some_and(FailureKind::is_after_store);
                assert_eq!(copies, usize::from(after_store), "punch {i}: {fault:?}");
            }
        }
    }
    let stats = f.sim.fault_stats();
    let after_store: u64 = [
        FailureKind::Gateway504AfterStore,
        FailureKind::ResetAfterStore,
        FailureKind::SlowAfterStore,
    ]
    .iter()
    .map(|kind| stats[kind])
    .sum();
    let injected: u64 = stats.values().sum();
    let unknown = results.iter().filter(|r| r.is_err()).count() as u64;
    assert_eq!(unknown, injected, "every injected fault is outcome unknown");
    assert!(after_store > 0 && injected > after_store, "{stats:?}");
    assert_eq!(
        stored.len() as u64,
        results.iter().filter(|r| r.is_ok()).count() as u64 + after_store
    );

    // The same seed on a fresh simulator injects the same faults into the same punches.
    let again = fixture().await;
    let client = impatient(&again, Duration::from_millis(500));
    again.sim.set_fault_profile(heavy_profile(42)).unwrap();
    punch_run(&again, &client, 120).await;
    let faults = |log: &[kot_sim::RequestLogEntry]| log.iter().map(|e| e.fault).collect::<Vec<_>>();
    assert_eq!(faults(&log), faults(&again.sim.request_log()));
}
