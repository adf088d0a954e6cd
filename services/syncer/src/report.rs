//! What a sync run answers: per company, the outcome, the counts and (for a dry run) the plan.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use kintai_i18n::Text;

use crate::model::PunchType;
use crate::plan::{Action, Planned};

/// What happened to one company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    Completed,
    Partial,
    Skipped,
    TokenRejected,
    Busy,
    Failed,
}

impl SyncOutcome {
    /// The lowercase name used in spans and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Partial => "partial",
            Self::Skipped => "skipped",
            Self::TokenRejected => "token_rejected",
            Self::Busy => "busy",
            Self::Failed => "failed",
        }
    }
}

/// One punch a dry run would send, or why it would not.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedPunch {
    pub punch_id: String,
    pub user_id: String,
    pub punch_type: PunchType,
    pub working_day: NaiveDate,
    pub punched_at: DateTime<Utc>,
    pub would_send: bool,
    pub reason: Option<Text>,
}

/// One company's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyReport {
    pub company_id: String,
    pub outcome: SyncOutcome,
    /// Why the run ended as it did, when there is more to say than the outcome.
    pub reason: Option<Text>,
    pub sent: u32,
    pub held: u32,
    pub not_synced: u32,
    pub failed: u32,
    pub deferred: u32,
    /// Pending or unconfirmed punches received longer ago than `SyncOptions::undelivered_after`.
    pub undelivered: u32,
    /// For a run that stopped early: how long the company should rest before the next one.
    pub retry_after: Option<Duration>,
    /// Some punch is held only until the matcher's next run (a new user, a code fixed).
    pub waiting_for_match: bool,
    /// Settings' revision the run planned on (not for a dry run, or when settings did not answer).
    pub settings_revision: Option<i64>,
    pub duration: Duration,
    pub planned: Vec<PlannedPunch>,
    /// User-days the day check (照合) judged in this run.
    pub days_checked: u32,
    /// When the company needs its next day check (after the restricted hours, after a failure,
    /// tomorrow's once-a-day check), for the dispatcher.
    pub next_day_check: Option<chrono::DateTime<chrono::Utc>>,
}

impl CompanyReport {
    pub(crate) fn new(
        company_id: &str,
        outcome: SyncOutcome,
        reason: impl Into<Option<Text>>,
    ) -> Self {
        Self {
            company_id: company_id.to_owned(),
            outcome,
            reason: reason.into(),
            sent: 0,
            held: 0,
            not_synced: 0,
            failed: 0,
            deferred: 0,
            undelivered: 0,
            retry_after: None,
            waiting_for_match: false,
            settings_revision: None,
            duration: Duration::ZERO,
            planned: Vec::new(),
            days_checked: 0,
            next_day_check: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub results: Vec<CompanyReport>,
    pub dry_run: bool,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

pub(crate) fn planned_punch(item: &Planned) -> PlannedPunch {
    let (would_send, reason) = match &item.action {
        Action::Send { .. } => (true, None),
        Action::Verify { .. } => (false, Some(Text::new("punch-verify-first"))),
        Action::Wait(reason) => (false, Some(reason.clone())),
        Action::Hold(reason) => (false, Some(reason.text.clone())),
    };
    PlannedPunch {
        punch_id: item.record.punch.punch_id.clone(),
        user_id: item.record.punch.user_id.clone(),
        punch_type: item.record.punch_type,
        working_day: item.working_day,
        punched_at: item.record.punch.punched_at,
        would_send,
        reason,
    }
}
