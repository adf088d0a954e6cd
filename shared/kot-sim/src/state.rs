//! The simulator's mutable state. Everything sits behind one mutex that is never held across an
//! `.await`, so every request sees a consistent snapshot and no lock ordering exists.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::clock::Clock;
use crate::faults::Faults;
use crate::model::{RateLimit, RequestLogEntry, SimConfig, StoredPunch};

#[derive(Debug)]
pub(crate) struct Company {
    pub divisions: BTreeMap<String, DivisionRec>,
}

#[derive(Debug, Clone)]
pub(crate) struct DivisionRec {
    pub name: String,
    pub day_border_time: NaiveTime,
}

#[derive(Debug, Clone)]
pub(crate) struct TokenRec {
    pub company: String,
    pub suspended: bool,
    pub permitted_ips: Option<Vec<IpAddr>>,
}

impl TokenRec {
    pub fn permits(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.permitted_ips
            .as_ref()
            .is_none_or(|ips| ips.iter().any(|ip| ip.to_canonical() == peer))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct EmployeeRec {
    pub key: String,
    pub company: String,
    pub code: String,
    pub last_name: String,
    pub first_name: String,
    pub division_code: String,
    /// First working day (`hiredDate`); `None` when not set.
    pub hired_on: Option<NaiveDate>,
    pub resigned_on: Option<NaiveDate>,
}

impl EmployeeRec {
    /// The resignation day itself is still a working day.
    pub fn resigned_as_of(&self, date: NaiveDate) -> bool {
        self.resigned_on.is_some_and(|last_day| last_day < date)
    }
}

/// Which rate-limit budget an endpoint spends \[ours, mirrored by the client\].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Budget {
    General,
    Punch,
}

#[derive(Debug)]
pub(crate) struct State {
    pub clock: Clock,
    pub general_limit: RateLimit,
    pub punch_limit: RateLimit,
    pub rate_limit_status: u16,
    pub companies: BTreeMap<String, Company>,
    pub tokens: HashMap<String, TokenRec>,
    /// In creation order, which is the order of the employee list.
    pub employees: Vec<EmployeeRec>,
    pub employee_index: HashMap<String, usize>,
    /// Punches in arrival order.
    pub punches: Vec<StoredPunch>,
    pub next_punch_id: u64,
    /// Days closed (締め) one by one: (employee key, working day).
    pub closed_days: HashSet<(String, NaiveDate)>,
    /// Per company, every day up to and including this one is closed.
    pub closed_through: HashMap<String, NaiveDate>,
    pub windows: HashMap<(String, Budget), VecDeque<DateTime<Utc>>>,
    pub faults: Faults,
    pub log: VecDeque<RequestLogEntry>,
    pub log_capacity: usize,
}

impl State {
    pub fn new(config: &SimConfig) -> Self {
        Self {
            clock: config.clock,
            general_limit: config.general_limit,
            punch_limit: config.punch_limit,
            rate_limit_status: config.rate_limit_status,
            companies: BTreeMap::new(),
            tokens: HashMap::new(),
            employees: Vec::new(),
            employee_index: HashMap::new(),
            punches: Vec::new(),
            next_punch_id: 1,
            closed_days: HashSet::new(),
            closed_through: HashMap::new(),
            windows: HashMap::new(),
            faults: Faults::default(),
            log: VecDeque::new(),
            log_capacity: config.request_log_capacity,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn employee(&self, key: &str) -> Option<&EmployeeRec> {
        self.employee_index
            .get(key)
            .and_then(|&index| self.employees.get(index))
    }

    pub fn employee_in(&self, company: &str, key: &str) -> Option<&EmployeeRec> {
        self.employee(key)
            .filter(|employee| employee.company == company)
    }

    pub fn employee_by_code(&self, company: &str, code: &str) -> Option<&EmployeeRec> {
        self.employees
            .iter()
            .find(|e| e.company == company && e.code == code)
    }

    pub fn division(&self, company: &str, code: &str) -> Option<&DivisionRec> {
        self.companies.get(company)?.divisions.get(code)
    }

    /// Whether the employee's working day is closed (締め), one by one or company-wide.
    pub fn is_closed(&self, company: &str, employee_key: &str, date: NaiveDate) -> bool {
        self.closed_through
            .get(company)
            .is_some_and(|through| date <= *through)
            || self.closed_days.contains(&(employee_key.to_owned(), date))
    }

    /// Stores a punch under a fresh id and returns the id.
    pub fn store_punch(&mut self, mut punch: StoredPunch) -> u64 {
        let id = self.next_punch_id;
        self.next_punch_id += 1;
        punch.id = id;
        self.punches.push(punch);
        id
    }

    /// Sliding-window check: admits and counts the request if fewer than the limit were
    /// admitted within the last window. Refused requests do not count \[ours\].
    pub fn admit_rate(&mut self, token: &str, budget: Budget) -> bool {
        let now = self.now();
        let limit = match budget {
            Budget::General => self.general_limit,
            Budget::Punch => self.punch_limit,
        };
        let per = chrono::TimeDelta::from_std(limit.per).unwrap_or(chrono::TimeDelta::MAX);
        let window = self.windows.entry((token.to_owned(), budget)).or_default();
        while window
            .front()
            .is_some_and(|&admitted| now.signed_duration_since(admitted) >= per)
        {
            window.pop_front();
        }
        if window.len() >= limit.requests as usize {
            return false;
        }
        window.push_back(now);
        true
    }

    pub fn record(&mut self, entry: RequestLogEntry) {
        if self.log_capacity == 0 {
            return;
        }
        while self.log.len() >= self.log_capacity {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn window_admits_up_to_the_limit_then_drains() {
        let start = DateTime::parse_from_rfc3339("2024-01-05T03:00:00Z")
            .unwrap()
            .to_utc();
        let mut state = State::new(&SimConfig {
            general_limit: RateLimit {
                requests: 2,
                per: Duration::from_secs(10),
            },
            clock: Clock::Fixed(start),
            ..SimConfig::default()
        });
        assert!(state.admit_rate("t", Budget::General));
        assert!(state.admit_rate("t", Budget::General));
        assert!(!state.admit_rate("t", Budget::General));
        assert!(
            state.admit_rate("t", Budget::Punch),
            "punch budget is separate"
        );
        assert!(
            state.admit_rate("u", Budget::General),
            "tokens are separate"
        );
        state.clock = Clock::Fixed(start + chrono::TimeDelta::milliseconds(9_999));
        assert!(!state.admit_rate("t", Budget::General));
        state.clock = Clock::Fixed(start + chrono::TimeDelta::seconds(10));
        assert!(state.admit_rate("t", Budget::General));
    }
}
