//! Punch registration and the token endpoints: the calls allowed in the restricted hours.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::guard::{Ctx, Endpoint, admit};
use crate::model::{FailureKind, PunchSource, StoredPunch};
use crate::reply::{ApiError, json_response};
use crate::simulator::{Simulator, new_token_string};
use crate::state::State as SimState;
use crate::validate::{PunchInput, parse_punch_body};
use crate::wire::{AvailableOut, PunchAnswer, TimeRecordOut, TokenOut};

/// Marks an answer whose connection the server must close without sending it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// `POST /daily-workings/timerecord/{employeeKey}`: stores one punch, no idempotency. A
/// closed (締め) day stores it like any other: closing does not stop API punches \[official\].
pub(crate) async fn post_timerecord(
    State(sim): State<Simulator>,
    ctx: Ctx,
    key: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::PunchPost).and_then(|caller| {
        let Path(key) = key.map_err(|e| ApiError::invalid(e.body_text()))?;
        let employee = state
            .employee_in(&caller.company, &key)
            .ok_or_else(|| ApiError::not_found("unknown employee key"))?
            .clone();
        let body = body.map_err(|e| ApiError::invalid(e.body_text()))?;
        let input = parse_punch_body(&body).map_err(ApiError::invalid_all)?;
        let division_code = input
            .division_code
            .clone()
            .unwrap_or_else(|| employee.division_code.clone());
        if state.division(&caller.company, &division_code).is_none() {
            return Err(ApiError::invalid(format!(
                "divisionCode {division_code:?} does not exist"
            )));
        }
        let code = input
            .code
            .clone()
            .unwrap_or_else(|| guess_code(&state, &key, &input));
        let code = Some(code);
        let punch = StoredPunch {
            id: 0,
            source: PunchSource::Api,
            employee_key: key,
            date: input.date,
            time: input.time,
            code,
            division_code,
            latitude: input.latitude,
            longitude: input.longitude,
            received_at: state.now(),
        };
        let answer = PunchAnswer {
            date: punch.date,
            employee_key: punch.employee_key.clone(),
            time_record: TimeRecordOut::new(&state, &caller.company, &punch, false),
        };
        state.store_punch(punch);
        let mut response = json_response(StatusCode::CREATED, &answer);
        if state.faults.drop_after_punch > 0 {
            state.faults.drop_after_punch -= 1;
            state.faults.count(FailureKind::ResetAfterStore);
            response.extensions_mut().insert(DropConnection);
        }
        Ok(response)
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Without `code` KING OF TIME guesses \[docs\]; ours \[ours\]: the employee's first punch of the
/// working day is a clock-in, any later one a clock-out.
fn guess_code(state: &SimState, key: &str, input: &PunchInput) -> String {
    let first = !state
        .punches
        .iter()
        .any(|p| p.employee_key == key && p.date == input.date);
    if first { "1" } else { "2" }.to_owned()
}

/// `GET /tokens/{token}/available`: true only for an active token of the caller's company that
/// may be used from the caller's address.
pub(crate) async fn token_available(
    State(sim): State<Simulator>,
    ctx: Ctx,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::TokenAvailable).and_then(|caller| {
        let Path(token) = token.map_err(|e| ApiError::invalid(e.body_text()))?;
        let available = state.tokens.get(&token).is_some_and(|record| {
            record.company == caller.company
                && !record.suspended
                && ctx.peer.is_some_and(|peer| record.permits(peer))
        });
        Ok(json_response(StatusCode::OK, &AvailableOut { available }))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /tokens/{token}`: a new token with the same settings; the old one is suspended. The
/// bearer must be the token itself \[ours\].
pub(crate) async fn refresh_token(
    State(sim): State<Simulator>,
    ctx: Ctx,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::TokenRefresh).and_then(|caller| {
        let Path(token) = token.map_err(|e| ApiError::invalid(e.body_text()))?;
        if token != caller.token {
            return Err(ApiError::authentication());
        }
        let mut record = state
            .tokens
            .get(&token)
            .cloned()
            .ok_or_else(ApiError::authentication)?;
        if let Some(old) = state.tokens.get_mut(&token) {
            old.suspended = true;
        }
        let fresh = new_token_string();
        record.suspended = false;
        state.tokens.insert(fresh.clone(), record);
        Ok(json_response(
            StatusCode::CREATED,
            &TokenOut { token: fresh },
        ))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `DELETE /tokens/{token}`: suspends it; 204. The bearer must be the token itself \[ours\].
pub(crate) async fn delete_token(
    State(sim): State<Simulator>,
    ctx: Ctx,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::TokenDelete).and_then(|caller| {
        let Path(token) = token.map_err(|e| ApiError::invalid(e.body_text()))?;
        if token != caller.token {
            return Err(ApiError::authentication());
        }
        if let Some(record) = state.tokens.get_mut(&token) {
            record.suspended = true;
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}
