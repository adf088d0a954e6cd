//! KING OF TIME's working-day rule as the syncer applies it (issue 18), end to end on both
//! engines: the `date` each punch reaches the simulator with, for a division whose day starts
//! at 05:00 (日付変更時間) and a time recorder's 出勤 read back by the day check.

mod common;

use chrono::NaiveTime;
use common::*;
use kintai_core::Db;
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::{DayVerdict, ListDaysRequest};
use kintai_testkit::{both_engines, day, jst};
use kot_sim::{NewEmployee, NewPunch, PunchSource};

const C: &str = "acme";

/// An employee of a night-shift division whose day starts at 05:00, linked to `user_id`.
fn night_employee(h: &Harness, user_id: &str, code: &str) -> String {
    let five = NaiveTime::from_hms_opt(5, 0, 0).unwrap();
    h.sim.sim.add_division(C, "200", "夜勤", five).unwrap();
    let key = h
        .sim
        .sim
        .add_employee(
            C,
            NewEmployee {
                code: code.into(),
                last_name: "湊山".into(),
                first_name: user_id.into(),
                division_code: "200".into(),
                resigned_on: None,
            },
        )
        .unwrap();
    h.settings.set_user(C, user_id, code, true);
    h.links.link(C, user_id, &key, code);
    h.links.set_day_border(C, user_id, five);
    key
}

fn row(key: &str, date: &str, time: &str, code: &str) -> (String, String, String, String) {
    (
        key.to_owned(),
        date.to_owned(),
        format!("{time}+09:00"),
        code.to_owned(),
    )
}

both_engines!(
    a_05_00_border_files_punches_as_kings_recorders_do,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let key = night_employee(&h, "u1", "U000124");
        h.record(
            C,
            vec![
                // Before the border: the day before's 出勤 (and its 退勤 with it).
                clock_in("p1", "u1", "2024-06-04T04:30:00"),
                clock_out("p2", "u1", "2024-06-04T08:00:00"),
                // A 22:00 → 03:30 night shift with a break across midnight.
                clock_in("p3", "u1", "2024-06-04T22:00:00"),
                punch(
                    "p4",
                    "u1",
                    StatusKind::Working,
                    "休憩開始",
                    "2024-06-04T23:50:00",
                ),
                punch(
                    "p5",
                    "u1",
                    StatusKind::Working,
                    "休憩終了",
                    "2024-06-05T00:20:00",
                ),
                clock_out("p6", "u1", "2024-06-05T03:30:00"),
            ],
        )
        .await;
        h.settle(C, 3).await;
        assert_eq!(
            h.kot(C),
            [
                row(&key, "2024-06-03", "2024-06-04T04:30:00", "1"),
                row(&key, "2024-06-03", "2024-06-04T08:00:00", "2"),
                row(&key, "2024-06-04", "2024-06-04T22:00:00", "1"),
                row(&key, "2024-06-04", "2024-06-04T23:50:00", "3"),
                row(&key, "2024-06-04", "2024-06-05T00:20:00", "4"),
                row(&key, "2024-06-04", "2024-06-05T03:30:00", "2"),
            ]
        );

        // A 退勤 recorded late (さかのぼり退勤) for 01:00 after a later sync: the 出勤 it closes was
        // sent long ago, and it still goes to that 出勤's day.
        h.record(C, vec![clock_in("p7", "u1", "2024-06-06T21:00:00")])
            .await;
        h.settle(C, 3).await;
        h.record(C, vec![clock_out("p8", "u1", "2024-06-07T01:00:00")])
            .await;
        // 49 hours after the last 出勤 (21:00 on 06-06): nothing to attach to, the border decides.
        h.record(C, vec![clock_out("p9", "u1", "2024-06-08T22:00:00")])
            .await;
        h.settle(C, 3).await;
        let late: Vec<_> = h.kot(C).into_iter().skip(6).collect();
        assert_eq!(
            late,
            [
                row(&key, "2024-06-06", "2024-06-06T21:00:00", "1"),
                row(&key, "2024-06-06", "2024-06-07T01:00:00", "2"),
                row(&key, "2024-06-08", "2024-06-08T22:00:00", "2"),
            ]
        );
    }
);
both_engines!(
    a_time_recorders_clock_in_read_back_decides_our_clock_out,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        // The employee clocked in at a time recorder at 23:00, which KING OF TIME files on 06-10;
        // cyzen has only the 退勤 after midnight.
        h.sim
            .sim
            .add_punch(
                &key,
                NewPunch {
                    source: PunchSource::TimeRecorder,
                    date: day("2024-06-10"),
                    time: jst("2024-06-10T23:00:00").fixed_offset(),
                    code: Some("1".into()),
                    division_code: None,
                },
            )
            .unwrap();
        // A day shift of ours days before: the once-a-day check reads the employee's month,
        // the recorder's 出勤 with it. Our own last 出勤 is far more than 48 hours before.
        h.record(
            C,
            vec![
                clock_in("p0", "u1", "2024-06-07T08:00:00"),
                clock_out("p00", "u1", "2024-06-07T17:00:00"),
            ],
        )
        .await;
        h.settle(C, 3).await;
        h.record(C, vec![clock_out("p1", "u1", "2024-06-11T02:00:00")])
            .await;
        h.settle(C, 3).await;
        assert!(
            h.kot(C)
                .contains(&row(&key, "2024-06-10", "2024-06-11T02:00:00", "2")),
            "{:?}",
            h.kot(C)
        );
        // The day check said what it saw: a 出勤 that did not come from cyzen.
        let days = h
            .api()
            .list_days(ListDaysRequest {
                company_id: C.into(),
                start_date: "2024-06-10".into(),
                end_date: "2024-06-10".into(),
                ..ListDaysRequest::default()
            })
            .await
            .unwrap()
            .into_inner()
            .days;
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].verdict(), DayVerdict::Differs, "{:?}", days[0]);
        assert!(days[0].reason.contains("出勤 23:00"), "{}", days[0].reason);
        assert!(days[0].kot_punches.iter().any(|p| !p.from_cyzen));
    }
);
