//! RunSync against the simulator on both engines: who is synced, translation as KING OF TIME
//! stores it, working days, dry runs. Assertions read the simulator's stored punches.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::{PunchState, SyncOutcome};
use kintai_testkit::{both_engines, jst};

const C: &str = "acme";

both_engines!(translation_table_as_kot_stores_it, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    h.company(C);
    let key = h.employee(C, "u1", "U000123", true);
    h.record(
        C,
        vec![
            clock_in("p1", "u1", "2024-06-03T08:00:00"),
            punch(
                "p2",
                "u1",
                StatusKind::Working,
                "休憩開始",
                "2024-06-03T12:00:00",
            ),
            punch(
                "p3",
                "u1",
                StatusKind::Working,
                "休憩終了",
                "2024-06-03T13:00:00",
            ),
            punch(
                "p4",
                "u1",
                StatusKind::Working,
                "作業開始",
                "2024-06-03T14:00:00",
            ),
            // A second 出勤 on the same day arrives too.
            clock_in("p5", "u1", "2024-06-03T15:00:00"),
            clock_out("p6", "u1", "2024-06-03T18:00:00"),
        ],
    )
    .await;
    let run = h.sync(C).await;
    let result = &run.results[0];
    assert_eq!(
        result.outcome(),
        SyncOutcome::Completed,
        "{}",
        result.reason
    );
    assert_eq!(
        (result.sent, result.not_synced, result.failed, result.held),
        (5, 1, 0, 0)
    );
    let d = "2024-06-03".to_owned();
    assert_eq!(
        h.kot(C),
        [
            (
                key.clone(),
                d.clone(),
                "2024-06-03T08:00:00+09:00".into(),
                "1".into()
            ),
            (
                key.clone(),
                d.clone(),
                "2024-06-03T12:00:00+09:00".into(),
                "3".into()
            ),
            (
                key.clone(),
                d.clone(),
                "2024-06-03T13:00:00+09:00".into(),
                "4".into()
            ),
            (
                key.clone(),
                d.clone(),
                "2024-06-03T15:00:00+09:00".into(),
                "1".into()
            ),
            (
                key.clone(),
                d.clone(),
                "2024-06-03T18:00:00+09:00".into(),
                "2".into()
            ),
        ]
    );
    // Coordinates go along.
    assert!(
        h.sim
            .sim
            .punches(C)
            .iter()
            .all(|p| p.latitude == Some(35.681236))
    );
    let p1 = h.punch(C, "p1").await;
    assert_eq!(p1.state(), PunchState::Sent);
    assert_eq!(p1.attempts, 1);
    assert_eq!(p1.working_day, "2024-06-03");
    assert!(p1.sent_at.is_some());
    assert_eq!(h.punch(C, "p4").await.state(), PunchState::NotSynced);

    // Nothing is sent twice by later runs.
    let again = h.sync(C).await;
    assert_eq!(again.results[0].sent, 0);
    assert_eq!(h.kot(C).len(), 5);
});

both_engines!(
    a_break_named_with_a_stray_space_is_a_break,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        let start = "休憩開始\u{3000}";
        let mut break_start = punch(
            "p2",
            "u1",
            StatusKind::Working,
            start,
            "2024-06-03T12:00:00",
        );
        break_start.status_id = "s3".into();
        let mut break_end = punch(
            "p3",
            "u1",
            StatusKind::Working,
            " 休憩終了",
            "2024-06-03T13:00:00",
        );
        break_end.status_id = "s4".into();
        let answer = h
            .record(
                C,
                vec![
                    clock_in("p1", "u1", "2024-06-03T08:00:00"),
                    break_start,
                    break_end,
                ],
            )
            .await;
        assert_eq!(answer.accepted, 3, "{answer:?}");
        let run = h.sync(C).await;
        assert_eq!((run.results[0].sent, run.results[0].not_synced), (3, 0));
        let codes: Vec<String> = h.kot(C).into_iter().map(|p| p.3).collect();
        assert_eq!(codes, ["1", "3", "4"]);
        // The punch keeps the name it was recorded with.
        assert_eq!(h.punch(C, "p2").await.status_name, start);
    }
);

