//! Settings in memory: for the matcher's logic tests and benchmarks, where the real settings
//! service would only add noise. End-to-end tests use the real service instead.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use kot_client::Token;

use kintai_settings_client::CompanyState;

use crate::model::DirectoryUser;
use crate::settings_port::{Credentials, IntegrationState, PortError, SettingsPort, TokenState};

/// One company as [`MemorySettings`] holds it.
#[derive(Debug, Clone, Default)]
pub struct MemoryCompany {
    pub enabled: bool,
    pub token: Option<String>,
    pub token_rejected: bool,
    pub users: Vec<DirectoryUser>,
    /// Settings' revisions (see [`MemorySettings::change_directory`]).
    pub revision: i64,
    pub directory_revision: i64,
}

/// Settings in memory, for logic tests and benchmarks. Rejection reports are recorded.
#[derive(Debug, Clone, Default)]
pub struct MemorySettings {
    companies: Arc<Mutex<BTreeMap<String, MemoryCompany>>>,
    reports: Arc<Mutex<Vec<(String, String)>>>,
    failing: Arc<Mutex<bool>>,
}

impl MemorySettings {
    pub fn put(&self, company_id: &str, company: MemoryCompany) {
        self.lock().insert(company_id.to_owned(), company);
    }

    /// Changes a company in place (no-op for an unknown one).
    pub fn update(&self, company_id: &str, change: impl FnOnce(&mut MemoryCompany)) {
        if let Some(company) = self.lock().get_mut(company_id) {
            change(company);
        }
    }

    /// Changes a company's directory and counts it, as settings does for a user added,
    /// deleted or given another code.
    pub fn change_directory(&self, company_id: &str, change: impl FnOnce(&mut Vec<DirectoryUser>)) {
        self.update(company_id, |company| {
            change(&mut company.users);
            company.revision += 1;
            company.directory_revision += 1;
        });
    }

    /// Every later call fails (or works again) as if settings were down.
    pub fn set_failing(&self, failing: bool) {
        *self.failing.lock().unwrap_or_else(|p| p.into_inner()) = failing;
    }

    /// (company id, vendor message) of every ReportTokenRejected received.
    pub fn rejection_reports(&self) -> Vec<(String, String)> {
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, MemoryCompany>> {
        self.companies.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check(&self) -> Result<(), PortError> {
        if *self.failing.lock().unwrap_or_else(|p| p.into_inner()) {
            Err(PortError::Unavailable("settings is down (test)".into()))
        } else {
            Ok(())
        }
    }

    /// Reads one company without copying its directory (benchmarks run this per company).
    fn with_company<T>(
        &self,
        company_id: &str,
        read: impl FnOnce(Option<&MemoryCompany>) -> T,
    ) -> T {
        read(self.lock().get(company_id))
    }
}

#[async_trait]
impl SettingsPort for MemorySettings {
    async fn enabled_companies(&self) -> Result<Vec<CompanyState>, PortError> {
        self.check()?;
        Ok(self
            .lock()
            .iter()
            .filter(|(_, c)| c.enabled)
            .map(|(id, c)| CompanyState {
                company_id: id.clone(),
                enabled: c.enabled,
                token: token_state(c),
                revision: c.revision,
                directory_revision: c.directory_revision,
            })
            .collect())
    }

    async fn integration(&self, company_id: &str) -> Result<IntegrationState, PortError> {
        self.check()?;
        Ok(self.with_company(company_id, |company| {
            let Some(company) = company else {
                return IntegrationState {
                    enabled: false,
                    token: TokenState::None,
                    token_detail: String::new(),
                    revision: 0,
                    directory_revision: 0,
                };
            };
            IntegrationState {
                enabled: company.enabled,
                token: token_state(company),
                token_detail: String::new(),
                revision: company.revision,
                directory_revision: company.directory_revision,
            }
        }))
    }

    async fn users(&self, company_id: &str) -> Result<Vec<DirectoryUser>, PortError> {
        self.check()?;
        let mut users = self.with_company(company_id, |company| {
            company.map(|c| c.users.clone()).unwrap_or_default()
        });
        users.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        Ok(users)
    }

    async fn users_by_ids(
        &self,
        company_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<DirectoryUser>, PortError> {
        let mut users = self.users(company_id).await?;
        users.retain(|user| user_ids.contains(&user.user_id));
        Ok(users)
    }

    async fn credentials(&self, company_id: &str) -> Result<Option<Credentials>, PortError> {
        self.check()?;
        let token = self.with_company(company_id, |company| {
            company
                .filter(|c| c.enabled && !c.token_rejected)
                .and_then(|c| c.token.clone())
        });
        Ok(token.map(|token| {
            let token = Token::new(token);
            Credentials {
                fingerprint: token.fingerprint(),
                token,
            }
        }))
    }

    async fn report_token_rejected(
        &self,
        company_id: &str,
        fingerprint: &str,
        vendor_message: &str,
    ) -> Result<(), PortError> {
        self.check()?;
        self.update(company_id, |company| {
            let current = company
                .token
                .as_ref()
                .map(|t| Token::new(t.clone()).fingerprint());
            // Like settings: a report about a token since replaced is ignored.
            if current.as_deref() == Some(fingerprint) {
                company.token_rejected = true;
            }
        });
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((company_id.to_owned(), vendor_message.to_owned()));
        Ok(())
    }
}

fn token_state(company: &MemoryCompany) -> TokenState {
    match (&company.token, company.token_rejected) {
        (None, _) => TokenState::None,
        (Some(_), true) => TokenState::Rejected,
        (Some(_), false) => TokenState::Valid,
    }
}
