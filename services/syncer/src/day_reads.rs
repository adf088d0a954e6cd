//! Which `GET /daily-workings` reads a day check makes. The endpoint takes no employee keys
//! (kot-api.md): it answers a whole company or one division, so for a large company and a small
//! change the company read costs far more than the answer we keep. The employees' divisions are
//! taken from what the punch listing just answered for them (each record names its division);
//! when they are in a few divisions those are read instead of the company.
//!
//! A division read could miss someone (a record's division is where the punch was made, not
//! necessarily the employee's home division, and what `ondivision` selects is not documented
//! in detail), and a missing summary would hide an エラー勤務 or a 締め. So the answer is checked:
//! unless every employee in scope is in it, the company is read after all.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use kot_client::{AttendanceVendor, DailyWorkingSummary, EmployeeDayRecords, KotError, Token};

/// At most this many division reads replace one company read \[ours\]: each is a call on the
/// general budget, and a change touching more divisions is no longer small.
pub(crate) const MAX_DIVISION_READS: usize = 3;

/// The divisions to read for `keys`, or `None` for the company: when an employee in scope has
/// no record naming a division, or the employees are in more than [`MAX_DIVISION_READS`].
pub(crate) fn divisions_to_read(
    keys: &[String],
    records: &EmployeeDayRecords,
) -> Option<BTreeSet<String>> {
    let mut divisions = BTreeSet::new();
    for key in keys {
        // The map is ordered by (employee, day): each employee's days are one range, so a
        // whole-month check of a large company stays linear (a scan of every record per
        // employee took minutes for 20,000 employees).
        let days = (key.clone(), NaiveDate::MIN)..=(key.clone(), NaiveDate::MAX);
        let mut named = false;
        for (_, day) in records.range(days) {
            for code in day.iter().filter_map(|r| r.division_code.as_ref()) {
                if !code.is_empty() {
                    named = true;
                    divisions.insert(code.clone());
                }
            }
        }
        if !named {
            return None;
        }
        // Past the limit the company is read whatever the rest name.
        if divisions.len() > MAX_DIVISION_READS {
            return None;
        }
    }
    (!divisions.is_empty()).then_some(divisions)
}

/// KING OF TIME's day summaries from `start` to `end` covering every employee of `keys`: read
/// by division where [`divisions_to_read`] allows and the answer covers everyone, else by
/// company. Rows of other employees are left for the caller to drop.
pub(crate) async fn read_summaries(
    vendor: &dyn AttendanceVendor,
    token: &Token,
    keys: &[String],
    records: &EmployeeDayRecords,
    (start, end): (NaiveDate, NaiveDate),
) -> Result<Vec<DailyWorkingSummary>, KotError> {
    if let Some(divisions) = divisions_to_read(keys, records) {
        let mut summaries = Vec::new();
        for division in &divisions {
            summaries.extend(
                vendor
                    .daily_workings(token, Some(division), start, end)
                    .await?,
            );
        }
        let covered: BTreeSet<&str> = summaries.iter().map(|s| s.employee_key.as_str()).collect();
        if keys.iter().all(|key| covered.contains(key.as_str())) {
            return Ok(summaries);
        }
        tracing::info!(
            divisions = divisions.len(),
            "a division read missed an employee in scope; reading the company"
        );
    }
    vendor.daily_workings(token, None, start, end).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use kot_client::TimeRecord;

    fn record(division: Option<&str>) -> TimeRecord {
        TimeRecord {
            time: chrono::DateTime::parse_from_rfc3339("2024-06-03T09:00:00+09:00").unwrap(),
            code: "1".into(),
            name: None,
            division_code: division.map(str::to_owned),
            division_name: None,
            latitude: None,
            longitude: None,
            credential_code: None,
            credential_name: None,
        }
    }

    fn records(rows: &[(&str, Option<&str>)]) -> EmployeeDayRecords {
        let day: NaiveDate = "2024-06-03".parse().unwrap();
        let mut records = EmployeeDayRecords::new();
        for (key, division) in rows {
            records
                .entry(((*key).to_owned(), day))
                .or_default()
                .push(record(*division));
        }
        records
    }

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn few_divisions_are_read_one_by_one() {
        let read = records(&[
            ("k1", Some("100")),
            ("k2", Some("100")),
            ("k3", Some("200")),
        ]);
        let divisions = divisions_to_read(&keys(&["k1", "k2", "k3"]), &read).unwrap();
        assert_eq!(divisions.into_iter().collect::<Vec<_>>(), ["100", "200"]);
    }

    #[test]
    fn the_company_is_read_when_a_division_is_unknown_or_there_are_many() {
        let read = records(&[("k1", Some("100")), ("k2", None)]);
        assert_eq!(divisions_to_read(&keys(&["k1", "k2"]), &read), None);
        assert_eq!(
            divisions_to_read(&keys(&["k1", "k9"]), &read),
            None,
            "no records"
        );
        let many = records(&[
            ("k1", Some("1")),
            ("k2", Some("2")),
            ("k3", Some("3")),
            ("k4", Some("4")),
        ]);
        assert_eq!(
            divisions_to_read(&keys(&["k1", "k2", "k3", "k4"]), &many),
            None
        );
        assert_eq!(
            divisions_to_read(&[], &many),
            None,
            "nobody: nothing to narrow"
        );
    }
}
