//! Near misses between a user code and the employee codes of KING OF TIME (design.md,
//! "Matching"; the manual's FAQ). A hint only explains why a user is 無効 and what to type;
//! linking stays byte-for-byte equality.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use kot_client::Employee;

use crate::model::{Hint, HintKind};

/// Length range of a KING OF TIME company code: the login ID is company code + "3" + employee
/// code (kot-api.md).
const COMPANY_CODE_CHARS: std::ops::RangeInclusive<usize> = 3..=6;

/// Looks up near misses among the employees no user has claimed yet: pointing a user at an
/// employee another user already links to (or resigned ones) would only create a new problem.
pub struct HintIndex<'a> {
    /// Loose form → candidate employees, in code order so the answer is deterministic.
    loose: HashMap<String, Vec<&'a Employee>>,
    exact: HashMap<&'a str, &'a Employee>,
}

impl<'a> HintIndex<'a> {
    pub fn new(employees: &'a [Employee], claimed: &HashSet<&str>, today: NaiveDate) -> Self {
        let mut candidates: Vec<&Employee> = employees
            .iter()
            .filter(|e| !e.is_resigned_on(today) && !claimed.contains(e.code.as_str()))
            .collect();
        candidates.sort_by(|a, b| a.code.cmp(&b.code).then_with(|| a.key.cmp(&b.key)));
        let mut loose: HashMap<String, Vec<&Employee>> = HashMap::new();
        let mut exact = HashMap::new();
        for employee in candidates {
            loose
                .entry(loose_form(&employee.code))
                .or_default()
                .push(employee);
            exact.entry(employee.code.as_str()).or_insert(employee);
        }
        Self { loose, exact }
    }

    /// The best near miss for a user code that matches no employee exactly.
    pub fn find(&self, user_code: &str) -> Option<Hint> {
        let near = self
            .loose
            .get(&loose_form(user_code))
            .and_then(|found| found.iter().find(|e| e.code != user_code));
        if let Some(employee) = near {
            return Some(hint(classify(user_code, &employee.code), employee));
        }
        self.login_id(user_code)
            .map(|employee| hint(HintKind::LoginId, employee))
    }

    /// `faq3100` for employee `100`: a company code of 3–6 characters, then "3", then the code.
    fn login_id(&self, user_code: &str) -> Option<&'a Employee> {
        let chars: Vec<(usize, char)> = user_code.char_indices().collect();
        COMPANY_CODE_CHARS.into_iter().find_map(|prefix| {
            let (at, separator) = *chars.get(prefix)?;
            let rest = user_code.get(at + separator.len_utf8()..)?;
            (separator == '3' && !rest.is_empty())
                .then(|| self.exact.get(rest).copied())
                .flatten()
        })
    }
}

fn hint(kind: HintKind, employee: &Employee) -> Hint {
    Hint {
        kind,
        employee_code: employee.code.clone(),
        employee_name: employee_name(employee),
    }
}

/// 姓 名, as KING OF TIME shows it.
pub fn employee_name(employee: &Employee) -> String {
    match (
        employee.last_name.is_empty(),
        employee.first_name.is_empty(),
    ) {
        (false, false) => format!("{} {}", employee.last_name, employee.first_name),
        (false, true) => employee.last_name.clone(),
        _ => employee.first_name.clone(),
    }
}

/// Which difference explains the near miss, the most visible first: full-width characters and
/// spaces are what an administrator can see on screen, zeros and case need a closer look.
fn classify(user_code: &str, employee_code: &str) -> HintKind {
    if user_code.chars().any(is_full_width) {
        HintKind::FullWidth
    } else if user_code.chars().any(char::is_whitespace)
        || employee_code.chars().any(char::is_whitespace)
    {
        HintKind::Whitespace
    } else if user_code.to_lowercase() == employee_code.to_lowercase() {
        HintKind::LetterCase
    } else {
        HintKind::ZeroPadding
    }
}

/// Full-width ASCII (U+FF01–U+FF5E) and the ideographic space.
fn is_full_width(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}')
}

fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// The code with every tolerated difference removed: half-width, no spaces, lower case, and no
/// leading zeros in any run of digits (`U00123` and `U000123` both become `u123`).
pub(crate) fn loose_form(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    // Within a run of digits: whether a non-zero digit was kept, and whether zeros were dropped
    // (an all-zero run still stands for one "0").
    let mut kept_digit = false;
    let mut dropped_zero = false;
    for c in code.chars().map(half_width).filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            if c == '0' && !kept_digit {
                dropped_zero = true;
            } else {
                kept_digit = true;
                out.push(c);
            }
        } else {
            if dropped_zero && !kept_digit {
                out.push('0');
            }
            kept_digit = false;
            dropped_zero = false;
            out.extend(c.to_lowercase());
        }
    }
    if dropped_zero && !kept_digit {
        out.push('0');
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn employee(code: &str, resigned_on: Option<NaiveDate>) -> Employee {
        Employee {
            key: format!("{code:0>64}"),
            code: code.to_owned(),
            last_name: "姓".into(),
            first_name: code.to_owned(),
            division_code: "100".into(),
            division_name: String::new(),
            gender: None,
            type_code: None,
            type_name: None,
            employee_groups: Vec::new(),
            resignation_date: resigned_on,
            hired_date: None,
            last_name_phonetics: None,
            first_name_phonetics: None,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 3).unwrap_or_default()
    }

    #[test]
    fn loose_form_removes_tolerated_differences() {
        assert_eq!(loose_form("U000123"), "u123");
        assert_eq!(loose_form("U00123"), "u123");
        assert_eq!(loose_form("Ｕ０００１２３"), "u123");
        assert_eq!(loose_form(" U000 123 "), "u123");
        assert_eq!(loose_form("A0B00C"), "a0b0c");
        assert_eq!(loose_form("100"), "100");
        assert_eq!(loose_form("0100"), "100");
        assert_eq!(loose_form("000"), "0");
        assert_eq!(loose_form(""), "");
        // Zeros inside a number are significant.
        assert_ne!(loose_form("U1023"), loose_form("U123"));
    }

    #[test]
    fn each_kind_is_recognised() {
        let employees = vec![
            employee("U000123", None),
            employee("E100", None),
            employee("abc01", None),
        ];
        let index = HintIndex::new(&employees, &HashSet::new(), today());
        let kind = |code: &str| index.find(code).map(|h| (h.kind, h.employee_code));
        assert_eq!(
            kind("U00123"),
            Some((HintKind::ZeroPadding, "U000123".into()))
        );
        assert_eq!(
            kind("Ｕ０００１２３"),
            Some((HintKind::FullWidth, "U000123".into()))
        );
        assert_eq!(
            kind("u000123"),
            Some((HintKind::LetterCase, "U000123".into()))
        );
        assert_eq!(
            kind("U000123 "),
            Some((HintKind::Whitespace, "U000123".into()))
        );
        assert_eq!(
            kind("U000　123"),
            Some((HintKind::FullWidth, "U000123".into()))
        );
        assert_eq!(kind("ABC01"), Some((HintKind::LetterCase, "abc01".into())));
        assert_eq!(kind("faq3E100"), Some((HintKind::LoginId, "E100".into())));
        assert_eq!(
            kind("kintai3E100"),
            Some((HintKind::LoginId, "E100".into()))
        );
        // Company codes have 3–6 characters.
        assert_eq!(kind("ab3E100"), None);
        assert_eq!(kind("abcdefg3E100"), None);
        assert_eq!(kind("U999999"), None);
        assert_eq!(kind(""), None);
    }

    #[test]
    fn claimed_and_resigned_employees_are_not_suggested() {
        let gone = today().pred_opt();
        let employees = vec![employee("U000123", None), employee("U000200", gone)];
        let claimed: HashSet<&str> = ["U000123"].into_iter().collect();
        let index = HintIndex::new(&employees, &claimed, today());
        assert_eq!(index.find("U00123"), None);
        assert_eq!(index.find("U00200"), None);
        let index = HintIndex::new(&employees, &HashSet::new(), today());
        assert!(index.find("U00123").is_some());
    }

    #[test]
    fn hostile_codes_do_not_panic() {
        let employees = vec![employee("U000123", None)];
        let index = HintIndex::new(&employees, &HashSet::new(), today());
        for code in [
            "3",
            "abc3",
            "abc3\u{0}",
            "日本語3U000123",
            "\u{FF5E}\u{FF01}",
            "ｘ３",
        ] {
            let _ = index.find(code);
            let _ = loose_form(code);
        }
        assert_eq!(
            index.find("日本語3U000123").map(|h| h.kind),
            Some(HintKind::LoginId)
        );
    }
}
