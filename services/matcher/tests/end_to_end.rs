//! The matcher against the real settings service (over gRPC, as deployed) and the KING OF TIME
//! simulator, both services in one server on one database, as `kintai dev` runs them.

use std::sync::Arc;

use chrono::{DateTime, NaiveTime, Utc};
use kintai_core::Db;
use kintai_core::server::{GrpcServer, ServerConfig};
use kintai_matcher::{GrpcSettings, MatcherDeps};
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::matcher::v1::{
    HintKind, InactiveReason, LinkState, ListLinksRequest, ListLinksResponse, MatchOutcome,
    RunMatchRequest,
};
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::{
    GetIntegrationRequest, RegisterTokenRequest, SetUserLinksRequest, TermsAcceptance, TokenState,
    UpdateIntegrationRequest, UpsertUsersRequest, UserInput, UserLinkFlag,
};
use kintai_settings::SettingsDeps;
use kintai_settings::crypto::KeyRing;
use kintai_testkit::both_engines;
use kot_sim::{Clock, NewEmployee, SimConfig, Simulator, TokenOptions};
use tonic::transport::Channel;

fn noon() -> DateTime<Utc> {
    kintai_testkit::jst("2024-06-03T12:00:00")
}

struct Clients {
    /// Keeps the simulator serving for the test's duration.
    _sim: kot_sim::SimHandle,
    settings: SettingsServiceClient<Channel>,
    matcher: MatcherServiceClient<Channel>,
}

/// Settings and matcher on one port; the matcher reaches settings through that port.
async fn start(db: Db, sim: &Simulator) -> Clients {
    let handle = sim.clone().spawn_local().await.expect("simulator");
    let vendor = Arc::new(kintai_testkit::sim::client(&handle));
    let keys = KeyRing::parse(&KeyRing::generate_entry("k1")).expect("keys");
    let settings = kintai_settings::service(
        db.clone(),
        4 << 20,
        SettingsDeps {
            vendor: vendor.clone(),
            keys,
            clock: kintai_core::Clock::system(),
        },
    )
    .await
    .expect("settings");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let port = GrpcSettings::connect_lazy(&url).expect("settings client");
    let mut deps = MatcherDeps::new(Arc::new(port), vendor);
    deps.clock = kintai_core::Clock::fixed(noon());
    let matcher = kintai_matcher::service(db.clone(), 4 << 20, deps)
        .await
        .expect("matcher");
    let mut server = GrpcServer::new(ServerConfig::default());
    server
        .add_service(settings)
        .add_service(matcher)
        .require_database(db);
    tokio::spawn(server.serve(listener, std::future::pending()));
    let channel = tonic::transport::Endpoint::from_shared(url)
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    Clients {
        _sim: handle,
        settings: SettingsServiceClient::new(channel.clone()),
        matcher: MatcherServiceClient::new(channel),
    }
}

fn user(id: &str, code: &str, name: &str) -> UserInput {
    UserInput {
        user_id: id.into(),
        user_code: code.into(),
        name: name.into(),
    }
}

async fn links(clients: &mut Clients) -> ListLinksResponse {
    clients
        .matcher
        .list_links(ListLinksRequest {
            company_id: "c1".into(),
            ..ListLinksRequest::default()
        })
        .await
        .expect("list links")
        .into_inner()
}

async fn run(clients: &mut Clients, company_id: &str) -> Vec<(String, MatchOutcome)> {
    clients
        .matcher
        .run_match(RunMatchRequest {
            company_id: company_id.into(),
        })
        .await
        .expect("run")
        .into_inner()
        .results
        .iter()
        .map(|r| (r.company_id.clone(), r.outcome()))
        .collect()
}

