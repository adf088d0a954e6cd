//! In-process control of KING OF TIME's side of a day (mirrored under `/_admin`): closing
//! (締め) and the edits an administrator or an approved 打刻申請 makes,
//! plus punches that come from elsewhere (a time recorder).

use chrono::NaiveDate;

use crate::model::{NewPunch, PunchEdit, PunchSource, SimError, StoredPunch};
use crate::simulator::Simulator;
use crate::validate::PUNCH_CODES;

impl Simulator {
    /// Closes (or reopens) one employee's working day.
    pub fn set_day_closed(
        &self,
        employee_key: &str,
        date: NaiveDate,
        closed: bool,
    ) -> Result<(), SimError> {
        let mut state = self.lock();
        if state.employee(employee_key).is_none() {
            return Err(SimError::UnknownEmployee);
        }
        let day = (employee_key.to_owned(), date);
        if closed {
            state.closed_days.insert(day);
        } else {
            state.closed_days.remove(&day);
        }
        Ok(())
    }

    /// Closes every day of the company up to and including `through`; `None` lifts it (days
    /// closed one by one stay closed).
    pub fn close_company_through(
        &self,
        company: &str,
        through: Option<NaiveDate>,
    ) -> Result<(), SimError> {
        let mut state = self.lock();
        if !state.companies.contains_key(company) {
            return Err(SimError::UnknownCompany(company.to_owned()));
        }
        match through {
            Some(date) => state.closed_through.insert(company.to_owned(), date),
            None => state.closed_through.remove(company),
        };
        Ok(())
    }

    /// Stores a punch that did not come through the API (a time recorder, an administrator),
    /// and returns its id.
    pub fn add_punch(&self, employee_key: &str, punch: NewPunch) -> Result<u64, SimError> {
        if let Some(code) = &punch.code {
            check_code(code)?;
        }
        let mut state = self.lock();
        let employee = state
            .employee(employee_key)
            .ok_or(SimError::UnknownEmployee)?
            .clone();
        let division_code = punch.division_code.unwrap_or(employee.division_code);
        if state.division(&employee.company, &division_code).is_none() {
            return Err(SimError::UnknownDivision(division_code));
        }
        let received_at = state.now();
        Ok(state.store_punch(StoredPunch {
            id: 0,
            source: punch.source,
            employee_key: employee.key,
            date: punch.date,
            time: punch.time,
            code: punch.code,
            division_code,
            latitude: None,
            longitude: None,
            received_at,
        }))
    }

    /// Removes a stored punch, as an administrator's deletion does, and returns it.
    pub fn remove_punch(&self, id: u64) -> Result<StoredPunch, SimError> {
        let mut state = self.lock();
        let index = state
            .punches
            .iter()
            .position(|punch| punch.id == id)
            .ok_or(SimError::UnknownPunch(id))?;
        Ok(state.punches.remove(index))
    }

    /// Replaces a stored punch by a new one with the edit applied, as an approved 打刻申請 may
    /// do \[official\]: the old punch is gone, the new one has a new id and comes last.
    pub fn replace_punch(&self, id: u64, edit: PunchEdit) -> Result<u64, SimError> {
        if let Some(code) = &edit.code {
            check_code(code)?;
        }
        let mut state = self.lock();
        let index = state
            .punches
            .iter()
            .position(|punch| punch.id == id)
            .ok_or(SimError::UnknownPunch(id))?;
        let mut punch = state.punches.remove(index);
        punch.date = edit.date.unwrap_or(punch.date);
        punch.time = edit.time.unwrap_or(punch.time);
        punch.code = edit.code.or(punch.code);
        punch.source = PunchSource::AdminEdit;
        punch.received_at = state.now();
        Ok(state.store_punch(punch))
    }
}

fn check_code(code: &str) -> Result<(), SimError> {
    if PUNCH_CODES.contains(&code) {
        Ok(())
    } else {
        Err(SimError::InvalidInput(format!(
            "punch code {code:?} is not one of {PUNCH_CODES:?}"
        )))
    }
}
