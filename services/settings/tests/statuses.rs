//! Status definitions and their KING OF TIME mapping (the manual's 設定例), on both engines.

mod common;

use common::Harness;
use kintai_core::Db;
use kintai_proto::common::v1::{PunchType, StatusKind};
use kintai_proto::settings::v1::*;
use kintai_testkit::both_engines;
use kintai_testkit::status::violations;
use tonic::Code;

fn status(id: &str, name: &str, kind: StatusKind) -> Status {
    Status {
        status_id: id.into(),
        name: name.into(),
        kind: kind as i32,
        ..Status::default()
    }
}

both_engines!(
    the_manuals_example_statuses_map_as_the_table_says,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let response = h
            .client
            .upsert_statuses(UpsertStatusesRequest {
                company_id: "c1".into(),
                statuses: vec![
                    status("s1", "出勤", StatusKind::WorkStart),
                    status("s2", "退勤", StatusKind::WorkEnd),
                    status("s3", "休憩開始", StatusKind::Working),
                    status("s4", "休憩終了", StatusKind::Working),
                    status("s5", "作業開始", StatusKind::Working),
                ],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.statuses.len(), 5);
        let listed = h
            .client
            .list_statuses(ListStatusesRequest {
                company_id: "c1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let table: Vec<_> = listed
            .statuses
            .iter()
            .map(|s| (s.name.as_str(), s.punch_type(), s.mapping_label.as_str()))
            .collect();
        assert_eq!(
            table,
            [
                ("出勤", PunchType::ClockIn, "出勤 連携"),
                ("退勤", PunchType::ClockOut, "退勤 連携"),
                ("休憩開始", PunchType::BreakStart, "休憩開始 連携"),
                ("休憩終了", PunchType::BreakEnd, "休憩終了 連携"),
                ("作業開始", PunchType::NotSynced, "× 連携されません"),
            ]
        );
        // Renaming a status changes its mapping from now on.
        h.client
            .upsert_statuses(UpsertStatusesRequest {
                company_id: "c1".into(),
                statuses: vec![status("s5", "休憩開始", StatusKind::Working)],
            })
            .await
            .unwrap();
        let listed = h
            .client
            .list_statuses(ListStatusesRequest {
                company_id: "c1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.statuses[4].punch_type(), PunchType::BreakStart);
        h.finish().await;
    }
);

both_engines!(
    bad_statuses_are_named_and_the_good_ones_stored,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let status_err = h
            .client
            .upsert_statuses(UpsertStatusesRequest {
                company_id: "c1".into(),
                statuses: vec![
                    status("s1", "出勤", StatusKind::WorkStart),
                    status("s2", "", StatusKind::WorkEnd),
                    status("s3", "休憩開始", StatusKind::Unspecified),
                    Status {
                        status_id: "s4".into(),
                        name: "x".into(),
                        kind: 99,
                        ..Status::default()
                    },
                    status("s5", &"名".repeat(41), StatusKind::Working),
                ],
            })
            .await
            .unwrap_err();
        assert_eq!(status_err.code(), Code::InvalidArgument);
        let fields: Vec<String> = violations(&status_err)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            [
                "statuses[1].name",
                "statuses[2].kind",
                "statuses[3].kind",
                "statuses[4].name"
            ]
        );
        let listed = h
            .client
            .list_statuses(ListStatusesRequest {
                company_id: "c1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.statuses.len(), 1);
        assert_eq!(listed.statuses[0].status_id, "s1");
        h.finish().await;
    }
);

both_engines!(
    names_that_read_as_the_manuals_map_like_them_and_stay_as_given,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        h.client
            .upsert_statuses(UpsertStatusesRequest {
                company_id: "c1".into(),
                statuses: vec![
                    // A trailing full-width space, a leading half-width one: invisible on screen.
                    status("s1", "休憩開始　", StatusKind::Working),
                    status("s2", " 休憩終了", StatusKind::Working),
                    status("s3", "休憩", StatusKind::Working),
                ],
            })
            .await
            .unwrap();
        let listed = h
            .client
            .list_statuses(ListStatusesRequest {
                company_id: "c1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let table: Vec<_> = listed
            .statuses
            .iter()
            .map(|s| (s.name.as_str(), s.punch_type(), s.mapping_label.as_str()))
            .collect();
        assert_eq!(
            table,
            [
                ("休憩開始　", PunchType::BreakStart, "休憩開始 連携"),
                (" 休憩終了", PunchType::BreakEnd, "休憩終了 連携"),
                ("休憩", PunchType::NotSynced, "× 連携されません"),
            ]
        );
        // A name that shows one thing and compares as another is refused, naming why.
        let status_err = h
            .client
            .upsert_statuses(UpsertStatusesRequest {
                company_id: "c1".into(),
                statuses: vec![status("s4", "休憩\u{202E}開始", StatusKind::Working)],
            })
            .await
            .unwrap_err();
        assert_eq!(status_err.code(), Code::InvalidArgument);
        let found = violations(&status_err);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "statuses[0].name");
        assert!(found[0].1.contains("U+202E"), "{}", found[0].1);
        h.finish().await;
    }
);
