//! Exactly once under what KING OF TIME and the network answer, on both engines: resets, gateway
//! pages and timeouts after storing, outages, refusals, 303s, a rejected token. Every assertion
//! reads the simulator's stored punches: a duplicate in KING OF TIME is what must never happen.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::{PunchState, SyncOutcome};
use kintai_testkit::{both_engines, jst};
use kot_client::Token;
use kot_sim::FailureKind;

const C: &str = "acme";

/// The day after the punches' (common::day_punches): their day needs no closing reading before
/// it is posted (crate::preflight reads only days before yesterday), so every fault injected
/// here meets a POST or a read-back, as each test means it to.
const NOW: &str = "2024-06-04T12:00:00";

both_engines!(
    a_reset_after_kot_stored_the_punch_is_not_resent,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 3)).await;
        h.sim.sim.drop_connection_after_next_punch(1);
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 3, "{:?}", run.results[0]);
        assert_eq!(h.kot(C).len(), 3);
        assert_no_duplicates(&h, C);
        // Confirmed by reading the day back: posted once.
        let first = h.punch(C, "p0").await;
        assert_eq!((first.state(), first.attempts), (PunchState::Sent, 1));
    }
);

/// Every punch POST answered by `kind` (the simulator's fault profile, POSTs only).
fn every_post(h: &Harness, faults: kot_sim::PunchPostFaults) {
    h.sim
        .sim
        .set_fault_profile(kot_sim::FaultProfile {
            seed: 7,
            punch_post: faults,
            slow_after_store_ms: Some(2_500),
            ..kot_sim::FaultProfile::default()
        })
        .unwrap();
}

both_engines!(
    gateway_answers_after_storing_are_read_back_not_resent,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 3)).await;
        // KING OF TIME stores each punch, then a gateway answers 504 with its HTML page.
        every_post(
            &h,
            kot_sim::PunchPostFaults {
                gateway504_after_store: Some(1.0),
                ..Default::default()
            },
        );
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 3, "{run:?}");
        assert_eq!(h.kot(C).len(), 3);
        assert_no_duplicates(&h, C);
        let first = h.punch(C, "p0").await;
        assert_eq!((first.state(), first.attempts), (PunchState::Sent, 1));
    }
);

both_engines!(
    an_answer_slower_than_the_timeout_is_read_back_not_resent,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 1)).await;
        // Stored, then the answer comes after the client's 2-second timeout.
        every_post(
            &h,
            kot_sim::PunchPostFaults {
                slow_after_store: Some(1.0),
                ..Default::default()
            },
        );
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 1, "{run:?}");
        assert_eq!(h.kot(C).len(), 1);
        assert_eq!(h.punch(C, "p0").await.attempts, 1);
    }
);

both_engines!(
    gateway_pages_before_storing_are_read_back_then_posted_again,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 1)).await;
        h.sim.sim.fail_next(1, FailureKind::Gateway503Html);
        let runs = h.settle(C, 5).await;
        assert!(runs.iter().all(|r| r.results[0].failed == 0), "{runs:?}");
        assert_eq!(h.kot(C).len(), 1);
        let sent = h.punch(C, "p0").await;
        assert_eq!((sent.state(), sent.attempts), (PunchState::Sent, 2));
        assert!(sent.last_error.contains("503"), "{sent:?}");
    }
);

both_engines!(
    server_errors_are_retried_and_sent_once,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 2)).await;
        h.sim.sim.fail_next(1, FailureKind::Status500Code300);
        h.sim.sim.fail_next(1, FailureKind::Status502Html);
        let runs = h.settle(C, 5).await;
        let sent: u32 = runs.iter().map(|r| r.results[0].sent).sum();
        let failed: u32 = runs.iter().map(|r| r.results[0].failed).sum();
        assert_eq!((sent, failed), (2, 0), "{runs:?}");
        assert_eq!(h.kot(C).len(), 2);
        assert_no_duplicates(&h, C);
    }
);

both_engines!(an_outage_never_fails_a_punch, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    h.company(C);
    h.employee(C, "u1", "U000123", true);
    h.record(C, day_punches("p", "u1", 2)).await;
    // More consecutive failures than one run retries by itself.
    h.sim.sim.fail_next(40, FailureKind::Status500Code300);
    let run = h.sync(C).await;
    assert_eq!((run.results[0].sent, run.results[0].failed), (0, 0));
    let waiting = h.punch(C, "p0").await;
    assert!(
        matches!(waiting.state(), PunchState::Pending | PunchState::InFlight),
        "{waiting:?}"
    );
    assert!(waiting.next_attempt_at.is_some(), "{waiting:?}");
    assert!(
        waiting.last_error.contains("500")
            && (waiting.reason.contains("次回の送信")
                || waiting.reason.contains("再び読み戻します")),
        "{waiting:?}"
    );
    // The next run does not try before the retry time.
    let early = h.sync(C).await;
    assert_eq!(early.results[0].sent, 0);
    assert!(h.kot(C).is_empty());

    h.sim.sim.clear_faults();
    let runs = h.settle(C, 10).await;
    assert!(runs.iter().all(|r| r.results[0].failed == 0), "{runs:?}");
    assert_eq!(h.kot(C).len(), 2);
    assert_no_duplicates(&h, C);
    let sent = h.punch(C, "p0").await;
    assert_eq!(sent.state(), PunchState::Sent);
    assert!(sent.next_attempt_at.is_none());
});

both_engines!(
    a_refusal_by_kot_fails_the_punch_with_its_message,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        // Linked to an employee KING OF TIME does not know (deleted there since the match).
        h.linked_to_unknown_employee(C, "u1");
        h.record(C, day_punches("p", "u1", 1)).await;
        let run = h.sync(C).await;
        assert_eq!((run.results[0].sent, run.results[0].failed), (0, 1));
        let failed = h.punch(C, "p0").await;
        assert_eq!(failed.state(), PunchState::Failed);
        assert!(failed.reason.contains("unknown employee key"), "{failed:?}");
        assert_eq!(failed.attempts, 1, "a refusal is not retried");
        assert!(h.kot(C).is_empty());
    }
);

both_engines!(
    rate_limited_answers_back_off_and_send_once,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 2)).await;
        h.sim.sim.fail_next(1, FailureKind::RateLimited);
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 2);
        assert_eq!(h.kot(C).len(), 2);
    }
);

both_engines!(
    a_rejected_token_stops_the_company_and_is_reported,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        let token = h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 2)).await;
        h.sim.sim.suspend_token(&token).unwrap();
        let run = h.sync(C).await;
        assert_eq!(run.results[0].outcome(), SyncOutcome::TokenRejected);
        let reports = h.settings.reports();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].1, Token::new(token).fingerprint());
        assert!(h.kot(C).is_empty());
        let held = h.punch(C, "p1").await;
        assert_eq!(held.state(), PunchState::Held);
        // Settings now refuses the credentials: the next run skips the company.
        assert_eq!(h.sync(C).await.results[0].outcome(), SyncOutcome::Skipped);
    }
);
