//! Prompt delivery: punches reach KING OF TIME within seconds without any RunSync, a burst
//! becomes few runs, replicas share the work without ever sending a punch twice, and the
//! restricted hours only hold back the read-backs.

mod common;

use std::time::Duration;

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::PunchState;
use kintai_syncer::spawn_dispatcher;
use kintai_testkit::{both_engines, jst};

const C: &str = "acme";

both_engines!(
    recorded_punches_reach_kot_without_a_run_sync,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.flow_from(jst(NOW));
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        spawn_dispatcher(h.syncer.clone());
        for i in 0..20 {
            h.record(
                C,
                vec![clock_in(
                    &format!("p{i}"),
                    "u1",
                    &format!("2024-06-20T08:{i:02}:00"),
                )],
            )
            .await;
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        h.wait_for_kot(C, 20, Duration::from_secs(10)).await;
        // KING OF TIME stores a punch before the run commits it as sent: wait for the ledger.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !h
            .punches(C)
            .await
            .iter()
            .all(|p| p.state() == PunchState::Sent)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "{:?}",
                h.punches(C).await
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(h.kot(C).len(), 20, "each punch once");
        h.syncer.shut_down();
    }
);

both_engines!(a_burst_becomes_a_few_runs, |db: Db| async move {
    // The production debounce: the five batches below arrive well within it.
    let h = harness_with_debounce(db, jst(NOW), Duration::from_secs(2)).await;
    h.flow_from(jst(NOW));
    h.company(C);
    h.employee(C, "u1", "U000123", true);
    spawn_dispatcher(h.syncer.clone());
    for batch in 0..5 {
        let punches = (0..100)
            .map(|i| {
                let n = batch * 100 + i;
                clock_in(
                    &format!("p{n}"),
                    "u1",
                    &format!(
                        "2024-06-{:02}T{:02}:{:02}:00",
                        1 + n / 60 / 24,
                        n / 60 % 24,
                        n % 60
                    ),
                )
            })
            .collect();
        h.record(C, punches).await;
    }
    h.wait_for_kot(C, 500, Duration::from_secs(30)).await;
    let runs = h.syncer.runs_started();
    assert!((1..=3).contains(&runs), "{runs} runs for one burst");
    h.syncer.shut_down();
});

both_engines!(
    two_replicas_share_the_companies_and_send_each_punch_once,
    |db: Db| async move {
        let h = harness(db.clone(), jst(NOW)).await;
        h.flow_from(jst(NOW));
        h.sim.sim.set_latency(Duration::from_millis(2));
        let other = start_syncer(&db, &h.client, &h.settings, &h.links, &h.clock).await;
        spawn_dispatcher(h.syncer.clone());
        spawn_dispatcher(other.clone());
        let companies: Vec<String> = (0..12).map(|i| format!("c{i:02}")).collect();
        for company in &companies {
            h.company(company);
            h.employee(company, "u1", "U000123", true);
        }
        for round in 0..5 {
            for company in &companies {
                let punches = (0..4)
                    .map(|i| {
                        clock_in(
                            &format!("r{round}-{i}"),
                            "u1",
                            &format!("2024-06-{:02}T08:{:02}:00", 3 + round, i),
                        )
                    })
                    .collect();
                h.record(company, punches).await;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        for company in &companies {
            h.wait_for_kot(company, 20, Duration::from_secs(30)).await;
            let stored = h.kot(company);
            let mut unique = stored.clone();
            unique.dedup();
            assert_eq!(stored, unique, "{company}: a punch twice");
        }
        // On a starved machine one replica may win every claim of the first bursts; more
        // bursts (within 30 s) must reach the other one too, each punch still once.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut round = 5;
        while (h.syncer.runs_started() == 0 || other.runs_started() == 0)
            && std::time::Instant::now() < deadline
        {
            for company in &companies {
                let at = format!("2024-06-19T{:02}:{:02}:00", 8 + round / 60, round % 60);
                let punch = clock_in(&format!("r{round}-0"), "u1", &at);
                h.record(company, vec![punch]).await;
            }
            round += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            h.syncer.runs_started() > 0 && other.runs_started() > 0,
            "both replicas worked: {} and {}",
            h.syncer.runs_started(),
            other.runs_started()
        );
        for company in &companies {
            h.wait_for_kot(company, 20 + round - 5, Duration::from_secs(30))
                .await;
            assert_no_duplicates(&h, company);
        }
        h.syncer.shut_down();
        other.shut_down();
    }
);

both_engines!(
    in_the_restricted_hours_posts_go_out_and_read_backs_wait,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.flow_from(jst("2024-06-20T08:45:00"));
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        spawn_dispatcher(h.syncer.clone());
        h.sim.sim.clear_request_log();
        h.record(C, vec![clock_in("a", "u1", "2024-06-20T08:40:00")])
            .await;
        h.wait_for_kot(C, 1, Duration::from_secs(10)).await;
        // This POST's answer is lost after KING OF TIME stored it: a read-back is owed.
        h.sim.sim.drop_connection_after_next_punch(1);
        h.record(C, vec![clock_out("b", "u1", "2024-06-20T08:44:00")])
            .await;
        h.wait_for_kot(C, 2, Duration::from_secs(10)).await;
        // Give the dispatcher time to try (it must not read).
        tokio::time::sleep(Duration::from_millis(500)).await;
        let b = h.punch(C, "b").await;
        assert_eq!(b.state(), PunchState::InFlight, "{b:?}");
        assert!(b.reason.contains("10:00"), "{b:?}");
        let log = h.sim.sim.request_log();
        assert!(log.iter().all(|r| r.method == "POST"), "no reads: {log:?}");
        assert!(
            log.iter().all(|r| r.status.is_none_or(|s| s == 201)),
            "nothing refused: {log:?}"
        );
        assert_eq!(h.punch(C, "a").await.state(), PunchState::Sent);
        h.syncer.shut_down();
    }
);
