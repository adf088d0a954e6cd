//! Each link keeps the 日付変更時間 (dayBorderTime) of its employee's KING OF TIME division, read
//! with the employee list, stored on both engines and answered by ListLinks: the syncer files a
//! 出勤 by it (issue 18).

mod common;

use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use common::env;
use kintai_core::Db;
use kintai_matcher::{LinkStatus, MatcherDeps, Outcome};
use kintai_proto::matcher::v1::{ListLinksRequest, RunMatchRequest};
use kintai_testkit::both_engines;
use kintai_testkit::{App, Caller};
use kot_client::{AttendanceVendor, KotError, Token};
use kot_sim::NewEmployee;

fn border(status: &LinkStatus) -> Option<NaiveTime> {
    match status {
        LinkStatus::Active { day_border, .. } => Some(*day_border),
        LinkStatus::Inactive { .. } => None,
    }
}

both_engines!(links_keep_their_division_day_border, |db: Db| async move {
    let env = env(db).await;
    env.company("c1");
    let five = NaiveTime::from_hms_opt(5, 0, 0).unwrap();
    env.sim
        .add_division("kot-c1", "200", "夜勤センター", five)
        .expect("division");
    env.employee("c1", "U000123", "市ヶ谷", "いちこ");
    env.sim
        .add_employee(
            "kot-c1",
            NewEmployee {
                code: "U000124".into(),
                last_name: "湊山".into(),
                first_name: "信輔".into(),
                division_code: "200".into(),
                resigned_on: None,
            },
        )
        .expect("employee");
    env.users(
        "c1",
        &[("u1", "U000123", "市ヶ谷"), ("u2", "U000124", "湊山")],
    );

    let result = env.run_company("c1").await;
    assert_eq!(result.outcome, Outcome::Matched, "{result:?}");
    // Stored and read back from the database, not only computed.
    let links = env.links("c1").await;
    assert_eq!(border(&links[0].row.status), Some(NaiveTime::MIN));
    assert_eq!(border(&links[1].row.status), Some(five));

    let answer = env
        .client()
        .list_links(tonic::Request::new(ListLinksRequest {
            company_id: "c1".into(),
            ..ListLinksRequest::default()
        }))
        .await
        .expect("ListLinks")
        .into_inner();
    let shown: Vec<&str> = answer
        .links
        .iter()
        .map(|l| l.day_border_time.as_str())
        .collect();
    assert_eq!(shown, ["00:00", "05:00"]);
});

/// The simulator through the client, except that `GET /divisions` keeps failing.
struct DivisionsDown(kot_client::KotClient);

#[async_trait::async_trait]
impl AttendanceVendor for DivisionsDown {
    async fn check_token(&self, token: &Token) -> Result<bool, KotError> {
        AttendanceVendor::check_token(&self.0, token).await
    }
    async fn list_employees(
        &self,
        token: &Token,
        include_resigned: bool,
    ) -> Result<Vec<kot_client::Employee>, KotError> {
        AttendanceVendor::list_employees(&self.0, token, include_resigned).await
    }
    async fn post_punch(
        &self,
        token: &Token,
        employee_key: &str,
        punch: &kot_client::TimeRecordRequest,
    ) -> Result<kot_client::TimeRecordResponse, KotError> {
        AttendanceVendor::post_punch(&self.0, token, employee_key, punch).await
    }
    async fn read_day(
        &self,
        token: &Token,
        employee_key: &str,
        date: NaiveDate,
    ) -> Result<Vec<kot_client::TimeRecord>, KotError> {
        AttendanceVendor::read_day(&self.0, token, employee_key, date).await
    }
    async fn list_divisions(&self, _token: &Token) -> Result<Vec<kot_client::Division>, KotError> {
        Err(KotError::InvalidConfig {
            reason: "divisions unavailable in this test".into(),
        })
    }
    async fn read_days(
        &self,
        token: &Token,
        employee_keys: &[String],
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<kot_client::EmployeeDayRecords, KotError> {
        AttendanceVendor::read_days(&self.0, token, employee_keys, start, end).await
    }
    async fn daily_workings(
        &self,
        token: &Token,
        division: Option<&str>,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<kot_client::DailyWorkingSummary>, KotError> {
        self.0.daily_workings(token, division, start, end).await
    }
}

both_engines!(
    a_run_that_cannot_read_the_divisions_keeps_the_links,
    |db: Db| async move {
        let env = env(db.clone()).await;
        env.company("c1");
        env.employee("c1", "U000123", "市ヶ谷", "いちこ");
        env.users("c1", &[("u1", "U000123", "市ヶ谷")]);
        assert_eq!(env.run_company("c1").await.outcome, Outcome::Matched);
        let before = env.links("c1").await;

        // Another matcher on the same database whose divisions cannot be read.
        let client = kintai_testkit::sim::client(&env.handle);
        let mut deps = MatcherDeps::new(
            Arc::new(env.settings.clone()),
            Arc::new(DivisionsDown(client)),
        );
        // The simulator's noon, not the wall clock (which may be in the restricted hours).
        deps.clock = kintai_core::Clock::fixed(common::at("12:00:00"));
        let other = kintai_matcher::api(db.clone(), deps).await.unwrap();
        let other = App::spawn_service(&db, kintai_matcher::server(other, 4 << 20)).await;
        let answer = other
            .matcher(Caller::Trigger)
            .run_match(RunMatchRequest {
                company_id: "c1".into(),
            })
            .await
            .expect("RunMatch");
        let report = common::report(answer.into_inner());
        let [result] = &report.results[..] else {
            panic!("one company: {report:?}");
        };
        assert_eq!(result.outcome, Outcome::Failed, "{result:?}");
        assert!(
            result.reason.contains("existing links are kept"),
            "{}",
            result.reason
        );
        assert_eq!(env.links("c1").await, before);
    }
);
