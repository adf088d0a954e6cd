//! MatcherService over gRPC: caller authentication in front, input validation, and the proto
//! form of outcomes and of the 連携状況 table (labels, reasons, hints, times, paging).

mod common;

use common::{at, env};
use kintai_core::Db;
use kintai_proto::matcher::v1::{
    HintKind, InactiveReason, LinkState, ListLinksRequest, MatchOutcome, RunMatchRequest,
};
use kintai_testkit::both_engines;
use kintai_testkit::{Caller, status};
use tonic::Code;

/// The fields a refusal names, sorted: it must be INVALID_ARGUMENT.
fn violated_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let mut fields = status::violated_fields(status);
    fields.sort();
    fields
}

both_engines!(requests_are_validated, |db: Db| async move {
    let env = env(db).await;
    let mut client = env.client();
    let status = client
        .list_links(ListLinksRequest {
            company_id: String::new(),
            state: 9,
            page_size: 1_001,
            page_token: "!!!".into(),
        })
        .await
        .expect_err("invalid");
    assert_eq!(
        violated_fields(&status),
        ["company_id", "page_size", "page_token", "state"]
    );
    for bad in ["x".repeat(65), "bell\u{7}".into(), " padded".into()] {
        let status = client
            .run_match(RunMatchRequest { company_id: bad })
            .await
            .expect_err("invalid");
        assert_eq!(violated_fields(&status), ["company_id"]);
    }
    // Nothing was called for the rejected requests.
    assert!(env.sim.request_log().is_empty());
});

both_engines!(
    tokens_longer_than_any_key_are_refused,
    |db: Db| async move {
        let env = env(db).await;
        let mut client = env.client();
        // A 10 KB token decodes to a "user id" no row can have: it used to start again at page 1.
        let status = client
            .list_links(ListLinksRequest {
                company_id: "acme".into(),
                page_token: kintai_core::paging::encode_token(&[&"u".repeat(7_500)]),
                ..ListLinksRequest::default()
            })
            .await
            .expect_err("a token of no page");
        assert_eq!(violated_fields(&status), ["page_token"]);
        let huge = "A".repeat(10_240);
        let status = client
            .list_links(ListLinksRequest {
                company_id: "acme".into(),
                page_token: huge,
                ..ListLinksRequest::default()
            })
            .await
            .expect_err("a 10 KB token");
        assert_eq!(violated_fields(&status), ["page_token"]);
    }
);

