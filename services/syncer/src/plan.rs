//! Deciding, without side effects, what a run does with each punch not yet sent (design.md,
//! "Who is synced"): send it, verify an earlier unconfirmed POST, or hold it with a reason.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
use kintai_i18n::Text;

use crate::eligibility::Directory;
pub use crate::eligibility::HoldReason;
use crate::model::{LedgerState, PunchRecord};
use crate::working_day::{DayInput, LOOKBACK, working_days};

/// What the run does with one punch.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Eligible: POST it to this employee.
    Send { employee_key: String },
    /// Left in flight earlier: read the day back (from the employee and day of that POST)
    /// first. When KING OF TIME does not have it, it is sent again to `resend_to` (the user is
    /// still eligible), otherwise held with `hold_reason`.
    Verify {
        employee_key: String,
        resend_to: Option<String>,
        hold_reason: HoldReason,
    },
    /// Cannot be handled now (e.g. in flight, but the company has no usable token).
    Wait(Text),
    /// Not eligible now.
    Hold(HoldReason),
}

/// One punch of the plan.
#[derive(Debug, Clone)]
pub struct Planned {
    pub record: PunchRecord,
    pub working_day: NaiveDate,
    pub action: Action,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub items: Vec<Planned>,
    /// Users eligible now, for the eligibility memory.
    pub eligible_users: HashSet<String>,
    /// Some punch is held only until the matcher's next run (a new user, a code fixed).
    pub waiting_for_match: bool,
}

/// The first instant of the JST month `now` is in, and of the month before.
pub fn month_starts(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = kot_client::jst_date(&now);
    let this = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let previous = this
        .pred_opt()
        .and_then(|last| NaiveDate::from_ymd_opt(last.year(), last.month(), 1))
        .unwrap_or(this);
    let start = |day: NaiveDate| {
        kot_client::jst()
            .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .single()
            .map_or(now, |at| at.to_utc())
    };
    (start(this), start(previous))
}

/// Where the run loads from: the previous month (month-end punches of users eligible then),
/// minus the working-day rule's look-back for the history.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    month_starts(now).1 - LOOKBACK
}

/// Plans every punch of `records` still to be sent, for who is synced as `directory` says.
/// `kot_clock_ins` are 出勤 KING OF TIME holds that did not come from us (a time recorder's),
/// by user, with the working day KING OF TIME filed them under, as the day check read them:
/// a 退勤 of ours after one of them belongs to its day.
pub fn plan(
    now: DateTime<Utc>,
    records: Vec<PunchRecord>,
    directory: Directory<'_>,
    eligible_since: &HashMap<String, DateTime<Utc>>,
    kot_clock_ins: &HashMap<String, Vec<(DateTime<Utc>, NaiveDate)>>,
) -> Plan {
    let company = directory.company;
    let (month_start, previous_month_start) = month_starts(now);
    let mut by_user: HashMap<String, Vec<PunchRecord>> = HashMap::new();
    for record in records {
        by_user
            .entry(record.punch.user_id.clone())
            .or_default()
            .push(record);
    }
    let mut plan = Plan::default();
    for (user_id, mut history) in by_user {
        history.sort_by(|a, b| {
            (a.punch.punched_at, &a.punch.punch_id).cmp(&(b.punch.punched_at, &b.punch.punch_id))
        });
        let days = user_working_days(
            &history,
            kot_clock_ins.get(&user_id).map_or(&[][..], Vec::as_slice),
            directory
                .links
                .get(&user_id)
                .map_or(NaiveTime::MIN, |link| link.day_border),
        );
        let user = directory.user(&user_id);
        if user.is_ok() {
            plan.eligible_users.insert(user_id.clone());
        }
        // A user seen eligible for the first time starts now: only the current month is sent.
        let since = eligible_since.get(&user_id).copied().unwrap_or(now);
        for (record, working_day) in history.into_iter().zip(days) {
            let candidate = match record.state {
                LedgerState::InFlight => true,
                LedgerState::Held | LedgerState::Pending => {
                    record.punch.punched_at >= previous_month_start
                }
                _ => false,
            };
            if !candidate {
                continue;
            }
            let in_month = record.punch.punched_at >= month_start
                || (record.punch.punched_at >= since
                    && record.punch.punched_at >= previous_month_start);
            // Held (not in flight) only until the matcher's next run: the report says so.
            if let Err(reason) = &user
                && record.state != LedgerState::InFlight
            {
                plan.waiting_for_match |= reason.waits_for_match();
            }
            let action = action(&record, &user, company, in_month, now);
            plan.items.push(Planned {
                working_day: record
                    .working_day
                    .filter(|_| record.state == LedgerState::InFlight)
                    .unwrap_or(working_day),
                record,
                action,
            });
        }
    }
    plan.items.sort_by(|a, b| {
        (
            &a.record.punch.user_id,
            a.record.punch.punched_at,
            &a.record.punch.punch_id,
        )
            .cmp(&(
                &b.record.punch.user_id,
                b.record.punch.punched_at,
                &b.record.punch.punch_id,
            ))
    });
    plan
}

