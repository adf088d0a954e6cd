//! Each link keeps the 日付変更時間 (dayBorderTime) of its employee's KING OF TIME division, read
//! with the employee list, stored on both engines and answered by ListLinks: the syncer files a
//! 出勤 by it (issue 18).

mod common;

use chrono::NaiveTime;
use common::env;
use kintai_core::{Db, both_engines};
use kintai_matcher::{LinkStatus, Outcome};
use kintai_proto::matcher::v1::ListLinksRequest;
use kintai_proto::matcher::v1::matcher_service_server::MatcherService;
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

    let result = env.matcher.run_company("c1").await;
    assert_eq!(result.outcome, Outcome::Matched, "{result:?}");
    // Stored and read back from the database, not only computed.
    let links = env.links("c1").await;
    assert_eq!(border(&links[0].row.status), Some(NaiveTime::MIN));
    assert_eq!(border(&links[1].row.status), Some(five));

    let answer = env
        .api
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
