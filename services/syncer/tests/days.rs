//! The day check (照合, issue 18) end to end on both engines: punches sent to the real
//! simulator, KING OF TIME's side changed through its admin API, and the verdict stored per
//! user and working day, read back through ListDays.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::{DayVerdict, ListDaysRequest, PunchState, UserDay};
use kintai_testkit::{both_engines, day, jst};

const C: &str = "acme";

impl Harness {
    /// The user-day as ListDays answers it (Japanese unless `lang` says otherwise).
    async fn day_of(&self, user_id: &str, date: &str) -> Option<UserDay> {
        self.api()
            .list_days(ListDaysRequest {
                company_id: C.into(),
                user_id: user_id.into(),
                start_date: date.into(),
                end_date: date.into(),
                ..ListDaysRequest::default()
            })
            .await
            .unwrap()
            .into_inner()
            .days
            .into_iter()
            .next()
    }

    fn daily_workings_reads(&self) -> usize {
        self.sim
            .sim
            .request_log()
            .iter()
            .filter(|entry| entry.path.starts_with("/v1.0/daily-workings") && entry.method == "GET")
            .count()
    }
}

fn verdict_of(day: &Option<UserDay>) -> DayVerdict {
    day.as_ref()
        .map_or(DayVerdict::Unspecified, UserDay::verdict)
}

both_engines!(a_double_clock_in_is_a_kot_error_day, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    h.company(C);
    h.employee(C, "u1", "U000123", true);
    h.record(
        C,
        vec![
            clock_in("p1", "u1", "2024-06-19T09:00:00"),
            clock_in("p2", "u1", "2024-06-19T13:00:00"),
            clock_out("p3", "u1", "2024-06-19T18:00:00"),
        ],
    )
    .await;
    h.settle(C, 3).await;
    // The simulator holds both 出勤 and flags the day; the check says why.
    assert_eq!(h.kot(C).len(), 3);
    let day = h.day_of("u1", "2024-06-19").await;
    assert_eq!(verdict_of(&day), DayVerdict::KotErrorDay, "{day:?}");
    let day = day.unwrap();
    assert!(
        day.reason.contains("エラー勤務") && day.reason.contains("2 回"),
        "{}",
        day.reason
    );
    assert_eq!(day.kot_punches.len(), 3);
    assert_eq!(day.cyzen_punches.len(), 3);
});

impl Harness {
    /// The `kintai.days.kot_error` gauge's count: error days of June 2024 (the checks' window).
    async fn kot_error_days(&self) -> u32 {
        kintai_syncer::day_store::count_kot_error_days(&self.db, C, day("2024-06-01"))
            .await
            .unwrap()
    }

    /// An administrator deletes the 出勤 at `at` (JST) in KING OF TIME.
    fn remove_clock_in(&self, at: &str) {
        let punch = self
            .sim
            .sim
            .punches(C)
            .into_iter()
            .find(|p| p.code.as_deref() == Some("1") && p.time == jst(at))
            .unwrap_or_else(|| panic!("no 出勤 at {at}"));
        self.sim.sim.remove_punch(punch.id).unwrap();
    }
}

both_engines!(
    error_days_are_counted_until_fixed_in_king_of_time,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.employee(C, "u2", "U000124", true);
        // Two double 出勤 of u1 (two エラー勤務 days), and an ordinary day of u2.
        h.record(
            C,
            vec![
                clock_in("p1", "u1", "2024-06-18T09:00:00"),
                clock_in("p2", "u1", "2024-06-18T13:00:00"),
                clock_out("p3", "u1", "2024-06-18T18:00:00"),
                clock_in("p4", "u1", "2024-06-19T09:00:00"),
                clock_in("p5", "u1", "2024-06-19T13:00:00"),
                clock_out("p6", "u1", "2024-06-19T18:00:00"),
                clock_in("p7", "u2", "2024-06-19T09:00:00"),
                clock_out("p8", "u2", "2024-06-19T18:00:00"),
            ],
        )
        .await;
        h.settle(C, 3).await;
        assert_eq!(
            verdict_of(&h.day_of("u2", "2024-06-19").await),
            DayVerdict::Ok
        );
        assert_eq!(h.kot_error_days().await, 2);
        // The count is of the window asked for, and of the company asked for.
        let from_19th =
            kintai_syncer::day_store::count_kot_error_days(&h.db, C, day("2024-06-19")).await;
        assert_eq!(from_19th.unwrap(), 1);
        let other =
            kintai_syncer::day_store::count_kot_error_days(&h.db, "other", day("2024-06-01"));
        assert_eq!(other.await.unwrap(), 0);

        // The admin fixes the 19th in KING OF TIME; the next day's whole-month check sees it.
        h.remove_clock_in("2024-06-19T13:00:00");
        h.set_now(jst("2024-06-21T11:00:00"));
        h.sync(C).await;
        let fixed = h.day_of("u1", "2024-06-19").await;
        assert_ne!(verdict_of(&fixed), DayVerdict::KotErrorDay, "{fixed:?}");
        assert_eq!(h.kot_error_days().await, 1);

        // And the 18th: none left.
        h.remove_clock_in("2024-06-18T13:00:00");
        h.set_now(jst("2024-06-22T11:00:00"));
        h.sync(C).await;
        assert_eq!(h.kot_error_days().await, 0);
    }
);

