//! The day check of a company with several divisions, against a simulator that refuses every
//! undocumented query parameter (`employeeKeys` on `GET /daily-workings` included, as kot-api.md
//! says the real API documents none): a verdict for every touched day of every division, other
//! employees' days read with the company but never judged, on both engines.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::{DayVerdict, ListDaysRequest};
use kintai_testkit::{both_engines, day, jst};
use kot_sim::{NewEmployee, NewPunch, PunchSource};

const C: &str = "acme";

impl Harness {
    /// [`Harness::employee`] in `division` (which must exist in KING OF TIME).
    fn employee_in(&self, division: &str, user_id: &str, code: &str) -> String {
        let employee = NewEmployee {
            code: code.into(),
            last_name: "市ヶ谷".into(),
            first_name: user_id.into(),
            division_code: division.into(),
            resigned_on: None,
        };
        let key = self.sim.sim.add_employee(C, employee).unwrap();
        self.settings.set_user(C, user_id, code, true);
        self.links.link(C, user_id, &key, code);
        key
    }
}

both_engines!(
    every_touched_day_of_every_division_gets_a_verdict,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let sim = &h.sim.sim;
        for (code, name) in [("200", "大阪"), ("300", "倉庫")] {
            sim.add_division(C, code, name, chrono::NaiveTime::MIN)
                .unwrap();
        }
        h.employee_in("100", "u1", "U000001");
        h.employee_in("200", "u2", "U000002");
        h.employee_in("300", "u3", "U000003");
        // Someone not in cyzen, in u2's division, with an エラー勤務 on u2's day: read with the
        // company, never judged, and it must not leak into u2's verdict.
        let stranger = sim
            .add_employee(
                C,
                NewEmployee {
                    code: "X000009".into(),
                    last_name: "外部".into(),
                    first_name: "者".into(),
                    division_code: "200".into(),
                    resigned_on: None,
                },
            )
            .unwrap();
        for time in ["2024-06-18T08:00:00", "2024-06-18T08:05:00"] {
            sim.add_punch(
                &stranger,
                NewPunch {
                    date: day("2024-06-18"),
                    time: jst(time).fixed_offset(),
                    code: Some("1".into()),
                    division_code: None,
                    source: PunchSource::TimeRecorder,
                },
            )
            .unwrap();
        }
        h.record(
            C,
            vec![
                clock_in("a1", "u1", "2024-06-19T09:00:00"),
                clock_out("a2", "u1", "2024-06-19T18:00:00"),
                clock_in("b1", "u2", "2024-06-18T09:00:00"),
                clock_in("b2", "u2", "2024-06-18T13:00:00"),
                clock_out("b3", "u2", "2024-06-18T18:00:00"),
                clock_in("c1", "u3", "2024-06-17T09:00:00"),
                clock_out("c2", "u3", "2024-06-17T18:00:00"),
            ],
        )
        .await;
        h.settle(C, 3).await;
        assert_eq!(h.kot(C).len(), 7 + 2);

        let days = h
            .api()
            .list_days(ListDaysRequest {
                company_id: C.into(),
                start_date: "2024-06-01".into(),
                end_date: "2024-06-30".into(),
                ..ListDaysRequest::default()
            })
            .await
            .unwrap()
            .into_inner()
            .days;
        let mut verdicts: Vec<(String, String, DayVerdict)> = days
            .iter()
            .map(|d| (d.user_id.clone(), d.working_day.clone(), d.verdict()))
            .collect();
        verdicts.sort();
        assert_eq!(
            verdicts,
            [
                ("u1".to_owned(), "2024-06-19".to_owned(), DayVerdict::Ok),
                (
                    "u2".to_owned(),
                    "2024-06-18".to_owned(),
                    DayVerdict::KotErrorDay
                ),
                ("u3".to_owned(), "2024-06-17".to_owned(), DayVerdict::Ok),
            ],
            "{days:?}"
        );
        // Every read of /daily-workings was answered: no undocumented parameter was sent.
        let reads: Vec<_> = sim
            .request_log()
            .into_iter()
            .filter(|entry| entry.method == "GET" && entry.path == "/v1.0/daily-workings")
            .collect();
        assert!(!reads.is_empty());
        assert!(
            reads.iter().all(|entry| entry.status == Some(200)),
            "{reads:?}"
        );
    }
);

