//! A stored token settings cannot open is one of two problems with two fixes, and 連携状況 and
//! GetIntegration tell them apart, each wholly in the reader's language: the key that sealed it
//! is not configured (restore it), or a key of that id is configured with other bytes (put the
//! right key back under that id). The real settings service and matcher on one server, as
//! `kintai dev` runs them, restarted with other keys over the same database.

use std::sync::Arc;

use kintai_core::Db;
use kintai_core::server::{GrpcServer, ServerConfig};
use kintai_matcher::{GrpcSettings, MatcherDeps};
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::matcher::v1::{InactiveReason, LinkState, ListLinksRequest, RunMatchRequest};
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::{
    GetIntegrationRequest, RegisterTokenRequest, TermsAcceptance, TokenState, TokenStatus,
    TokenUnreadableCause, UpdateIntegrationRequest, UpsertUsersRequest, UserInput,
};
use kintai_settings::SettingsDeps;
use kintai_settings::crypto::KeyRing;
use kintai_testkit::both_engines;
use kot_sim::{Clock, NewEmployee, SimConfig, Simulator, TokenOptions};
use tonic::transport::Channel;

struct Clients {
    settings: SettingsServiceClient<Channel>,
    matcher: MatcherServiceClient<Channel>,
}

/// Settings (with `keys`) and the matcher on one new port over `db`.
async fn start(db: &Db, sim: &kot_sim::SimHandle, keys: &str) -> Clients {
    let vendor = Arc::new(kintai_testkit::sim::client(sim));
    let settings = kintai_settings::service(
        db.clone(),
        4 << 20,
        SettingsDeps {
            vendor: vendor.clone(),
            keys: KeyRing::parse(keys).expect("keys"),
            clock: kintai_core::Clock::system(),
        },
    )
    .await
    .expect("settings");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let mut deps = MatcherDeps::new(
        Arc::new(GrpcSettings::connect_lazy(&url).expect("settings client")),
        vendor,
    );
    deps.clock = kintai_core::Clock::fixed(kintai_testkit::jst("2024-06-03T12:00:00"));
    let matcher = kintai_matcher::service(db.clone(), 4 << 20, deps)
        .await
        .expect("matcher");
    let mut server = GrpcServer::new(ServerConfig::default());
    server
        .add_service(settings)
        .add_service(matcher)
        .require_database(db.clone());
    tokio::spawn(server.serve(listener, std::future::pending()));
    let channel = tonic::transport::Endpoint::from_shared(url)
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    Clients {
        settings: SettingsServiceClient::new(channel.clone()),
        matcher: MatcherServiceClient::new(channel),
    }
}

fn english<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("accept-language", "en".parse().expect("header"));
    request
}

/// The token as GetIntegration shows it, in Japanese and in English.
async fn token(clients: &mut Clients) -> (TokenStatus, String) {
    let get = || GetIntegrationRequest {
        company_id: "c1".into(),
    };
    let token = |response: tonic::Response<kintai_proto::settings::v1::GetIntegrationResponse>| {
        response
            .into_inner()
            .integration
            .and_then(|i| i.token)
            .expect("a token")
    };
    let ja = token(clients.settings.get_integration(get()).await.expect("get"));
    let en = token(
        clients
            .settings
            .get_integration(english(get()))
            .await
            .expect("get"),
    );
    (ja, en.detail)
}

/// u1's row of 連携状況: (state, reason, Japanese text, English text).
async fn row(clients: &mut Clients) -> (LinkState, InactiveReason, String, String) {
    let list = || ListLinksRequest {
        company_id: "c1".into(),
        ..ListLinksRequest::default()
    };
    let ja = clients.matcher.list_links(list()).await.expect("links");
    let en = clients
        .matcher
        .list_links(english(list()))
        .await
        .expect("links");
    let (ja, en) = (
        ja.into_inner().links.remove(0),
        en.into_inner().links.remove(0),
    );
    (ja.state(), ja.reason(), ja.reason_text, en.reason_text)
}

/// No English clause inside a Japanese text (the words the old detail embedded).
fn wholly_japanese(text: &str) {
    for english in [
        "encrypted",
        "configured",
        "decrypt",
        "which is not",
        "wrong key",
    ] {
        assert!(!text.contains(english), "{english:?} in {text}");
    }
}

