//! Pre-flight: KING OF TIME stores a punch even into a day it has closed (締め), so a late punch
//! for a closed day is held with a reason an administrator can act on and never posted, unless
//! an operator sends it into that day on purpose with RetryPunches' `closed_day`.

mod common;

use chrono::TimeDelta;
use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::{PunchState, RetryOutcome, RetryPunchesRequest};
use kintai_testkit::{both_engines, day, jst};
use tonic::Code;

const C: &str = "acme";

/// POSTs of punches the simulator answered.
fn posts(h: &Harness) -> usize {
    h.sim
        .sim
        .request_log()
        .iter()
        .filter(|entry| entry.method == "POST")
        .count()
}

fn send_into(ids: &[&str], closed_day: &str) -> RetryPunchesRequest {
    RetryPunchesRequest {
        company_id: C.into(),
        punch_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        requested_by: "ops@acme.example".into(),
        closed_day: closed_day.into(),
        ..RetryPunchesRequest::default()
    }
}

both_engines!(
    a_late_punch_for_a_closed_day_is_held_and_sent_only_into_it_on_request,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        h.sim
            .sim
            .set_day_closed(&key, day("2024-06-10"), true)
            .unwrap();
        h.record(
            C,
            vec![
                clock_in("a", "u1", "2024-06-10T09:00:00"),
                clock_out("b", "u1", "2024-06-10T18:00:00"),
                // An open day as late: sent as usual.
                clock_in("c", "u1", "2024-06-11T09:00:00"),
            ],
        )
        .await;
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 1, "{run:?}");
        for id in ["a", "b"] {
            let held = h.punch(C, id).await;
            assert_eq!(held.state(), PunchState::Held, "{held:?}");
            assert!(held.reason.contains("2024-06-10は締め済み"), "{held:?}");
            assert!(held.reason.contains("closed_day"), "{held:?}");
        }
        assert_eq!(posts(&h), 1, "nothing is posted into the closed day");

        // Runs go on: the punches stay held, still never posted.
        h.set_now(jst(NOW) + TimeDelta::hours(2));
        h.sync(C).await;
        assert_eq!(h.punch(C, "a").await.state(), PunchState::Held);
        assert_eq!(posts(&h), 1);

        // Without the flag RetryPunches leaves held punches alone; with the wrong day too.
        let plain = h
            .api()
            .retry_punches(send_into(&["a"], ""))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(plain.results[0].outcome(), RetryOutcome::NotFailed);
        let other_day = h
            .api()
            .retry_punches(send_into(&["a"], "2024-06-11"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(other_day.results[0].outcome(), RetryOutcome::NotFailed);

        let answer = h
            .api()
            .retry_punches(send_into(&["a", "b"], "2024-06-10"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.requeued, 2, "{answer:?}");
        h.settle(C, 3).await;
        for id in ["a", "b"] {
            let sent = h.punch(C, id).await;
            assert_eq!(sent.state(), PunchState::Sent, "{sent:?}");
            assert_eq!(sent.closed_day_override, "2024-06-10");
            assert_eq!(sent.retry_requested_by, "ops@acme.example");
        }
        h.sync(C).await;
        assert_eq!(h.kot(C).len(), 3, "{:?}", h.kot(C));
        assert_no_duplicates(&h, C);
    }
);

both_engines!(
    a_close_done_after_a_reading_is_seen_within_the_hour,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        h.record(C, vec![clock_in("a", "u1", "2024-06-10T09:00:00")])
            .await;
        h.sync(C).await;
        assert_eq!(h.punch(C, "a").await.state(), PunchState::Sent);

        // The administrator closes the day; the afternoon's late 退勤 comes an hour later.
        h.sim
            .sim
            .set_day_closed(&key, day("2024-06-10"), true)
            .unwrap();
        h.set_now(jst(NOW) + TimeDelta::minutes(61));
        h.record(C, vec![clock_out("b", "u1", "2024-06-10T18:00:00")])
            .await;
        h.sync(C).await;
        let late = h.punch(C, "b").await;
        assert_eq!(late.state(), PunchState::Held, "{late:?}");
        assert_eq!(h.kot(C).len(), 1);

        // Reopened there: the next reading lets it through.
        h.sim
            .sim
            .set_day_closed(&key, day("2024-06-10"), false)
            .unwrap();
        h.set_now(jst(NOW) + TimeDelta::minutes(123));
        h.sync(C).await;
        assert_eq!(h.punch(C, "b").await.state(), PunchState::Sent);
        assert_eq!(h.kot(C).len(), 2);
    }
);

