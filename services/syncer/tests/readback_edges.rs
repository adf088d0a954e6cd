//! A read-back that an empty day cannot fool (issue 27): KING OF TIME has answered empty days near
//! its restricted windows, so no day is read within the margin (2 minutes) before or after a
//! window, and a punch whose POST got no confirmed answer stays in flight until a read is clear
//! of them; records we never send (外出 / 外出戻り, records without a code) are read and kept,
//! never counted as ours. The simulator answers empty days near the windows, as KING OF TIME has
//! been reported to (`Simulator::empty_reads_near_window_edges`), so a read there would be caught.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::PunchState;
use kintai_testkit::{both_engines, day, jst};
use kot_sim::{FailureKind, NewPunch, PunchSource};

const C: &str = "acme";

/// How far from a window's edge the simulator answers empty days: wider than the syncer's read
/// margin would be a test of nothing, so the same two minutes.
const EDGE: std::time::Duration = std::time::Duration::from_secs(120);

/// Reads of punch days the simulator answered.
fn day_reads(h: &Harness) -> usize {
    h.sim
        .sim
        .request_log()
        .iter()
        .filter(|entry| entry.method == "GET" && entry.path.starts_with("/v1.0/daily-workings"))
        .count()
}

both_engines!(
    a_504_after_storing_at_08_29_is_read_back_after_the_margin_and_stored_once,
    |db: Db| async move {
        let h = harness(db, jst("2024-06-20T08:29:00")).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.sim.sim.empty_reads_near_window_edges(Some(EDGE));
        h.sim.sim.fail_next(1, FailureKind::Gateway504AfterStore);
        h.record(C, vec![clock_in("p1", "u1", "2024-06-20T08:28:30")])
            .await;
        h.sync(C).await;
        // Stored behind the 504; a minute before the window no read is made.
        assert_eq!(h.kot(C).len(), 1);
        assert_eq!(h.punch(C, "p1").await.state(), PunchState::InFlight);
        assert_eq!(day_reads(&h), 0, "{:?}", h.sim.sim.request_log());
        // Not in the window, nor at its very end.
        for now in [
            "2024-06-20T09:00:00",
            "2024-06-20T10:00:00",
            "2024-06-20T10:01:00",
        ] {
            h.set_now(jst(now));
            h.sync(C).await;
            assert_eq!(day_reads(&h), 0, "{now}: {:?}", h.sim.sim.request_log());
            assert_eq!(
                h.punch(C, "p1").await.state(),
                PunchState::InFlight,
                "{now}"
            );
        }
        h.set_now(jst("2024-06-20T10:02:00"));
        h.settle(C, 3).await;
        assert_eq!(h.punch(C, "p1").await.state(), PunchState::Sent);
        assert_eq!(h.kot(C).len(), 1, "posted once: {:?}", h.kot(C));
    }
);

both_engines!(
    a_504_after_storing_at_10_00_with_empty_edge_reads_is_stored_once,
    |db: Db| async move {
        // The window has just ended; KING OF TIME answers empty days for two more minutes.
        let h = harness(db, jst("2024-06-20T10:00:00")).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.sim.sim.empty_reads_near_window_edges(Some(EDGE));
        h.sim.sim.fail_next(1, FailureKind::Gateway504AfterStore);
        h.record(C, vec![clock_in("p1", "u1", "2024-06-20T09:59:30")])
            .await;
        h.sync(C).await;
        assert_eq!(h.kot(C).len(), 1);
        for now in ["2024-06-20T10:00:30", "2024-06-20T10:01:30"] {
            h.set_now(jst(now));
            h.sync(C).await;
            assert_eq!(day_reads(&h), 0, "{now}: {:?}", h.sim.sim.request_log());
            assert_eq!(
                h.punch(C, "p1").await.state(),
                PunchState::InFlight,
                "{now}"
            );
        }
        h.set_now(jst("2024-06-20T10:02:00"));
        h.settle(C, 3).await;
        assert_eq!(h.punch(C, "p1").await.state(), PunchState::Sent);
        assert_eq!(h.kot(C).len(), 1, "posted once: {:?}", h.kot(C));
        assert!(day_reads(&h) >= 1, "verified by a read");
    }
);

both_engines!(
    a_day_holding_outings_is_verified_and_the_punch_sent_once,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        // An administrator entered 外出 and 外出戻り on the day, and a record without a code at
        // the very second of our punch; KING OF TIME shows them all in reads.
        for (code, time) in [
            (Some("7"), "2024-06-20T10:30:00"),
            (Some("8"), "2024-06-20T11:00:00"),
            (None, "2024-06-20T09:00:00"),
        ] {
            h.sim
                .sim
                .add_punch(
                    &key,
                    NewPunch {
                        source: PunchSource::AdminEdit,
                        date: day("2024-06-20"),
                        time: jst(time).fixed_offset(),
                        code: code.map(str::to_owned),
                        division_code: None,
                    },
                )
                .unwrap();
        }
        h.sim.sim.fail_next(1, FailureKind::ResetAfterStore);
        h.record(C, vec![clock_in("p1", "u1", "2024-06-20T09:00:00")])
            .await;
        h.settle(C, 3).await;
        let punch = h.punch(C, "p1").await;
        assert_eq!(punch.state(), PunchState::Sent, "{punch:?}");
        assert!(day_reads(&h) >= 1, "the day was read back");
        // Our 出勤 once: the code-less record at its second was not taken for it.
        let mut codes: Vec<String> = h.kot(C).into_iter().map(|(.., code)| code).collect();
        codes.sort();
        assert_eq!(codes, ["", "1", "7", "8"], "{:?}", h.kot(C));
    }
);

both_engines!(
    a_read_back_never_credits_another_companys_punch,
    |db: Db| async move {
        // Two cyzen companies registered the same KING OF TIME token (before RegisterToken
        // refused that): their users are linked to the same employee.
        let h = harness(db, jst(NOW)).await;
        let token = h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        h.settings.set_company("twin", true, Some(&token));
        h.settings.set_user("twin", "u1", "U000123", true);
        h.links.link("twin", "u1", &key, "U000123");
        h.record(C, vec![clock_in("p1", "u1", "2024-06-20T09:00:00")])
            .await;
        h.settle(C, 3).await;
        // The twin's identical punch meets a gateway error before KING OF TIME stored it: the
        // read-back finds only the first company's punch, which is not the twin's.
        h.sim.sim.fail_next(1, FailureKind::Gateway504Html);
        h.record("twin", vec![clock_in("p1", "u1", "2024-06-20T09:00:00")])
            .await;
        h.settle("twin", 3).await;
        assert_eq!(h.punch("twin", "p1").await.state(), PunchState::Sent);
        assert_eq!(
            h.kot(C).len(),
            2,
            "each company's punch once: {:?}",
            h.kot(C)
        );
    }
);
