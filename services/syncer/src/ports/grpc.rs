//! The ports over gRPC: the shared settings client and the matcher's tonic client.

use async_trait::async_trait;
use kintai_core::auth::ClientCredentials;
use kintai_core::peer::{PeerChannel, peer_channel};
use kintai_i18n::{Text, codes};
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::matcher::v1::{InactiveReason, LinkState, ListLinksRequest};
use kintai_settings_client::SettingsClient;
use tonic::transport::Channel;

use super::{CompanySettings, CompanyState, LinksPort, PortError, SettingsPort, UserLink};

/// Rows per ListLinks page: the contract's maximum, fewest round trips.
const PAGE_SIZE: u32 = 1_000;

/// The settings service over gRPC.
#[derive(Debug, Clone)]
pub struct GrpcSettings {
    client: SettingsClient,
}

impl GrpcSettings {
    pub fn new(channel: Channel) -> Self {
        Self::with_credentials(channel, ClientCredentials::none())
    }

    /// A client that presents the syncer's caller credentials to settings.
    pub fn with_credentials(channel: Channel, credentials: ClientCredentials) -> Self {
        Self {
            client: SettingsClient::new(channel, credentials),
        }
    }
}

#[async_trait]
impl SettingsPort for GrpcSettings {
    async fn enabled_companies(&self) -> Result<Vec<CompanyState>, PortError> {
        Ok(self.client.companies(true).await?)
    }

    async fn company(&self, company_id: &str) -> Result<CompanySettings, PortError> {
        let integration = self.client.integration(company_id).await?;
        let not_ready = |reason: Option<Text>| {
            Ok(CompanySettings {
                revision: integration.revision,
                credentials: Err(reason.unwrap_or_else(|| Text::new("company-unusable"))),
                users: Default::default(),
            })
        };
        if let Some(reason) = integration.not_ready_reason() {
            return not_ready(Some(reason));
        }
        let Some(credentials) = self.client.credentials(company_id).await? else {
            // Switched off or the token deleted since GetIntegration answered: the revision
            // moved on too, so the first fence stops the run anyway.
            return not_ready(None);
        };
        let users = self
            .client
            .users(company_id)
            .await?
            .into_iter()
            .map(|user| (user.user_id.clone(), user))
            .collect();
        Ok(CompanySettings {
            revision: integration.revision,
            credentials: Ok(credentials),
            users,
        })
    }

    async fn revision(&self, company_id: &str) -> Result<i64, PortError> {
        Ok(self.client.integration(company_id).await?.revision)
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
                .map_err(|status| {
                    PortError::Unavailable(format!(
                        "the matcher's ListLinks failed: {:?} {}",
                        status.code(),
                        status.message()
                    ))
                })?
                .into_inner();
            links.extend(page.links.into_iter().map(|link| {
                UserLink {
                    active: link.state() == LinkState::Active,
                    waiting_for_match: matches!(
                        link.reason(),
                        InactiveReason::NotMatchedYet | InactiveReason::CodeChanged
                    ),
                    // Before the codes move out: the reason names them.
                    reason: codes::inactive_reason(
                        link.reason(),
                        &link.user_code,
                        &link.matched_user_code,
                    ),
                    // An older matcher answers no border: KING OF TIME's default, 00:00.
                    day_border: chrono::NaiveTime::parse_from_str(&link.day_border_time, "%H:%M")
                        .unwrap_or(chrono::NaiveTime::MIN),
                    // Empty (or an older matcher): unknown, so no punch is held for it.
                    hired_on: answered_day(&link.hired_date),
                    resigned_on: answered_day(&link.resignation_date),
                    division_code: link.division_code,
                    user_id: link.user_id,
                    employee_key: link.employee_key,
                    employee_code: link.employee_code,
                    matched_user_code: link.matched_user_code,
                }
            }));
            match page.next_page_token {
                next if next.is_empty() => return Ok(links),
                next if next == page_token => {
                    return Err(PortError::Unavailable(
                        "the matcher's ListLinks: the page token did not advance".into(),
                    ));
                }
                next => page_token = next,
            }
        }
    }
}

/// A day the matcher answered, `YYYY-MM-DD`; empty or unreadable is unknown.
fn answered_day(text: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}