both_engines!(the_table_in_proto_form, |db: Db| async move {
    let env = env(db).await;
    env.company("c1");
    let key = env.employee("c1", "U000123", "市ヶ谷", "いちこ");
    env.employee("c1", "U000528", "千住", "五郎");
    env.users(
        "c1",
        &[
            ("u1", "U000123", "市ヶ谷 市子"),
            ("u2", "U00528", "千住 五郎"),
            ("u3", "", "戸田 八郎"),
        ],
    );
    let mut client = env.client();
    let response = client
        .run_match(RunMatchRequest {
            company_id: "c1".into(),
        })
        .await
        .expect("run")
        .into_inner();
    assert_eq!(response.results.len(), 1);
    let result = &response.results[0];
    assert_eq!(result.outcome(), MatchOutcome::Matched);
    assert_eq!(
        (
            result.users,
            result.linked,
            result.unlinked,
            result.employees
        ),
        (3, 1, 2, 2)
    );
    assert!(result.reason.is_empty());
    assert_eq!(
        response.started_at.map(|t| t.seconds),
        Some(at("12:00:00").timestamp())
    );

    let mut links = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_links(ListLinksRequest {
                company_id: "c1".into(),
                state: 0,
                page_size: 2,
                page_token,
            })
            .await
            .expect("page")
            .into_inner();
        assert_eq!(
            page.last_matched_at.map(|t| t.seconds),
            Some(at("12:00:00").timestamp())
        );
        links.extend(page.links);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(links.len(), 3);

    let u1 = &links[0];
    assert_eq!(
        (u1.state(), u1.state_label.as_str()),
        (LinkState::Active, "有効")
    );
    assert_eq!(u1.employee_key, key);
    assert_eq!(u1.employee_code, "U000123");
    assert_eq!(u1.employee_name, "市ヶ谷 いちこ");
    assert_eq!(u1.user_name, "市ヶ谷 市子");
    assert!(u1.kot_link_enabled);
    assert_eq!(
        u1.account_synced_at.map(|t| t.seconds),
        Some(at("12:00:00").timestamp())
    );
    assert_eq!(u1.reason(), InactiveReason::Unspecified);
    assert!(u1.hint.is_none());

    let u2 = &links[1];
    assert_eq!(
        (u2.state(), u2.state_label.as_str()),
        (LinkState::Inactive, "無効")
    );
    assert_eq!(u2.reason(), InactiveReason::NoEmployee);
    assert!(u2.reason_text.contains("U00528"), "{}", u2.reason_text);
    assert!(u2.employee_key.is_empty() && u2.account_synced_at.is_none());
    let hint = u2.hint.as_ref().expect("a hint");
    assert_eq!(hint.kind(), HintKind::ZeroPadding);
    assert_eq!(hint.employee_code, "U000528");
    assert_eq!(hint.employee_name, "千住 五郎");
    assert!(hint.text.contains("U000528"), "{}", hint.text);

    assert_eq!(links[2].reason(), InactiveReason::NoUserCode);

    // The state filter.
    let inactive = client
        .list_links(ListLinksRequest {
            company_id: "c1".into(),
            state: LinkState::Inactive.into(),
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .expect("page")
        .into_inner();
    let ids: Vec<&str> = inactive.links.iter().map(|l| l.user_id.as_str()).collect();
    assert_eq!(ids, ["u2", "u3"]);

    // The same call in the caller's language: Japanese by default (above, as the manual
    // writes), English on `accept-language: en`; the codes stay as they are.
    assert_eq!(
        u2.reason_text,
        "従業員コード「U00528」のKING OF TIME従業員がいません。ユーザーコードと従業員コードは一文字ずつ完全に一致している必要があります。"
    );
    assert!(
        hint.text
            .contains("ユーザーコード「U00528」を「U000528」に変更してください"),
        "{}",
        hint.text
    );
    let mut english = tonic::Request::new(ListLinksRequest {
        company_id: "c1".into(),
        state: LinkState::Inactive.into(),
        page_size: 0,
        page_token: String::new(),
    });
    english
        .metadata_mut()
        .insert("accept-language", "en".parse().unwrap());
    let english = client.list_links(english).await.expect("page").into_inner();
    let u2_en = &english.links[0];
    assert_eq!(
        (u2_en.reason(), u2_en.state_label.as_str()),
        (InactiveReason::NoEmployee, "inactive (無効)")
    );
    assert_eq!(
        u2_en.reason_text,
        "No KING OF TIME employee has the employee code \"U00528\"; the codes must be equal character for character."
    );
    let hint_en = u2_en.hint.as_ref().expect("a hint");
    assert_eq!(
        (hint_en.kind(), hint_en.employee_code.as_str()),
        (HintKind::ZeroPadding, "U000528")
    );
    assert!(
        hint_en.text.contains("the number of leading zeros differs"),
        "{}",
        hint_en.text
    );
    assert_eq!(english.links[1].reason(), InactiveReason::NoUserCode);
    assert!(
        english.links[1]
            .reason_text
            .starts_with("The user has no user code")
    );
});

both_engines!(deferred_runs_say_when_to_come_back, |db: Db| async move {
    let env = env(db).await;
    env.company("c1");
    env.company("c2");
    env.set_time(at("17:45:00"));
    let mut client = env.client();
    let response = client
        .run_match(RunMatchRequest {
            company_id: String::new(),
        })
        .await
        .expect("run")
        .into_inner();
    let ids: Vec<&str> = response
        .results
        .iter()
        .map(|r| r.company_id.as_str())
        .collect();
    assert_eq!(ids, ["c1", "c2"]);
    for result in &response.results {
        assert_eq!(result.outcome(), MatchOutcome::Deferred);
        assert_eq!(
            result.next_attempt_at.map(|t| t.seconds),
            Some(at("18:30:00").timestamp())
        );
        assert!(
            result.reason.contains("restricted hours"),
            "{}",
            result.reason
        );
    }
    assert_eq!(env.employee_list_calls(), 0);
    // Never matched: no sync time, every user waits for the first run.
    let page = client
        .list_links(ListLinksRequest {
            company_id: "c1".into(),
            ..ListLinksRequest::default()
        })
        .await
        .expect("page")
        .into_inner();
    assert!(page.last_matched_at.is_none());
});

both_engines!(callers_are_authenticated_first, |db: Db| async move {
    let env = env(db).await;
    env.company("c1");
    env.employee("c1", "U000123", "市ヶ谷", "いちこ");
    env.users("c1", &[("u1", "U000123", "市ヶ谷 市子")]);
    let list = || ListLinksRequest {
        company_id: "c1".into(),
        ..ListLinksRequest::default()
    };
    let run = || RunMatchRequest {
        company_id: "c1".into(),
    };

    // No credentials: refused by the server's auth layer before the service.
    let mut anonymous = env.app.matcher(Caller::Anonymous);
    let status = anonymous.list_links(list()).await.expect_err("anonymous");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    let status = anonymous.run_match(run()).await.expect_err("anonymous");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");

    // Known callers the policy does not let in: the trigger reads no table, the syncer runs
    // no match.
    let status = env
        .app
        .matcher(Caller::Trigger)
        .list_links(list())
        .await
        .expect_err("the trigger");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let status = env
        .app
        .matcher(Caller::Syncer)
        .run_match(run())
        .await
        .expect_err("the syncer");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

    // Nothing ran: KING OF TIME was not called and the company was never matched.
    assert!(env.sim.request_log().is_empty());
    let page = env
        .client()
        .list_links(list())
        .await
        .expect("page")
        .into_inner();
    assert!(page.last_matched_at.is_none());
    let ids: Vec<String> = page.links.iter().map(|l| l.user_id.clone()).collect();
    assert!(ids.is_empty(), "{ids:?}");
});
