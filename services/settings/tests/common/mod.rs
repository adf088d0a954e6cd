//! A settings server on an ephemeral port with a fresh database and a KING OF TIME simulator.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use kintai_core::server::{GrpcServer, ServerConfig};
use kintai_core::testing::{TestDb, TestEngine};
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_settings::SettingsDeps;
use kintai_settings::crypto::KeyRing;
use kot_client::{KotClient, KotConfig};
use kot_sim::{SimHandle, Simulator, TokenOptions};
use tonic::transport::Channel;

/// The simulator company and its token, available in every harness.
pub const COMPANY_CODE: &str = "demo";
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const SUSPENDED_TOKEN: &str = "fedcba9876543210fedcba9876543210";

pub struct Harness {
    pub client: SettingsServiceClient<Channel>,
    pub sim: Simulator,
    pub keys_spec: String,
    pub test_db: TestDb,
    sim_handle: Option<SimHandle>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Harness {
    /// A harness on the engine, or `None` when PostgreSQL is not configured.
    pub async fn start(engine: TestEngine) -> Option<Self> {
        let keys_spec = KeyRing::generate_entry("k1");
        Self::start_with_keys(engine, &keys_spec).await
    }

    pub async fn start_with_keys(engine: TestEngine, keys_spec: &str) -> Option<Self> {
        let test_db = TestDb::new(engine).await?;
        let sim_handle = kot_sim::spawn_local().await.expect("simulator");
        let sim = sim_handle.sim.clone();
        sim.create_company(COMPANY_CODE).unwrap();
        sim.add_token(COMPANY_CODE, TOKEN, TokenOptions::default())
            .unwrap();
        sim.add_token(COMPANY_CODE, SUSPENDED_TOKEN, TokenOptions::default())
            .unwrap();
        sim.suspend_token(SUSPENDED_TOKEN).unwrap();
        let kot = KotClient::new(KotConfig {
            base_url: sim_handle.base_url.clone(),
            request_timeout: Duration::from_secs(5),
            ..KotConfig::default()
        })
        .unwrap();
        let (client, stop, server) = serve(test_db.db.clone(), keys_spec, Arc::new(kot)).await;
        Some(Self {
            client,
            sim,
            keys_spec: keys_spec.to_owned(),
            test_db,
            sim_handle: Some(sim_handle),
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// Stops the server, the simulator and drops the database.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(sim) = self.sim_handle.take() {
            let _ = sim.shutdown().await;
        }
        self.test_db.finish().await;
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

/// Serves a settings service over `db` on 127.0.0.1:0.
pub async fn serve(
    db: kintai_core::Db,
    keys_spec: &str,
    vendor: Arc<dyn kot_client::AttendanceVendor>,
) -> (
    SettingsServiceClient<Channel>,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut server = GrpcServer::new(ServerConfig {
        drain_timeout_secs: 1,
        ..ServerConfig::default()
    });
    server.add_service(service).require_database(db);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .serve(listener, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    let client = SettingsServiceClient::connect(format!("http://{address}"))
        .await
        .unwrap();
    (client, stop, task)
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

/// The field violations of a status, as (field, description).
pub fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The google.rpc.ErrorInfo reason of a status.
/// The google.rpc.LocalizedMessage of a refusal: (locale, message).
pub fn localized(status: &tonic::Status) -> (String, String) {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .localized_message()
        .map(|m| (m.locale.clone(), m.message.clone()))
        .unwrap_or_default()
}

pub fn reason(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// Runs an async test body against a fresh harness on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_engines {
    ($name:ident, |$harness:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let Some(mut $harness) = common::Harness::start(kintai_core::testing::TestEngine::Sqlite).await else {
                    return;
                };
                $body
                $harness.finish().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(mut $harness) = common::Harness::start(kintai_core::testing::TestEngine::Postgres).await else {
                    return;
                };
                $body
                $harness.finish().await;
            }
        }
    };
}
