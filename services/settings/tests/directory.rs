//! The user directory, on both engines: upserts, warnings and refusals, oversized batches,
//! deletes, listing. The KING OF TIME連携 flags are in `link_flags.rs`.

mod common;

use common::Harness;
use common::{all_users, manual_users, user};
use kintai_core::Db;
use kintai_proto::settings::v1::*;
use kintai_testkit::both_engines;
use kintai_testkit::status::violations;
use tonic::Code;

both_engines!(
    users_are_upserted_idempotently_and_listed_in_pages,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let request = UpsertUsersRequest {
            company_id: "c1".into(),
            users: manual_users(),
        };
        let first = h
            .client
            .upsert_users(request.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first.upserted, 5);
        let again = h.client.upsert_users(request).await.unwrap().into_inner();
        assert_eq!(again.upserted, 5);
        let users = all_users(&mut h, "c1").await;
        let rows: Vec<_> = users
            .iter()
            .map(|u| (u.user_id.as_str(), u.user_code.as_str(), u.name.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("u1", "U000123", "市ヶ谷 市子"),
                ("u2", "U000124", "湊山 信輔"),
                ("u3", "U00528", "千住 五郎"),
                ("u4", "", "戸田 八郎"),
                ("u5", "", "用賀 百男"),
            ]
        );
        assert!(
            users.iter().all(|u| !u.kot_link_enabled),
            "new users start 無効"
        );
        // Other companies are separate.
        assert!(all_users(&mut h, "c2").await.is_empty());
        h.finish().await;
    }
);

both_engines!(
    impossible_user_codes_are_stored_with_a_warning,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let response = h
            .client
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: vec![
                    user("u1", "U000123", "ok"),
                    user("u2", "Ｕ０００１２４", "full width"),
                    user("u3", " U000125", "space"),
                    user("u4", "U1", "short"),
                    user("u5", "", "no code"),
                ],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.upserted, 5);
        let warned: Vec<_> = response
            .warnings
            .iter()
            .map(|w| (w.index, w.field.as_str()))
            .collect();
        assert_eq!(
            warned,
            [
                (1, "users[1].user_code"),
                (2, "users[2].user_code"),
                (3, "users[3].user_code"),
                (4, "users[4].user_code")
            ]
        );
        assert!(response.warnings[0].description.contains("全角文字"));
        let stored = all_users(&mut h, "c1").await;
        assert_eq!(stored[1].user_code, "Ｕ０００１２４", "stored as given");
        assert_eq!(stored[2].user_code, " U000125", "stored as given");
        h.finish().await;
    }
);

both_engines!(
    a_batch_with_bad_users_stores_the_good_ones_and_names_each_bad_field,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let status = h
            .client
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: vec![
                    user("u1", "U000123", "市ヶ谷 市子"),
                    user("", "U000124", "no id"),
                    user("u3", "U000125", &"長".repeat(41)),
                    user("u4", "U00\u{7}126", "bell"),
                    user("u1", "U000127", "duplicate id"),
                    user("u6", "U000128", "湊山 信輔"),
                ],
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.message().contains("4 of 6 users rejected"),
            "{}",
            status.message()
        );
        let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "users[1].user_id",
                "users[2].name",
                "users[3].user_code",
                "users[4].user_id"
            ]
        );
        // The descriptions are what the cyzen platform shows the admin: Japanese by default.
        let descriptions: Vec<String> = violations(&status).into_iter().map(|(_, d)| d).collect();
        assert_eq!(
            descriptions,
            [
                "必須です。",
                "40文字以内で指定してください。",
                "制御文字は使用できません。",
                "このリクエストの中で重複しています。"
            ]
        );
        // In English on request; the message (for engineers) is English either way.
        let mut english = tonic::Request::new(UpsertUsersRequest {
            company_id: "c1".into(),
            users: vec![
                user("", "U000124", "no id"),
                user("u3", "U000125", &"長".repeat(41)),
            ],
        });
        english
            .metadata_mut()
            .insert("accept-language", "en".parse().unwrap());
        let english = h.client.upsert_users(english).await.unwrap_err();
        assert_eq!(
            violations(&english),
            [
                ("users[0].user_id".to_owned(), "is required".to_owned()),
                (
                    "users[1].name".to_owned(),
                    "must be at most 40 characters".to_owned()
                )
            ]
        );
        assert!(english.message().contains("users[0].user_id is required"));
        assert!(
            status.message().contains("users[1].user_id is required"),
            "{}",
            status.message()
        );
        let ids: Vec<_> = all_users(&mut h, "c1")
            .await
            .into_iter()
            .map(|u| (u.user_id, u.user_code))
            .collect();
        assert_eq!(
            ids,
            [
                ("u1".to_owned(), "U000123".to_owned()),
                ("u6".to_owned(), "U000128".to_owned())
            ]
        );
        h.finish().await;
    }
);

