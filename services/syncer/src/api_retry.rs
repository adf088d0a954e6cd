//! The RetryPunches handler: checks the request, then requeues through [`crate::retry`].

use chrono::{DateTime, Utc};
use kintai_core::validate::{Violations, batch_too_large};
use kintai_i18n::{Lang, Text};
use kintai_proto::syncer::v1::{
    RetryOutcome, RetryPunchesRequest, RetryPunchesResponse, RetryResult,
};
use tonic::Status;

use crate::api_args::{MAX_BATCH, day_bound, jst_start};
use crate::convert;
use crate::retry::{Requeued, RetryRequest};
use crate::syncer::Syncer;

/// Longest `requested_by`, in characters.
const MAX_REQUESTER_CHARS: usize = 128;

pub(crate) async fn retry_punches(
    syncer: &Syncer,
    request: RetryPunchesRequest,
    lang: Lang,
) -> Result<RetryPunchesResponse, Status> {
    if request.punch_ids.len() > MAX_BATCH {
        return Err(batch_too_large(
            "punch_ids",
            request.punch_ids.len(),
            MAX_BATCH,
            lang,
        ));
    }
    let mut violations = Violations::new();
    violations.id("company_id", &request.company_id);
    violations.required_text("requested_by", &request.requested_by, MAX_REQUESTER_CHARS);
    for (index, punch_id) in request.punch_ids.iter().enumerate() {
        violations.id(&format!("punch_ids[{index}]"), punch_id);
    }
    let range = range(&request, &mut violations);
    // Optional: empty never sends into a closed day.
    let closed_day = day_bound(&mut violations, "closed_day", &request.closed_day);
    violations.check(lang)?;

    let retry = RetryRequest {
        requested_by: &request.requested_by,
        at: syncer.now(),
        closed_day,
    };
    let results: Vec<RetryResult> = match range {
        Some((from, until)) => syncer
            .retry_range(&request.company_id, from, until, &retry)
            .await?
            .into_iter()
            .map(|punch_id| RetryResult {
                punch_id,
                outcome: RetryOutcome::Requeued.into(),
                state: 0,
            })
            .collect(),
        None => syncer
            .retry_ids(&request.company_id, &once_each(&request.punch_ids), &retry)
            .await?
            .into_iter()
            .map(id_result)
            .collect(),
    };
    let requeued = results
        .iter()
        .filter(|r| r.outcome() == RetryOutcome::Requeued)
        .count();
    tracing::info!(company_id = %request.company_id, requeued, closed_day = %request.closed_day, "punches requeued by an operator");
    Ok(RetryPunchesResponse {
        requeued: u32::try_from(requeued).unwrap_or(u32::MAX),
        results,
    })
}

/// The JST days `from_date`..=`to_date` as instants [from, until), when the request names
/// punches by range rather than by id; what is wrong with the two fields goes to `violations`.
fn range(
    request: &RetryPunchesRequest,
    violations: &mut Violations,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let from = day_bound(violations, "from_date", &request.from_date);
    let to = day_bound(violations, "to_date", &request.to_date);
    if request.punch_ids.is_empty() {
        match (from, to) {
            (Some(from), Some(to)) if from > to => {
                violations.add(
                    "to_date",
                    Text::new("field-not-before").arg("other", "from_date"),
                );
                None
            }
            (Some(from), Some(to)) => to
                .succ_opt()
                .map(|after| (jst_start(from), jst_start(after))),
            _ => {
                if request.from_date.is_empty() && request.to_date.is_empty() {
                    violations.add("punch_ids", Text::new("field-punch-ids-or-range"));
                } else if request.from_date.is_empty() {
                    violations.add("from_date", Text::new("field-required-without-punch-ids"));
                } else if request.to_date.is_empty() {
                    violations.add("to_date", Text::new("field-required-without-punch-ids"));
                }
                None
            }
        }
    } else {
        if !request.from_date.is_empty() || !request.to_date.is_empty() {
            violations.add("from_date", Text::new("field-empty-with-punch-ids"));
        }
        None
    }
}

/// The ids in the order first named, each once: an id named twice is one punch, answered and
/// counted once (`requeued` counts punches, not mentions).
fn once_each(punch_ids: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    punch_ids
        .iter()
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect()
}

/// The answer for one punch named by id.
fn id_result((punch_id, outcome): (String, Requeued)) -> RetryResult {
    let (outcome, state) = match outcome {
        Requeued::Requeued => (RetryOutcome::Requeued, 0),
        Requeued::NotFound => (RetryOutcome::NotFound, 0),
        Requeued::NotFailed(state) => (RetryOutcome::NotFailed, convert::state(state).into()),
    };
    RetryResult {
        punch_id,
        outcome: outcome.into(),
        state,
    }
}
