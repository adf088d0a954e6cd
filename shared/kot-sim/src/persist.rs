//! The simulator's company data as JSON — companies, divisions, tokens, employees with their
//! keys, stored punches and closed days — so `kintai dev` keeps its KING OF TIME across restarts
//! as the real one does. Without it every start drew new employee keys, and the punches held
//! for linked users failed against keys KING OF TIME no longer knew (issue 30). Faults, rate
//! windows, the request log and the clock are a run's own and are not kept.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::model::{SimError, StoredPunch};
use crate::simulator::Simulator;
use crate::state::{Company, DivisionRec, EmployeeRec, TokenRec};

/// The format's version: a file of another version is refused, not half read.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Snapshot {
    version: u32,
    companies: BTreeMap<String, BTreeMap<String, DivisionSnap>>,
    tokens: BTreeMap<String, TokenSnap>,
    employees: Vec<EmployeeSnap>,
    punches: Vec<StoredPunch>,
    next_punch_id: u64,
    closed_days: Vec<(String, NaiveDate)>,
    closed_through: BTreeMap<String, NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DivisionSnap {
    name: String,
    day_border_time: NaiveTime,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenSnap {
    company: String,
    suspended: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    permitted_ips: Option<Vec<IpAddr>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmployeeSnap {
    key: String,
    company: String,
    code: String,
    last_name: String,
    first_name: String,
    division_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hired_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resigned_on: Option<NaiveDate>,
}

impl Simulator {
    /// The company data, as [`Simulator::restore_company_data`] reads it back.
    pub fn company_data(&self) -> String {
        let state = self.lock();
        let mut closed_days: Vec<(String, NaiveDate)> = state.closed_days.iter().cloned().collect();
        closed_days.sort();
        let snapshot = Snapshot {
            version: VERSION,
            companies: state
                .companies
                .iter()
                .map(|(code, company)| {
                    let divisions = company
                        .divisions
                        .iter()
                        .map(|(code, d)| {
                            let snap = DivisionSnap {
                                name: d.name.clone(),
                                day_border_time: d.day_border_time,
                            };
                            (code.clone(), snap)
                        })
                        .collect();
                    (code.clone(), divisions)
                })
                .collect(),
            tokens: state
                .tokens
                .iter()
                .map(|(token, rec)| {
                    let snap = TokenSnap {
                        company: rec.company.clone(),
                        suspended: rec.suspended,
                        permitted_ips: rec.permitted_ips.clone(),
                    };
                    (token.clone(), snap)
                })
                .collect(),
            employees: state
                .employees
                .iter()
                .map(|e| EmployeeSnap {
                    key: e.key.clone(),
                    company: e.company.clone(),
                    code: e.code.clone(),
                    last_name: e.last_name.clone(),
                    first_name: e.first_name.clone(),
                    division_code: e.division_code.clone(),
                    hired_on: e.hired_on,
                    resigned_on: e.resigned_on,
                })
                .collect(),
            punches: state.punches.clone(),
            next_punch_id: state.next_punch_id,
            closed_days,
            closed_through: state.closed_through.clone().into_iter().collect(),
        };
        // Plain data of strings, numbers and dates: serializing it cannot fail.
        serde_json::to_string_pretty(&snapshot).unwrap_or_default()
    }

    /// Replaces the company data with what [`Simulator::company_data`] wrote; on an unreadable
    /// or inconsistent text nothing changes.
    pub fn restore_company_data(&self, json: &str) -> Result<(), SimError> {
        let snapshot: Snapshot = serde_json::from_str(json)
            .map_err(|e| SimError::InvalidInput(format!("simulator data: {e}")))?;
        if snapshot.version != VERSION {
            return Err(SimError::InvalidInput(format!(
                "simulator data of version {}, this build reads version {VERSION}",
                snapshot.version
            )));
        }
        let known = |company: &str| snapshot.companies.contains_key(company);
        if let Some(orphan) = snapshot
            .employees
            .iter()
            .map(|e| &e.company)
            .chain(snapshot.tokens.values().map(|t| &t.company))
            .find(|company| !known(company))
        {
            return Err(SimError::InvalidInput(format!(
                "simulator data names company {orphan:?}, which it does not hold"
            )));
        }
        let mut state = self.lock();
        state.companies = snapshot
            .companies
            .into_iter()
            .map(|(code, divisions)| {
                let divisions = divisions
                    .into_iter()
                    .map(|(code, d)| {
                        let rec = DivisionRec {
                            name: d.name,
                            day_border_time: d.day_border_time,
                        };
                        (code, rec)
                    })
                    .collect();
                (code, Company { divisions })
            })
            .collect();
        state.tokens = snapshot
            .tokens
            .into_iter()
            .map(|(token, t)| {
                let rec = TokenRec {
                    company: t.company,
                    suspended: t.suspended,
                    permitted_ips: t.permitted_ips,
                };
                (token, rec)
            })
            .collect();
        state.employees = snapshot
            .employees
            .into_iter()
            .map(|e| EmployeeRec {
                key: e.key,
                company: e.company,
                code: e.code,
                last_name: e.last_name,
                first_name: e.first_name,
                division_code: e.division_code,
                hired_on: e.hired_on,
                resigned_on: e.resigned_on,
            })
            .collect();
        let index = state
            .employees
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .collect();
        state.employee_index = index;
        // Ids stay unique after the restore even if the file's counter is behind its punches.
        let highest = snapshot.punches.iter().map(|p| p.id).max().unwrap_or(0);
        state.next_punch_id = snapshot.next_punch_id.max(highest + 1);
        state.punches = snapshot.punches;
        state.closed_days = snapshot.closed_days.into_iter().collect();
        state.closed_through = snapshot.closed_through.into_iter().collect();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewEmployee, NewPunch, SimConfig, TokenOptions};

    fn seeded() -> (Simulator, String) {
        let sim = Simulator::new(SimConfig::default());
        sim.create_company("c").unwrap();
        sim.add_division(
            "c",
            "100",
            "本社",
            NaiveTime::from_hms_opt(5, 0, 0).unwrap(),
        )
        .unwrap();
        sim.add_token("c", "t".repeat(32).as_str(), TokenOptions::default())
            .unwrap();
        let key = sim
            .add_employee(
                "c",
                NewEmployee {
                    code: "U000123".into(),
                    last_name: "市ヶ谷".into(),
                    first_name: "いちこ".into(),
                    division_code: "100".into(),
                    resigned_on: None,
                },
            )
            .unwrap();
        (sim, key)
    }

    #[test]
    fn company_data_survives_a_restart_keys_and_punches_included() {
        let (sim, key) = seeded();
        let date = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let punch = |time: &str, code: &str| -> NewPunch {
            // Through serde, as the admin API takes it.
            serde_json::from_value(serde_json::json!({
                "date": "2024-06-03", "time": time, "code": code
            }))
            .unwrap()
        };
        sim.add_punch(&key, punch("2024-06-03T09:00:00+09:00", "1"))
            .unwrap();
        sim.set_day_closed(&key, date, true).unwrap();
        sim.set_hired_date(&key, Some(date)).unwrap();
        let saved = sim.company_data();
        assert!(saved.contains("hiredOn"), "{saved}");

        let restarted = Simulator::new(SimConfig::default());
        restarted.restore_company_data(&saved).unwrap();
        assert_eq!(restarted.company_data(), saved);
        assert_eq!(restarted.punches("c").len(), 1);
        // New punches get ids of their own after the restored ones.
        let restored = restarted.punches("c")[0].id;
        let id = restarted
            .add_punch(&key, punch("2024-06-03T18:00:00+09:00", "2"))
            .unwrap();
        assert!(id > restored);
    }

    #[test]
    fn unreadable_or_foreign_data_changes_nothing() {
        let (sim, _) = seeded();
        let before = sim.company_data();
        for bad in [
            "",
            "{}",
            &before.replace("\"version\": 1", "\"version\": 2"),
            &before.replace("\"company\": \"c\"", "\"company\": \"elsewhere\""),
        ] {
            assert!(sim.restore_company_data(bad).is_err(), "{bad}");
            assert_eq!(sim.company_data(), before);
        }
    }
}