both_engines!(mid_month_start_stop_and_restart, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    h.company(C);
    h.employee(C, "u1", "U000123", false);
    h.record(
        C,
        vec![
            clock_in("may", "u1", "2024-05-28T09:00:00"),
            clock_in("jun1", "u1", "2024-06-03T09:00:00"),
            clock_out("jun2", "u1", "2024-06-03T18:00:00"),
        ],
    )
    .await;
    // Flag off: held with the reason.
    let off = h.sync(C).await;
    assert_eq!((off.results[0].sent, off.results[0].held), (0, 3));
    let held = h.punch(C, "jun1").await;
    assert_eq!(held.state(), PunchState::Held);
    assert!(
        held.reason.contains("KING OF TIME連携は無効です"),
        "{}",
        held.reason
    );
    assert!(h.kot(C).is_empty());

    // Switched on mid-month: the month's earlier punches go, last month's do not.
    h.settings.set_flag(C, "u1", true);
    let on = h.sync(C).await;
    assert_eq!((on.results[0].sent, on.results[0].held), (2, 1));
    assert_eq!(h.kot(C).len(), 2);
    let may = h.punch(C, "may").await;
    assert_eq!(may.state(), PunchState::Held);
    assert!(may.reason.contains("2024年5月"), "{}", may.reason);

    // Stopped: nothing more is sent, what was sent stays.
    h.settings.set_flag(C, "u1", false);
    h.record(C, vec![clock_in("gap", "u1", "2024-06-10T09:00:00")])
        .await;
    let stopped = h.sync(C).await;
    assert_eq!(stopped.results[0].sent, 0);
    assert_eq!(h.kot(C).len(), 2);
    assert_eq!(h.punch(C, "jun1").await.state(), PunchState::Sent);

    // Re-enabled in the same month: the gap is sent.
    h.settings.set_flag(C, "u1", true);
    let again = h.sync(C).await;
    assert_eq!(again.results[0].sent, 1);
    assert_eq!(h.kot(C).len(), 3);
    assert_eq!(h.punch(C, "may").await.state(), PunchState::Held);
});

both_engines!(
    unlinked_users_and_disabled_companies_are_held,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.settings.set_user(C, "u2", "U999", true);
        h.links
            .unlink(C, "u2", "No KING OF TIME employee has the code U999", false);
        // u3 is in the directory but the matcher has not listed it yet.
        h.settings.set_user(C, "u3", "U000125", true);
        h.record(
            C,
            vec![
                clock_in("a", "u1", "2024-06-03T09:00:00"),
                clock_in("b", "u2", "2024-06-03T09:00:00"),
                clock_in("c", "u3", "2024-06-03T09:00:00"),
            ],
        )
        .await;
        h.settings.set_enabled(C, false);
        let skipped = h.sync(C).await;
        assert_eq!(skipped.results[0].outcome(), SyncOutcome::Skipped);
        assert!(skipped.results[0].reason.contains("無効"));
        assert!(h.kot(C).is_empty());
        assert!(
            h.punch(C, "a")
                .await
                .reason
                .contains("この会社は連携できません")
        );

        h.settings.set_enabled(C, true);
        let run = h.sync(C).await;
        assert_eq!((run.results[0].sent, run.results[0].held), (1, 2));
        assert!(h.punch(C, "b").await.reason.contains("U999"));
        assert!(h.punch(C, "c").await.reason.contains("アカウント同期"));
        assert_eq!(h.kot(C).len(), 1);
    }
);

both_engines!(night_shift_and_late_clock_out, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    h.company(C);
    let key = h.employee(C, "u1", "U000123", true);
    h.record(C, vec![clock_in("in", "u1", "2024-06-03T22:00:00")])
        .await;
    assert_eq!(h.sync(C).await.results[0].sent, 1);
    // さかのぼり退勤: the clock-out arrives after the sync, for 02:00 the next morning.
    h.record(
        C,
        vec![
            clock_out("out", "u1", "2024-06-04T02:00:00"),
            clock_in("next", "u1", "2024-06-04T22:00:00"),
        ],
    )
    .await;
    assert_eq!(h.sync(C).await.results[0].sent, 2);
    assert_eq!(
        h.kot(C),
        [
            (
                key.clone(),
                "2024-06-03".into(),
                "2024-06-03T22:00:00+09:00".into(),
                "1".into()
            ),
            (
                key.clone(),
                "2024-06-03".into(),
                "2024-06-04T02:00:00+09:00".into(),
                "2".into()
            ),
            (
                key.clone(),
                "2024-06-04".into(),
                "2024-06-04T22:00:00+09:00".into(),
                "1".into()
            ),
        ]
    );
    assert_eq!(h.punch(C, "out").await.working_day, "2024-06-03");
});

