//! What the matcher needs from the settings service, behind a small trait: the tonic client in
//! production, the real service in end-to-end tests, [`MemorySettings`] in logic tests and
//! benchmarks.

use async_trait::async_trait;
use kintai_core::auth::ClientCredentials;
use kintai_core::peer::{PeerChannel, peer_channel};
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::{
    GetCredentialsRequest, GetIntegrationRequest, ListCompaniesRequest, ListUsersRequest,
    ReportTokenRejectedRequest, TokenRejection, TokenState as ProtoTokenState,
};
use kot_client::Token;
use tonic::transport::Channel;

use crate::model::{Condition, DirectoryUser};

/// Page size of the list calls: the contract's maximum, to keep round trips few.
const PAGE_SIZE: u32 = 1_000;

#[derive(Debug, Clone, thiserror::Error)]
pub enum PortError {
    /// Settings could not be asked or failed; a later run may succeed.
    #[error("the settings service failed: {0}")]
    Unavailable(String),
}

/// The token state as far as the matcher cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    None,
    Valid,
    Rejected,
    /// Stored, but settings cannot decrypt it with its keys.
    Unreadable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntegrationState {
    pub enabled: bool,
    pub token: TokenState,
}

impl IntegrationState {
    /// Whether the company can be matched, and if not, why.
    pub fn condition(self) -> Condition {
        match (self.enabled, self.token) {
            (false, _) => Condition::IntegrationDisabled,
            (true, TokenState::None) => Condition::NoToken,
            (true, TokenState::Rejected) => Condition::TokenRejected,
            (true, TokenState::Unreadable) => Condition::TokenUnreadable,
            (true, TokenState::Valid) => Condition::Ready,
        }
    }
}

/// A usable token and its fingerprint (to quote when reporting it rejected).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub token: Token,
    pub fingerprint: String,
}

#[async_trait]
pub trait SettingsPort: Send + Sync {
    /// Ids of the companies whose integration is enabled.
    async fn enabled_companies(&self) -> Result<Vec<String>, PortError>;
    async fn integration(&self, company_id: &str) -> Result<IntegrationState, PortError>;
    /// The whole directory of a company.
    async fn users(&self, company_id: &str) -> Result<Vec<DirectoryUser>, PortError>;
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
    client: SettingsServiceClient<PeerChannel>,
}

impl GrpcSettings {
    pub fn new(channel: Channel) -> Self {
        Self::with_credentials(channel, ClientCredentials::none())
    }

    /// A client that presents the matcher's caller credentials to settings.
    pub fn with_credentials(channel: Channel, credentials: ClientCredentials) -> Self {
        Self {
            client: SettingsServiceClient::new(peer_channel(channel, credentials)),
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

fn unavailable(rpc: &str, status: &tonic::Status) -> PortError {
    PortError::Unavailable(format!("{rpc}: {:?}: {}", status.code(), status.message()))
}

/// Guards a paging loop against a server that keeps answering the same token.
fn next_token(previous: &str, next: String, rpc: &str) -> Result<Option<String>, PortError> {
    if next.is_empty() {
        Ok(None)
    } else if next == previous {
        Err(PortError::Unavailable(format!(
            "{rpc}: the page token did not advance"
        )))
    } else {
        Ok(Some(next))
    }
}

#[async_trait]
impl SettingsPort for GrpcSettings {
    async fn enabled_companies(&self) -> Result<Vec<String>, PortError> {
        let mut client = self.client.clone();
        let mut companies = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_companies(ListCompaniesRequest {
                    enabled_only: true,
                    page_size: PAGE_SIZE,
                    page_token: page_token.clone(),
                })
                .await
                .map_err(|s| unavailable("ListCompanies", &s))?
                .into_inner();
            companies.extend(
                page.companies
                    .into_iter()
                    .filter(|c| c.enabled)
                    .map(|c| c.company_id),
            );
            match next_token(&page_token, page.next_page_token, "ListCompanies")? {
                Some(next) => page_token = next,
                None => return Ok(companies),
            }
        }
    }

    async fn integration(&self, company_id: &str) -> Result<IntegrationState, PortError> {
        let integration = self
            .client
            .clone()
            .get_integration(GetIntegrationRequest {
                company_id: company_id.to_owned(),
            })
            .await
            .map_err(|s| unavailable("GetIntegration", &s))?
            .into_inner()
            .integration
            .unwrap_or_default();
        let token = match integration.token.map(|t| t.state()) {
            Some(ProtoTokenState::Valid) => TokenState::Valid,
            Some(ProtoTokenState::Rejected) => TokenState::Rejected,
            Some(ProtoTokenState::Unreadable) => TokenState::Unreadable,
            _ => TokenState::None,
        };
        Ok(IntegrationState {
            enabled: integration.enabled,
            token,
        })
    }

    async fn users(&self, company_id: &str) -> Result<Vec<DirectoryUser>, PortError> {
        let mut client = self.client.clone();
        let mut users = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_users(ListUsersRequest {
                    user_ids: Vec::new(),
                    company_id: company_id.to_owned(),
                    page_size: PAGE_SIZE,
                    page_token: page_token.clone(),
                })
                .await
                .map_err(|s| unavailable("ListUsers", &s))?
                .into_inner();
            users.extend(page.users.into_iter().map(|u| DirectoryUser {
                user_id: u.user_id,
                user_code: u.user_code,
                name: u.name,
                kot_link_enabled: u.kot_link_enabled,
            }));
            match next_token(&page_token, page.next_page_token, "ListUsers")? {
                Some(next) => page_token = next,
                None => return Ok(users),
            }
        }
    }

    async fn credentials(&self, company_id: &str) -> Result<Option<Credentials>, PortError> {
        let answer = self
            .client
            .clone()
            .get_credentials(GetCredentialsRequest {
                company_id: company_id.to_owned(),
            })
            .await;
        match answer {
            Ok(response) => {
                let response = response.into_inner();
                Ok(Some(Credentials {
                    token: Token::new(response.token),
                    fingerprint: response.token_fingerprint,
                }))
            }
            Err(status) if status.code() == tonic::Code::FailedPrecondition => Ok(None),
            Err(status) => Err(unavailable("GetCredentials", &status)),
        }
    }

    async fn report_token_rejected(
        &self,
        company_id: &str,
        fingerprint: &str,
        vendor_message: &str,
    ) -> Result<(), PortError> {
        self.client
            .clone()
            .report_token_rejected(ReportTokenRejectedRequest {
                company_id: company_id.to_owned(),
                token_fingerprint: fingerprint.to_owned(),
                rejection: TokenRejection::AuthenticationFailed.into(),
                vendor_message: vendor_message.to_owned(),
            })
            .await
            .map_err(|s| unavailable("ReportTokenRejected", &s))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Reason;

    #[test]
    fn each_token_state_has_its_own_condition_and_reason() {
        let state = |enabled, token| IntegrationState { enabled, token }.condition();
        assert_eq!(
            state(false, TokenState::Unreadable),
            Condition::IntegrationDisabled
        );
        assert_eq!(state(true, TokenState::None), Condition::NoToken);
        assert_eq!(state(true, TokenState::Rejected), Condition::TokenRejected);
        assert_eq!(state(true, TokenState::Valid), Condition::Ready);
        let unreadable = state(true, TokenState::Unreadable);
        assert_eq!(unreadable, Condition::TokenUnreadable);
        assert_eq!(
            unreadable.overriding_reason(),
            Some(Reason::TokenUnreadable)
        );
    }
}