both_engines!(the_manuals_flow_through_settings, |db: Db| async move {
    let sim = Simulator::new(SimConfig {
        clock: Clock::Fixed(noon()),
        ..SimConfig::default()
    });
    sim.create_company("demo").expect("company");
    sim.add_division("demo", "100", "本社", NaiveTime::MIN)
        .expect("division");
    let token = sim
        .issue_token("demo", TokenOptions::default())
        .expect("token");
    for (code, last, first) in [
        ("U000123", "市ヶ谷", "いちこ"),
        ("U000124", "湊山", "信輔"),
        ("U000528", "千住", "五郎"),
    ] {
        sim.add_employee(
            "demo",
            NewEmployee {
                code: code.into(),
                last_name: last.into(),
                first_name: first.into(),
                division_code: "100".into(),
                resigned_on: None,
            },
        )
        .expect("employee");
    }
    let mut clients = start(db, &sim).await;

    // The administrator's steps: 勤怠連携 有効, token, users, KING OF TIME連携 per user.
    let settings = &mut clients.settings;
    settings
        .update_integration(UpdateIntegrationRequest {
            company_id: "c1".into(),
            enabled: true,
            vendor: 0,
        })
        .await
        .expect("enable");
    settings
        .register_token(RegisterTokenRequest {
            company_id: "c1".into(),
            token: token.clone(),
            acceptance: Some(TermsAcceptance {
                accepted_by: "admin".into(),
                api_terms_accepted: true,
                data_sharing_consented: true,
                accepted_at: None,
            }),
        })
        .await
        .expect("register token");
    settings
        .upsert_users(UpsertUsersRequest {
            company_id: "c1".into(),
            users: vec![
                user("u1", "U000123", "市ヶ谷 市子"),
                user("u2", "U000124", "湊山 信輔"),
                user("u3", "U00528", "千住 五郎"),
                user("u4", "", "戸田 八郎"),
                user("u5", "", "用賀 百男"),
            ],
        })
        .await
        .expect("users");
    settings
        .set_user_links(SetUserLinksRequest {
            company_id: "c1".into(),
            links: vec![UserLinkFlag {
                user_id: "u1".into(),
                enabled: true,
            }],
        })
        .await
        .expect("flags");

    assert_eq!(
        run(&mut clients, "c1").await,
        [("c1".to_owned(), MatchOutcome::Matched)]
    );
    // The CronJob's fan-out finds the company through ListCompanies.
    assert_eq!(
        run(&mut clients, "").await,
        [("c1".to_owned(), MatchOutcome::Matched)]
    );
    let table = links(&mut clients).await;
    let rows: Vec<(&str, LinkState, InactiveReason, bool)> = table
        .links
        .iter()
        .map(|l| {
            (
                l.user_id.as_str(),
                l.state(),
                l.reason(),
                l.kot_link_enabled,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("u1", LinkState::Active, InactiveReason::Unspecified, true),
            ("u2", LinkState::Active, InactiveReason::Unspecified, false),
            ("u3", LinkState::Inactive, InactiveReason::NoEmployee, false),
            ("u4", LinkState::Inactive, InactiveReason::NoUserCode, false),
            ("u5", LinkState::Inactive, InactiveReason::NoUserCode, false),
        ]
    );
    assert_eq!(table.links[0].employee_name, "市ヶ谷 いちこ");
    assert_eq!(
        table.links[2].hint.as_ref().map(|h| h.kind()),
        Some(HintKind::ZeroPadding)
    );

    // KING OF TIME stops accepting the token: reported to settings, shown for every user.
    sim.suspend_token(&token).expect("suspend");
    assert_eq!(
        run(&mut clients, "c1").await,
        [("c1".to_owned(), MatchOutcome::TokenRejected)]
    );
    let integration = clients
        .settings
        .get_integration(GetIntegrationRequest {
            company_id: "c1".into(),
        })
        .await
        .expect("integration")
        .into_inner()
        .integration
        .expect("integration");
    assert_eq!(
        integration.token.map(|t| t.state()),
        Some(TokenState::Rejected)
    );
    let table = links(&mut clients).await;
    assert!(
        table
            .links
            .iter()
            .all(|l| l.reason() == InactiveReason::TokenRejected)
    );

    // 勤怠連携 無効: shown for every user, and the run is skipped.
    clients
        .settings
        .update_integration(UpdateIntegrationRequest {
            company_id: "c1".into(),
            enabled: false,
            vendor: 0,
        })
        .await
        .expect("disable");
    let table = links(&mut clients).await;
    assert!(
        table
            .links
            .iter()
            .all(|l| l.reason() == InactiveReason::IntegrationDisabled)
    );
    assert_eq!(
        run(&mut clients, "c1").await,
        [("c1".to_owned(), MatchOutcome::Skipped)]
    );
    assert!(run(&mut clients, "").await.is_empty());
});

both_engines!(
    large_directories_are_read_page_by_page,
    |db: Db| async move {
        // More users than one ListUsers page (1,000) and than one ListLinks page.
        const USERS: usize = 1_205;
        let sim = Simulator::new(SimConfig {
            clock: Clock::Fixed(noon()),
            ..SimConfig::default()
        });
        sim.create_company("big").expect("company");
        sim.add_division("big", "100", "本社", NaiveTime::MIN)
            .expect("division");
        let token = sim
            .issue_token("big", TokenOptions::default())
            .expect("token");
        for i in 0..USERS {
            sim.add_employee(
                "big",
                NewEmployee {
                    code: format!("E{i:05}"),
                    last_name: "社員".into(),
                    first_name: format!("{i}"),
                    division_code: "100".into(),
                    resigned_on: None,
                },
            )
            .expect("employee");
        }
        let mut clients = start(db, &sim).await;
        let settings = &mut clients.settings;
        settings
            .update_integration(UpdateIntegrationRequest {
                company_id: "c1".into(),
                enabled: true,
                vendor: 0,
            })
            .await
            .expect("enable");
        settings
            .register_token(RegisterTokenRequest {
                company_id: "c1".into(),
                token,
                acceptance: Some(TermsAcceptance {
                    accepted_by: "admin".into(),
                    api_terms_accepted: true,
                    data_sharing_consented: true,
                    accepted_at: None,
                }),
            })
            .await
            .expect("register token");
        settings
            .upsert_users(UpsertUsersRequest {
                company_id: "c1".into(),
                users: (0..USERS)
                    .map(|i| user(&format!("u{i:05}"), &format!("E{i:05}"), "社員"))
                    .collect(),
            })
            .await
            .expect("users");

        let response = clients
            .matcher
            .run_match(RunMatchRequest {
                company_id: "c1".into(),
            })
            .await
            .expect("run")
            .into_inner();
        let result = &response.results[0];
        assert_eq!(result.outcome(), MatchOutcome::Matched, "{result:?}");
        assert_eq!((result.users, result.linked), (USERS as u32, USERS as u32));

        let mut seen = 0;
        let mut pages = 0;
        let mut page_token = String::new();
        loop {
            let page = clients
                .matcher
                .list_links(ListLinksRequest {
                    company_id: "c1".into(),
                    state: LinkState::Active.into(),
                    page_size: 1_000,
                    page_token,
                })
                .await
                .expect("page")
                .into_inner();
            seen += page.links.len();
            pages += 1;
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        assert_eq!((seen, pages), (USERS, 2));
    }
);
