//! The day readers: punch listings (`/daily-workings/timerecord`) and KING OF TIME's evaluation
//! of each day (`/daily-workings`). Ranges over 62 days and key lists over
//! [`MAX_KEYS_PER_CALL`] are split into several calls and the answers merged. `/daily-workings`
//! documents no `employeeKeys` (kot-api.md): it is read per company or per division, and the
//! caller keeps the employees it needs.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use reqwest::Method;

use crate::client::{Call, KotClient, MAX_KEYS_PER_CALL};
use crate::error::KotError;
use crate::limiter::Budget;
use crate::range::split_range;
use crate::summary::{DailyWorkingSummary, DailyWorkingsOfDay, EmployeeDayRecords};
use crate::token::Token;
use crate::transport::decode;
use crate::types::DailyTimeRecords;

impl KotClient {
    /// `GET /daily-workings/timerecord` for `employee_keys` from `start` to `end` inclusive.
    /// Ranges over 62 days, and key lists over [`MAX_KEYS_PER_CALL`], are split into several
    /// calls, and the answers merged: one entry per date, in date order. No keys, no call.
    pub async fn list_timerecords<K: AsRef<str>>(
        &self,
        token: &Token,
        employee_keys: &[K],
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<DailyTimeRecords>, KotError> {
        check_range(start, end)?;
        let mut by_date: BTreeMap<NaiveDate, DailyTimeRecords> = BTreeMap::new();
        for keys in employee_keys.chunks(MAX_KEYS_PER_CALL) {
            for (from, to) in split_range(start, end) {
                let url = self.range_url(&["daily-workings", "timerecord"], keys, from, to);
                let chunk: Vec<DailyTimeRecords> = self
                    .get_json(token, Budget::Punch, url, "/daily-workings/timerecord")
                    .await?;
                for day in chunk {
                    by_date
                        .entry(day.date)
                        .or_insert_with(|| DailyTimeRecords {
                            date: day.date,
                            daily_workings: Vec::new(),
                        })
                        .daily_workings
                        .extend(day.daily_workings);
                }
            }
        }
        Ok(by_date.into_values().collect())
    }

    /// Every listed employee's punches per working day from `start` to `end`, keyed by
    /// (employee key, working day). Keys asked twice are asked once, so no record is counted
    /// twice; records of employees not asked for are dropped.
    pub async fn read_days(
        &self,
        token: &Token,
        employee_keys: &[String],
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<EmployeeDayRecords, KotError> {
        let keys = distinct(employee_keys);
        let days = self.list_timerecords(token, &keys, start, end).await?;
        let mut records = EmployeeDayRecords::new();
        for working in days.into_iter().flat_map(|day| day.daily_workings) {
            let wanted = (start..=end).contains(&working.date)
                && keys.binary_search(&working.employee_key.as_str()).is_ok();
            if wanted {
                records
                    .entry((working.employee_key, working.date))
                    .or_default()
                    .extend(working.time_record);
            }
        }
        Ok(records)
    }

    /// `GET /daily-workings/timerecord/{date}`: every employee of the company on one working
    /// day, or those of `division`. The endpoint documents no `employeeKeys`: to read some
    /// employees, use [`KotClient::list_timerecords`].
    pub async fn get_daily_timerecords(
        &self,
        token: &Token,
        date: NaiveDate,
        division: Option<&str>,
    ) -> Result<DailyTimeRecords, KotError> {
        let mut url = self.url(&["daily-workings", "timerecord", &date.to_string()]);
        if let Some(division) = division {
            url.query_pairs_mut().append_pair("division", division);
        }
        let call = Call::new(
            Budget::Punch,
            Method::GET,
            url,
            "/daily-workings/timerecord/{date}",
        );
        self.send(token, call, |answer| {
            let bytes = answer.success()?;
            // Documented as one day; an array of days is accepted too, in case it is the list
            // shape.
            if let Ok(day) = serde_json::from_slice::<DailyTimeRecords>(bytes) {
                return Ok(day);
            }
            let days: Vec<DailyTimeRecords> = decode(bytes)?;
            let mut merged = DailyTimeRecords {
                date,
                daily_workings: Vec::new(),
            };
            for day in days.into_iter().filter(|d| d.date == date) {
                merged.daily_workings.extend(day.daily_workings);
            }
            Ok(merged)
        })
        .await
    }

    /// `GET /daily-workings?start=…&end=…`, for the whole company (`division: None`) or the
    /// employees of one division (`division=CODE&ondivision=true`): KING OF TIME's evaluation of
    /// each employee's days (エラー勤務, 締め, totals), sorted by date then key, one entry per
    /// (date, key) even if an answer repeats one. Its documented parameters are `division`,
    /// `ondivision`, `start`, `end` and `additionalFields` only — no `employeeKeys` — so the
    /// caller keeps the employees it needs. Ranges over 62 days are split into several calls.
    /// Spends the general budget and is refused in the restricted hours, like every read.
    pub async fn list_daily_workings(
        &self,
        token: &Token,
        division: Option<&str>,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<DailyWorkingSummary>, KotError> {
        check_range(start, end)?;
        let mut summaries = BTreeMap::new();
        for (from, to) in split_range(start, end) {
            let mut url = self.url(&["daily-workings"]);
            {
                let mut query = url.query_pairs_mut();
                if let Some(division) = division {
                    query
                        .append_pair("division", division)
                        .append_pair("ondivision", "true");
                }
                query
                    .append_pair("start", &from.to_string())
                    .append_pair("end", &to.to_string());
            }
            let days: Vec<DailyWorkingsOfDay> = self
                .get_json(token, Budget::General, url, "/daily-workings")
                .await?;
            for summary in days.into_iter().flat_map(|day| day.daily_workings) {
                // Only the asked range: a day outside it would be judged on a partial read.
                if (start..=end).contains(&summary.date) {
                    summaries.insert((summary.date, summary.employee_key.clone()), summary);
                }
            }
        }
        Ok(summaries.into_values().collect())
    }

    fn range_url(
        &self,
        segments: &[&str],
        keys: &[impl AsRef<str>],
        from: NaiveDate,
        to: NaiveDate,
    ) -> url::Url {
        let mut url = self.url(segments);
        url.query_pairs_mut()
            .append_pair("employeeKeys", &join_keys(keys))
            .append_pair("start", &from.to_string())
            .append_pair("end", &to.to_string());
        url
    }
}

fn check_range(start: NaiveDate, end: NaiveDate) -> Result<(), KotError> {
    if end < start {
        return Err(KotError::InvalidConfig {
            reason: format!("range ends ({end}) before it starts ({start})"),
        });
    }
    Ok(())
}

/// The keys once each, sorted (for binary search).
fn distinct(keys: &[String]) -> Vec<&str> {
    keys.iter()
        .map(String::as_str)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn join_keys(keys: &[impl AsRef<str>]) -> String {
    keys.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(",")
}
