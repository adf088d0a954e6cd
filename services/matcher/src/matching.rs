//! The match itself, pure: users and employees in, one 連携状況 row per user out. Linked iff
//! the user code equals an employee code byte for byte (design.md, "Matching"); everything
//! else is 無効 with the reason, and a near miss becomes a hint, never a link.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveTime};
use kot_client::{Division, Employee};

use crate::hints::{HintIndex, employee_name};
use crate::model::{DirectoryUser, Employment, LinkRow, LinkStatus, Reason};

/// Matches every user against the employee list KING OF TIME gave (resigned ones included).
/// `today` is the JST date: an employee is resigned from the day after the resignation date.
pub fn match_users(
    users: Vec<DirectoryUser>,
    employees: &[Employee],
    today: NaiveDate,
) -> Vec<LinkRow> {
    let statuses = statuses(&users, employees, today);
    // The users are consumed so that their strings move into the rows instead of being copied.
    users
        .into_iter()
        .zip(statuses)
        .map(|(user, status)| row(user, status))
        .collect()
}

fn statuses(users: &[DirectoryUser], employees: &[Employee], today: NaiveDate) -> Vec<LinkStatus> {
    let mut code_owners: HashMap<&str, u32> = HashMap::with_capacity(users.len());
    for user in users.iter().filter(|u| has_code(u)) {
        *code_owners.entry(user.user_code.as_str()).or_default() += 1;
    }
    let by_code = employees_by_code(employees, today);
    // Built only when some user needs a hint: in a healthy company nobody does.
    let mut hints: Option<HintIndex<'_>> = None;

    users
        .iter()
        .map(|user| {
            let code = user.user_code.as_str();
            if !has_code(user) {
                inactive(Reason::NoUserCode)
            } else if code_owners.get(code).copied().unwrap_or(0) > 1 {
                inactive(Reason::DuplicateUserCode)
            } else {
                match by_code.get(code) {
                    Some(employee) if !employee.is_resigned_on(today) => LinkStatus::Active {
                        employee_code: employee.code.clone(),
                        employee_key: employee.key.clone(),
                        employee_name: employee_name(employee),
                        day_border: NaiveTime::MIN,
                        employment: Employment {
                            hired_on: employee.hired_date,
                            resigned_on: employee.resignation_date,
                        },
                        division_code: employee.division_code.clone(),
                    },
                    Some(_) => inactive(Reason::EmployeeResigned),
                    None => {
                        let index = hints.get_or_insert_with(|| {
                            let claimed: HashSet<&str> = code_owners.keys().copied().collect();
                            HintIndex::new(employees, &claimed, today)
                        });
                        LinkStatus::Inactive {
                            reason: Reason::NoEmployee,
                            hint: index.find(code),
                        }
                    }
                }
            }
        })
        .collect()
}

/// Gives each 有効 row the 日付変更時間 of its employee's division. An employee whose division
/// `GET /divisions` does not list keeps 00:00, KING OF TIME's default.
pub fn set_day_borders(rows: &mut [LinkRow], employees: &[Employee], divisions: &[Division]) {
    let borders: HashMap<&str, NaiveTime> = divisions
        .iter()
        .map(|d| (d.code.as_str(), d.day_border_time))
        .collect();
    let division_of: HashMap<&str, &str> = employees
        .iter()
        .map(|e| (e.key.as_str(), e.division_code.as_str()))
        .collect();
    for row in rows {
        if let LinkStatus::Active {
            employee_key,
            day_border,
            ..
        } = &mut row.status
        {
            *day_border = division_of
                .get(employee_key.as_str())
                .and_then(|code| borders.get(code))
                .copied()
                .unwrap_or(NaiveTime::MIN);
        }
    }
}

/// The rows after a run that could not read KING OF TIME (restricted hours, outage, rejected
/// token, integration off): existing links stay as they were, since nothing says they broke.
/// Names and flags follow settings. A user who is new, or whose code changed since the link
/// was made, cannot be confirmed and waits for the next successful run.
pub fn carry_over(users: Vec<DirectoryUser>, previous: &HashMap<String, LinkRow>) -> Vec<LinkRow> {
    users
        .into_iter()
        .map(|user| {
            let status = match previous.get(&user.user_id) {
                Some(old) if old.user_code == user.user_code => old.status.clone(),
                _ if !has_code(&user) => inactive(Reason::NoUserCode),
                _ => inactive(Reason::NotMatchedYet),
            };
            row(user, status)
        })
        .collect()
}

