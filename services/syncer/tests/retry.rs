//! RetryPunches: an operator sends FAILED punches again, and a punch KING OF TIME may already
//! hold is read back before any POST, so a retry never duplicates a punch.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::{PunchState, RetryOutcome, RetryPunchesRequest};
use kintai_testkit::{both_engines, day, jst};
use tonic::Code;

const C: &str = "acme";

async fn retry(
    h: &Harness,
    request: RetryPunchesRequest,
) -> Result<kintai_proto::syncer::v1::RetryPunchesResponse, tonic::Status> {
    h.api()
        .retry_punches(request)
        .await
        .map(|answer| answer.into_inner())
}

fn by(ids: &[&str]) -> RetryPunchesRequest {
    RetryPunchesRequest {
        company_id: C.into(),
        punch_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        requested_by: "ops@acme.example".into(),
        ..RetryPunchesRequest::default()
    }
}

/// Two punches refused by KING OF TIME (the employee was unknown there), then the employee
/// fixed: the link now points at a real employee.
async fn two_failed(h: &Harness) -> String {
    h.company(C);
    h.linked_to_unknown_employee(C, "u1");
    h.record(
        C,
        vec![
            clock_in("a", "u1", "2024-06-03T08:00:00"),
            clock_out("b", "u1", "2024-06-03T18:00:00"),
        ],
    )
    .await;
    let run = h.sync(C).await;
    assert_eq!(run.results[0].failed, 2, "{run:?}");
    h.employee(C, "u1", "U000123", true)
}

both_engines!(requeues_only_the_named_punches, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    let key = two_failed(&h).await;
    h.record(C, vec![clock_in("c", "u1", "2024-06-04T08:00:00")])
        .await;
    let answer = retry(&h, by(&["a", "c", "nope"])).await.unwrap();
    let outcomes: Vec<(String, RetryOutcome)> = answer
        .results
        .iter()
        .map(|r| (r.punch_id.clone(), r.outcome()))
        .collect();
    assert_eq!(answer.requeued, 1);
    assert_eq!(
        outcomes,
        [
            ("a".to_owned(), RetryOutcome::Requeued),
            ("c".to_owned(), RetryOutcome::NotFailed),
            ("nope".to_owned(), RetryOutcome::NotFound),
        ]
    );
    let requeued = h.punch(C, "a").await;
    assert_eq!(requeued.retry_requested_by, "ops@acme.example");
    assert!(requeued.retry_requested_at.is_some());
    assert!(
        requeued
            .reason
            .contains("先にKING OF TIMEの勤務日を読み戻し"),
        "{requeued:?}"
    );

    let run = h.sync(C).await;
    // "a" (read back, missing, posted to the fixed employee) and "c" go; "b" stays failed.
    assert_eq!(run.results[0].sent, 2, "{run:?}");
    assert_eq!(h.punch(C, "b").await.state(), PunchState::Failed);
    let stored: Vec<_> = h.kot(C).into_iter().map(|p| p.0).collect();
    assert_eq!(stored, [key.clone(), key]);
});

both_engines!(an_id_named_twice_is_one_punch, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    two_failed(&h).await;
    let answer = retry(&h, by(&["a", "a", "nope", "a", "nope"]))
        .await
        .unwrap();
    let outcomes: Vec<(String, RetryOutcome)> = answer
        .results
        .iter()
        .map(|r| (r.punch_id.clone(), r.outcome()))
        .collect();
    // One punch changed: one answer for it, counted once; the unknown id answered once too.
    assert_eq!(answer.requeued, 1, "{answer:?}");
    assert_eq!(
        outcomes,
        [
            ("a".to_owned(), RetryOutcome::Requeued),
            ("nope".to_owned(), RetryOutcome::NotFound),
        ]
    );
    assert_eq!(h.punch(C, "b").await.state(), PunchState::Failed);
});

both_engines!(
    a_range_requeues_every_failed_punch_of_it,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        two_failed(&h).await;
        let answer = retry(
            &h,
            RetryPunchesRequest {
                company_id: C.into(),
                from_date: "2024-06-03".into(),
                to_date: "2024-06-03".into(),
                requested_by: "ops".into(),
                ..RetryPunchesRequest::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(answer.requeued, 2);
        let run = h.sync(C).await;
        assert_eq!((run.results[0].sent, run.results[0].failed), (2, 0));
        assert_eq!(h.kot(C).len(), 2);
    }
);

both_engines!(
    a_retried_punch_kot_already_holds_is_not_posted_again,
    |db: Db| async move {
        let h = harness(db.clone(), jst(NOW)).await;
        let token = h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        h.record(C, vec![clock_in("a", "u1", "2024-06-03T08:00:00")])
            .await;
        // KING OF TIME holds it, though our ledger recorded a refusal (what an operator would
        // retry after fixing "the problem").
        let request = kot_client::TimeRecordRequest {
            date: day("2024-06-03"),
            time: jst("2024-06-03T08:00:00").with_timezone(&kot_client::jst()),
            code: kot_client::PunchCode::ClockIn,
            division_code: None,
            latitude: None,
            longitude: None,
        };
        h.client
            .post_timerecord(&kot_client::Token::new(token), &key, &request)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE punches SET state = 'failed', attempts = 1, employee_key = $1, working_day = '2024-06-03', reason = 'refused' WHERE punch_id = 'a'",
        )
        .bind(&key)
        .execute(db.pool())
        .await
        .unwrap();
        assert_eq!(retry(&h, by(&["a"])).await.unwrap().requeued, 1);
        assert_eq!(h.punch(C, "a").await.state(), PunchState::InFlight);
        h.sim.sim.clear_request_log();
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 1);
        assert_eq!(h.kot(C).len(), 1, "not posted twice");
        assert!(h.sim.sim.request_log().iter().all(|r| r.method == "GET"));
        let sent = h.punch(C, "a").await;
        assert_eq!((sent.state(), sent.attempts), (PunchState::Sent, 1));
    }
);

both_engines!(bad_requests_name_the_field, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    for (request, field) in [
        (
            RetryPunchesRequest {
                company_id: C.into(),
                requested_by: "ops".into(),
                ..RetryPunchesRequest::default()
            },
            "punch_ids",
        ),
        (
            RetryPunchesRequest {
                requested_by: String::new(),
                ..by(&["a"])
            },
            "requested_by",
        ),
        (
            RetryPunchesRequest {
                from_date: "2024-06-01".into(),
                ..by(&["a"])
            },
            "from_date",
        ),
        (
            RetryPunchesRequest {
                company_id: C.into(),
                from_date: "2024-06-05".into(),
                to_date: "2024-06-01".into(),
                requested_by: "ops".into(),
                ..RetryPunchesRequest::default()
            },
            "to_date",
        ),
    ] {
        let status = retry(&h, request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains(field), "{field}: {status:?}");
    }
    let many: Vec<String> = (0..1001).map(|i| format!("p{i}")).collect();
    let status = retry(
        &h,
        RetryPunchesRequest {
            punch_ids: many,
            ..by(&[])
        },
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
});
