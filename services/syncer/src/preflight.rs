//! Pre-flight (design.md, "Before a punch is posted"): KING OF TIME stores a punch even into a
//! day it has closed (締め) and has no way to take it back (kot-api.md, "Closed days"), so a punch
//! whose working day may be closed is posted only after a fresh reading of that day's `isClosing`
//! says the employee's day is open. A closed day holds the punch with a reason the administrator
//! can act on (reopen the day, or send it on purpose with RetryPunches' `closed_day`); a day that
//! cannot be read now makes the punch wait for the next reading.
//!
//! Employment first: a punch of a working day before the employee's 入社日 or after the 退職日
//! (as the matcher last read them) is held — KING OF TIME would file it as 在職外勤務 — until
//! the dates are fixed there and the next match carries them.
//!
//! Which days need a closing reading: those before yesterday (JST). Today's and yesterday's working days are where a
//! shift is still being punched (a night shift's 退勤 comes the next morning), and reading them
//! would hold every such 退勤 during the restricted hours, when KING OF TIME answers no read; a
//! company closes a period days after it ends.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use kintai_i18n::Text;
use kot_client::{AttendanceVendor, KotError, Token};

use crate::day_reads::MAX_DIVISION_READS;
use crate::day_store::day_text;
use crate::eligibility::HoldReason;
use crate::plan::{Action, Plan, Planned};
use crate::ports::UserLink;
use crate::read_margin::read_blocked_until;

/// How old a reading of a day's closing may be when a punch for it is posted: a close done this
/// morning is seen before this afternoon's late punch.
pub(crate) const CLOSING_FRESH: TimeDelta = TimeDelta::hours(1);

/// After a failed reading, the next one is tried no sooner than this.
const AFTER_FAILURE: TimeDelta = TimeDelta::seconds(30);

/// The hold of a punch whose working day KING OF TIME has closed for its employee.
pub(crate) fn day_closed(day: NaiveDate) -> HoldReason {
    HoldReason::new(
        "day_closed",
        Text::new("hold-day-closed").arg("day", day_text(day)),
    )
}

/// The hold of a punch whose working day lies outside the employee's employment, if it does.
pub(crate) fn outside_employment(link: &UserLink, day: NaiveDate) -> Option<HoldReason> {
    let text = match (link.hired_on, link.resigned_on) {
        (Some(hired), _) if day < hired => Text::new("hold-before-hired")
            .arg("day", day_text(day))
            .arg("hired", day_text(hired)),
        (_, Some(resigned)) if day > resigned => Text::new("hold-after-resigned")
            .arg("day", day_text(day))
            .arg("resigned", day_text(resigned)),
        _ => return None,
    };
    Some(HoldReason::new("not_employed", text))
}

/// Whether a punch of working day `day` needs a closing reading before it is posted at `now`.
pub(crate) fn needs_reading(day: NaiveDate, now: DateTime<Utc>) -> bool {
    let today = kot_client::jst_date(&now);
    today
        .pred_opt()
        .and_then(|d| d.pred_opt())
        .is_some_and(|last| day <= last)
}

/// One reading of a company's day: the employees asked about, and those of them whose day KING
/// OF TIME has closed.
#[derive(Debug, Clone)]
struct Reading {
    read_at: DateTime<Utc>,
    /// The employees the answer had rows for; `None` for a company read, which answers them all.
    covered: Option<HashSet<String>>,
    closed: HashSet<String>,
}

impl Reading {
    fn covers<'k>(&self, mut keys: impl Iterator<Item = &'k String>) -> bool {
        self.covered
            .as_ref()
            .is_none_or(|covered| keys.all(|key| covered.contains(key)))
    }
}

/// The latest closing readings, by company and working day, shared by the process's runs so a
/// day is read at most once per [`CLOSING_FRESH`] however many punches it gets.
#[derive(Debug, Default)]
pub(crate) struct Closings {
    readings: Mutex<HashMap<(String, NaiveDate), Reading>>,
}

impl Closings {
    fn fresh(&self, company_id: &str, day: NaiveDate, now: DateTime<Utc>) -> Option<Reading> {
        let readings = self.lock();
        readings
            .get(&(company_id.to_owned(), day))
            .filter(|r| now - r.read_at <= CLOSING_FRESH && r.read_at <= now)
            .cloned()
    }

