//! Company switch, token registration and credentials, on both engines.

mod common;

use common::Harness;
use common::{SUSPENDED_TOKEN, TOKEN, accepted};
use kintai_core::Db;
use kintai_proto::settings::v1::*;
use kintai_testkit::Caller;
use kintai_testkit::both_engines;
use kintai_testkit::status::{localized, reason, violations};
use tonic::Code;

both_engines!(
    an_unknown_company_reads_as_disabled_without_a_token,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let integration = h
            .client
            .get_integration(GetIntegrationRequest {
                company_id: "c-new".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .integration
            .unwrap();
        assert!(!integration.enabled);
        assert_eq!(integration.token.unwrap().state(), TokenState::None);
        assert!(integration.updated_at.is_none());
        h.finish().await;
    }
);

both_engines!(switching_on_and_off_keeps_the_token, |db: Db| async move {
    let mut h = Harness::on(db).await;
    let on = h.enable("c1", true).await;
    assert!(on.enabled);
    assert_eq!(on.vendor(), kintai_proto::common::v1::Vendor::KingOfTime);
    let registered = h.register("c1", TOKEN).await.unwrap();
    assert_eq!(
        registered.token.as_ref().unwrap().state(),
        TokenState::Valid
    );
    let off = h.enable("c1", false).await;
    assert!(!off.enabled);
    let token = off.token.unwrap();
    assert_eq!(
        token.state(),
        TokenState::Valid,
        "switching off keeps the token"
    );
    assert_eq!(token.fingerprint.len(), 8);
    h.finish().await;
});

both_engines!(
    a_registered_token_shows_state_fingerprint_and_acceptance_but_never_itself,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let integration = h.register("c1", TOKEN).await.unwrap();
        let token = integration.token.clone().unwrap();
        assert_eq!(token.state(), TokenState::Valid);
        assert!(token.last_verified_at.is_some() && token.registered_at.is_some());
        let acceptance = token.acceptance.unwrap();
        assert_eq!(acceptance.accepted_by, "admin@example.co.jp");
        assert!(acceptance.api_terms_accepted && acceptance.data_sharing_consented);
        assert!(acceptance.accepted_at.is_some());
        assert!(!format!("{integration:?}").contains(TOKEN));
        // The simulator was asked before anything was stored.
        assert!(
            h.sim
                .request_log()
                .iter()
                .any(|entry| entry.path.contains("available"))
        );
        h.finish().await;
    }
);

both_engines!(
    registration_without_the_acceptance_is_refused,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let mut request = RegisterTokenRequest {
            company_id: "c1".into(),
            token: TOKEN.into(),
            acceptance: None,
        };
        let status = h.client.register_token(request.clone()).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
        assert!(
            fields.contains(&"acceptance.api_terms_accepted".to_owned()),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"acceptance.data_sharing_consented".to_owned()),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"acceptance.accepted_by".to_owned()),
            "{fields:?}"
        );
        request.acceptance = Some(TermsAcceptance {
            data_sharing_consented: false,
            ..accepted()
        });
        let status = h.client.register_token(request).await.unwrap_err();
        assert_eq!(
            violations(&status)[0].0,
            "acceptance.data_sharing_consented"
        );
        // Nothing was stored and KING OF TIME was not even asked.
        let integration = h
            .client
            .get_integration(GetIntegrationRequest {
                company_id: "c1".into(),
            })
            .await
            .unwrap();
        assert_eq!(
            integration
                .into_inner()
                .integration
                .unwrap()
                .token
                .unwrap()
                .state(),
            TokenState::None
        );
        assert!(h.sim.request_log().is_empty());
        h.finish().await;
    }
);

both_engines!(
    unavailable_rejected_and_unreachable_tokens_are_three_different_errors,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let unavailable = h.register("c1", SUSPENDED_TOKEN).await.unwrap_err();
        assert_eq!(unavailable.code(), Code::FailedPrecondition);
        assert_eq!(reason(&unavailable), "TOKEN_NOT_AVAILABLE");
        assert!(unavailable.message().contains("not available"));

        let rejected = h
            .register("c1", "99999999999999999999999999999999")
            .await
            .unwrap_err();
        assert_eq!(rejected.code(), Code::FailedPrecondition);
        assert_eq!(reason(&rejected), "TOKEN_AUTHENTICATION_FAILED");
        assert!(rejected.message().contains("permitted IP"));
        // The admin reads the refusal in Japanese unless the caller asks otherwise.
        let (locale, text) = localized(&rejected);
        assert_eq!(locale, "ja");
        assert!(text.contains("許可IPアドレス"), "{text}");
        let mut english = tonic::Request::new(RegisterTokenRequest {
            company_id: "c1".into(),
            token: SUSPENDED_TOKEN.into(),
            acceptance: Some(accepted()),
        });
        english.metadata_mut().insert(
            "accept-language",
            "en-US,en;q=0.9,ja;q=0.5".parse().unwrap(),
        );
        let refused = h.client.register_token(english).await.unwrap_err();
        assert_eq!(
            localized(&refused),
            ("en".to_owned(), unavailable.message().to_owned())
        );

        for status in [&unavailable, &rejected] {
            assert!(
                !status.message().contains(SUSPENDED_TOKEN)
                    && !status.message().contains("9999999999")
            );
        }
        let integration = h
            .client
            .get_integration(GetIntegrationRequest {
                company_id: "c1".into(),
            })
            .await
            .unwrap();
        assert_eq!(
            integration
                .into_inner()
                .integration
                .unwrap()
                .token
                .unwrap()
                .state(),
            TokenState::None
        );
        h.finish().await;
    }
);

