//! The day check's judgement (照合, issue 18), pure: our punches of one user's working day, the
//! punches KING OF TIME holds for it and KING OF TIME's evaluation (`GET /daily-workings`) in,
//! one verdict with a reason an administrator understands out.
//!
//! Precedence, most urgent first: エラー勤務 (KING OF TIME's own flag; an administrator must act
//! in KING OF TIME), `differs` (what we sent is gone, or KING OF TIME has punches not from us),
//! 打刻漏れ (`missing_clock_in`, `missing_clock_out`), `closed` (締め), `ok`.

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use kintai_i18n::Text;
use kot_client::{DailyWorkingSummary, PunchCode};
use serde::{Deserialize, Serialize};

use crate::model::{LedgerState, PunchType};

/// A 出勤 without a 退勤 is a missed punch (打刻漏れ) only once this long has passed: until then
/// the shift may simply still be going on. Longer than any real shift, shorter than a day.
pub const SHIFT_WINDOW: TimeDelta = TimeDelta::hours(20);

/// The verdict on one user's working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    KotErrorDay,
    MissingClockIn,
    MissingClockOut,
    Closed,
    Differs,
}

impl Verdict {
    pub const ALL: [Self; 6] = [
        Self::Ok,
        Self::KotErrorDay,
        Self::MissingClockIn,
        Self::MissingClockOut,
        Self::Closed,
        Self::Differs,
    ];

    /// The stored form (and the words of the issue).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::KotErrorDay => "kot_error_day",
            Self::MissingClockIn => "missing_clock_in",
            Self::MissingClockOut => "missing_clock_out",
            Self::Closed => "closed",
            Self::Differs => "differs",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

/// One of our punches on the day.
#[derive(Debug, Clone, PartialEq)]
pub struct OurPunch {
    pub punch_id: String,
    pub punch_type: PunchType,
    pub punched_at: DateTime<Utc>,
    pub state: LedgerState,
    /// The employee it was posted to (sent and in-flight punches).
    pub employee_key: String,
}

/// One punch KING OF TIME holds, as stored with the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KotPunch {
    pub time: DateTime<FixedOffset>,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl KotPunch {
    fn is(&self, punch: &OurPunch) -> bool {
        self.time.timestamp() == punch.punched_at.timestamp()
            && punch.punch_type.code().map(PunchCode::as_str) == Some(self.code.trim())
    }

    fn label(&self) -> String {
        let name = PunchCode::from_code(&self.code)
            .map(|code| code.japanese_name().to_owned())
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| format!("code {}", self.code));
        format!(
            "{name} {}",
            self.time.with_timezone(&kot_client::jst()).format("%H:%M")
        )
    }
}

/// Everything known about one user's working day.
#[derive(Debug, Clone, Copy)]
pub struct DayFacts<'a> {
    pub ours: &'a [OurPunch],
    pub kot: &'a [KotPunch],
    pub summary: Option<&'a DailyWorkingSummary>,
    pub now: DateTime<Utc>,
}

fn hhmm(at: DateTime<Utc>) -> String {
    at.with_timezone(&kot_client::jst())
        .format("%H:%M")
        .to_string()
}

fn our_label(punch: &OurPunch) -> String {
    let name = punch
        .punch_type
        .code()
        .map_or("?", PunchCode::japanese_name);
    format!("{name} {}", hhmm(punch.punched_at))
}

/// How many punches a day's reason names; a day of 200 clock-ins must not make a reason of
/// 2,000 characters that no list or phone screen can show.
pub(crate) const LISTED_PUNCHES: usize = 10;

fn list(labels: Vec<String>) -> Text {
    if labels.is_empty() {
        return Text::new("days-none");
    }
    if labels.len() <= LISTED_PUNCHES {
        return Text::verbatim(labels.join(", "));
    }
    Text::new("days-list-more")
        .arg("punchList", labels[..LISTED_PUNCHES].join(", "))
        .arg("more", labels.len() - LISTED_PUNCHES)
}

fn is_in_kot(punch: &OurPunch) -> bool {
    matches!(punch.state, LedgerState::Sent | LedgerState::InFlight)
}

/// Judges one user's working day: KING OF TIME's エラー勤務 first, then a difference between
/// what we sent and what it holds, then a missing 出勤 / 退勤, then a settled day.
pub fn judge(facts: DayFacts<'_>) -> (Verdict, Text) {
    let DayFacts {
        ours,
        kot,
        summary,
        now,
    } = facts;
    if summary.is_some_and(|s| s.is_error) {
        let kot_clock_ins = kot.iter().filter(|k| k.code.trim() == "1").count();
        return (Verdict::KotErrorDay, error_cause(ours, kot, kot_clock_ins));
    }
    if let Some(difference) = difference(ours, kot) {
        return difference;
    }
    // 打刻漏れ from cyzen and KING OF TIME together: an unsent 出勤 of ours counts as present
    // (it is not forgotten, only not delivered yet).
    let counted: Vec<&OurPunch> = ours
        .iter()
        .filter(|p| !matches!(p.state, LedgerState::NotSynced | LedgerState::Expired))
        .collect();
    if let Some(open) = open_shift(&counted, kot, now) {
        return open;
    }
    settled(&counted, kot, summary)
}