both_engines!(
    a_day_unreadable_in_the_restricted_hours_waits_and_goes_after,
    |db: Db| async move {
        // 09:00 JST: KING OF TIME answers no read until 10:00, and the syncer keeps its margin.
        let morning = jst("2024-06-20T09:00:00");
        let h = harness(db, morning).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(
            C,
            vec![
                clock_in("old", "u1", "2024-06-10T09:00:00"),
                // Today's punch needs no reading: posted in the window, as KING OF TIME allows.
                clock_in("today", "u1", "2024-06-20T08:55:00"),
            ],
        )
        .await;
        h.sync(C).await;
        let waiting = h.punch(C, "old").await;
        assert_eq!(waiting.state(), PunchState::Pending, "{waiting:?}");
        assert!(waiting.reason.contains("締め済みかどうか"), "{waiting:?}");
        assert!(waiting.next_attempt_at.is_some(), "{waiting:?}");
        assert_eq!(h.punch(C, "today").await.state(), PunchState::Sent);
        assert_eq!(h.kot(C).len(), 1);

        h.set_now(jst("2024-06-20T10:05:00"));
        h.sync(C).await;
        assert_eq!(h.punch(C, "old").await.state(), PunchState::Sent);
        assert_eq!(h.kot(C).len(), 2);
    }
);

both_engines!(retry_names_a_bad_closed_day, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    let error = h
        .api()
        .retry_punches(send_into(&["a"], "2024/06/10"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(error.message().contains("closed_day"), "{error:?}");
});

both_engines!(
    a_punch_outside_employment_is_held_until_the_dates_fit,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.links
            .set_employment(C, "u1", Some(day("2024-06-12")), Some(day("2024-06-18")));
        h.record(
            C,
            vec![
                clock_in("before", "u1", "2024-06-11T09:00:00"),
                clock_in("first", "u1", "2024-06-12T09:00:00"),
                // The resignation day is still a working day.
                clock_in("last", "u1", "2024-06-18T09:00:00"),
                clock_in("after", "u1", "2024-06-19T09:00:00"),
            ],
        )
        .await;
        h.sync(C).await;
        let before = h.punch(C, "before").await;
        assert_eq!(before.state(), PunchState::Held, "{before:?}");
        assert!(before.reason.contains("入社日（2024-06-12）"), "{before:?}");
        let after = h.punch(C, "after").await;
        assert_eq!(after.state(), PunchState::Held, "{after:?}");
        assert!(after.reason.contains("退職日（2024-06-18）"), "{after:?}");
        for id in ["first", "last"] {
            assert_eq!(h.punch(C, id).await.state(), PunchState::Sent, "{id}");
        }
        assert_eq!(h.kot(C).len(), 2);

        // The dates fixed in KING OF TIME and read by the next match: sent.
        h.links
            .set_employment(C, "u1", Some(day("2024-06-01")), None);
        h.sync(C).await;
        for id in ["before", "after"] {
            assert_eq!(h.punch(C, id).await.state(), PunchState::Sent, "{id}");
        }
        assert_eq!(h.kot(C).len(), 4);
        assert_no_duplicates(&h, C);
    }
);

/// The `GET /daily-workings` queries the simulator answered.
fn summary_reads(h: &Harness) -> Vec<String> {
    h.sim
        .sim
        .request_log()
        .into_iter()
        .filter(|entry| entry.method == "GET" && entry.path.ends_with("/daily-workings"))
        .map(|entry| entry.query.unwrap_or_default())
        .collect()
}

both_engines!(
    the_closing_is_read_for_the_employees_division_only,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.sim
            .sim
            .add_division(C, "200", "支店", chrono::NaiveTime::MIN)
            .unwrap();
        h.employee(C, "u1", "U000123", true);
        h.links.set_division(C, "u1", "100");
        h.record(C, vec![clock_in("a", "u1", "2024-06-10T09:00:00")])
            .await;
        h.sync(C).await;
        assert_eq!(h.punch(C, "a").await.state(), PunchState::Sent);
        let reads = summary_reads(&h);
        assert!(
            !reads.is_empty()
                && reads
                    .iter()
                    .all(|q| q.contains("division=100") && q.contains("ondivision=true")),
            "{reads:?}"
        );

        // A division the employee is not in answers no row of theirs: the company is read.
        h.links.set_division(C, "u1", "200");
        h.set_now(jst(NOW) + TimeDelta::hours(2));
        h.record(C, vec![clock_out("b", "u1", "2024-06-10T18:00:00")])
            .await;
        let before = summary_reads(&h).len();
        h.sync(C).await;
        assert_eq!(h.punch(C, "b").await.state(), PunchState::Sent);
        let reads = summary_reads(&h);
        assert!(
            reads[before..].iter().any(|q| !q.contains("division=")),
            "{:?}",
            &reads[before..]
        );
    }
);
