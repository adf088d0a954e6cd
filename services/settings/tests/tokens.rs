//! Token registration (the acceptance, KING OF TIME's refusals, KING OF TIME unreachable) and
//! credentials for the matcher and the syncer, on both engines.

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
