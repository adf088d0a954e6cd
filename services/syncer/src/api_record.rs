//! The RecordPunches handler: every punch checked on its own (a bad one is answered, the good
//! ones stored), then stored as one batch, each answered with what became of it.

use kintai_core::telemetry::metrics;
use kintai_core::validate::{Violations, batch_too_large};
use kintai_i18n::{Lang, Text};
use kintai_proto::syncer::v1::{
    PunchInput, PunchResult, RecordOutcome, RecordPunchesRequest, RecordPunchesResponse,
};
use tonic::Status;
use tracing::Instrument;
use tracing::field::Empty;

use crate::api_args::MAX_BATCH;
use crate::convert;
use crate::model::NewPunch;
use crate::store::Recorded;
use crate::syncer::Syncer;
use crate::validate::check_punch;

pub(crate) async fn record_punches(
    syncer: &Syncer,
    request: RecordPunchesRequest,
    lang: Lang,
) -> Result<RecordPunchesResponse, Status> {
    let mut violations = Violations::new();
    violations.id("company_id", &request.company_id);
    violations.check(lang)?;
    if request.punches.len() > MAX_BATCH {
        return Err(batch_too_large(
            "punches",
            request.punches.len(),
            MAX_BATCH,
            lang,
        ));
    }
    let span = tracing::info_span!(
        "record punches",
        company_id = %request.company_id,
        punches = request.punches.len(),
        accepted = Empty,
        duplicates = Empty,
        rejected = Empty,
    );
    let max_ahead = syncer.max_clock_skew();
    let mut checked = check_all(&request.punches, syncer.now(), max_ahead, lang);
    let recorded = syncer
        .record(&request.company_id, &checked.valid)
        .instrument(span.clone())
        .await
        .map_err(Status::from)?;
    for (position, outcome) in checked.positions.iter().zip(recorded) {
        if let Some(result) = checked.results.get_mut(*position) {
            answer(result, *position, outcome, lang);
        }
    }
    let response = summary(checked.results);
    span.record("accepted", response.accepted);
    span.record("duplicates", response.duplicates);
    span.record("rejected", response.rejected);
    Ok(response)
}

/// The batch after checking: one result per input, and the valid punches with their places.
struct Checked {
    results: Vec<PunchResult>,
    valid: Vec<NewPunch>,
    positions: Vec<usize>,
}

fn check_all(
    punches: &[PunchInput],
    now: chrono::DateTime<chrono::Utc>,
    max_ahead: chrono::TimeDelta,
    lang: Lang,
) -> Checked {
    let mut checked = Checked {
        results: Vec::with_capacity(punches.len()),
        valid: Vec::new(),
        positions: Vec::new(),
    };
    for (index, input) in punches.iter().enumerate() {
        let mut result = PunchResult {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            punch_id: input.punch_id.clone(),
            ..PunchResult::default()
        };
        match check_punch(index, input, now, max_ahead) {
            Ok(punch) => {
                result.unsupported_app_version = punch.unsupported_app_version;
                checked.positions.push(index);
                checked.valid.push(punch);
            }
            Err(rejection) => {
                result.outcome = RecordOutcome::Rejected.into();
                result.field = rejection.field;
                result.reason = rejection.reason.render(lang);
            }
        }
        checked.results.push(result);
    }
    checked
}

/// What storing did with the punch at `position`.
fn answer(result: &mut PunchResult, position: usize, outcome: Recorded, lang: Lang) {
    match outcome {
        Recorded::Accepted(kind) => {
            result.outcome = RecordOutcome::Accepted.into();
            result.punch_type = convert::punch_type(kind).into();
        }
        Recorded::Duplicate(kind) => {
            result.outcome = RecordOutcome::Duplicate.into();
            result.punch_type = convert::punch_type(kind).into();
        }
        Recorded::Conflict => {
            result.outcome = RecordOutcome::Rejected.into();
            result.field = format!("punches[{position}].punch_id");
            result.reason = Text::new("field-punch-conflict").render(lang);
            result.unsupported_app_version = false;
        }
    }
}

/// The answer with its counts, which the metrics count too.
fn summary(results: Vec<PunchResult>) -> RecordPunchesResponse {
    let count = |outcome: RecordOutcome| {
        let n = results.iter().filter(|r| r.outcome() == outcome).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let response = RecordPunchesResponse {
        accepted: count(RecordOutcome::Accepted),
        duplicates: count(RecordOutcome::Duplicate),
        rejected: count(RecordOutcome::Rejected),
        results: Vec::new(),
    };
    for (result, n) in [
        ("accepted", response.accepted),
        ("duplicate", response.duplicates),
        ("rejected", response.rejected),
    ] {
        metrics::record_punches(metrics::PunchResult::Received(result), u64::from(n));
    }
    RecordPunchesResponse {
        results,
        ..response
    }
}