    fn put(&self, company_id: &str, day: NaiveDate, reading: Reading) {
        let mut readings = self.lock();
        // Stale readings are never used again: dropping them keeps the map to the days read
        // within the last hour.
        let now = reading.read_at;
        readings.retain(|_, r| now - r.read_at <= CLOSING_FRESH);
        readings.insert((company_id.to_owned(), day), reading);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, NaiveDate), Reading>> {
        self.readings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A punch the pre-flight makes wait: why, and when its day may be read next.
#[derive(Debug, Clone)]
pub(crate) struct Waiting {
    pub punch_id: String,
    pub working_day: NaiveDate,
    pub reason: Text,
    pub until: DateTime<Utc>,
}

/// What the pre-flight needs to read KING OF TIME's days.
pub(crate) struct Reader<'a> {
    pub company_id: &'a str,
    pub vendor: &'a dyn AttendanceVendor,
    pub token: &'a Token,
    pub closings: &'a Closings,
    /// No read this close to a restricted window (crate::read_margin).
    pub margin: TimeDelta,
}

/// What a day's reading said.
enum Day {
    /// The employees whose day is closed.
    Read(HashSet<String>),
    /// Not readable now: why, and from when it may be.
    Unreadable(Text, DateTime<Utc>),
    /// KING OF TIME refused the token: the POST reveals it and stops the run as it does today.
    TokenRefused,
}

impl Reader<'_> {
    /// Holds the plan's posts into closed days and makes those whose day cannot be read now
    /// wait; answers the waiting ones (their ledger rows are written by the caller).
    pub(crate) async fn check(
        &self,
        plan: &mut Plan,
        links: &HashMap<String, UserLink>,
        now: DateTime<Utc>,
    ) -> Vec<Waiting> {
        for item in &mut plan.items {
            let Some(link) = links.get(&item.record.punch.user_id) else {
                continue;
            };
            if posts_to(item).is_some()
                && let Some(hold) = outside_employment(link, item.working_day)
            {
                hold_instead(item, hold);
            }
        }
        // The employee each checked item would be posted to, by working day.
        let mut wanted: HashMap<NaiveDate, HashSet<String>> = HashMap::new();
        for item in &plan.items {
            if let Some(key) = checked_post(item, now) {
                wanted
                    .entry(item.working_day)
                    .or_default()
                    .insert(key.to_owned());
            }
        }
        // Each employee's division, for a division read instead of the company's.
        let divisions: HashMap<&str, &str> = links
            .values()
            .filter(|link| !link.employee_key.is_empty())
            .map(|link| (link.employee_key.as_str(), link.division_code.as_str()))
            .collect();
        let mut days: HashMap<NaiveDate, Day> = HashMap::new();
        for (day, keys) in wanted {
            let reading = self.read(day, &keys, &divisions, now).await;
            days.insert(day, reading);
        }
        let mut waiting = Vec::new();
        for item in &mut plan.items {
            let Some(key) = checked_post(item, now).map(str::to_owned) else {
                continue;
            };
            let day = item.working_day;
            match days.get(&day) {
                Some(Day::Read(closed)) if closed.contains(&key) => {
                    hold_instead(item, day_closed(day));
                }
                Some(Day::Unreadable(reason, until)) => {
                    item.action = Action::Wait(reason.clone());
                    waiting.push(Waiting {
                        punch_id: item.record.punch.punch_id.clone(),
                        working_day: day,
                        reason: reason.clone(),
                        until: *until,
                    });
                }
                Some(Day::Read(_) | Day::TokenRefused) | None => {}
            }
        }
        waiting
    }

    /// The employees of `keys` whose `day` KING OF TIME has closed, from a fresh reading.
    async fn read(
        &self,
        day: NaiveDate,
        keys: &HashSet<String>,
        divisions: &HashMap<&str, &str>,
        now: DateTime<Utc>,
    ) -> Day {
        if let Some(reading) = self.closings.fresh(self.company_id, day, now)
            && reading.covers(keys.iter())
        {
            return Day::Read(reading.closed);
        }
        if let Some(until) = read_blocked_until(now, self.margin) {
            return self.wait(day, until);
        }
        let reading = match self.read_by_division(day, keys, divisions).await {
            Ok(Some(reading)) => Ok(reading),
            // No division for someone, too many, or an answer without someone in it: what a
            // division selects is not documented in detail, and a missing row would hide a
            // closing, so the company is read.
            Ok(None) => self.read_rows(None, day).await.map(|rows| Reading {
                read_at: now,
                covered: None,
                closed: closed_of(rows, day),
            }),
            Err(error) => Err(error),
        };
        match reading {
            Ok(mut reading) => {
                reading.read_at = now;
                let closed = reading.closed.clone();
                self.closings.put(self.company_id, day, reading);
                Day::Read(closed)
            }
            Err(KotError::AuthenticationFailed { .. }) => Day::TokenRefused,
            Err(KotError::RestrictedHours { .. }) => {
                self.wait(day, kot_client::next_unrestricted(now) + self.margin)
            }
            Err(error) => {
                tracing::info!(company_id = %self.company_id, %day, %error, "closing of a day not readable; its punches wait");
                self.wait(day, now + AFTER_FAILURE)
            }
        }
    }

