//! Company revisions: every change that decides who is synced grows the revision in the same
//! transaction, a directory change (user added, deleted, code changed) grows the directory
//! revision too, and nothing else moves them.

mod common;

use common::Harness;
use common::user;
use kintai_core::Db;
use kintai_proto::settings::v1::*;
use kintai_testkit::both_engines;

async fn revisions(h: &mut common::Harness, company_id: &str) -> (i64, i64) {
    let integration = h
        .client
        .get_integration(GetIntegrationRequest {
            company_id: company_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .integration
        .unwrap();
    (integration.revision, integration.directory_revision)
}

async fn upsert(h: &mut common::Harness, users: Vec<UserInput>) {
    h.client
        .upsert_users(UpsertUsersRequest {
            company_id: "c1".into(),
            users,
        })
        .await
        .unwrap();
}

async fn flag(h: &mut common::Harness, user_id: &str, enabled: bool) {
    h.client
        .set_user_links(SetUserLinksRequest {
            company_id: "c1".into(),
            links: vec![UserLinkFlag {
                user_id: user_id.into(),
                enabled,
            }],
        })
        .await
        .unwrap();
}

both_engines!(
    each_change_counts_once_and_nothing_else_does,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        assert_eq!(revisions(&mut h, "c1").await, (0, 0));
        upsert(&mut h, vec![user("u1", "U000123", "市ヶ谷 市子")]).await;
        assert_eq!(revisions(&mut h, "c1").await, (1, 1), "a new user");
        upsert(&mut h, vec![user("u1", "U000123", "市ヶ谷 いちこ")]).await;
        assert_eq!(revisions(&mut h, "c1").await, (1, 1), "a name alone");
        upsert(&mut h, vec![user("u1", "U000124", "市ヶ谷 いちこ")]).await;
        assert_eq!(revisions(&mut h, "c1").await, (2, 2), "a code change");
        flag(&mut h, "u1", true).await;
        assert_eq!(revisions(&mut h, "c1").await, (3, 2), "a flag switched on");
        flag(&mut h, "u1", true).await;
        assert_eq!(revisions(&mut h, "c1").await, (3, 2), "the same flag again");
        h.enable("c1", true).await;
        assert_eq!(revisions(&mut h, "c1").await, (4, 2), "the switch");
        h.register("c1", common::TOKEN).await.unwrap();
        assert_eq!(revisions(&mut h, "c1").await, (5, 2), "a token");
        h.client
            .delete_token(DeleteTokenRequest {
                company_id: "c1".into(),
            })
            .await
            .unwrap();
        assert_eq!(revisions(&mut h, "c1").await, (6, 2), "the token deleted");
        h.client
            .delete_users(DeleteUsersRequest {
                company_id: "c1".into(),
                user_ids: vec!["u1".into(), "nobody".into()],
            })
            .await
            .unwrap();
        assert_eq!(revisions(&mut h, "c1").await, (7, 3), "a user deleted");
        h.client
            .delete_users(DeleteUsersRequest {
                company_id: "c1".into(),
                user_ids: vec!["nobody".into()],
            })
            .await
            .unwrap();
        assert_eq!(revisions(&mut h, "c1").await, (7, 3), "nothing deleted");
        // Other companies are not touched, and ListCompanies shows the same counters.
        assert_eq!(revisions(&mut h, "c2").await, (0, 0));
        let listed = h
            .client
            .list_companies(ListCompaniesRequest::default())
            .await
            .unwrap()
            .into_inner();
        let c1 = listed
            .companies
            .iter()
            .find(|c| c.company_id == "c1")
            .unwrap();
        assert_eq!((c1.revision, c1.directory_revision), (7, 3));
        h.finish().await;
    }
);

both_engines!(list_users_can_name_the_users, |db: Db| async move {
    let mut h = Harness::on(db).await;
    upsert(
        &mut h,
        vec![
            user("u1", "U000123", "a"),
            user("u2", "U000124", "b"),
            user("u3", "U000125", "c"),
        ],
    )
    .await;
    let page = h
        .client
        .list_users(ListUsersRequest {
            company_id: "c1".into(),
            user_ids: vec!["u3".into(), "u1".into(), "ghost".into()],
            ..ListUsersRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = page.users.iter().map(|u| u.user_id.as_str()).collect();
    assert_eq!(ids, ["u1", "u3"]);
    let status = h
        .client
        .list_users(ListUsersRequest {
            company_id: "c1".into(),
            user_ids: vec![String::new()],
            ..ListUsersRequest::default()
        })
        .await
        .unwrap_err();
    assert!(status.message().contains("user_ids[0]"), "{status:?}");
    h.finish().await;
});