/// The queries of the `/daily-workings` reads, in order.
fn daily_workings_queries(h: &Harness) -> Vec<String> {
    h.sim
        .sim
        .request_log()
        .into_iter()
        .filter(|entry| entry.method == "GET" && entry.path == "/v1.0/daily-workings")
        .map(|entry| entry.query.unwrap_or_default())
        .collect()
}

both_engines!(
    one_punch_in_a_company_of_many_divisions_reads_its_division_only,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let sim = &h.sim.sim;
        for n in 2..=9 {
            sim.add_division(C, &format!("{n}00"), "支店", chrono::NaiveTime::MIN)
                .unwrap();
        }
        for n in 0..40 {
            let division = format!("{}00", n % 9 + 1);
            h.employee_in(&division, &format!("x{n}"), &format!("X{n:05}"));
        }
        h.employee_in("700", "u1", "U000001");
        h.record(
            C,
            vec![
                clock_in("p1", "u1", "2024-06-19T09:00:00"),
                clock_out("p2", "u1", "2024-06-19T18:00:00"),
            ],
        )
        .await;
        h.settle(C, 3).await;
        let queries = daily_workings_queries(&h);
        assert!(!queries.is_empty());
        assert!(
            queries
                .iter()
                .all(|q| q.contains("division=700") && q.contains("ondivision=true")),
            "only u1's division is read: {queries:?}"
        );
        let day = h
            .api()
            .list_days(ListDaysRequest {
                company_id: C.into(),
                user_id: "u1".into(),
                start_date: "2024-06-19".into(),
                end_date: "2024-06-19".into(),
                ..ListDaysRequest::default()
            })
            .await
            .unwrap()
            .into_inner()
            .days;
        assert_eq!(day.len(), 1);
        assert_eq!(day[0].verdict(), DayVerdict::Ok, "{day:?}");
    }
);

both_engines!(
    a_division_read_that_misses_the_employee_falls_back_to_the_company,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        let sim = &h.sim.sim;
        sim.add_division(C, "200", "支店", chrono::NaiveTime::MIN)
            .unwrap();
        let key = h.employee_in("100", "u1", "U000001");
        h.record(C, vec![clock_in("p1", "u1", "2024-06-19T09:00:00")])
            .await;
        h.settle(C, 3).await;
        // An administrator replaces our 出勤 by one made at division 200 (ヘルプ勤務): the only
        // record left names a division that is not the employee's own.
        let ours = sim.punches(C).into_iter().next().unwrap();
        sim.remove_punch(ours.id).unwrap();
        sim.add_punch(
            &key,
            NewPunch {
                date: day("2024-06-19"),
                time: jst("2024-06-19T09:05:00").fixed_offset(),
                code: Some("1".into()),
                division_code: Some("200".into()),
                source: PunchSource::AdminEdit,
            },
        )
        .unwrap();
        sim.clear_request_log();
        // The next day's whole-month check.
        h.set_now(jst("2024-06-21T11:00:00"));
        h.sync(C).await;
        let queries = daily_workings_queries(&h);
        assert_eq!(queries.len(), 2, "{queries:?}");
        assert!(queries[0].contains("division=200"), "{queries:?}");
        assert!(
            !queries[1].contains("division"),
            "then the company: {queries:?}"
        );
        let day = h
            .api()
            .list_days(ListDaysRequest {
                company_id: C.into(),
                user_id: "u1".into(),
                start_date: "2024-06-19".into(),
                end_date: "2024-06-19".into(),
                ..ListDaysRequest::default()
            })
            .await
            .unwrap()
            .into_inner()
            .days;
        assert_eq!(day[0].verdict(), DayVerdict::Differs, "{day:?}");
    }
);
