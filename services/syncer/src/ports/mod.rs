//! How the syncer reaches the other services: small traits, implemented over gRPC for
//! production ([`grpc`]) and in memory for tests of the upload logic ([`memory`]).

pub mod grpc;
pub mod memory;

use std::collections::HashMap;

pub use grpc::{GrpcLinks, GrpcSettings};
pub use kintai_settings_client::{CompanyState, Credentials, DirectoryUser};
pub use memory::{MemoryLinks, MemorySettings};

use async_trait::async_trait;
use kintai_i18n::Text;

/// One row of the matcher's 連携状況 table, as far as the syncer cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLink {
    pub user_id: String,
    /// 有効: linked to a KING OF TIME employee.
    pub active: bool,
    /// 従業員識別キー, for the punch POST; empty unless active.
    pub employee_key: String,
    pub employee_code: String,
    /// The user code the link was matched on: the link is used only while the user's current
    /// code (settings) is this one.
    pub matched_user_code: String,
    /// For 無効: why, in the admin's words (the matcher's reason).
    pub reason: Option<Text>,
    /// 無効 only until the matcher's next run (not matched yet, code changed).
    pub waiting_for_match: bool,
    /// 日付変更時間 of the employee's division (00:00 when unknown): a 出勤 is filed under the
    /// working day this border starts (see `working_day`).
    pub day_border: chrono::NaiveTime,
    /// The employee's 入社日 and 退職日 as the matcher last read them (either may be unknown): a
    /// punch of a working day outside them is held (crate::preflight).
    pub hired_on: Option<chrono::NaiveDate>,
    pub resigned_on: Option<chrono::NaiveDate>,
    /// The employee's KING OF TIME division (empty when unknown): the day check reads by division
    /// when its days touch few.
    pub division_code: String,
}

/// What a run needs from settings, read in this order: the revision first, so that a change
/// committed while the rest is read shows as a newer revision at the first fence.
#[derive(Debug, Clone)]
pub struct CompanySettings {
    /// Settings' revision of the company (see `kintai-settings`: revisions).
    pub revision: i64,
    /// The token, or why the company cannot be synced, in the admin's words.
    pub credentials: Result<Credentials, Text>,
    /// The directory by user id, with each user's flag and current code (empty when the
    /// company cannot be synced).
    pub users: HashMap<String, DirectoryUser>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The other service could not answer; the run for that company fails and is retried later.
    #[error("{0}")]
    Unavailable(String),
}

impl From<kintai_settings_client::SettingsError> for PortError {
    fn from(error: kintai_settings_client::SettingsError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

/// The settings service.
#[async_trait]
pub trait SettingsPort: Send + Sync {
    /// Companies whose integration is enabled, with their revisions.
    async fn enabled_companies(&self) -> Result<Vec<CompanyState>, PortError>;
    /// The company as a run needs it.
    async fn company(&self, company_id: &str) -> Result<CompanySettings, PortError>;
    /// The company's revision now: checked before each POST, so that nothing is posted after a
    /// change of who is synced (a switch-off, a code change) was committed.
    async fn revision(&self, company_id: &str) -> Result<i64, PortError>;
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