/// The working day of each of a user's punches (sorted by instant), with KING OF TIME's own
/// 出勤 of that user taking part in the rule but not answered.
fn user_working_days(
    history: &[PunchRecord],
    kot_clock_ins: &[(DateTime<Utc>, NaiveDate)],
    border: NaiveTime,
) -> Vec<NaiveDate> {
    // (instant, is ours, input); KING OF TIME's first at the same instant, so that our own
    // punch coming back from a read is simply the same 出勤 twice.
    let mut inputs: Vec<(DateTime<Utc>, bool, DayInput)> = history
        .iter()
        .map(|r| {
            let input = DayInput {
                punch_type: r.punch_type,
                punched_at: r.punch.punched_at,
                fixed: matches!(r.state, LedgerState::Sent | LedgerState::InFlight)
                    .then_some(r.working_day)
                    .flatten(),
            };
            (r.punch.punched_at, true, input)
        })
        .chain(kot_clock_ins.iter().map(|(at, day)| {
            let input = DayInput {
                punch_type: crate::model::PunchType::ClockIn,
                punched_at: *at,
                fixed: Some(*day),
            };
            (*at, false, input)
        }))
        .collect();
    // Stable: our punches keep their order (instant, then punch id) among themselves.
    inputs.sort_by_key(|(at, ours, _)| (*at, *ours));
    let only: Vec<DayInput> = inputs.iter().map(|(_, _, input)| *input).collect();
    working_days(&only, border)
        .into_iter()
        .zip(&inputs)
        .filter(|(_, (_, ours, _))| *ours)
        .map(|(day, _)| day)
        .collect()
}

/// What a run does with one candidate punch of a user who is `user` now (the employee key, or
/// why the user's punches are held).
fn action(
    record: &PunchRecord,
    user: &Result<String, HoldReason>,
    company: Result<(), &Text>,
    in_month: bool,
    now: DateTime<Utc>,
) -> Action {
    let retry_later = record.next_attempt_at.filter(|at| *at > now);
    match (user, record.state) {
        (_, LedgerState::InFlight) if retry_later.is_some() && company.is_ok() => {
            Action::Wait(Text::from_stored(&record.reason))
        }
        (_, LedgerState::InFlight) => match company {
            Err(reason) => {
                Action::Wait(Text::new("punch-wait-company").text_arg("reason", reason.clone()))
            }
            Ok(()) => Action::Verify {
                employee_key: record.employee_key.clone(),
                resend_to: user.clone().ok().filter(|_| in_month),
                hold_reason: user.clone().err().unwrap_or_else(|| earlier_month(record)),
            },
        },
        (Err(reason), _) => Action::Hold(reason.clone()),
        (Ok(_), _) if !in_month => Action::Hold(earlier_month(record)),
        // A transient failure earlier: not before its retry time. The reason the failure wrote
        // (next attempt, last error) stays as it is.
        (Ok(_), LedgerState::Pending) if retry_later.is_some() => {
            Action::Wait(Text::from_stored(&record.reason))
        }
        (Ok(employee_key), _) => Action::Send {
            employee_key: employee_key.clone(),
        },
    }
}

/// Why a punch older than `oldest_sendable` (the start of the previous JST month) is never sent.
pub fn expired_reason(oldest_sendable: DateTime<Utc>) -> Text {
    Text::new("punch-expired").arg("cutoff", kot_client::jst_date(&oldest_sendable))
}

fn earlier_month(record: &PunchRecord) -> HoldReason {
    let day = kot_client::jst_date(&record.punch.punched_at);
    HoldReason::new(
        "earlier_month",
        Text::new("hold-earlier-month")
            .arg("year", day.year())
            .arg("month", day.month()),
    )
}