/// A digest of a company's rows, independent of their order. Only compared with digests this
/// build computed: if a new Rust version hashes differently, one run rewrites the rows once.
pub fn rows_digest(rows: &[LinkRow]) -> i64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut sorted: Vec<&LinkRow> = rows.iter().collect();
    if !sorted.is_sorted_by(|a, b| a.user_id <= b.user_id) {
        sorted.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    }
    // DefaultHasher::new() has fixed keys, so the digest is the same in every process.
    let mut hasher = DefaultHasher::new();
    sorted.hash(&mut hasher);
    i64::from_ne_bytes(hasher.finish().to_ne_bytes())
}

/// A code of spaces only is no code: no employee code can be blank (3–10 characters).
fn has_code(user: &DirectoryUser) -> bool {
    !user.user_code.trim().is_empty()
}

/// One employee per code. KING OF TIME keeps codes unique within a company, but a resigned
/// employee's code might be reused: the one still employed wins, then the smaller key, so the
/// answer never depends on the order of the list.
fn employees_by_code(employees: &[Employee], today: NaiveDate) -> HashMap<&str, &Employee> {
    let mut by_code: HashMap<&str, &Employee> = HashMap::with_capacity(employees.len());
    for employee in employees {
        by_code
            .entry(employee.code.as_str())
            .and_modify(|current| {
                let rank = |e: &Employee| (e.is_resigned_on(today), e.key.clone());
                if rank(employee) < rank(current) {
                    *current = employee;
                }
            })
            .or_insert(employee);
    }
    by_code
}

fn inactive(reason: Reason) -> LinkStatus {
    LinkStatus::Inactive { reason, hint: None }
}

