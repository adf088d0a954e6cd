//! Every punch has a true state, and runs end cleanly: punches that will never be sent say so,
//! a run outlives a caller that gives up, and a shutdown lets the POSTs out finish and frees the
//! company at once.

mod common;

use std::time::{Duration, Instant};

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::{PunchState, RunSyncRequest, SyncOutcome};
use kintai_testkit::{both_engines, jst};

const C: &str = "acme";

both_engines!(
    punches_older_than_the_previous_month_expire_at_once,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        let answer = h
            .record(
                C,
                vec![
                    clock_in("april", "u1", "2024-04-30T09:00:00"),
                    clock_in("may", "u1", "2024-05-02T09:00:00"),
                ],
            )
            .await;
        assert_eq!(answer.accepted, 2);
        let april = h.punch(C, "april").await;
        assert_eq!(april.state(), PunchState::Expired);
        assert!(april.reason.contains("2024-05-01"), "{april:?}");
        assert_eq!(h.punch(C, "may").await.state(), PunchState::Held);
        h.sync(C).await;
        assert_eq!(h.punch(C, "april").await.state(), PunchState::Expired);
        assert!(h.kot(C).iter().all(|p| p.1 != "2024-04-30"));
    }
);

both_engines!(
    a_held_punch_expires_when_its_month_leaves_the_window,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        // Not linked: held all through June.
        h.settings.set_user(C, "u1", "U000123", true);
        h.links.unlink(C, "u1", "no employee", false);
        h.record(C, vec![clock_in("june", "u1", "2024-06-03T09:00:00")])
            .await;
        h.sync(C).await;
        assert_eq!(h.punch(C, "june").await.state(), PunchState::Held);
        h.set_now(jst("2024-08-01T12:00:00"));
        h.sync(C).await;
        let expired = h.punch(C, "june").await;
        assert_eq!(expired.state(), PunchState::Expired);
        assert!(expired.reason.contains("2024-07-01"), "{expired:?}");
    }
);

/// 300 punches of 3 users, KING OF TIME answering each POST after 5 ms.
async fn busy_company(h: &Harness) {
    h.company(C);
    let mut punches = Vec::new();
    for user in ["u1", "u2", "u3"] {
        h.employee(C, user, &format!("E{user}"), true);
        for i in 0..100 {
            punches.push(clock_in(
                &format!("{user}-{i}"),
                user,
                &format!("2024-06-{:02}T08:{:02}:00", 1 + i / 60, i % 60),
            ));
        }
    }
    h.record(C, punches).await;
    h.sim.sim.set_latency(Duration::from_millis(5));
}

/// Waits until no punch is open and the run has ended: after its last POST a run still checks
/// the days it sent to (issue 18) under the company's lease, and gives the lease back at its end.
async fn wait_settled(h: &Harness) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let open = h
            .punches(C)
            .await
            .into_iter()
            .filter(|p| matches!(p.state(), PunchState::Pending | PunchState::InFlight))
            .count();
        let leased: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM syncer_leases WHERE company_id = $1")
                .bind(C)
                .fetch_one(h.db.pool())
                .await
                .unwrap();
        if open == 0 && leased == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{open} punches still open, lease rows {leased}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both_engines!(
    a_caller_that_gives_up_does_not_abort_the_run,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        busy_company(&h).await;
        let mut api = h.api();
        let call = api.run_sync(RunSyncRequest {
            company_id: C.into(),
            dry_run: false,
        });
        // The caller's deadline: the call future is dropped mid-run, so the client resets the
        // stream and the server drops the handler, as at a real caller's deadline.
        assert!(
            tokio::time::timeout(Duration::from_millis(300), call)
                .await
                .is_err(),
            "the run must outlast the caller for this test"
        );
        assert!(h.kot(C).len() < 300, "still running");
        wait_settled(&h).await;
        assert_eq!(h.kot(C).len(), 300, "the run went on to the end");
        let next = h.sync(C).await;
        assert_eq!(
            next.results[0].outcome(),
            SyncOutcome::Completed,
            "not BUSY"
        );
        assert_eq!(next.results[0].sent, 0);
    }
);

both_engines!(
    a_shutdown_finishes_the_posts_out_and_frees_the_company,
    |db: Db| async move {
        let h = harness(db.clone(), jst(NOW)).await;
        busy_company(&h).await;
        // In-process: the assertion reads the reason's message id ("run-shutting-down"), which
        // RunSync only sends rendered as text in the caller's language.
        let run = {
            let syncer = h.syncer.clone();
            tokio::spawn(async move { syncer.run(Some(C), false).await })
        };
        while h.kot(C).len() < 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        h.syncer.shut_down();
        let report = run.await.unwrap().unwrap();
        assert!(h.syncer.drained(Duration::from_secs(5)).await);
        let result = &report.results[0];
        assert_eq!(
            result.outcome,
            kintai_syncer::SyncOutcome::Partial,
            "{result:?}"
        );
        assert_eq!(
            result.reason.as_ref().map(|text| text.id.as_str()),
            Some("run-shutting-down"),
            "{result:?}"
        );
        // Every POST that went out is recorded: nothing in flight, the ledger matches KING OF TIME.
        let punches = h.punches(C).await;
        assert!(punches.iter().all(|p| p.state() != PunchState::InFlight));
        let sent = punches
            .iter()
            .filter(|p| p.state() == PunchState::Sent)
            .count();
        assert_eq!(sent, h.kot(C).len());
        assert!(sent < 300);
        // The lease was given back: a new syncer ("after the restart") runs at once.
        let restarted = start_syncer(&db, &h.client, &h.settings, &h.links, &h.clock).await;
        let next = restarted.run(Some(C), false).await.unwrap();
        assert_eq!(
            next.results[0].outcome,
            kintai_syncer::SyncOutcome::Completed
        );
        assert_eq!(h.kot(C).len(), 300);
    }
);
