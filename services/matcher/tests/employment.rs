//! Each 有効 link keeps its employee's 入社日 and 退職日 (hiredDate, resignationDate) and home
//! division as KING OF TIME lists them, stored on both engines and answered by ListLinks: the
//! syncer holds punches outside employment, and the day check reads by division.

mod common;

use chrono::NaiveDate;
use common::env;
use kintai_core::Db;
use kintai_matcher::{Employment, LinkStatus, Outcome};
use kintai_proto::matcher::v1::ListLinksRequest;
use kintai_testkit::both_engines;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

both_engines!(
    links_keep_employment_dates_and_division,
    |db: Db| async move {
        let env = env(db).await;
        env.company("c1");
        let hired = env.employee("c1", "U000123", "市ヶ谷", "いちこ");
        env.sim
            .set_hired_date(&hired, Some(day("2024-04-01")))
            .expect("hired date");
        // Resigning at the month's end: still employed today (2024-06-03), so still 有効.
        env.employee_resigned("c1", "U000124", "湊山", "信輔", Some(day("2024-06-30")));
        env.employee("c1", "U000528", "千住", "五郎");
        env.users(
            "c1",
            &[
                ("u1", "U000123", "市ヶ谷"),
                ("u2", "U000124", "湊山"),
                ("u3", "U000528", "千住"),
            ],
        );
        let result = env.run_company("c1").await;
        assert_eq!(result.outcome, Outcome::Matched, "{result:?}");

        // Stored and read back from the database, not only computed.
        let employment: Vec<Option<(Employment, String)>> = env
            .links("c1")
            .await
            .into_iter()
            .map(|link| match link.row.status {
                LinkStatus::Active {
                    employment,
                    division_code,
                    ..
                } => Some((employment, division_code)),
                LinkStatus::Inactive { .. } => None,
            })
            .collect();
        let employed = |hired_on: Option<&str>, resigned_on: Option<&str>| {
            Some((
                Employment {
                    hired_on: hired_on.map(day),
                    resigned_on: resigned_on.map(day),
                },
                "100".to_owned(),
            ))
        };
        assert_eq!(
            employment,
            [
                employed(Some("2024-04-01"), None),
                employed(None, Some("2024-06-30")),
                employed(None, None),
            ]
        );

        let answer = env
            .client()
            .list_links(tonic::Request::new(ListLinksRequest {
                company_id: "c1".into(),
                ..ListLinksRequest::default()
            }))
            .await
            .expect("ListLinks")
            .into_inner();
        let shown: Vec<(&str, &str, &str)> = answer
            .links
            .iter()
            .map(|l| {
                (
                    l.hired_date.as_str(),
                    l.resignation_date.as_str(),
                    l.division_code.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("2024-04-01", "", "100"),
                ("", "2024-06-30", "100"),
                ("", "", "100"),
            ]
        );
    }
);
