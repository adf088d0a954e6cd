//! Company switch, company listing and input checks, on both engines. Token registration and
//! credentials are in `tokens.rs`.

mod common;

use common::Harness;
use common::{TOKEN, accepted};
use kintai_core::Db;
use kintai_proto::settings::v1::*;
use kintai_testkit::both_engines;
use kintai_testkit::status::violations;
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