both_engines!(
    a_clock_in_without_clock_out_the_next_day_is_missed,
    |db: Db| async move {
        let h = harness(db, jst("2024-06-19T12:00:00")).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, vec![clock_in("p1", "u1", "2024-06-19T09:00:00")])
            .await;
        h.settle(C, 3).await;
        // Checked right after sending: the shift is still going on.
        let day = h.day_of("u1", "2024-06-19").await;
        assert_eq!(verdict_of(&day), DayVerdict::Ok, "{day:?}");
        // The next day's check (once a day): still no 退勤, neither in cyzen nor in KING OF TIME.
        h.set_now(jst("2024-06-20T11:00:00"));
        h.sync(C).await;
        let day = h.day_of("u1", "2024-06-19").await;
        assert_eq!(verdict_of(&day), DayVerdict::MissingClockOut, "{day:?}");
        assert!(day.unwrap().reason.starts_with("打刻漏れ"));
    }
);

both_engines!(
    a_late_punch_for_a_closed_day_is_held_and_king_of_time_keeps_its_day,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        h.record(
            C,
            vec![
                clock_in("p1", "u1", "2024-06-19T09:00:00"),
                clock_out("p2", "u1", "2024-06-19T18:00:00"),
            ],
        )
        .await;
        h.settle(C, 3).await;
        assert_eq!(
            verdict_of(&h.day_of("u1", "2024-06-19").await),
            DayVerdict::Ok
        );
        // KING OF TIME closes the day (締め); a forgotten break arrives afterwards. Closing does
        // not stop API punches (kot-api.md, "Closed days"), so the pre-flight holds them: the
        // day payroll used stays as it was (services/syncer/tests/preflight.rs has the rest).
        h.sim
            .sim
            .set_day_closed(&key, day("2024-06-19"), true)
            .unwrap();
        h.record(
            C,
            vec![
                punch(
                    "p3",
                    "u1",
                    StatusKind::Working,
                    "休憩開始",
                    "2024-06-19T12:00:00",
                ),
                punch(
                    "p4",
                    "u1",
                    StatusKind::Working,
                    "休憩終了",
                    "2024-06-19T12:45:00",
                ),
            ],
        )
        .await;
        h.set_now(jst("2024-06-21T11:00:00"));
        h.settle(C, 3).await;
        assert_eq!(h.kot(C).len(), 2, "nothing posted into the closed day");
        for id in ["p3", "p4"] {
            let held = h.punch(C, id).await;
            assert_eq!(held.state(), PunchState::Held, "{held:?}");
            assert!(held.reason.contains("締め済み"), "{held:?}");
        }
    }
);

both_engines!(
    a_punch_removed_in_king_of_time_differs,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(
            C,
            vec![
                clock_in("p1", "u1", "2024-06-19T09:00:00"),
                clock_out("p2", "u1", "2024-06-19T18:00:00"),
            ],
        )
        .await;
        h.settle(C, 3).await;
        assert_eq!(
            verdict_of(&h.day_of("u1", "2024-06-19").await),
            DayVerdict::Ok
        );
        // An administrator deletes the 退勤 in KING OF TIME.
        let clock_out = h
            .sim
            .sim
            .punches(C)
            .into_iter()
            .find(|p| p.code.as_deref() == Some("2"))
            .unwrap();
        h.sim.sim.remove_punch(clock_out.id).unwrap();
        h.set_now(jst("2024-06-21T11:00:00"));
        h.sync(C).await;
        let day = h.day_of("u1", "2024-06-19").await;
        assert_eq!(verdict_of(&day), DayVerdict::Differs, "{day:?}");
        let day = day.unwrap();
        assert!(day.reason.contains("退勤 18:00"), "{}", day.reason);
        assert_eq!(day.kot_punches.len(), 1);
    }
);

