//! What the matcher needs from the settings service, behind a small trait: the shared settings
//! client in production (`kintai-settings-client`, also the syncer's), the real service in
//! end-to-end tests, [`MemorySettings`] in logic tests and benchmarks.

use async_trait::async_trait;
use kintai_core::auth::ClientCredentials;
use kintai_settings_client::{CompanyState, SettingsClient, SettingsError};
use tonic::transport::Channel;

pub use kintai_settings_client::{Credentials, IntegrationState, TokenState};

use crate::model::{Condition, DirectoryUser};

#[derive(Debug, Clone, thiserror::Error)]
pub enum PortError {
    /// Settings could not be asked or failed; a later run may succeed.
    #[error("the settings service failed: {0}")]
    Unavailable(String),
}

impl From<SettingsError> for PortError {
    fn from(error: SettingsError) -> Self {
        Self::Unavailable(error.0)
    }
}

/// Whether the company can be matched, and if not, why.
pub fn condition(state: &IntegrationState) -> Condition {
    match (state.enabled, state.token) {
        (false, _) => Condition::IntegrationDisabled,
        (true, TokenState::None) => Condition::NoToken,
        (true, TokenState::Rejected) => Condition::TokenRejected,
        (true, TokenState::Unreadable) => Condition::TokenUnreadable,
        (true, TokenState::KeyMismatch) => Condition::TokenKeyMismatch,
        (true, TokenState::Valid) => Condition::Ready,
    }
}

#[async_trait]
pub trait SettingsPort: Send + Sync {
    /// The companies whose integration is enabled, with their revisions.
    async fn enabled_companies(&self) -> Result<Vec<CompanyState>, PortError>;
    async fn integration(&self, company_id: &str) -> Result<IntegrationState, PortError>;
    /// The whole directory of a company.
    async fn users(&self, company_id: &str) -> Result<Vec<DirectoryUser>, PortError>;
    /// The users among `user_ids` that are in the directory (a page of 連携状況).
    async fn users_by_ids(
        &self,
        company_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<DirectoryUser>, PortError>;
    /// The token, or `None` when the integration is off or has no usable token.
    async fn credentials(&self, company_id: &str) -> Result<Option<Credentials>, PortError>;
    /// KING OF TIME answered 403 / code 100 for this token, with this message of its own.
    async fn report_token_rejected(
        &self,
        company_id: &str,
        fingerprint: &str,
        vendor_message: &str,
    ) -> Result<(), PortError>;
}

/// The settings service over gRPC.
#[derive(Clone, Debug)]
pub struct GrpcSettings {
    client: SettingsClient,
}

impl GrpcSettings {
    pub fn new(channel: Channel) -> Self {
        Self::with_credentials(channel, ClientCredentials::none())
    }

    /// A client that presents the matcher's caller credentials to settings.
    pub fn with_credentials(channel: Channel, credentials: ClientCredentials) -> Self {
        Self {
            client: SettingsClient::new(channel, credentials),
        }
    }

    /// A client that connects on first use, so a process can build it before the settings
    /// server (possibly itself, in `kintai dev`) listens.
    pub fn connect_lazy(url: &str) -> anyhow::Result<Self> {
        let channel = tonic::transport::Endpoint::from_shared(url.to_owned())?
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30))
            .connect_lazy();
        Ok(Self::new(channel))
    }
}

#[async_trait]
impl SettingsPort for GrpcSettings {
    async fn enabled_companies(&self) -> Result<Vec<CompanyState>, PortError> {
        Ok(self.client.companies(true).await?)
    }

    async fn integration(&self, company_id: &str) -> Result<IntegrationState, PortError> {
        Ok(self.client.integration(company_id).await?)
    }

    async fn users(&self, company_id: &str) -> Result<Vec<DirectoryUser>, PortError> {
        Ok(self.client.users(company_id).await?)
    }

    async fn users_by_ids(
        &self,
        company_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<DirectoryUser>, PortError> {
        Ok(self.client.users_by_ids(company_id, user_ids).await?)
    }

    async fn credentials(&self, company_id: &str) -> Result<Option<Credentials>, PortError> {
        Ok(self.client.credentials(company_id).await?)
    }

    async fn report_token_rejected(
        &self,
        company_id: &str,
        fingerprint: &str,
        vendor_message: &str,
    ) -> Result<(), PortError> {
        Ok(self
            .client
            .report_token_rejected(company_id, fingerprint, vendor_message)
            .await?)
    }
}
