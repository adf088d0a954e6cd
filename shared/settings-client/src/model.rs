//! What the settings service answers, as the matcher and the syncer use it.

use kintai_i18n::Text;
use kintai_proto::settings::v1 as proto;
use kot_client::Token;

/// A company's token, as far as its use is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    None,
    Valid,
    /// KING OF TIME refused it (403, code 100).
    Rejected,
    /// Stored, but settings cannot decrypt it: the key that sealed it is not configured.
    Unreadable,
    /// Stored, and a key of the id that sealed it is configured, but it does not open it (other
    /// bytes under the same id, or damaged data).
    KeyMismatch,
}

impl TokenState {
    /// The state settings reports, with the cause it gives for an unreadable token.
    fn from_proto(state: proto::TokenState, cause: proto::TokenUnreadableCause) -> Self {
        match state {
            proto::TokenState::Valid => Self::Valid,
            proto::TokenState::Rejected => Self::Rejected,
            proto::TokenState::Unreadable if cause == proto::TokenUnreadableCause::KeyMismatch => {
                Self::KeyMismatch
            }
            proto::TokenState::Unreadable => Self::Unreadable,
            proto::TokenState::None | proto::TokenState::Unspecified => Self::None,
        }
    }
}

/// A company's integration now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationState {
    pub enabled: bool,
    pub token: TokenState,
    /// For a rejected or unreadable token: what is wrong and what to do, in settings' words.
    pub token_detail: String,
    /// Grows with every change that decides who is synced (settings' revisions).
    pub revision: i64,
    /// Grows with every change of the directory the matcher matches on.
    pub directory_revision: i64,
}

impl IntegrationState {
    /// Why the company cannot be used now, in an administrator's words; `None` when it can.
    pub fn not_ready_reason(&self) -> Option<Text> {
        match (self.enabled, self.token) {
            (false, _) => Some(Text::new("company-disabled")),
            (true, TokenState::None) => Some(Text::new("company-no-token")),
            (true, TokenState::Rejected) => Some(Text::new("company-token-rejected")),
            (true, TokenState::Unreadable) => Some(Text::new("company-token-unreadable")),
            (true, TokenState::KeyMismatch) => Some(Text::new("company-token-key-mismatch")),
            (true, TokenState::Valid) => None,
        }
    }
}

impl From<proto::Integration> for IntegrationState {
    fn from(integration: proto::Integration) -> Self {
        let token = integration.token.unwrap_or_default();
        Self {
            enabled: integration.enabled,
            token: TokenState::from_proto(token.state(), token.unreadable_cause()),
            token_detail: token.detail,
            revision: integration.revision,
            directory_revision: integration.directory_revision,
        }
    }
}

/// A company as ListCompanies shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyState {
    pub company_id: String,
    pub enabled: bool,
    pub token: TokenState,
    pub revision: i64,
    pub directory_revision: i64,
}

impl From<proto::CompanySummary> for CompanyState {
    fn from(company: proto::CompanySummary) -> Self {
        Self {
            token: TokenState::from_proto(company.token_state(), company.token_unreadable_cause()),
            company_id: company.company_id,
            enabled: company.enabled,
            revision: company.revision,
            directory_revision: company.directory_revision,
        }
    }
}

/// A user of cyzen's directory as settings holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub user_id: String,
    /// ユーザーコード; empty when the user has none.
    pub user_code: String,
    pub name: String,
    /// The user's KING OF TIME連携 flag.
    pub kot_link_enabled: bool,
}

impl From<proto::User> for DirectoryUser {
    fn from(user: proto::User) -> Self {
        Self {
            user_id: user.user_id,
            user_code: user.user_code,
            name: user.name,
            kot_link_enabled: user.kot_link_enabled,
        }
    }
}

/// A usable token and its fingerprint (to quote when reporting it rejected). `Token` redacts
/// itself in logs.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub token: Token,
    pub fingerprint: String,
}
