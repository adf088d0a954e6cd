//! The day check (照合, issue 18): after a run has sent a company's punches, and once a day for
//! the current month, read what KING OF TIME made of those days — `GET /daily-workings`
//! (エラー勤務, 締め; general budget) and the day's punches (`GET /daily-workings/timerecord`,
//! range form) — and store one verdict per user and working day (`day_verdict`). The punch
//! listing is read for the employees concerned (keys batched by the client); `/daily-workings`
//! documents no `employeeKeys` (kot-api.md), so it is read over the days that need a verdict for
//! the few divisions the employees' records name, or else the whole company (`day_reads`), and
//! only the employees in scope are kept. Ranges are split by the client (≤ 62 days per call).
//!
//! It runs inside the company's run, so under its lease like every other KING OF TIME call of
//! the syncer, and never in the restricted hours: then it is left for the next run after them,
//! which the dispatcher schedules.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use kot_client::{DailyWorkingSummary, KotError, Token, jst_date};

use crate::day_gauge;
use crate::day_reads::read_summaries;
use crate::day_scope::{KotDays, Scope};
use crate::day_store::{self, DayRow, UserDay};
use crate::day_verdict::{DayFacts, OurPunch, judge};
use crate::model::LedgerState;
use crate::read_margin::read_blocked_until;
use crate::syncer::Syncer;
use crate::working_day::border_day;

/// When the once-a-day whole-month check is due (JST): after the morning restricted hours, when
/// the day before's shifts are over.
const DAILY_CHECK_AT: NaiveTime = match NaiveTime::from_hms_opt(10, 30, 0) {
    Some(time) => time,
    None => NaiveTime::MIN,
};

/// A check that failed (KING OF TIME or the database) is tried again after this.
const AFTER_FAILURE: TimeDelta = TimeDelta::minutes(5);

/// What a check did.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DayCheck {
    /// User-days judged and stored.
    pub days: u32,
    /// When the company needs a check next (restricted hours, a failure, tomorrow's check).
    pub next_at: Option<DateTime<Utc>>,
}

impl Syncer {
    /// Checks the days this company's runs sent to and not checked yet, and the whole current
    /// month once a day. Failures are logged and retried later: they never fail the run.
    pub(crate) async fn check_days(&self, company_id: &str, token: &Token) -> DayCheck {
        let now = self.now();
        match self.try_check_days(company_id, token, now).await {
            Ok(check) => check,
            Err(CheckError::Kot(error @ KotError::RestrictedHours { .. })) => DayCheck {
                days: 0,
                next_at: Some(
                    error
                        .retry_not_before(now)
                        .map_or(now + AFTER_FAILURE, |end| {
                            end + self.deps().options.retry.read_margin
                        }),
                ),
            },
            Err(error) => {
                tracing::warn!(company_id, %error, "the day check failed; tried again later");
                DayCheck {
                    days: 0,
                    next_at: Some(now + AFTER_FAILURE),
                }
            }
        }
    }

    async fn try_check_days(
        &self,
        company_id: &str,
        token: &Token,
        now: DateTime<Utc>,
    ) -> Result<DayCheck, CheckError> {
        let db = self.db();
        let due = Due::read(db, company_id, now).await?;
        if due.touched.is_empty() && due.month_employees.is_empty() {
            if due.month_due {
                // Nothing posted this month: nothing to compare, done for today.
                day_store::save(db, company_id, &[], &[], Some(due.check_day)).await?;
                day_gauge::record(db, company_id, due.month_start).await;
            }
            return Ok(DayCheck {
                days: 0,
                next_at: due.tomorrow,
            });
        }
        // Neither in the restricted hours nor near them, where empty days are reported.
        if let Some(from) = read_blocked_until(now, self.deps().options.retry.read_margin) {
            return Ok(DayCheck {
                days: 0,
                next_at: Some(from),
            });
        }
        let mut scope = Scope::new(
            &due.touched,
            due.month_due,
            &due.month_employees,
            due.month_start,
            due.today,
        );
        let keys = scope.keys();
        let vendor = self.deps().vendor.as_ref();
        let records = vendor
            .read_days(token, &keys, scope.start, scope.end)
            .await?;
        // By the few divisions the records name, else the company: the endpoint takes no
        // keys, and `scope.summaries` keeps ours.
        let range = (scope.start, scope.end);
        let summaries = read_summaries(vendor, token, &keys, &records, range).await?;
        let kot = scope.kot_days(records);
        let summary_of = scope.summaries(&summaries);
        let ours =
            day_store::our_punches(db, company_id, &scope.users(), scope.start, scope.end).await?;
        scope.add_our_days(&ours);
        let (rows, checked) = judge_days(&scope, &ours, &kot, &summary_of, now);
        let month_checked = due.month_due.then_some(due.check_day);
        day_store::save(db, company_id, &rows, &checked, month_checked).await?;
        day_gauge::record(db, company_id, due.month_start).await;
        Ok(DayCheck {
            days: u32::try_from(rows.len()).unwrap_or(u32::MAX),
            next_at: due.tomorrow,
        })
    }
}