both_engines!(
    no_day_is_read_in_the_restricted_hours,
    |db: Db| async move {
        // 09:00 JST: punches may be posted, KING OF TIME's days may not be read.
        let h = harness(db, jst("2024-06-20T09:00:00")).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, vec![clock_in("p1", "u1", "2024-06-20T08:55:00")])
            .await;
        h.settle(C, 3).await;
        assert_eq!(h.kot(C).len(), 1);
        assert_eq!(h.daily_workings_reads(), 0, "{:?}", h.sim.sim.request_log());
        let day = h.day_of("u1", "2024-06-20").await;
        assert_eq!(verdict_of(&day), DayVerdict::Unchecked, "{day:?}");
        // Nor right after them: KING OF TIME has answered empty days near the windows' edges,
        // so reads keep the margin (2 minutes) clear of them.
        h.set_now(jst("2024-06-20T10:01:59"));
        h.sync(C).await;
        assert_eq!(h.daily_workings_reads(), 0, "{:?}", h.sim.sim.request_log());
        // After that, the next run checks the day.
        h.set_now(jst("2024-06-20T10:02:00"));
        h.sync(C).await;
        assert!(h.daily_workings_reads() >= 2);
        assert_eq!(
            verdict_of(&h.day_of("u1", "2024-06-20").await),
            DayVerdict::Ok
        );
    }
);

both_engines!(
    the_dispatcher_checks_the_day_once_the_restricted_hours_end,
    |db: Db| async move {
        // Three seconds before 10:02 JST (the end of the morning window plus the read margin),
        // with clocks that flow: the punch goes at once, the check of its day is scheduled for
        // 10:02 and done by the dispatcher on its own.
        let h = harness(db, jst("2024-06-20T10:01:57")).await;
        h.flow_from(jst("2024-06-20T10:01:57"));
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        kintai_syncer::spawn_dispatcher(h.syncer.clone());
        h.record(C, vec![clock_in("p1", "u1", "2024-06-20T09:50:00")])
            .await;
        h.wait_for_kot(C, 1, std::time::Duration::from_secs(10))
            .await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let day = h.day_of("u1", "2024-06-20").await;
            if verdict_of(&day) != DayVerdict::Unchecked {
                assert_eq!(verdict_of(&day), DayVerdict::Ok, "{day:?}");
                assert!(h.clock.now() >= jst("2024-06-20T10:02:00"));
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never checked: {day:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        h.syncer.shut_down();
    }
);

both_engines!(
    a_busy_companys_days_wait_for_a_quiet_run,
    |db: Db| async move {
        // Punches keep coming faster than the runs end: each run but the first finds more
        // waiting, goes on to them and leaves the day check (two general-budget reads) to the
        // run that ends with nothing waiting, or to a minute later.
        let start = jst("2024-06-20T13:00:00");
        let h = harness_with_debounce(db, start, std::time::Duration::from_millis(30)).await;
        h.flow_from(start);
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        kintai_syncer::spawn_dispatcher(h.syncer.clone());
        const PUNCHES: usize = 120;
        for i in 0..PUNCHES {
            let at = format!("2024-06-20T12:{:02}:{:02}", i / 60, i % 60);
            h.record(C, vec![clock_in(&format!("p{i}"), "u1", &at)])
                .await;
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        h.wait_for_kot(C, PUNCHES, std::time::Duration::from_secs(20))
            .await;
        // The quiet run's check saw every punch of the day.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let day = h.day_of("u1", "2024-06-20").await;
            if day
                .as_ref()
                .is_some_and(|d| d.cyzen_punches.len() == PUNCHES)
            {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "not checked: {day:?}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        h.syncer.shut_down();
        let runs = h.syncer.runs_started() as usize;
        let checks = h.daily_workings_reads() / 2;
        assert!(
            runs >= 6,
            "the punches went in {runs} runs: nothing was busy"
        );
        assert!(
            checks * 2 <= runs,
            "{checks} day checks in {runs} runs: the busy runs checked too"
        );
    }
);
