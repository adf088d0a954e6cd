//! Restricted hours, leases and the periodic run, against the KING OF TIME simulator on both
//! engines: when KING OF TIME is not called, and that runs for one company never overlap.

mod common;

use std::time::Duration;

use common::{at, env};
use kintai_core::Db;
use kintai_matcher::Outcome;
use kintai_testkit::both_engines;

both_engines!(
    restricted_hours_defer_without_calling_kot,
    |db: Db| async move {
        let env = env(db).await;
        env.company("c1");
        env.employee("c1", "U000123", "市ヶ谷", "いちこ");
        env.users("c1", &[("u1", "U000123", "市ヶ谷 市子")]);
        let cases = [
            ("08:29:59", None),
            ("08:30:00", Some("10:00:00")),
            ("09:59:59", Some("10:00:00")),
            ("10:00:00", None),
            ("17:29:59", None),
            ("17:30:00", Some("18:30:00")),
            ("18:29:59", Some("18:30:00")),
            ("18:30:00", None),
        ];
        let mut last_sync = None;
        for (time, deferred_until) in cases {
            env.set_time(at(time));
            let calls = env.employee_list_calls();
            let result = env.run_company("c1").await;
            match deferred_until {
                Some(until) => {
                    assert_eq!(
                        result.outcome,
                        Outcome::Deferred {
                            next_attempt_at: at(until)
                        },
                        "at {time}"
                    );
                    assert_eq!(
                        env.employee_list_calls(),
                        calls,
                        "no employee list at {time}"
                    );
                    assert_eq!((result.users, result.linked), (1, 1), "at {time}");
                }
                None => {
                    assert_eq!(result.outcome, Outcome::Matched, "at {time}: {result:?}");
                    assert_eq!(env.employee_list_calls(), calls + 1, "at {time}");
                    last_sync = Some(at(time));
                }
            }
            let u1 = env.link("c1", "u1").await;
            assert!(u1.row.is_active(), "at {time}");
            assert_eq!(u1.account_synced_at, last_sync, "at {time}");
        }
        // No request the simulator refused with 104: the matcher never tried.
        assert!(env.sim.request_log().iter().all(|e| e.code != Some(104)));
    }
);

both_engines!(
    a_clock_disagreeing_with_kot_still_defers,
    |db: Db| async move {
        let env = env(db).await;
        env.company("c1");
        env.users("c1", &[("u1", "U000123", "市ヶ谷 市子")]);
        // The matcher thinks it is 08:29:59, KING OF TIME is already in the window.
        env.set_time(at("08:29:59"));
        env.sim.set_clock(kot_sim::Clock::Fixed(at("08:30:05")));
        let result = env.run_company("c1").await;
        assert!(
            matches!(result.outcome, Outcome::Deferred { .. }),
            "{result:?}"
        );
    }
);

both_engines!(
    concurrent_runs_for_one_company_never_overlap,
    |db: Db| async move {
        let env = env(db).await;
        env.company("c1");
        env.employee("c1", "U000123", "市ヶ谷", "いちこ");
        env.users("c1", &[("u1", "U000123", "市ヶ谷 市子")]);
        env.sim.set_latency(Duration::from_millis(300));
        let (a, b) = tokio::join!(env.run_company("c1"), env.run_company("c1"));
        let mut outcomes = [a.outcome, b.outcome];
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(outcomes, [Outcome::Busy, Outcome::Matched], "{a:?} {b:?}");
        assert_eq!(env.employee_list_calls(), 1);
        // The lease is given back: the next run proceeds.
        env.sim.set_latency(Duration::ZERO);
        assert_eq!(env.run_company("c1").await.outcome, Outcome::Matched);
    }
);

both_engines!(
    a_run_that_lost_its_lease_discards_its_result,
    |db: Db| async move {
        let env = common::env_with(db, Duration::from_millis(150)).await;
        env.company("c1");
        env.employee("c1", "U000123", "市ヶ谷", "いちこ");
        env.users("c1", &[("u1", "U000123", "市ヶ谷 市子")]);
        env.sim.set_latency(Duration::from_millis(600));
        let slow = env.run_company("c1");
        let late = async {
            // The first run's lease has expired by now, while it still waits for KING OF TIME.
            tokio::time::sleep(Duration::from_millis(300)).await;
            env.run_company("c1").await
        };
        let (first, second) = tokio::join!(slow, late);
        assert_eq!(first.outcome, Outcome::Busy, "{first:?}");
        assert!(first.reason.contains("expired"), "{}", first.reason);
        assert_eq!(second.outcome, Outcome::Matched, "{second:?}");
    }
);

both_engines!(the_periodic_run_matches_on_its_own, |db: Db| async move {
    let env = env(db).await;
    env.company("c1");
    env.employee("c1", "U000123", "市ヶ谷", "いちこ");
    env.users("c1", &[("u1", "U000123", "市ヶ谷 市子")]);
    let task = kintai_matcher::spawn_periodic(
        env.matcher.clone(),
        Duration::ZERO,
        Duration::from_secs(3600),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !env.link_exists_active("c1", "u1").await {
        assert!(std::time::Instant::now() < deadline, "no periodic run");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    assert_eq!(
        env.employee_list_calls(),
        1,
        "one run, the next one in an hour"
    );
});

both_engines!(
    the_fan_out_leaves_companies_another_run_holds,
    |db: Db| async move {
        let env = env(db.clone()).await;
        for company in ["a", "b", "c"] {
            env.company(company);
            env.employee(company, "E001", "社員", company);
            env.users(company, &[("u1", "E001", "社員")]);
        }
        // Another pod is matching b right now.
        let other = kintai_core::lease::Leases::new(db, "matcher_leases", Duration::from_secs(60));
        let held = other
            .try_acquire("b", "another-pod")
            .await
            .expect("lease")
            .expect("free");
        let report = env.run_all().await.expect("companies listed");
        let outcomes: Vec<(&str, Outcome)> = report
            .results
            .iter()
            .map(|r| (r.company_id.as_str(), r.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("a", Outcome::Matched),
                ("b", Outcome::Busy),
                ("c", Outcome::Matched)
            ]
        );
        assert_eq!(env.employee_list_calls(), 2);
        // The fan-out gave its own leases back; b's stays with its holder until released.
        other.release(held).await.expect("release");
        env.set_time(at("13:00:00"));
        let report = env.run_all().await.expect("companies listed");
        assert!(
            report.results.iter().all(|r| r.outcome == Outcome::Matched),
            "{report:?}"
        );
    }
);
