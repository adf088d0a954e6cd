//! The production server's caller authentication stands in front of the settings service:
//! a call without credentials, or from a caller the policy does not name for the RPC, is
//! refused before the service sees it.

mod common;

use common::{Harness, user};
use kintai_core::Db;
use kintai_proto::settings::v1::*;
use kintai_testkit::{Caller, both_engines};
use tonic::Code;

both_engines!(callers_are_authenticated_first, |db: Db| async move {
    let mut h = Harness::on(db).await;
    let upsert = || UpsertUsersRequest {
        company_id: "c1".into(),
        users: vec![user("u1", "U000123", "市ヶ谷 市子")],
    };
    // No credentials: refused by the server's auth layer before the service.
    let status = h
        .app
        .settings(Caller::Anonymous)
        .upsert_users(upsert())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    // Known callers the policy does not let in: the trigger and the matcher write no
    // directory, the platform reads no token.
    for caller in [Caller::Trigger, Caller::Matcher] {
        let status = h
            .app
            .settings(caller)
            .upsert_users(upsert())
            .await
            .unwrap_err();
        assert_eq!(
            status.code(),
            Code::PermissionDenied,
            "{caller:?}: {status:?}"
        );
    }
    let status = h
        .client
        .get_credentials(GetCredentialsRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    // Nothing was written.
    let listed = h
        .client
        .list_users(ListUsersRequest {
            company_id: "c1".into(),
            ..ListUsersRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.users.is_empty(), "{listed:?}");
    h.finish().await;
});