fn row(user: DirectoryUser, status: LinkStatus) -> LinkRow {
    LinkRow {
        user_id: user.user_id,
        user_code: user.user_code,
        user_name: user.name,
        kot_link_enabled: user.kot_link_enabled,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hints::tests::employee;
    use crate::model::{Hint, HintKind};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 3).unwrap_or_default()
    }

    fn user(id: &str, code: &str) -> DirectoryUser {
        DirectoryUser {
            user_id: id.into(),
            user_code: code.into(),
            name: format!("name of {id}"),
            kot_link_enabled: true,
        }
    }

    fn status_of<'a>(rows: &'a [LinkRow], id: &str) -> &'a LinkStatus {
        rows.iter()
            .find(|r| r.user_id == id)
            .map(|r| &r.status)
            .unwrap_or_else(|| panic!("no row for {id}"))
    }

    fn reason_of(rows: &[LinkRow], id: &str) -> Option<Reason> {
        match status_of(rows, id) {
            LinkStatus::Inactive { reason, .. } => Some(*reason),
            LinkStatus::Active { .. } => None,
        }
    }

    #[test]
    fn exact_codes_link_and_everything_else_has_a_reason() {
        let employees = vec![
            employee("U000123", None),
            employee("U000124", None),
            employee("U000300", today().pred_opt()),
            employee("U000400", Some(today())),
        ];
        let users = vec![
            user("a", "U000123"),
            user("b", "U000124"),
            user("c", "U00528"),
            user("d", ""),
            user("e", "   "),
            user("f", "U000300"),
            user("g", "U000400"),
            user("h", "DUP01"),
            user("i", "DUP01"),
        ];
        let count = users.len();
        let rows = match_users(users, &employees, today());
        assert_eq!(rows.len(), count);
        match status_of(&rows, "a") {
            LinkStatus::Active {
                employee_code,
                employee_key,
                ..
            } => {
                assert_eq!(employee_code, "U000123");
                assert_eq!(employee_key, &employees[0].key);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(status_of(&rows, "b"), LinkStatus::Active { .. }));
        assert_eq!(reason_of(&rows, "c"), Some(Reason::NoEmployee));
        assert_eq!(reason_of(&rows, "d"), Some(Reason::NoUserCode));
        assert_eq!(reason_of(&rows, "e"), Some(Reason::NoUserCode));
        assert_eq!(reason_of(&rows, "f"), Some(Reason::EmployeeResigned));
        // The resignation day is still a working day.
        assert!(matches!(status_of(&rows, "g"), LinkStatus::Active { .. }));
        assert_eq!(reason_of(&rows, "h"), Some(Reason::DuplicateUserCode));
        assert_eq!(reason_of(&rows, "i"), Some(Reason::DuplicateUserCode));
    }

    #[test]
    fn a_near_miss_is_a_hint_not_a_link() {
        let employees = vec![employee("U000528", None)];
        let rows = match_users(vec![user("c", "U00528")], &employees, today());
        assert_eq!(
            status_of(&rows, "c"),
            &LinkStatus::Inactive {
                reason: Reason::NoEmployee,
                hint: Some(Hint {
                    kind: HintKind::ZeroPadding,
                    employee_code: "U000528".into(),
                    employee_name: "姓 U000528".into(),
                }),
            }
        );
    }

    #[test]
    fn duplicates_in_the_employee_list_prefer_the_employed_one() {
        let mut gone = employee("U1", today().pred_opt());
        gone.key = "0".repeat(64);
        let mut current = employee("U1", None);
        current.key = "f".repeat(64);
        for employees in [
            vec![gone.clone(), current.clone()],
            vec![current.clone(), gone.clone()],
        ] {
            let rows = match_users(vec![user("a", "U1")], &employees, today());
            assert!(
                matches!(status_of(&rows, "a"), LinkStatus::Active { employee_key, .. } if employee_key == &current.key)
            );
        }
    }

    #[test]
    fn carry_over_keeps_links_whose_code_is_unchanged() {
        let employees = vec![employee("U1", None), employee("U2", None)];
        let before = match_users(vec![user("a", "U1"), user("b", "U2")], &employees, today());
        let previous: HashMap<String, LinkRow> =
            before.into_iter().map(|r| (r.user_id.clone(), r)).collect();
        let mut renamed = user("a", "U1");
        renamed.name = "renamed".into();
        renamed.kot_link_enabled = false;
        let users = vec![renamed, user("b", "U3"), user("c", "U4"), user("d", "")];
        let rows = carry_over(users, &previous);
        assert!(rows[0].is_active());
        assert_eq!(rows[0].user_name, "renamed");
        assert!(!rows[0].kot_link_enabled);
        assert_eq!(reason_of(&rows, "b"), Some(Reason::NotMatchedYet));
        assert_eq!(reason_of(&rows, "c"), Some(Reason::NotMatchedYet));
        assert_eq!(reason_of(&rows, "d"), Some(Reason::NoUserCode));
    }

    #[test]
    fn active_rows_carry_their_division_day_border() {
        let mut night = employee("U1", None);
        night.division_code = "200".into();
        let day_staff = employee("U2", None);
        let mut unlisted = employee("U3", None);
        unlisted.division_code = "999".into();
        let employees = vec![night, day_staff, unlisted];
        let users = vec![
            user("a", "U1"),
            user("b", "U2"),
            user("c", "U3"),
            user("d", "U9"),
        ];
        let mut rows = match_users(users, &employees, today());
        let division = |code: &str, border: &str| Division {
            code: code.into(),
            name: String::new(),
            day_border_time: NaiveTime::parse_from_str(border, "%H:%M").unwrap(),
        };
        set_day_borders(
            &mut rows,
            &employees,
            &[division("100", "00:00"), division("200", "05:00")],
        );
        let border = |id: &str| match status_of(&rows, id) {
            LinkStatus::Active { day_border, .. } => Some(day_border.format("%H:%M").to_string()),
            LinkStatus::Inactive { .. } => None,
        };
        assert_eq!(border("a").as_deref(), Some("05:00"));
        assert_eq!(border("b").as_deref(), Some("00:00"));
        assert_eq!(
            border("c").as_deref(),
            Some("00:00"),
            "unlisted division: default"
        );
        assert_eq!(border("d"), None);
    }
}
