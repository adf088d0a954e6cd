//! Domain ↔ proto conversions for the handlers.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kintai_i18n::{Lang, Text};
use kintai_proto::common::v1 as common;
use kintai_proto::syncer::v1 as proto;

use crate::model::{LedgerState, PunchRecord, PunchType, StatusKind};
use crate::report::{CompanyReport, PlannedPunch, SyncOutcome};

pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        // Always below 10^9, so the conversion cannot fail.
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

pub fn duration(elapsed: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(elapsed.subsec_nanos()).unwrap_or(0),
    }
}

pub fn punch_type(value: PunchType) -> common::PunchType {
    match value {
        PunchType::ClockIn => common::PunchType::ClockIn,
        PunchType::ClockOut => common::PunchType::ClockOut,
        PunchType::BreakStart => common::PunchType::BreakStart,
        PunchType::BreakEnd => common::PunchType::BreakEnd,
        PunchType::NotSynced => common::PunchType::NotSynced,
    }
}

pub fn status_kind(value: StatusKind) -> common::StatusKind {
    match value {
        StatusKind::WorkStart => common::StatusKind::WorkStart,
        StatusKind::Working => common::StatusKind::Working,
        StatusKind::WorkEnd => common::StatusKind::WorkEnd,
        StatusKind::OffDuty => common::StatusKind::OffDuty,
    }
}

pub fn state(value: LedgerState) -> proto::PunchState {
    match value {
        LedgerState::Held => proto::PunchState::Held,
        LedgerState::Pending => proto::PunchState::Pending,
        LedgerState::InFlight => proto::PunchState::InFlight,
        LedgerState::Sent => proto::PunchState::Sent,
        LedgerState::NotSynced => proto::PunchState::NotSynced,
        LedgerState::Failed => proto::PunchState::Failed,
        LedgerState::Expired => proto::PunchState::Expired,
    }
}

/// `None` for "every state"; an error for a number the contract does not define.
pub fn state_filter(value: i32) -> Result<Option<LedgerState>, ()> {
    match proto::PunchState::try_from(value).map_err(|_| ())? {
        proto::PunchState::Unspecified => Ok(None),
        proto::PunchState::Held => Ok(Some(LedgerState::Held)),
        proto::PunchState::Pending => Ok(Some(LedgerState::Pending)),
        proto::PunchState::InFlight => Ok(Some(LedgerState::InFlight)),
        proto::PunchState::Sent => Ok(Some(LedgerState::Sent)),
        proto::PunchState::NotSynced => Ok(Some(LedgerState::NotSynced)),
        proto::PunchState::Failed => Ok(Some(LedgerState::Failed)),
        proto::PunchState::Expired => Ok(Some(LedgerState::Expired)),
    }
}

/// A punch as ListPunches shows it, its reason in `lang`.
pub fn record(value: PunchRecord, lang: Lang) -> proto::PunchRecord {
    proto::PunchRecord {
        punch_type: punch_type(value.punch_type).into(),
        state: state(value.state).into(),
        punch_id: value.punch.punch_id,
        user_id: value.punch.user_id,
        status_name: value.punch.status_name,
        status_kind: status_kind(value.punch.status_kind).into(),
        punched_at: Some(timestamp(value.punch.punched_at)),
        working_day: value
            .working_day
            .map(|day| day.to_string())
            .unwrap_or_default(),
        reason: Text::render_stored(&value.reason, lang),
        attempts: value.attempts,
        sent_at: value.sent_at.map(timestamp),
        latitude: value.punch.latitude,
        longitude: value.punch.longitude,
        address: value.punch.address,
        unsupported_app_version: value.punch.unsupported_app_version,
        received_at: Some(timestamp(value.received_at)),
        next_attempt_at: value.next_attempt_at.map(timestamp),
        last_error: value.last_error,
        retry_requested_by: value.retry_requested_by,
        retry_requested_at: value.retry_requested_at.map(timestamp),
        closed_day_override: value
            .closed_day_override
            .map(|day| day.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    }
}

fn outcome(value: SyncOutcome) -> proto::SyncOutcome {
    match value {
        SyncOutcome::Completed => proto::SyncOutcome::Completed,
        SyncOutcome::Partial => proto::SyncOutcome::Partial,
        SyncOutcome::Skipped => proto::SyncOutcome::Skipped,
        SyncOutcome::TokenRejected => proto::SyncOutcome::TokenRejected,
        SyncOutcome::Busy => proto::SyncOutcome::Busy,
        SyncOutcome::Failed => proto::SyncOutcome::Failed,
    }
}

fn planned(value: PlannedPunch, lang: Lang) -> proto::PlannedPunch {
    proto::PlannedPunch {
        punch_type: punch_type(value.punch_type).into(),
        punch_id: value.punch_id,
        user_id: value.user_id,
        working_day: value.working_day.to_string(),
        punched_at: Some(timestamp(value.punched_at)),
        would_send: value.would_send,
        reason: render(value.reason.as_ref(), lang),
    }
}

/// A company's RunSync result, its texts in `lang`.
pub fn company(value: CompanyReport, lang: Lang) -> proto::CompanySyncResult {
    proto::CompanySyncResult {
        outcome: outcome(value.outcome).into(),
        company_id: value.company_id,
        reason: render(value.reason.as_ref(), lang),
        sent: value.sent,
        held: value.held,
        not_synced: value.not_synced,
        failed: value.failed,
        deferred: value.deferred,
        undelivered: value.undelivered,
        duration: Some(duration(value.duration)),
        planned: value
            .planned
            .into_iter()
            .map(|item| planned(item, lang))
            .collect(),
    }
}

fn render(text: Option<&Text>, lang: Lang) -> String {
    text.map(|text| text.render(lang)).unwrap_or_default()
}
