//! How the syncer reaches the other services: small traits, implemented over gRPC for
//! production ([`grpc`]) and in memory for tests of the upload logic ([`memory`]).

pub mod grpc;
pub mod memory;

pub use grpc::{GrpcLinks, GrpcSettings};
pub use memory::{MemoryLinks, MemorySettings};

use async_trait::async_trait;
use kot_client::Token;

/// A company's decrypted KING OF TIME token. `Token` redacts itself in logs.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub token: Token,
    /// Quoted back in ReportTokenRejected, so a report about a replaced token is ignored.
    pub fingerprint: String,
}

/// One row of the matcher's 連携状況 table, as far as the syncer cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLink {
    pub user_id: String,
    /// 有効: linked to a KING OF TIME employee.
    pub active: bool,
    /// 従業員識別キー, for the punch POST; empty unless active.
    pub employee_key: String,
    pub employee_code: String,
    /// The user's KING OF TIME連携 flag.
    pub kot_link_enabled: bool,
    /// For 無効: why, in the admin's words.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The company cannot be synced now (integration off, no token, token rejected); the text
    /// says which, in the admin's words.
    #[error("{0}")]
    NotReady(String),
    /// The other service could not answer; the run for that company fails and is retried by the
    /// next one.
    #[error("{0}")]
    Unavailable(String),
}

/// The settings service.
#[async_trait]
pub trait SettingsPort: Send + Sync {
    /// Companies whose integration is enabled, for a run over all companies.
    async fn enabled_companies(&self) -> Result<Vec<String>, PortError>;
    /// The token to use, or [`PortError::NotReady`] when the company must not be synced.
    async fn credentials(&self, company_id: &str) -> Result<Credentials, PortError>;
    /// KING OF TIME answered 403 / code 100 for this token, with this message of its own.
    async fn report_token_rejected(
        &self,
        company_id: &str,
        fingerprint: &str,
        vendor_message: &str,
    ) -> Result<(), PortError>;
}

/// The matcher service.
#[async_trait]
pub trait LinksPort: Send + Sync {
    /// Every user of the company the matcher knows, linked or not.
    async fn links(&self, company_id: &str) -> Result<Vec<UserLink>, PortError>;
}
