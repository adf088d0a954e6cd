//! Which user-days a day check judges, and what it reads for them: the users each employee key
//! stands for, the range to read, and KING OF TIME's side gathered per user-day. Pure: the
//! check ([`crate::day_check`]) reads and stores around it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use kot_client::{DailyWorkingSummary, EmployeeDayRecords};

use crate::day_store::UserDay;
use crate::day_verdict::{KotPunch, OurPunch};

/// KING OF TIME's punches of a user-day, with the employee key they were read under.
pub(crate) type KotDays = HashMap<UserDay, (String, Vec<KotPunch>)>;

#[derive(Debug, Default)]
pub(crate) struct Scope {
    /// Employee key → the users linked to it (two users may share one employee).
    users_of_key: BTreeMap<String, BTreeSet<String>>,
    /// The user-days to judge; grows as the whole-month check finds days with anything on them.
    pub(crate) wanted: BTreeSet<UserDay>,
    /// Whether the whole-month check is due today.
    month_due: bool,
    /// Users whose whole month is checked today (those posted to this month).
    month_users: BTreeSet<String>,
    pub(crate) start: NaiveDate,
    pub(crate) end: NaiveDate,
}

impl Scope {
    /// The days sent to and not checked yet (`touched`, with the employee key), and when the
    /// whole-month check is due (`month_due`), the employees posted to this month (`month`:
    /// user, key) over `month_start..=today`.
    pub(crate) fn new(
        touched: &[(UserDay, String)],
        month_due: bool,
        month: &[(String, String)],
        month_start: NaiveDate,
        today: NaiveDate,
    ) -> Self {
        let mut scope = Self {
            start: today,
            end: month_start,
            month_due,
            ..Self::default()
        };
        for (user_day, key) in touched {
            scope.link(key, &user_day.user_id);
            scope.start = scope.start.min(user_day.day);
            scope.end = scope.end.max(user_day.day);
            scope.wanted.insert(user_day.clone());
        }
        if month_due && !month.is_empty() {
            scope.start = scope.start.min(month_start);
            scope.end = scope.end.max(today);
        }
        for (user, key) in month.iter().filter(|_| month_due) {
            scope.link(key, user);
            scope.month_users.insert(user.clone());
        }
        scope
    }

    fn link(&mut self, key: &str, user: &str) {
        self.users_of_key
            .entry(key.to_owned())
            .or_default()
            .insert(user.to_owned());
    }

    fn users_of<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a String> {
        self.users_of_key.get(key).into_iter().flatten()
    }

    /// A day of a user whose whole month is checked: judged when anything is on it.
    fn want_in_month(&mut self, user_day: &UserDay) {
        if self.month_users.contains(&user_day.user_id) {
            self.wanted.insert(user_day.clone());
        }
    }

