//! A settings service behind the test kit's production server (caller authentication on) on a
//! given database, with a KING OF TIME simulator.

#![allow(dead_code)]

use std::sync::Arc;

use kintai_core::Db;
use kintai_core::peer::PeerChannel;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_settings::SettingsDeps;
use kintai_settings::crypto::KeyRing;
use kintai_testkit::{App, Caller, sim};
use kot_sim::{SimHandle, Simulator, TokenOptions};
use sqlx::Row;

/// The simulator company and its token, available in every harness.
pub const COMPANY_CODE: &str = "demo";
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const SUSPENDED_TOKEN: &str = "fedcba9876543210fedcba9876543210";
/// A second valid token of the simulator company, for a second cyzen company.
pub const OTHER_TOKEN: &str = "00112233445566778899aabbccddeeff";

pub struct Harness {
    /// The platform's client: every public RPC.
    pub client: SettingsServiceClient<PeerChannel>,
    /// The matcher's client: GetCredentials and ReportTokenRejected.
    pub peer: SettingsServiceClient<PeerChannel>,
    pub app: App,
    pub sim: Simulator,
    sim_handle: SimHandle,
}

impl Harness {
    /// A harness on `db` (the test owns the database) with a fresh key ring.
    pub async fn on(db: Db) -> Self {
        let keys_spec = KeyRing::generate_entry("k1");
        Self::on_with_keys(db, &keys_spec).await
    }

    pub async fn on_with_keys(db: Db, keys_spec: &str) -> Self {
        let sim_handle = sim::start_with(kot_sim::SimConfig::default()).await;
        let sim = sim_handle.sim.clone();
        sim.create_company(COMPANY_CODE).unwrap();
        sim.add_token(COMPANY_CODE, TOKEN, TokenOptions::default())
            .unwrap();
        sim.add_token(COMPANY_CODE, SUSPENDED_TOKEN, TokenOptions::default())
            .unwrap();
        sim.add_token(COMPANY_CODE, OTHER_TOKEN, TokenOptions::default())
            .unwrap();
        sim.suspend_token(SUSPENDED_TOKEN).unwrap();
        let kot = sim::client(&sim_handle);
        let app = serve(db.clone(), keys_spec, Arc::new(kot)).await;
        Self {
            client: app.settings(Caller::Platform),
            peer: app.settings(Caller::Matcher),
            app,
            sim,
            sim_handle,
        }
    }

    /// Stops the server and the simulator; the database is the caller's to drop.
    pub async fn finish(self) {
        self.app.finish().await.expect("the server ends cleanly");
        let _ = self.sim_handle.shutdown().await;
    }

    pub async fn register(
        &mut self,
        company_id: &str,
        token: &str,
    ) -> Result<Integration, tonic::Status> {
        self.client
            .register_token(RegisterTokenRequest {
                company_id: company_id.to_owned(),
                token: token.to_owned(),
                acceptance: Some(accepted()),
            })
            .await
            .map(|r| r.into_inner().integration.unwrap())
    }

    pub async fn enable(&mut self, company_id: &str, enabled: bool) -> Integration {
        self.client
            .update_integration(UpdateIntegrationRequest {
                company_id: company_id.to_owned(),
                enabled,
                vendor: 0,
            })
            .await
            .unwrap()
            .into_inner()
            .integration
            .unwrap()
    }
}

/// Serves a settings service over `db` behind the kit's server, on 127.0.0.1:0.
pub async fn serve(db: Db, keys_spec: &str, vendor: Arc<dyn kot_client::AttendanceVendor>) -> App {
    let keys = KeyRing::parse(keys_spec).unwrap();
    let service = kintai_settings::service(
        db.clone(),
        4 << 20,
        SettingsDeps {
            vendor,
            keys,
            clock: kintai_core::Clock::system(),
        },
    )
    .await
    .unwrap();
    App::spawn_service(&db, service).await
}

pub fn accepted() -> TermsAcceptance {
    TermsAcceptance {
        accepted_by: "admin@example.co.jp".to_owned(),
        api_terms_accepted: true,
        data_sharing_consented: true,
        accepted_at: None,
    }
}

pub fn user(user_id: &str, user_code: &str, name: &str) -> UserInput {
    UserInput {
        user_id: user_id.to_owned(),
        user_code: user_code.to_owned(),
        name: name.to_owned(),
    }
}

/// The manual's 連携状況 example users.
pub fn manual_users() -> Vec<UserInput> {
    vec![
        user("u1", "U000123", "市ヶ谷 市子"),
        user("u2", "U000124", "湊山 信輔"),
        user("u3", "U00528", "千住 五郎"),
        user("u4", "", "戸田 八郎"),
        user("u5", "", "用賀 百男"),
    ]
}

/// Every user of a company, read with ListUsers two a page.
pub async fn all_users(h: &mut Harness, company_id: &str) -> Vec<User> {
    let mut users = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = h
            .client
            .list_users(ListUsersRequest {
                company_id: company_id.into(),
                page_size: 2,
                page_token,
                user_ids: Vec::new(),
            })
            .await
            .unwrap()
            .into_inner();
        users.extend(page.users);
        if page.next_page_token.is_empty() {
            return users;
        }
        page_token = page.next_page_token;
    }
}

/// Every text cell of the companies table.
pub async fn stored_text(db: &kintai_core::Db) -> String {
    let rows = sqlx::query(
        "SELECT company_id, COALESCE(token_ciphertext, ''), COALESCE(token_key_id, ''), \
         COALESCE(token_fingerprint, ''), COALESCE(token_rejected_reason, ''), COALESCE(accepted_by, '') FROM companies",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|row| {
            (0..6)
                .map(|i| row.get::<String, _>(i))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
