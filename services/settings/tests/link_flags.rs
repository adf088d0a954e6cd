//! The KING OF TIME連携 flags, on both engines: set one by one and in bulk, kept when the
//! directory is pushed again, and a bulk change with bad items applies the rest.

mod common;

use common::Harness;
use common::{all_users, manual_users};
use kintai_core::Db;
use kintai_proto::settings::v1::*;
use kintai_testkit::both_engines;
use kintai_testkit::status::violations;
use tonic::Code;

both_engines!(
    link_flags_are_set_one_by_one_and_in_bulk_and_survive_upserts,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        h.client
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: manual_users(),
            })
            .await
            .unwrap();
        // 個別設定
        let one = h
            .client
            .set_user_links(SetUserLinksRequest {
                company_id: "c1".into(),
                links: vec![UserLinkFlag {
                    user_id: "u1".into(),
                    enabled: true,
                }],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(one.updated, 1);
        // 一括設定, with an id cyzen no longer has
        let bulk = h
            .client
            .set_user_links(SetUserLinksRequest {
                company_id: "c1".into(),
                links: ["u2", "u3", "gone"]
                    .iter()
                    .map(|id| UserLinkFlag {
                        user_id: (*id).into(),
                        enabled: true,
                    })
                    .collect(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(bulk.updated, 2);
        assert_eq!(bulk.unknown_user_ids, ["gone"]);
        // A later push of the directory keeps the flags.
        h.client
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: manual_users(),
            })
            .await
            .unwrap();
        let flags: Vec<_> = all_users(&mut h, "c1")
            .await
            .into_iter()
            .map(|u| u.kot_link_enabled)
            .collect();
        assert_eq!(flags, [true, true, true, false, false]);
        // Switching one off.
        h.client
            .set_user_links(SetUserLinksRequest {
                company_id: "c1".into(),
                links: vec![UserLinkFlag {
                    user_id: "u2".into(),
                    enabled: false,
                }],
            })
            .await
            .unwrap();
        let flags: Vec<_> = all_users(&mut h, "c1")
            .await
            .into_iter()
            .map(|u| u.kot_link_enabled)
            .collect();
        assert_eq!(flags, [true, false, true, false, false]);
        h.finish().await;
    }
);

both_engines!(
    a_bulk_change_with_bad_items_applies_the_rest,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        h.client
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: manual_users(),
            })
            .await
            .unwrap();
        let status = h
            .client
            .set_user_links(SetUserLinksRequest {
                company_id: "c1".into(),
                links: vec![
                    UserLinkFlag {
                        user_id: "u1".into(),
                        enabled: true,
                    },
                    UserLinkFlag {
                        user_id: String::new(),
                        enabled: true,
                    },
                    UserLinkFlag {
                        user_id: "u1".into(),
                        enabled: false,
                    },
                ],
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["links[1].user_id", "links[2].user_id"]);
        assert!(all_users(&mut h, "c1").await[0].kot_link_enabled);
        h.finish().await;
    }
);