    /// The employee keys to read.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.users_of_key.keys().cloned().collect()
    }

    /// The users concerned, each once.
    pub(crate) fn users(&self) -> Vec<&str> {
        let users: BTreeSet<&str> = self
            .users_of_key
            .values()
            .flatten()
            .map(String::as_str)
            .collect();
        users.into_iter().collect()
    }

    /// KING OF TIME's punches per user-day (the listing has an entry for every day of the
    /// range, punched or not: empty days are left out).
    pub(crate) fn kot_days(&mut self, records: EmployeeDayRecords) -> KotDays {
        let mut kot = KotDays::new();
        for ((key, day), day_records) in records {
            if day_records.is_empty() {
                continue;
            }
            let users: Vec<String> = self.users_of(&key).cloned().collect();
            for user_id in users {
                let user_day = UserDay { user_id, day };
                let punches = day_records.iter().map(|record| KotPunch {
                    time: record.time,
                    code: record.code.clone(),
                    name: record.name.clone(),
                });
                kot.entry(user_day.clone())
                    .or_insert_with(|| (key.clone(), Vec::new()))
                    .1
                    .extend(punches);
                self.want_in_month(&user_day);
            }
        }
        kot
    }

    /// KING OF TIME's day summaries per user-day, of the employees in scope only: the read
    /// covers the whole company, and other employees' rows are dropped here. An エラー勤務 day
    /// without punches (e.g. all removed) is worth a verdict too.
    pub(crate) fn summaries<'a>(
        &mut self,
        summaries: &'a [DailyWorkingSummary],
    ) -> HashMap<UserDay, &'a DailyWorkingSummary> {
        let mut summary_of = HashMap::new();
        for summary in summaries {
            let users: Vec<String> = self.users_of(&summary.employee_key).cloned().collect();
            for user_id in users {
                let user_day = UserDay {
                    user_id,
                    day: summary.date,
                };
                // Any user of the key, not only those posted to this month.
                if self.month_due && summary.is_error {
                    self.wanted.insert(user_day.clone());
                }
                summary_of.insert(user_day, summary);
            }
        }
        summary_of
    }

    /// Days with our punches on them, for the users whose month is checked.
    pub(crate) fn add_our_days(&mut self, ours: &HashMap<UserDay, Vec<OurPunch>>) {
        for user_day in ours.keys() {
            self.want_in_month(user_day);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn user_day(user: &str, text: &str) -> UserDay {
        UserDay {
            user_id: user.into(),
            day: day(text),
        }
    }

    #[test]
    fn touched_days_alone_read_only_their_range() {
        let touched = [
            (user_day("u1", "2024-06-05"), "k1".to_owned()),
            (user_day("u2", "2024-06-03"), "k1".to_owned()),
        ];
        let scope = Scope::new(&touched, false, &[], day("2024-06-01"), day("2024-06-20"));
        assert_eq!(
            (scope.start, scope.end),
            (day("2024-06-03"), day("2024-06-05"))
        );
        assert_eq!(scope.keys(), ["k1"]);
        assert_eq!(scope.users(), ["u1", "u2"]);
        assert_eq!(scope.wanted.len(), 2);
    }

    #[test]
    fn the_month_check_wants_only_days_with_something_on_them() {
        let month = [("u1".to_owned(), "k1".to_owned())];
        let mut scope = Scope::new(&[], true, &month, day("2024-06-01"), day("2024-06-20"));
        assert_eq!(
            (scope.start, scope.end),
            (day("2024-06-01"), day("2024-06-20"))
        );
        assert!(scope.wanted.is_empty());
        let mut records = EmployeeDayRecords::new();
        records.insert(("k1".into(), day("2024-06-04")), Vec::new());
        let kot = scope.kot_days(records);
        assert!(
            kot.is_empty() && scope.wanted.is_empty(),
            "an empty day is no day"
        );
        let mut ours = HashMap::new();
        ours.insert(user_day("u1", "2024-06-07"), Vec::new());
        ours.insert(user_day("u9", "2024-06-07"), Vec::new());
        scope.add_our_days(&ours);
        assert_eq!(
            scope.wanted.iter().collect::<Vec<_>>(),
            [&user_day("u1", "2024-06-07")],
            "only users whose month is checked"
        );
    }

    #[test]
    fn a_company_read_keeps_only_the_employees_in_scope() {
        let touched = [(user_day("u1", "2024-06-05"), "k1".to_owned())];
        let mut scope = Scope::new(&touched, true, &[], day("2024-06-01"), day("2024-06-20"));
        let row = |key: &str, is_error: bool| DailyWorkingSummary {
            date: day("2024-06-05"),
            employee_key: key.into(),
            is_error,
            is_closing: false,
            is_help: None,
            workday_type_name: None,
            work_place_division_code: None,
            work_place_division_name: None,
            totals: kot_client::DayTotals::default(),
            holidays_obtained: None,
            current_date_employee: None,
        };
        let rows = [row("k1", false), row("k2", true), row("k3", false)];
        let summary_of = scope.summaries(&rows);
        assert_eq!(
            summary_of.len(),
            1,
            "another employee's error day is not ours"
        );
        assert_eq!(summary_of[&user_day("u1", "2024-06-05")].employee_key, "k1");
        assert_eq!(scope.wanted.len(), 1);
    }
}