both_engines!(oversized_batches_are_refused_whole, |db: Db| async move {
    let mut h = Harness::on(db).await;
    let users: Vec<_> = (0..5001)
        .map(|i| user(&format!("u{i}"), "U000123", "x"))
        .collect();
    let status = h
        .client
        .upsert_users(UpsertUsersRequest {
            company_id: "c1".into(),
            users,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(all_users(&mut h, "c1").await.is_empty());
    let links: Vec<_> = (0..5001)
        .map(|i| UserLinkFlag {
            user_id: format!("u{i}"),
            enabled: true,
        })
        .collect();
    let status = h
        .client
        .set_user_links(SetUserLinksRequest {
            company_id: "c1".into(),
            links,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    h.finish().await;
});

both_engines!(
    users_are_deleted_and_unknown_ids_reported,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        h.client
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: manual_users(),
            })
            .await
            .unwrap();
        let deleted = h
            .client
            .delete_users(DeleteUsersRequest {
                company_id: "c1".into(),
                user_ids: vec!["u4".into(), "u5".into(), "u9".into()],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(deleted.deleted, 2);
        assert_eq!(deleted.unknown_user_ids, ["u9"]);
        assert_eq!(all_users(&mut h, "c1").await.len(), 3);
        h.finish().await;
    }
);

both_engines!(list_input_is_checked, |db: Db| async move {
    let mut h = Harness::on(db).await;
    let status = h
        .client
        .list_users(ListUsersRequest {
            company_id: "c1".into(),
            page_size: 1001,
            page_token: "not-a-token!".into(),
            user_ids: Vec::new(),
        })
        .await
        .unwrap_err();
    let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["page_size", "page_token"]);
    h.finish().await;
});

both_engines!(
    format_characters_are_refused_in_ids_and_names_and_warned_of_in_codes,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let status = h
            .client
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: vec![
                    user("u\u{202E}1", "U000123", "市ヶ谷 市子"),
                    user("u2", "U000124", "湊山\u{2067}信輔\u{2069}"),
                    user("u3", "U000125", "千住 五郎"),
                ],
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let found = violations(&status);
        let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["users[0].user_id", "users[1].name"]);
        assert!(found[0].1.contains("U+202E"), "{}", found[0].1);
        assert!(found[1].1.contains("U+2067, U+2069"), "{}", found[1].1);
        assert_eq!(all_users(&mut h, "c1").await.len(), 1, "u3 is stored");

        // A user code is stored as cyzen has it, with a warning: no employee code holds these.
        let response = h
            .client
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: vec![
                    user("u4", "U000126\u{202E}", "戸田 八郎"),
                    user("u5", "U000127😀", "用賀 百男"),
                ],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.upserted, 2);
        let warned: Vec<(&str, &str)> = response
            .warnings
            .iter()
            .map(|w| (w.field.as_str(), w.description.as_str()))
            .collect();
        assert_eq!(warned.len(), 2, "{warned:?}");
        assert_eq!(warned[0].0, "users[0].user_code");
        assert!(
            warned[0].1.contains("U+202E") && warned[0].1.contains("「U000126」"),
            "{}",
            warned[0].1
        );
        assert!(!warned[0].1.contains('\u{202E}'), "{}", warned[0].1);
        assert!(warned[1].1.contains("U+1F600"), "{}", warned[1].1);
        h.finish().await;
    }
);
