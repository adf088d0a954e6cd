//! The settings service as the matcher and the syncer read it: one tonic client, with the same
//! paging, the same error mapping and the same words for a company that cannot be used, for
//! both services (design.md: "another service's data is read over gRPC, never from its tables").
//!
//! Every list is read whole, page by page at the contract's maximum page size, and a server
//! answering the same page token twice is an error rather than a loop.

mod model;

pub use model::{CompanyState, Credentials, DirectoryUser, IntegrationState, TokenState};

use kintai_core::auth::ClientCredentials;
use kintai_core::peer::{PeerChannel, peer_channel};
use kintai_proto::settings::v1 as proto;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kot_client::Token;
use tonic::Code;
use tonic::transport::Channel;

/// Rows per page: the contract's maximum, fewest round trips.
const PAGE_SIZE: u32 = 1_000;

/// Settings could not be asked, or answered with an error; a later call may succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the settings service failed: {0}")]
pub struct SettingsError(pub String);

fn failed(rpc: &str, status: &tonic::Status) -> SettingsError {
    // The status message is the settings service's own words, never a secret.
    SettingsError(format!("{rpc}: {:?}: {}", status.code(), status.message()))
}

/// Guards a paging loop against a server that keeps answering the same token.
fn next_token(previous: &str, next: String, rpc: &str) -> Result<Option<String>, SettingsError> {
    if next.is_empty() {
        Ok(None)
    } else if next == previous {
        Err(SettingsError(format!(
            "{rpc}: the page token did not advance"
        )))
    } else {
        Ok(Some(next))
    }
}

/// The settings service over gRPC, presenting this process's caller credentials.
#[derive(Debug, Clone)]
pub struct SettingsClient {
    client: SettingsServiceClient<PeerChannel>,
}

impl SettingsClient {
    pub fn new(channel: Channel, credentials: ClientCredentials) -> Self {
        Self {
            client: SettingsServiceClient::new(peer_channel(channel, credentials)),
        }
    }

    /// Every company with an integration (only the enabled ones with `enabled_only`).
    pub async fn companies(&self, enabled_only: bool) -> Result<Vec<CompanyState>, SettingsError> {
        let mut client = self.client.clone();
        let mut companies = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_companies(proto::ListCompaniesRequest {
                    enabled_only,
                    page_size: PAGE_SIZE,
                    page_token: page_token.clone(),
                })
                .await
                .map_err(|s| failed("ListCompanies", &s))?
                .into_inner();
            companies.extend(
                page.companies
                    .into_iter()
                    .filter(|c| c.enabled || !enabled_only)
                    .map(CompanyState::from),
            );
            match next_token(&page_token, page.next_page_token, "ListCompanies")? {
                Some(next) => page_token = next,
                None => return Ok(companies),
            }
        }
    }

    /// The company's switch, token state and revisions.
    pub async fn integration(&self, company_id: &str) -> Result<IntegrationState, SettingsError> {
        let integration = self
            .client
            .clone()
            .get_integration(proto::GetIntegrationRequest {
                company_id: company_id.to_owned(),
            })
            .await
            .map_err(|s| failed("GetIntegration", &s))?
            .into_inner()
            .integration
            .unwrap_or_default();
        Ok(IntegrationState::from(integration))
    }

    /// The company's whole directory, ordered by user id.
    pub async fn users(&self, company_id: &str) -> Result<Vec<DirectoryUser>, SettingsError> {
        self.list_users(company_id, Vec::new()).await
    }

    /// The users among `user_ids` (at most 1,000) that are in the directory, ordered by id.
    pub async fn users_by_ids(
        &self,
        company_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<DirectoryUser>, SettingsError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.list_users(company_id, user_ids.to_vec()).await
    }

    async fn list_users(
        &self,
        company_id: &str,
        user_ids: Vec<String>,
    ) -> Result<Vec<DirectoryUser>, SettingsError> {
        let mut client = self.client.clone();
        let mut users = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_users(proto::ListUsersRequest {
                    company_id: company_id.to_owned(),
                    page_size: PAGE_SIZE,
                    page_token: page_token.clone(),
                    user_ids: user_ids.clone(),
                })
                .await
                .map_err(|s| failed("ListUsers", &s))?
                .into_inner();
            users.extend(page.users.into_iter().map(DirectoryUser::from));
            match next_token(&page_token, page.next_page_token, "ListUsers")? {
                Some(next) => page_token = next,
                None => return Ok(users),
            }
        }
    }

    /// The decrypted token, or `None` when the integration is off or has no usable token (ask
    /// [`SettingsClient::integration`] why).
    pub async fn credentials(
        &self,
        company_id: &str,
    ) -> Result<Option<Credentials>, SettingsError> {
        let answer = self
            .client
            .clone()
            .get_credentials(proto::GetCredentialsRequest {
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
            Err(status) if matches!(status.code(), Code::FailedPrecondition | Code::NotFound) => {
                Ok(None)
            }
            Err(status) => Err(failed("GetCredentials", &status)),
        }
    }

    /// KING OF TIME answered 403 / code 100 for the token with this fingerprint, saying
    /// `vendor_message` (settings redacts and bounds it).
    pub async fn report_token_rejected(
        &self,
        company_id: &str,
        fingerprint: &str,
        vendor_message: &str,
    ) -> Result<(), SettingsError> {
        self.client
            .clone()
            .report_token_rejected(proto::ReportTokenRejectedRequest {
                company_id: company_id.to_owned(),
                token_fingerprint: fingerprint.to_owned(),
                rejection: proto::TokenRejection::AuthenticationFailed.into(),
                vendor_message: vendor_message.to_owned(),
            })
            .await
            .map_err(|s| failed("ReportTokenRejected", &s))?;
        Ok(())
    }
}
