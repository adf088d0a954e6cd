//! In-memory stand-ins for the settings and matcher services, for tests of the upload logic
//! against the real database and the real KING OF TIME simulator. Like settings, every change
//! of who is synced grows the company's revision.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use kintai_i18n::Text;
use kintai_settings_client::TokenState;
use kot_client::Token;

use super::{
    CompanySettings, CompanyState, Credentials, DirectoryUser, LinksPort, PortError, SettingsPort,
    UserLink,
};

#[derive(Debug, Clone, Default)]
struct CompanyEntry {
    enabled: bool,
    token: Option<String>,
    rejected: Option<String>,
    users: BTreeMap<String, DirectoryUser>,
    revision: i64,
}

/// Companies with their switch, token and directory; records ReportTokenRejected calls.
#[derive(Debug, Default)]
pub struct MemorySettings {
    companies: Mutex<BTreeMap<String, CompanyEntry>>,
    reports: Mutex<Vec<(String, String, String)>>,
    unavailable: Mutex<bool>,
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

    /// Changes a company (created disabled when new) and counts the change.
    fn change(&self, company_id: &str, change: impl FnOnce(&mut CompanyEntry)) {
        let mut companies = lock(&self.companies);
        let entry = companies.entry(company_id.to_owned()).or_default();
        change(entry);
        entry.revision += 1;
    }

    /// Adds or replaces a company: switched on or off, with a token or none.
    pub fn set_company(&self, company_id: &str, enabled: bool, token: Option<&str>) {
        self.change(company_id, |entry| {
            entry.enabled = enabled;
            entry.token = token.map(str::to_owned);
            entry.rejected = None;
        });
    }

    pub fn set_enabled(&self, company_id: &str, enabled: bool) {
        self.change(company_id, |entry| entry.enabled = enabled);
    }

    /// DeleteToken.
    pub fn delete_token(&self, company_id: &str) {
        self.change(company_id, |entry| entry.token = None);
    }

    /// A user of the directory with a code and a KING OF TIME連携 flag.
    pub fn set_user(&self, company_id: &str, user_id: &str, user_code: &str, flag: bool) {
        self.change(company_id, |entry| {
            entry.users.insert(
                user_id.to_owned(),
                DirectoryUser {
                    user_id: user_id.to_owned(),
                    user_code: user_code.to_owned(),
                    name: user_id.to_owned(),
                    kot_link_enabled: flag,
                },
            );
        });
    }

    /// SetUserLinks for one user.
    pub fn set_flag(&self, company_id: &str, user_id: &str, flag: bool) {
        self.change(company_id, |entry| {
            if let Some(user) = entry.users.get_mut(user_id) {
                user.kot_link_enabled = flag;
            }
        });
    }

    /// UpsertUsers with another code for one user.
    pub fn set_code(&self, company_id: &str, user_id: &str, user_code: &str) {
        self.change(company_id, |entry| {
            if let Some(user) = entry.users.get_mut(user_id) {
                user.user_code = user_code.to_owned();
            }
        });
    }

    /// DeleteUsers for one user.
    pub fn delete_user(&self, company_id: &str, user_id: &str) {
        self.change(company_id, |entry| {
            entry.users.remove(user_id);
        });
    }

    /// Makes every call fail (or work again) as if settings were down.
    pub fn set_unavailable(&self, unavailable: bool) {
        *lock(&self.unavailable) = unavailable;
    }

    /// (company, fingerprint, vendor message) of every ReportTokenRejected call.
    pub fn reports(&self) -> Vec<(String, String, String)> {
        lock(&self.reports).clone()
    }

    fn check(&self) -> Result<(), PortError> {
        if *lock(&self.unavailable) {
            Err(PortError::Unavailable(
                "settings does not answer (test)".into(),
            ))
        } else {
            Ok(())
        }
    }
}

fn token_state(entry: &CompanyEntry) -> TokenState {
    match (&entry.token, &entry.rejected) {
        (None, _) => TokenState::None,
        (Some(_), Some(_)) => TokenState::Rejected,
        (Some(_), None) => TokenState::Valid,
    }
}

