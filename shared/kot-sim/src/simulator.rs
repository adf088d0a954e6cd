//! The `Simulator` handle and its in-process admin methods (the HTTP admin API mirrors them):
//! companies, tokens, divisions, employees, clock, limits, the store and the request log here;
//! faults in `sim_faults.rs`, closing and punch edits in `sim_days.rs`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{NaiveTime, Utc};

use crate::clock::Clock;
use crate::model::{
    NewEmployee, RateLimit, RequestLogEntry, SimConfig, SimError, StoredPunch, TokenOptions,
};
use crate::state::{Company, DivisionRec, EmployeeRec, State, TokenRec};

/// A simulated KING OF TIME. Cloning is cheap; all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").finish_non_exhaustive()
    }
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new(SimConfig::default())
    }
}

/// 32 lowercase hex characters, like real tokens.
pub(crate) fn new_token_string() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// 64 lowercase hex characters, like real employee keys.
fn new_employee_key() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl Simulator {
    pub fn new(config: SimConfig) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::new(&config))),
        }
    }

    /// The state lock. A panic while holding it cannot leave the state half-written in a way
    /// that matters to a simulator, so poisoning is ignored rather than propagated.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn create_company(&self, code: &str) -> Result<(), SimError> {
        if code.trim().is_empty() {
            return Err(SimError::InvalidInput("company code is empty".into()));
        }
        let mut state = self.lock();
        if state.companies.contains_key(code) {
            return Err(SimError::DuplicateCompany(code.to_owned()));
        }
        state.companies.insert(
            code.to_owned(),
            Company {
                divisions: BTreeMap::new(),
            },
        );
        Ok(())
    }

    pub fn add_token(
        &self,
        company: &str,
        token: &str,
        options: TokenOptions,
    ) -> Result<(), SimError> {
        if token.is_empty()
            || token
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            return Err(SimError::InvalidInput(
                "token must be non-empty, without spaces or '/'".into(),
            ));
        }
        let mut state = self.lock();
        if !state.companies.contains_key(company) {
            return Err(SimError::UnknownCompany(company.to_owned()));
        }
        if state.tokens.contains_key(token) {
            return Err(SimError::DuplicateToken);
        }
        let record = TokenRec {
            company: company.to_owned(),
            suspended: false,
            permitted_ips: options.permitted_ips,
        };
        state.tokens.insert(token.to_owned(), record);
        Ok(())
    }

    /// Adds a token with a fresh random secret and returns it.
    pub fn issue_token(&self, company: &str, options: TokenOptions) -> Result<String, SimError> {
        let token = new_token_string();
        self.add_token(company, &token, options)?;
        Ok(token)
    }

    pub fn suspend_token(&self, token: &str) -> Result<(), SimError> {
        let mut state = self.lock();
        let record = state.tokens.get_mut(token).ok_or(SimError::UnknownToken)?;
        record.suspended = true;
        Ok(())
    }

    /// Whether a token exists and is not suspended (for tests of refresh/delete).
    pub fn token_is_active(&self, token: &str) -> bool {
        self.lock().tokens.get(token).is_some_and(|t| !t.suspended)
    }

    pub fn add_division(
        &self,
        company: &str,
        code: &str,
        name: &str,
        day_border_time: NaiveTime,
    ) -> Result<(), SimError> {
        if code.is_empty() {
            return Err(SimError::InvalidInput("division code is empty".into()));
        }
        let mut state = self.lock();
        let company_rec = state
            .companies
            .get_mut(company)
            .ok_or_else(|| SimError::UnknownCompany(company.into()))?;
        if company_rec.divisions.contains_key(code) {
            return Err(SimError::DuplicateDivision(code.to_owned()));
        }
        let record = DivisionRec {
            name: name.to_owned(),
            day_border_time,
        };
        company_rec.divisions.insert(code.to_owned(), record);
        Ok(())
    }

    /// Adds an employee and returns the key. The code follows KING OF TIME's admin screen:
    /// 3–10 characters, unique within the company.
    pub fn add_employee(&self, company: &str, employee: NewEmployee) -> Result<String, SimError> {
        check_employee_code(&employee.code)?;
        let mut state = self.lock();
        if state.division(company, &employee.division_code).is_none() {
            if !state.companies.contains_key(company) {
                return Err(SimError::UnknownCompany(company.to_owned()));
            }
            return Err(SimError::UnknownDivision(employee.division_code));
        }
        if state.employee_by_code(company, &employee.code).is_some() {
            return Err(SimError::DuplicateEmployeeCode(employee.code));
        }
        let key = new_employee_key();
        let record = EmployeeRec {
            key: key.clone(),
            company: company.to_owned(),
            code: employee.code,
            last_name: employee.last_name,
            first_name: employee.first_name,
            division_code: employee.division_code,
            hired_on: None,
            resigned_on: employee.resigned_on,
        };
        let index = state.employees.len();
        state.employees.push(record);
        state.employee_index.insert(key.clone(), index);
        Ok(key)
    }

    /// Changes an employee's code; the key stays, as in KING OF TIME.
    pub fn change_employee_code(&self, key: &str, new_code: &str) -> Result<(), SimError> {
        check_employee_code(new_code)?;
        let mut state = self.lock();
        let company = state
            .employee(key)
            .ok_or(SimError::UnknownEmployee)?
            .company
            .clone();
        if state
            .employee_by_code(&company, new_code)
            .is_some_and(|other| other.key != key)
        {
            return Err(SimError::DuplicateEmployeeCode(new_code.to_owned()));
        }
        let index = state
            .employee_index
            .get(key)
            .copied()
            .ok_or(SimError::UnknownEmployee)?;
        if let Some(employee) = state.employees.get_mut(index) {
            employee.code = new_code.to_owned();
        }
        Ok(())
    }

    /// The employee's last working day (`resignationDate`); `None` clears it.
    pub fn set_resignation(
        &self,
        key: &str,
        resigned_on: Option<chrono::NaiveDate>,
    ) -> Result<(), SimError> {
        self.edit_employee(key, |employee| employee.resigned_on = resigned_on)
    }

    /// The employee's first working day (`hiredDate`); `None` clears it. Days with punches
    /// before it are error days (在職外勤務).
    pub fn set_hired_date(
        &self,
        key: &str,
        hired_on: Option<chrono::NaiveDate>,
    ) -> Result<(), SimError> {
        self.edit_employee(key, |employee| employee.hired_on = hired_on)
    }

    fn edit_employee(
        &self,
        key: &str,
        edit: impl FnOnce(&mut EmployeeRec),
    ) -> Result<(), SimError> {
        let mut state = self.lock();
        let index = state
            .employee_index
            .get(key)
            .copied()
            .ok_or(SimError::UnknownEmployee)?;
        let employee = state
            .employees
            .get_mut(index)
            .ok_or(SimError::UnknownEmployee)?;
        edit(employee);
        Ok(())
    }

    /// Sets the clock; rate-limit windows restart, since their timestamps belong to the old one.
    pub fn set_clock(&self, clock: Clock) {
        let mut state = self.lock();
        state.clock = clock;
        state.windows.clear();
    }

    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.lock().now()
    }

    pub fn set_rate_limits(&self, general: RateLimit, punch: RateLimit) {
        let mut state = self.lock();
        state.general_limit = general;
        state.punch_limit = punch;
        state.windows.clear();
    }

    /// Punches stored for the company's employees, in arrival order.
    pub fn punches(&self, company: &str) -> Vec<StoredPunch> {
        let state = self.lock();
        state
            .punches
            .iter()
            .filter(|punch| {
                state
                    .employee(&punch.employee_key)
                    .is_some_and(|e| e.company == company)
            })
            .cloned()
            .collect()
    }

    pub fn request_log(&self) -> Vec<RequestLogEntry> {
        self.lock().log.iter().cloned().collect()
    }

    pub fn clear_request_log(&self) {
        self.lock().log.clear();
    }
}

fn check_employee_code(code: &str) -> Result<(), SimError> {
    let length = code.chars().count();
    if !(3..=10).contains(&length) {
        return Err(SimError::InvalidInput(format!(
            "employee code must have 3–10 characters, has {length}"
        )));
    }
    if code.chars().any(char::is_control) {
        return Err(SimError::InvalidInput(
            "employee code contains control characters".into(),
        ));
    }
    Ok(())
}