// A run reads only each user's latest sent 出勤 or 退勤 before its first candidate: a break sent
// in between must not hide the open shift, and a 退勤 sent after it closes the shift.
both_engines!(
    the_latest_sent_clock_in_within_48_hours_decides_a_later_runs_day,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.employee(C, "u2", "U000124", true);
        let brk =
            |id: &str, user: &str, at: &str| punch(id, user, StatusKind::Working, "休憩開始", at);
        h.record(
            C,
            vec![
                clock_in("u1-in", "u1", "2024-06-03T22:00:00"),
                brk("u1-break", "u1", "2024-06-03T23:00:00"),
                clock_in("u2-in", "u2", "2024-06-03T21:00:00"),
                clock_out("u2-out", "u2", "2024-06-03T23:00:00"),
            ],
        )
        .await;
        assert_eq!(h.sync(C).await.results[0].sent, 4);
        h.record(
            C,
            vec![
                clock_out("u1-late", "u1", "2024-06-04T02:00:00"),
                clock_out("u2-late", "u2", "2024-06-04T02:00:00"),
            ],
        )
        .await;
        assert_eq!(h.sync(C).await.results[0].sent, 2);
        // KING OF TIME's recorder rule: a 退勤 goes to the day of the latest 出勤 within 48 h,
        // a 退勤 in between or not. The run reads only that 出勤 from before its first punch,
        // so it must find it behind u2's later 退勤.
        assert_eq!(h.punch(C, "u1-late").await.working_day, "2024-06-03");
        assert_eq!(h.punch(C, "u2-late").await.working_day, "2024-06-03");
    }
);

both_engines!(
    month_end_punches_of_eligible_users_still_go,
    |db: Db| async move {
        let h = harness(db, jst("2024-05-20T12:00:00")).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, vec![clock_in("a", "u1", "2024-05-20T09:00:00")])
            .await;
        assert_eq!(h.sync(C).await.results[0].sent, 1);
        // Punched just before midnight, synced on the 1st: the user was eligible all along.
        h.set_now(jst("2024-05-31T23:55:00"));
        h.record(C, vec![clock_out("b", "u1", "2024-05-31T23:50:00")])
            .await;
        h.set_now(jst("2024-06-01T03:00:00"));
        assert_eq!(h.sync(C).await.results[0].sent, 1);
        assert_eq!(h.kot(C).len(), 2);
    }
);

both_engines!(dry_run_changes_nothing, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    h.company(C);
    h.employee(C, "u1", "U000123", true);
    h.employee(C, "u2", "U000124", false);
    h.record(
        C,
        vec![
            clock_in("a", "u1", "2024-06-03T09:00:00"),
            clock_in("b", "u2", "2024-06-03T09:00:00"),
            punch(
                "c",
                "u1",
                StatusKind::Working,
                "作業開始",
                "2024-06-03T10:00:00",
            ),
        ],
    )
    .await;
    let dry = h.run_sync(C, true).await;
    assert!(dry.dry_run);
    let result = &dry.results[0];
    assert_eq!((result.sent, result.held, result.not_synced), (0, 1, 1));
    let a = result.planned.iter().find(|p| p.punch_id == "a").unwrap();
    assert!(a.would_send);
    assert_eq!(a.working_day, "2024-06-03");
    let b = result.planned.iter().find(|p| p.punch_id == "b").unwrap();
    assert!(!b.would_send);
    assert!(b.reason.contains("無効"));
    assert!(h.sim.sim.request_log().is_empty());
    assert_eq!(h.punch(C, "a").await.state(), PunchState::Held);
    assert_eq!(h.punch(C, "a").await.working_day, "");
});
