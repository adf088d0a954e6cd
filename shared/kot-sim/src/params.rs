//! The query parameters each path documents (kot-api.md), checked for every API call by the
//! guard: anything else is a 400 in KING OF TIME's error shape naming the parameter. The real
//! API may ignore an unknown parameter instead, and then a filter we rely on would silently
//! not filter; refusing it is the strict choice, so the simulator is never more lenient than
//! the documentation \[ours\].

use std::collections::HashMap;

use crate::guard::Endpoint;
use crate::reply::ApiError;

/// `GET /employees` and `GET /employees/{code}` (the as-of `date` and `additionalFields`
/// of the list apply to the lookup too \[docs: "same shape"\]).
const EMPLOYEES: &[&str] = &["date", "division", "includeResigner", "additionalFields"];
const EMPLOYEE: &[&str] = &["date", "additionalFields"];
/// `GET /daily-workings/timerecord`: `employeeKeys` or `division` (+ `ondivision`), a range.
const PUNCH_LIST: &[&str] = &[
    "employeeKeys",
    "division",
    "ondivision",
    "start",
    "end",
    "additionalFields",
];
/// `GET /daily-workings/timerecord/{date}`: no `employeeKeys` \[docs\].
const PUNCH_DAY: &[&str] = &["division", "ondivision", "additionalFields"];
/// `GET /daily-workings`: no `employeeKeys` \[docs; two independent typings agree\].
const DAILY_WORKINGS: &[&str] = &["division", "ondivision", "start", "end", "additionalFields"];
/// Divisions, the punch POST and the token calls document no query parameters.
const NONE: &[&str] = &[];

/// The documented query parameters of an endpoint.
pub(crate) fn documented(endpoint: Endpoint) -> &'static [&'static str] {
    match endpoint {
        Endpoint::Employees => EMPLOYEES,
        Endpoint::Employee => EMPLOYEE,
        Endpoint::PunchList => PUNCH_LIST,
        Endpoint::PunchDay => PUNCH_DAY,
        Endpoint::DailyWorkings => DAILY_WORKINGS,
        Endpoint::Divisions
        | Endpoint::PunchPost
        | Endpoint::TokenAvailable
        | Endpoint::TokenRefresh
        | Endpoint::TokenDelete => NONE,
    }
}

/// Refuses the first undocumented parameter (in name order, so the answer is repeatable).
pub(crate) fn check(endpoint: Endpoint, query: &HashMap<String, String>) -> Result<(), ApiError> {
    let allowed = documented(endpoint);
    let mut unknown: Vec<&str> = query
        .keys()
        .map(String::as_str)
        .filter(|name| !allowed.contains(name))
        .collect();
    unknown.sort_unstable();
    match unknown.first() {
        None => Ok(()),
        Some(name) => Err(ApiError::invalid(format!(
            "{name} is not a parameter of this API (allowed: {})",
            if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed.join(", ")
            }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn employee_keys_only_where_documented() {
        let keys = query(&[("employeeKeys", "k"), ("start", "2024-06-03")]);
        assert!(check(Endpoint::PunchList, &keys).is_ok());
        for endpoint in [
            Endpoint::DailyWorkings,
            Endpoint::PunchDay,
            Endpoint::Employees,
        ] {
            assert!(check(endpoint, &keys).is_err(), "{endpoint:?}");
        }
    }

    #[test]
    fn the_first_unknown_name_is_refused_and_none_is_fine() {
        assert!(check(Endpoint::Divisions, &HashMap::new()).is_ok());
        assert!(check(Endpoint::Divisions, &query(&[("division", "1")])).is_err());
        let documented_only = query(&[
            ("division", "100"),
            ("ondivision", "true"),
            ("start", "2024-06-01"),
            ("end", "2024-06-30"),
            ("additionalFields", "currentDateEmployee"),
        ]);
        assert!(check(Endpoint::DailyWorkings, &documented_only).is_ok());
    }
}