/// What is due for a check of the company now.
struct Due {
    today: NaiveDate,
    /// The once-a-day check's day (it starts at [`DAILY_CHECK_AT`]).
    check_day: NaiveDate,
    month_start: NaiveDate,
    /// Sent-to days not checked yet, with the employee key.
    touched: Vec<(UserDay, String)>,
    month_due: bool,
    /// (user, key) posted to this month, when the whole-month check is due; else empty.
    month_employees: Vec<(String, String)>,
    /// Tomorrow's whole-month check, for a company that has posted this month.
    tomorrow: Option<DateTime<Utc>>,
}

impl Due {
    async fn read(
        db: &kintai_core::Db,
        company_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, CheckError> {
        let today = jst_date(&now);
        // The once-a-day check's "day" starts at DAILY_CHECK_AT: a run after midnight does not
        // use up the check that should see yesterday's shifts over.
        let check_day = border_day(now, DAILY_CHECK_AT);
        // From the start of the month of the check day before, so that on the 1st the previous
        // month's last day is judged once more after its shifts are over.
        let day_before = check_day.pred_opt().unwrap_or(check_day);
        let month_start = day_before.with_day(1).unwrap_or(day_before);
        let previous_month_start = month_start
            .pred_opt()
            .and_then(|d| d.with_day(1))
            .unwrap_or(month_start);
        let touched = day_store::unchecked_sent_days(db, company_id, previous_month_start).await?;
        let month_due = day_store::month_checked_on(db, company_id).await? != Some(check_day);
        let posted = day_store::posted_employees(db, company_id, month_start).await?;
        let tomorrow = (!posted.is_empty() || !touched.is_empty()).then(|| next_daily_check(now));
        Ok(Self {
            today,
            check_day,
            month_start,
            touched,
            month_due,
            month_employees: if month_due { posted } else { Vec::new() },
            tomorrow,
        })
    }
}

/// One verdict per wanted user-day, and the sent punches it covered (marked checked).
fn judge_days(
    scope: &Scope,
    ours: &HashMap<UserDay, Vec<OurPunch>>,
    kot: &KotDays,
    summary_of: &HashMap<UserDay, &DailyWorkingSummary>,
    now: DateTime<Utc>,
) -> (Vec<DayRow>, Vec<String>) {
    let mut rows = Vec::new();
    let mut checked = Vec::new();
    for user_day in &scope.wanted {
        let our_day = ours.get(user_day).map_or(&[][..], Vec::as_slice);
        let (kot_key, kot_day) = kot.get(user_day).map_or((None, &[][..]), |(key, punches)| {
            (Some(key.as_str()), punches.as_slice())
        });
        let (verdict, reason) = judge(DayFacts {
            ours: our_day,
            kot: kot_day,
            summary: summary_of.get(user_day).copied(),
            now,
        });
        // The key our last post went to, else the one KING OF TIME's punches were read under.
        let employee_key = our_day
            .iter()
            .rev()
            .map(|p| p.employee_key.as_str())
            .find(|key| !key.is_empty())
            .or(kot_key)
            .unwrap_or_default()
            .to_owned();
        checked.extend(
            our_day
                .iter()
                .filter(|p| p.state == LedgerState::Sent)
                .map(|p| p.punch_id.clone()),
        );
        rows.push(DayRow {
            user_id: user_day.user_id.clone(),
            day: user_day.day,
            employee_key,
            verdict,
            reason: reason.to_stored(),
            kot_punches: kot_day.to_vec(),
            checked_at: now,
        });
    }
    (rows, checked)
}

/// The next once-a-day check: the next [`DAILY_CHECK_AT`] JST after `now`.
pub(crate) fn next_daily_check(now: DateTime<Utc>) -> DateTime<Utc> {
    let next_day = border_day(now, DAILY_CHECK_AT).succ_opt();
    next_day
        .and_then(|day| {
            kot_client::jst()
                .from_local_datetime(&day.and_time(DAILY_CHECK_AT))
                .single()
        })
        .map_or(now, |at| at.to_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(local: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{local}+09:00"))
            .unwrap()
            .to_utc()
    }

    #[test]
    fn the_daily_check_is_at_10_30_jst() {
        assert_eq!(
            next_daily_check(at("2024-06-20T09:00:00")),
            at("2024-06-20T10:30:00")
        );
        assert_eq!(
            next_daily_check(at("2024-06-20T10:30:00")),
            at("2024-06-21T10:30:00")
        );
        assert_eq!(
            next_daily_check(at("2024-06-30T23:00:00")),
            at("2024-07-01T10:30:00")
        );
    }

    #[test]
    fn a_run_after_midnight_belongs_to_the_day_before_check() {
        assert_eq!(
            border_day(at("2024-06-21T00:05:00"), DAILY_CHECK_AT),
            NaiveDate::from_ymd_opt(2024, 6, 20).unwrap()
        );
        assert_eq!(
            border_day(at("2024-06-21T10:30:00"), DAILY_CHECK_AT),
            NaiveDate::from_ymd_opt(2024, 6, 21).unwrap()
        );
    }
}

#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error("KING OF TIME: {0}")]
    Kot(#[from] KotError),
    #[error("database: {0}")]
    Db(#[from] kintai_core::DbError),
}
