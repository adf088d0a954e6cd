//! The ports over gRPC: the settings and matcher services' tonic clients.

use async_trait::async_trait;
use kintai_core::auth::ClientCredentials;
use kintai_core::peer::{PeerChannel, peer_channel};
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::matcher::v1::{LinkState, ListLinksRequest};
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::{
    GetCredentialsRequest, GetIntegrationRequest, ListCompaniesRequest, ReportTokenRejectedRequest,
    TokenRejection, TokenState,
};
use kot_client::Token;
use tonic::Code;
use tonic::transport::Channel;

use super::{Credentials, LinksPort, PortError, SettingsPort, UserLink};

/// Rows per ListCompanies / ListLinks page: the contract's maximum, fewest round trips.
const PAGE_SIZE: u32 = 1_000;

/// The settings service over gRPC.
#[derive(Debug, Clone)]
pub struct GrpcSettings {
    client: SettingsServiceClient<PeerChannel>,
}

impl GrpcSettings {
    pub fn new(channel: Channel) -> Self {
        Self::with_credentials(channel, ClientCredentials::none())
    }

    /// A client that presents the syncer's caller credentials to settings.
    pub fn with_credentials(channel: Channel, credentials: ClientCredentials) -> Self {
        Self {
            client: SettingsServiceClient::new(peer_channel(channel, credentials)),
        }
    }
}

/// A failed call in operator terms; the status message is the other service's, not a secret.
fn unavailable(call: &str, status: &tonic::Status) -> PortError {
    PortError::Unavailable(format!(
        "settings/matcher {call} failed: {:?} {}",
        status.code(),
        status.message()
    ))
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
                .map_err(|status| unavailable("ListCompanies", &status))?
                .into_inner();
            companies.extend(page.companies.into_iter().map(|c| c.company_id));
            if page.next_page_token.is_empty() || page.next_page_token == page_token {
                return Ok(companies);
            }
            page_token = page.next_page_token;
        }
    }

    async fn credentials(&self, company_id: &str) -> Result<Credentials, PortError> {
        let mut client = self.client.clone();
        let request = GetCredentialsRequest {
            company_id: company_id.to_owned(),
        };
        match client.get_credentials(request).await {
            Ok(response) => {
                let response = response.into_inner();
                Ok(Credentials {
                    token: Token::new(response.token),
                    fingerprint: response.token_fingerprint,
                })
            }
            Err(status) if matches!(status.code(), Code::FailedPrecondition | Code::NotFound) => {
                Err(PortError::NotReady(self.why_not_ready(company_id).await))
            }
            Err(status) => Err(unavailable("GetCredentials", &status)),
        }
    }

    async fn report_token_rejected(
        &self,
        company_id: &str,
        fingerprint: &str,
        vendor_message: &str,
    ) -> Result<(), PortError> {
        let mut client = self.client.clone();
        client
            .report_token_rejected(ReportTokenRejectedRequest {
                company_id: company_id.to_owned(),
                token_fingerprint: fingerprint.to_owned(),
                rejection: TokenRejection::AuthenticationFailed.into(),
                vendor_message: vendor_message.to_owned(),
            })
            .await
            .map_err(|status| unavailable("ReportTokenRejected", &status))?;
        Ok(())
    }
}

impl GrpcSettings {
    /// Why GetCredentials refused, read from the integration, in the admin's terms.
    async fn why_not_ready(&self, company_id: &str) -> String {
        let mut client = self.client.clone();
        let request = GetIntegrationRequest {
            company_id: company_id.to_owned(),
        };
        let Ok(response) = client.get_integration(request).await else {
            return "the integration is off or has no usable token".into();
        };
        let Some(integration) = response.into_inner().integration else {
            return "the integration is off or has no usable token".into();
        };
        let token = integration.token.unwrap_or_default();
        if !integration.enabled {
            "勤怠連携 is 無効 for this company".into()
        } else if matches!(token.state(), TokenState::Rejected | TokenState::Unreadable) {
            // Settings says what is wrong and what to do (restore the key, register a new token).
            token.detail
        } else if token.state() != TokenState::Valid {
            "no KING OF TIME token is registered".into()
        } else {
            "the integration is off or has no usable token".into()
        }
    }
}

/// The matcher service over gRPC.
#[derive(Debug, Clone)]
pub struct GrpcLinks {
    client: MatcherServiceClient<PeerChannel>,
}

impl GrpcLinks {
    pub fn new(channel: Channel) -> Self {
        Self::with_credentials(channel, ClientCredentials::none())
    }

    /// A client that presents the syncer's caller credentials to the matcher.
    pub fn with_credentials(channel: Channel, credentials: ClientCredentials) -> Self {
        Self {
            client: MatcherServiceClient::new(peer_channel(channel, credentials)),
        }
    }
}

#[async_trait]
impl LinksPort for GrpcLinks {
    async fn links(&self, company_id: &str) -> Result<Vec<UserLink>, PortError> {
        let mut client = self.client.clone();
        let mut links = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_links(ListLinksRequest {
                    company_id: company_id.to_owned(),
                    state: LinkState::Unspecified.into(),
                    page_size: PAGE_SIZE,
                    page_token: page_token.clone(),
                })
                .await
                .map_err(|status| unavailable("ListLinks", &status))?
                .into_inner();
            links.extend(page.links.into_iter().map(|link| UserLink {
                active: link.state() == LinkState::Active,
                user_id: link.user_id,
                employee_key: link.employee_key,
                employee_code: link.employee_code,
                kot_link_enabled: link.kot_link_enabled,
                reason: link.reason_text,
            }));
            if page.next_page_token.is_empty() || page.next_page_token == page_token {
                return Ok(links);
            }
            page_token = page.next_page_token;
        }
    }
}