#[async_trait]
impl SettingsPort for MemorySettings {
    async fn enabled_companies(&self) -> Result<Vec<CompanyState>, PortError> {
        self.check()?;
        Ok(lock(&self.companies)
            .iter()
            .filter(|(_, entry)| entry.enabled)
            .map(|(id, entry)| CompanyState {
                company_id: id.clone(),
                enabled: entry.enabled,
                token: token_state(entry),
                revision: entry.revision,
                directory_revision: entry.revision,
            })
            .collect())
    }

    async fn company(&self, company_id: &str) -> Result<CompanySettings, PortError> {
        self.check()?;
        let companies = lock(&self.companies);
        let entry = companies.get(company_id).cloned().unwrap_or_default();
        let credentials = match (&entry.token, &entry.rejected) {
            _ if !entry.enabled => Err(Text::new("company-disabled")),
            (None, _) => Err(Text::new("company-no-token")),
            (Some(_), Some(_)) => Err(Text::new("company-token-rejected")),
            (Some(token), None) => {
                let token = Token::new(token.as_str());
                Ok(Credentials {
                    fingerprint: token.fingerprint(),
                    token,
                })
            }
        };
        let users: HashMap<String, DirectoryUser> = if credentials.is_ok() {
            entry.users.clone().into_iter().collect()
        } else {
            HashMap::new()
        };
        Ok(CompanySettings {
            revision: entry.revision,
            credentials,
            users,
        })
    }

    async fn revision(&self, company_id: &str) -> Result<i64, PortError> {
        self.check()?;
        Ok(lock(&self.companies)
            .get(company_id)
            .map_or(0, |entry| entry.revision))
    }

    async fn report_token_rejected(
        &self,
        company_id: &str,
        fingerprint: &str,
        vendor_message: &str,
    ) -> Result<(), PortError> {
        self.change(company_id, |entry| {
            entry.rejected = Some(vendor_message.to_owned());
        });
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

    /// A user linked (有効) to `employee_key`, matched on `user_code`.
    pub fn link(&self, company_id: &str, user_id: &str, employee_key: &str, user_code: &str) {
        self.put(
            company_id,
            UserLink {
                user_id: user_id.to_owned(),
                active: true,
                employee_key: employee_key.to_owned(),
                employee_code: user_code.to_owned(),
                matched_user_code: user_code.to_owned(),
                reason: None,
                waiting_for_match: false,
                day_border: chrono::NaiveTime::MIN,
                hired_on: None,
                resigned_on: None,
                division_code: String::new(),
            },
        );
    }

    /// Gives a linked user's division a 日付変更時間 other than 00:00.
    pub fn set_day_border(&self, company_id: &str, user_id: &str, border: chrono::NaiveTime) {
        if let Some(link) = lock(&self.links).get_mut(&(company_id.to_owned(), user_id.to_owned()))
        {
            link.day_border = border;
        }
    }

    /// Gives a linked user's employee a home division.
    pub fn set_division(&self, company_id: &str, user_id: &str, division_code: &str) {
        if let Some(link) = lock(&self.links).get_mut(&(company_id.to_owned(), user_id.to_owned()))
        {
            link.division_code = division_code.to_owned();
        }
    }

    /// Gives a linked user's employee a 入社日 and a 退職日 (either may be unknown).
    pub fn set_employment(
        &self,
        company_id: &str,
        user_id: &str,
        hired_on: Option<chrono::NaiveDate>,
        resigned_on: Option<chrono::NaiveDate>,
    ) {
        if let Some(link) = lock(&self.links).get_mut(&(company_id.to_owned(), user_id.to_owned()))
        {
            link.hired_on = hired_on;
            link.resigned_on = resigned_on;
        }
    }

    /// A user not linked (無効) with the matcher's reason.
    pub fn unlink(&self, company_id: &str, user_id: &str, reason: &str, waiting_for_match: bool) {
        self.put(
            company_id,
            UserLink {
                user_id: user_id.to_owned(),
                active: false,
                employee_key: String::new(),
                employee_code: String::new(),
                matched_user_code: String::new(),
                reason: Some(Text::verbatim(reason)),
                waiting_for_match,
                day_border: chrono::NaiveTime::MIN,
                hired_on: None,
                resigned_on: None,
                division_code: String::new(),
            },
        );
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