#[tokio::test]
async fn an_unreachable_king_of_time_is_unavailable_and_stores_nothing() {
    let test_db = kintai_testkit::TestDb::sqlite().await;
    // A port nothing listens on: connection refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/v1.0", listener.local_addr().unwrap());
    drop(listener);
    let kot = kot_client::KotClient::new(kot_client::KotConfig {
        base_url: dead.parse().unwrap(),
        ..kot_client::KotConfig::default()
    })
    .unwrap();
    let keys = kintai_settings::crypto::KeyRing::generate_entry("k1");
    let app = common::serve(test_db.db.clone(), &keys, std::sync::Arc::new(kot)).await;
    let mut client = app.settings(Caller::Platform);
    let status = client
        .register_token(RegisterTokenRequest {
            company_id: "c1".into(),
            token: TOKEN.into(),
            acceptance: Some(accepted()),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(reason(&status), "VENDOR_UNREACHABLE");
    let integration = client
        .get_integration(GetIntegrationRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        integration
            .into_inner()
            .integration
            .unwrap()
            .token
            .unwrap()
            .state(),
        TokenState::None
    );
    app.finish().await.unwrap();
    test_db.finish().await;
}

both_engines!(
    credentials_are_given_only_for_an_enabled_company_with_a_valid_token,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let ask = |client: &mut kintai_proto::settings::v1::settings_service_client::SettingsServiceClient<_>| {
        let mut client = client.clone();
        async move { client.get_credentials(GetCredentialsRequest { company_id: "c1".into() }).await }
    };
        assert_eq!(
            reason(&ask(&mut h.peer).await.unwrap_err()),
            "INTEGRATION_DISABLED"
        );
        h.enable("c1", true).await;
        assert_eq!(reason(&ask(&mut h.peer).await.unwrap_err()), "NO_TOKEN");
        h.register("c1", TOKEN).await.unwrap();
        let credentials = ask(&mut h.peer).await.unwrap().into_inner();
        assert_eq!(credentials.token, TOKEN);
        assert_eq!(
            credentials.token_fingerprint,
            kot_client::Token::new(TOKEN).fingerprint()
        );

        // The matcher or syncer reports a rejection: the integration shows it and credentials stop.
        let reported = h
            .peer
            .report_token_rejected(ReportTokenRejectedRequest {
                company_id: "c1".into(),
                token_fingerprint: credentials.token_fingerprint.clone(),
                rejection: TokenRejection::AuthenticationFailed as i32,
                vendor_message: "認証に失敗しました".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .integration
            .unwrap();
        let token = reported.token.unwrap();
        assert_eq!(token.state(), TokenState::Rejected);
        assert_eq!(token.rejected_reason, "認証に失敗しました");
        assert_eq!(token.rejection(), TokenRejection::AuthenticationFailed);
        assert!(token.detail.contains("403、コード100"), "{}", token.detail);
        assert_eq!(
            reason(&ask(&mut h.peer).await.unwrap_err()),
            "TOKEN_REJECTED"
        );

        // Registering again makes it valid; a stale report about an older token changes nothing.
        h.register("c1", TOKEN).await.unwrap();
        let stale = h
            .peer
            .report_token_rejected(ReportTokenRejectedRequest {
                company_id: "c1".into(),
                token_fingerprint: "00000000".into(),
                vendor_message: "old".into(),
                ..ReportTokenRejectedRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            stale.integration.unwrap().token.unwrap().state(),
            TokenState::Valid
        );

        h.client
            .delete_token(DeleteTokenRequest {
                company_id: "c1".into(),
            })
            .await
            .unwrap();
        assert_eq!(reason(&ask(&mut h.peer).await.unwrap_err()), "NO_TOKEN");
        h.finish().await;
    }
);

both_engines!(
    companies_are_listed_in_pages_with_an_enabled_filter,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        for i in 0..5 {
            h.enable(&format!("c{i}"), i % 2 == 0).await;
        }
        let mut seen = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = h
                .client
                .list_companies(ListCompaniesRequest {
                    enabled_only: false,
                    page_size: 2,
                    page_token,
                })
                .await
                .unwrap()
                .into_inner();
            seen.extend(page.companies.iter().map(|c| c.company_id.clone()));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        assert_eq!(seen, ["c0", "c1", "c2", "c3", "c4"]);
        let enabled = h
            .client
            .list_companies(ListCompaniesRequest {
                enabled_only: true,
                page_size: 0,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let ids: Vec<_> = enabled
            .companies
            .iter()
            .map(|c| c.company_id.as_str())
            .collect();
        assert_eq!(ids, ["c0", "c2", "c4"]);
        assert!(
            enabled
                .companies
                .iter()
                .all(|c| c.token_state() == TokenState::None)
        );
        h.finish().await;
    }
);

both_engines!(
    integration_input_is_checked_field_by_field,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        let status = h
            .client
            .get_integration(GetIntegrationRequest {
                company_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violations(&status)[0].0, "company_id");
        let status = h
            .client
            .update_integration(UpdateIntegrationRequest {
                company_id: "c\u{0}1".into(),
                enabled: true,
                vendor: 42,
            })
            .await
            .unwrap_err();
        let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["company_id", "vendor"]);
        let status = h
            .client
            .register_token(RegisterTokenRequest {
                company_id: "c1".into(),
                token: "short".into(),
                acceptance: Some(accepted()),
            })
            .await
            .unwrap_err();
        assert_eq!(violations(&status)[0].0, "token");
        assert!(
            !status.message().contains("short"),
            "the token value is not echoed: {}",
            status.message()
        );
        let status = h
            .client
            .list_companies(ListCompaniesRequest {
                enabled_only: false,
                page_size: 5000,
                page_token: "%%%".into(),
            })
            .await
            .unwrap_err();
        let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["page_size", "page_token"]);
        h.finish().await;
    }
);
