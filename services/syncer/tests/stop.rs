//! Stop means stop, and a punch never lands on the wrong person (manual: 連携を停止する,
//! 対象ユーザーの指定): who is synced is decided when sending, from settings' current state, and
//! a link is used only while the user code it was matched on is the user's code now.

mod common;

use std::time::Duration;

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::{PunchState, RunSyncRequest, SyncOutcome};
use kintai_testkit::{both_engines, jst};

const C: &str = "acme";

both_engines!(
    a_user_switched_off_at_noon_gets_nothing_more_sent,
    |db: Db| async move {
        let h = harness(db, jst("2024-06-20T09:30:00")).await;
        h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        h.record(C, vec![clock_in("morning", "u1", "2024-06-20T09:00:00")])
            .await;
        assert_eq!(h.sync(C).await.results[0].sent, 1);

        // Noon: the admin switches KING OF TIME連携 off. No match runs in between.
        h.set_now(jst("2024-06-20T12:00:00"));
        h.settings.set_flag(C, "u1", false);
        h.set_now(jst("2024-06-20T12:05:00"));
        h.record(C, vec![clock_out("after", "u1", "2024-06-20T12:01:00")])
            .await;
        let run = h.sync(C).await;
        assert_eq!((run.results[0].sent, run.results[0].held), (0, 1));
        let held = h.punch(C, "after").await;
        assert_eq!(held.state(), PunchState::Held);
        assert!(held.reason.contains("無効"), "{held:?}");
        // What was sent stays.
        assert_eq!(h.kot(C).len(), 1);
        assert_eq!(h.kot(C)[0].0, key);

        // On again the same day: the held punch goes.
        h.settings.set_flag(C, "u1", true);
        let again = h.sync(C).await;
        assert_eq!(again.results[0].sent, 1);
        assert_eq!(h.kot(C).len(), 2);
    }
);

both_engines!(
    swapped_codes_never_reach_the_other_employee,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let ichiko = h.employee(C, "u1", "U000123", true);
        let shinsuke = h.employee(C, "u2", "U000124", true);
        h.record(
            C,
            vec![
                clock_in("u1-a", "u1", "2024-06-20T08:00:00"),
                clock_in("u2-a", "u2", "2024-06-20T08:01:00"),
            ],
        )
        .await;
        assert_eq!(h.sync(C).await.results[0].sent, 2);

        // The codes were the wrong way round: the admin swaps them. The matcher has not run.
        h.settings.set_code(C, "u1", "U000124");
        h.settings.set_code(C, "u2", "U000123");
        h.record(
            C,
            vec![
                clock_out("u1-b", "u1", "2024-06-20T11:00:00"),
                clock_out("u2-b", "u2", "2024-06-20T11:01:00"),
            ],
        )
        .await;
        let run = h.sync(C).await;
        assert_eq!((run.results[0].sent, run.results[0].held), (0, 2));
        let held = h.punch(C, "u1-b").await;
        assert!(
            held.reason.contains("ユーザーコードが変更されました"),
            "{held:?}"
        );
        assert_eq!(h.kot(C).len(), 2, "nothing posted on the old links");

        // The re-match links each user to the employee of their new code: both go there.
        h.links.link(C, "u1", &shinsuke, "U000124");
        h.links.link(C, "u2", &ichiko, "U000123");
        let rematched = h.sync(C).await;
        assert_eq!(rematched.results[0].sent, 2);
        let out = |key: &str| {
            h.kot(C)
                .into_iter()
                .filter(|p| p.0 == key && p.3 == "2")
                .map(|p| p.2)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            out(&shinsuke),
            ["2024-06-20T11:00:00+09:00"],
            "u1's clock-out"
        );
        assert_eq!(
            out(&ichiko),
            ["2024-06-20T11:01:00+09:00"],
            "u2's clock-out"
        );
    }
);

both_engines!(
    a_company_switched_off_a_token_deleted_or_a_user_deleted_posts_nothing_more,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        for (company, stop) in [("off", 0), ("notoken", 1), ("deleted", 2)] {
            h.company(company);
            h.employee(company, "u1", "U000123", true);
            h.record(company, vec![clock_in("a", "u1", "2024-06-20T08:00:00")])
                .await;
            assert_eq!(h.sync(company).await.results[0].sent, 1);
            match stop {
                0 => h.settings.set_enabled(company, false),
                1 => h.settings.delete_token(company),
                _ => h.settings.delete_user(company, "u1"),
            }
            h.record(company, vec![clock_out("b", "u1", "2024-06-20T11:00:00")])
                .await;
            let run = h.sync(company).await;
            assert_eq!(run.results[0].sent, 0, "{company}: {run:?}");
            assert_eq!(h.kot(company).len(), 1, "{company}");
            assert_eq!(h.punch(company, "b").await.state(), PunchState::Held);
        }
        let deleted = h.punch("deleted", "b").await;
        assert!(deleted.reason.contains("削除済み"), "{deleted:?}");
    }
);

both_engines!(
    no_post_starts_after_a_switch_off_committed_during_the_run,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        let punches = (0..100)
            .map(|i| {
                clock_in(
                    &format!("p{i:03}"),
                    "u1",
                    &format!("2024-06-{:02}T08:{:02}:00", 1 + i / 60, i % 60),
                )
            })
            .collect();
        h.record(C, punches).await;
        h.sim.sim.set_latency(Duration::from_millis(20));
        let run = {
            let mut api = h.api();
            tokio::spawn(async move {
                api.run_sync(RunSyncRequest {
                    company_id: C.into(),
                    dry_run: false,
                })
                .await
            })
        };
        while h.kot(C).len() < 10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        h.settings.set_flag(C, "u1", false);
        // Committed: at most the POST already out (one employee posts one at a time) may land.
        let at_switch_off = h.kot(C).len();
        let report = run.await.unwrap().unwrap().into_inner();
        let stored = h.kot(C).len();
        assert!(
            stored <= at_switch_off + 1,
            "{stored} stored, {at_switch_off} when switched off"
        );
        assert!(stored < 100);
        assert_ne!(report.results[0].outcome(), SyncOutcome::Failed);
        let punches = h.punches(C).await;
        let sent = punches
            .iter()
            .filter(|p| p.state() == PunchState::Sent)
            .count();
        assert_eq!(sent, stored, "the ledger agrees with KING OF TIME");
        assert!(
            punches
                .iter()
                .filter(|p| p.state() != PunchState::Sent)
                .all(|p| p.state() == PunchState::Held),
            "the rest is held"
        );
        let next = h.sync(C).await;
        assert_eq!(next.results[0].outcome(), SyncOutcome::Completed);
        assert_eq!(h.kot(C).len(), stored);
    }
);