    /// The day read by the employees' divisions when they are few and known, answering every
    /// employee of `keys`; `None` when the company must be read instead.
    async fn read_by_division(
        &self,
        day: NaiveDate,
        keys: &HashSet<String>,
        divisions: &HashMap<&str, &str>,
    ) -> Result<Option<Reading>, KotError> {
        let mut wanted = std::collections::BTreeSet::new();
        for key in keys {
            match divisions.get(key.as_str()) {
                Some(division) if !division.is_empty() => wanted.insert(*division),
                _ => return Ok(None),
            };
        }
        if wanted.len() > MAX_DIVISION_READS {
            return Ok(None);
        }
        let (mut covered, mut closed) = (HashSet::new(), HashSet::new());
        for division in wanted {
            let rows = self.read_rows(Some(division), day).await?;
            covered.extend(
                rows.iter()
                    .filter(|r| r.date == day)
                    .map(|r| r.employee_key.clone()),
            );
            closed.extend(closed_of(rows, day));
        }
        let reading = Reading {
            read_at: DateTime::<Utc>::MIN_UTC,
            covered: Some(covered),
            closed,
        };
        Ok(reading.covers(keys.iter()).then_some(reading))
    }

    async fn read_rows(
        &self,
        division: Option<&str>,
        day: NaiveDate,
    ) -> Result<Vec<kot_client::DailyWorkingSummary>, KotError> {
        self.vendor
            .daily_workings(self.token, division, day, day)
            .await
    }

    fn wait(&self, day: NaiveDate, until: DateTime<Utc>) -> Day {
        Day::Unreadable(
            Text::new("punch-wait-closing").arg("day", day_text(day)),
            until,
        )
    }
}

/// The employees whose `day` the rows say is closed.
fn closed_of(rows: Vec<kot_client::DailyWorkingSummary>, day: NaiveDate) -> HashSet<String> {
    rows.into_iter()
        .filter(|row| row.date == day && row.is_closing)
        .map(|row| row.employee_key)
        .collect()
}

/// The employee a plan item would post to, if it would post.
fn posts_to(item: &Planned) -> Option<&str> {
    match &item.action {
        Action::Send { employee_key } => Some(employee_key),
        Action::Verify {
            resend_to: Some(key),
            ..
        } => Some(key),
        _ => None,
    }
}

/// The employee a plan item would post to, when that post needs a closing reading first.
fn checked_post(item: &Planned, now: DateTime<Utc>) -> Option<&str> {
    let day = item.working_day;
    posts_to(item)
        .filter(|_| needs_reading(day, now) && item.record.closed_day_override != Some(day))
}

/// The item posts nothing: a planned POST is held; an unconfirmed one is still read back (it
/// may be stored) but, when missing, held rather than posted again.
fn hold_instead(item: &mut Planned, hold: HoldReason) {
    item.action = match &item.action {
        Action::Verify { employee_key, .. } => Action::Verify {
            employee_key: employee_key.clone(),
            resend_to: None,
            hold_reason: hold,
        },
        _ => Action::Hold(hold),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn days_before_yesterday_in_jst_need_a_reading() {
        // 2024-06-12 00:30 JST is still 2024-06-11 in UTC.
        let now = at("2024-06-12T00:30:00+09:00");
        assert!(!needs_reading(day("2024-06-12"), now));
        assert!(!needs_reading(day("2024-06-11"), now));
        assert!(needs_reading(day("2024-06-10"), now));
        assert!(needs_reading(day("2024-05-31"), now));
    }

    #[test]
    fn a_reading_is_fresh_for_an_hour_and_old_ones_are_dropped() {
        let closings = Closings::default();
        let read_at = at("2024-06-12T12:00:00+09:00");
        let reading = |read_at| Reading {
            read_at,
            covered: None,
            closed: HashSet::from(["k".to_owned()]),
        };
        closings.put("c", day("2024-06-01"), reading(read_at));
        assert!(
            closings
                .fresh("c", day("2024-06-01"), read_at + CLOSING_FRESH)
                .is_some()
        );
        assert!(
            closings
                .fresh(
                    "c",
                    day("2024-06-01"),
                    read_at + CLOSING_FRESH + TimeDelta::seconds(1)
                )
                .is_none()
        );
        assert!(
            closings
                .fresh("other", day("2024-06-01"), read_at)
                .is_none()
        );
        closings.put(
            "c",
            day("2024-06-02"),
            reading(read_at + TimeDelta::hours(2)),
        );
        assert_eq!(closings.lock().len(), 1, "the stale reading is dropped");
    }
}