both_engines!(
    a_missing_key_and_a_wrong_key_are_told_apart,
    |db: Db| async move {
        let sim = Simulator::new(SimConfig {
            clock: Clock::Fixed(kintai_testkit::jst("2024-06-03T12:00:00")),
            ..SimConfig::default()
        });
        sim.create_company("demo").expect("company");
        sim.add_division("demo", "100", "本社", chrono::NaiveTime::MIN)
            .expect("division");
        let kot_token = sim
            .issue_token("demo", TokenOptions::default())
            .expect("token");
        sim.add_employee(
            "demo",
            NewEmployee {
                code: "U000123".into(),
                last_name: "市ヶ谷".into(),
                first_name: "いちこ".into(),
                division_code: "100".into(),
                resigned_on: None,
            },
        )
        .expect("employee");
        let handle = sim.clone().spawn_local().await.expect("simulator");

        let original = KeyRing::generate_entry("k1");
        let mut clients = start(&db, &handle, &original).await;
        clients
            .settings
            .update_integration(UpdateIntegrationRequest {
                company_id: "c1".into(),
                enabled: true,
                vendor: 0,
            })
            .await
            .expect("enable");
        clients
            .settings
            .register_token(RegisterTokenRequest {
                company_id: "c1".into(),
                token: kot_token,
                acceptance: Some(TermsAcceptance {
                    accepted_by: "admin".into(),
                    api_terms_accepted: true,
                    data_sharing_consented: true,
                    accepted_at: None,
                }),
            })
            .await
            .expect("register");
        clients
            .settings
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: vec![UserInput {
                    user_id: "u1".into(),
                    user_code: "U000123".into(),
                    name: "市ヶ谷 市子".into(),
                }],
            })
            .await
            .expect("users");
        clients
            .matcher
            .run_match(RunMatchRequest {
                company_id: "c1".into(),
            })
            .await
            .expect("match");
        assert_eq!(row(&mut clients).await.0, LinkState::Active);

        // The same key id with other bytes (a key file replaced): present, but wrong.
        let mut clients = start(&db, &handle, &KeyRing::generate_entry("k1")).await;
        let (status, english_detail) = token(&mut clients).await;
        assert_eq!(status.state(), TokenState::Unreadable);
        assert_eq!(status.unreadable_cause(), TokenUnreadableCause::KeyMismatch);
        assert!(
            status.detail.contains("「k1」")
                && status.detail.contains("同じIDの鍵では復号できません"),
            "{}",
            status.detail
        );
        wholly_japanese(&status.detail);
        assert!(
            english_detail.contains("does not open it"),
            "{english_detail}"
        );
        let (state, reason, ja, en) = row(&mut clients).await;
        assert_eq!(
            (state, reason),
            (LinkState::Inactive, InactiveReason::TokenKeyMismatch)
        );
        assert!(ja.contains("同じIDの暗号鍵で復号できません"), "{ja}");
        assert!(
            !ja.contains("見つかりません") && !ja.contains("設定されていない"),
            "{ja}"
        );
        assert!(en.contains("does not open it"), "{en}");

        // Only another key: the one that sealed the token is missing.
        let mut clients = start(&db, &handle, &KeyRing::generate_entry("k2")).await;
        let (status, english_detail) = token(&mut clients).await;
        assert_eq!(status.state(), TokenState::Unreadable);
        assert_eq!(status.unreadable_cause(), TokenUnreadableCause::KeyMissing);
        assert!(
            status.detail.contains("「k1」") && status.detail.contains("設定されていないため"),
            "{}",
            status.detail
        );
        wholly_japanese(&status.detail);
        assert!(english_detail.contains("does not have"), "{english_detail}");
        let (state, reason, ja, en) = row(&mut clients).await;
        assert_eq!(
            (state, reason),
            (LinkState::Inactive, InactiveReason::TokenUnreadable)
        );
        assert!(ja.contains("設定されていないため"), "{ja}");
        assert!(en.contains("is not among"), "{en}");

        // The original key back: usable again.
        let mut clients = start(&db, &handle, &original).await;
        assert_eq!(token(&mut clients).await.0.state(), TokenState::Valid);
        let _ = handle.shutdown().await;
    }
);
