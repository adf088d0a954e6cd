//! In-memory stand-ins for the settings and matcher services, for tests of the upload logic
//! against the real database and the real KING OF TIME simulator.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use kot_client::Token;

use super::{Credentials, LinksPort, PortError, SettingsPort, UserLink};

#[derive(Debug, Clone)]
struct CompanyEntry {
    enabled: bool,
    token: Option<String>,
    rejected: Option<String>,
}

/// Companies with their switch and token; records ReportTokenRejected calls.
#[derive(Debug, Default)]
pub struct MemorySettings {
    companies: Mutex<BTreeMap<String, CompanyEntry>>,
    reports: Mutex<Vec<(String, String, String)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemorySettings {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a company: switched on or off, with a token or none.
    pub fn set_company(&self, company_id: &str, enabled: bool, token: Option<&str>) {
        lock(&self.companies).insert(
            company_id.to_owned(),
            CompanyEntry {
                enabled,
                token: token.map(str::to_owned),
                rejected: None,
            },
        );
    }

    pub fn set_enabled(&self, company_id: &str, enabled: bool) {
        if let Some(entry) = lock(&self.companies).get_mut(company_id) {
            entry.enabled = enabled;
        }
    }

    /// (company, fingerprint, reason) of every ReportTokenRejected call.
    pub fn reports(&self) -> Vec<(String, String, String)> {
        lock(&self.reports).clone()
    }
}

#[async_trait]
impl SettingsPort for MemorySettings {
    async fn enabled_companies(&self) -> Result<Vec<String>, PortError> {
        Ok(lock(&self.companies)
            .iter()
            .filter(|(_, entry)| entry.enabled)
            .map(|(id, _)| id.clone())
            .collect())
    }

    async fn credentials(&self, company_id: &str) -> Result<Credentials, PortError> {
        let companies = lock(&self.companies);
        let entry = companies
            .get(company_id)
            .ok_or_else(|| PortError::NotReady("勤怠連携 is 無効 for this company".into()))?;
        if !entry.enabled {
            return Err(PortError::NotReady(
                "勤怠連携 is 無効 for this company".into(),
            ));
        }
        if let Some(reason) = &entry.rejected {
            return Err(PortError::NotReady(format!(
                "KING OF TIME rejected the token ({reason}); register a new token"
            )));
        }
        let token = entry
            .token
            .as_deref()
            .ok_or_else(|| PortError::NotReady("no KING OF TIME token is registered".into()))?;
        let token = Token::new(token);
        Ok(Credentials {
            fingerprint: token.fingerprint(),
            token,
        })
    }

    async fn report_token_rejected(
        &self,
        company_id: &str,
        fingerprint: &str,
        vendor_message: &str,
    ) -> Result<(), PortError> {
        if let Some(entry) = lock(&self.companies).get_mut(company_id) {
            entry.rejected = Some(vendor_message.to_owned());
        }
        lock(&self.reports).push((company_id.into(), fingerprint.into(), vendor_message.into()));
        Ok(())
    }
}

/// The matcher's links per company.
#[derive(Debug, Default)]
pub struct MemoryLinks {
    links: Mutex<BTreeMap<(String, String), UserLink>>,
    unavailable: Mutex<bool>,
}

impl MemoryLinks {
    pub fn new() -> Self {
        Self::default()
    }

    /// A user linked (有効) to `employee_key`, with the KING OF TIME連携 flag as given.
    pub fn link(&self, company_id: &str, user_id: &str, employee_key: &str, flag: bool) {
        self.put(
            company_id,
            UserLink {
                user_id: user_id.to_owned(),
                active: true,
                employee_key: employee_key.to_owned(),
                employee_code: String::new(),
                kot_link_enabled: flag,
                reason: String::new(),
            },
        );
    }

    /// A user not linked (無効) with the matcher's reason.
    pub fn unlink(&self, company_id: &str, user_id: &str, reason: &str, flag: bool) {
        self.put(
            company_id,
            UserLink {
                user_id: user_id.to_owned(),
                active: false,
                employee_key: String::new(),
                employee_code: String::new(),
                kot_link_enabled: flag,
                reason: reason.to_owned(),
            },
        );
    }

    /// Switches a user's KING OF TIME連携 flag.
    pub fn set_flag(&self, company_id: &str, user_id: &str, flag: bool) {
        if let Some(link) = lock(&self.links).get_mut(&(company_id.into(), user_id.into())) {
            link.kot_link_enabled = flag;
        }
    }

    /// Makes every call fail as if the matcher were down.
    pub fn set_unavailable(&self, unavailable: bool) {
        *lock(&self.unavailable) = unavailable;
    }

    fn put(&self, company_id: &str, link: UserLink) {
        lock(&self.links).insert((company_id.to_owned(), link.user_id.clone()), link);
    }
}

#[async_trait]
impl LinksPort for MemoryLinks {
    async fn links(&self, company_id: &str) -> Result<Vec<UserLink>, PortError> {
        if *lock(&self.unavailable) {
            return Err(PortError::Unavailable("the matcher does not answer".into()));
        }
        Ok(lock(&self.links)
            .iter()
            .filter(|((company, _), _)| company == company_id)
            .map(|(_, link)| link.clone())
            .collect())
    }
}