/// A sent punch KING OF TIME no longer holds, or one it holds that we did not send.
fn difference(ours: &[OurPunch], kot: &[KotPunch]) -> Option<(Verdict, Text)> {
    let gone: Vec<String> = ours
        .iter()
        .filter(|p| p.state == LedgerState::Sent && !kot.iter().any(|k| k.is(p)))
        .map(our_label)
        .collect();
    if !gone.is_empty() {
        let text = Text::new("days-differs-missing").text_arg("punchList", list(gone));
        return Some((Verdict::Differs, text));
    }
    let foreign: Vec<String> = kot
        .iter()
        .filter(|k| !ours.iter().filter(|p| is_in_kot(p)).any(|p| k.is(p)))
        .map(KotPunch::label)
        .collect();
    if !foreign.is_empty() {
        let text = Text::new("days-differs-foreign").text_arg("punchList", list(foreign));
        return Some((Verdict::Differs, text));
    }
    None
}

/// No 出勤 on either side, or a 出勤 without 退勤 (still open within the shift window, missing
/// after it).
fn open_shift(
    counted: &[&OurPunch],
    kot: &[KotPunch],
    now: DateTime<Utc>,
) -> Option<(Verdict, Text)> {
    let clock_ins = counted
        .iter()
        .filter(|p| p.punch_type == PunchType::ClockIn)
        .map(|p| p.punched_at)
        .chain(
            kot.iter()
                .filter(|k| k.code.trim() == "1")
                .map(|k| k.time.to_utc()),
        );
    let Some(last_clock_in) = clock_ins.max() else {
        let text =
            Text::new("days-missing-clock-in").text_arg("punchList", all_labels(counted, kot));
        return Some((Verdict::MissingClockIn, text));
    };
    let has_clock_out = counted.iter().any(|p| p.punch_type == PunchType::ClockOut)
        || kot.iter().any(|k| k.code.trim() == "2");
    if has_clock_out {
        return None;
    }
    let (verdict, id) = if now - last_clock_in >= SHIFT_WINDOW {
        (Verdict::MissingClockOut, "days-missing-clock-out")
    } else {
        (Verdict::Ok, "days-ok-open")
    };
    let text = Text::new(id)
        .arg("clockInAt", hhmm(last_clock_in))
        .arg("windowHours", SHIFT_WINDOW.num_hours().to_string());
    Some((verdict, text))
}

/// Every punch of the day on either side, once, in time order.
fn all_labels(counted: &[&OurPunch], kot: &[KotPunch]) -> Text {
    let mut labels: Vec<(i64, String)> = counted
        .iter()
        .map(|p| (p.punched_at.timestamp(), our_label(p)))
        .chain(
            kot.iter()
                .filter(|k| !counted.iter().any(|p| k.is(p)))
                .map(|k| (k.time.timestamp(), k.label())),
        )
        .collect();
    labels.sort();
    list(labels.into_iter().map(|(_, label)| label).collect())
}

/// A day with 出勤 and 退勤: 締め (closed) or ok, naming our punches not in KING OF TIME.
fn settled(
    counted: &[&OurPunch],
    kot: &[KotPunch],
    summary: Option<&DailyWorkingSummary>,
) -> (Verdict, Text) {
    let unsent: Vec<String> = counted
        .iter()
        .filter(|p| !is_in_kot(p))
        .map(|p| our_label(p))
        .collect();
    if summary.is_some_and(|s| s.is_closing) {
        let text = if unsent.is_empty() {
            Text::new("days-closed")
        } else {
            Text::new("days-closed-unsent")
                .arg("n", unsent.len())
                .text_arg("punchList", list(unsent))
        };
        return (Verdict::Closed, text);
    }
    if unsent.is_empty() {
        return (Verdict::Ok, Text::new("days-ok").arg("n", kot.len()));
    }
    // Not a difference: KING OF TIME holds what we sent; the rest says why in ListPunches.
    let text = Text::new("days-ok-unsent")
        .arg("n", kot.len())
        .arg("unsentCount", unsent.len())
        .text_arg("punchList", list(unsent));
    (Verdict::Ok, text)
}

/// The likely cause of an エラー勤務 that we can see: our two 出勤 (the manual's warning), else
/// what KING OF TIME holds in time order — a 出勤 while one is open, a 退勤 without a 出勤.
fn error_cause(ours: &[OurPunch], kot: &[KotPunch], kot_clock_ins: usize) -> Text {
    let our_clock_ins: Vec<&OurPunch> = ours
        .iter()
        .filter(|p| p.state == LedgerState::Sent && p.punch_type == PunchType::ClockIn)
        .collect();
    if our_clock_ins.len() >= 2 {
        return Text::new("days-error-double-clock-in")
            .arg("n", our_clock_ins.len())
            .text_arg(
                "punchList",
                list(our_clock_ins.iter().map(|p| our_label(p)).collect()),
            );
    }
    let mut in_order: Vec<&KotPunch> = kot.iter().collect();
    in_order.sort_by_key(|k| k.time);
    let (mut open, mut double, mut orphans) = (false, false, Vec::new());
    for punch in &in_order {
        match punch.code.trim() {
            "1" => {
                double |= open;
                open = true;
            }
            "2" => {
                if !open {
                    orphans.push(punch.label());
                }
                open = false;
            }
            _ => {}
        }
    }
    if double {
        return Text::new("days-error-clock-ins")
            .arg("n", kot_clock_ins)
            .arg("fromCyzen", our_clock_ins.len());
    }
    if !orphans.is_empty() {
        return Text::new("days-error-no-clock-in").text_arg("punchList", list(orphans));
    }
    let labels = in_order.into_iter().map(KotPunch::label).collect();
    Text::new("days-error-other").text_arg("punchList", list(labels))
}

#[cfg(test)]
mod tests;
