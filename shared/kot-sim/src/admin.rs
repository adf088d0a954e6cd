//! The admin API under `/_admin`: JSON mirrors of the in-process [`Simulator`] methods, so a
//! simulator started as `kintai kot-sim --listen ADDR` can be driven from another process.
//! It has no authentication: bind it to loopback only. Faults are in `admin_faults.rs`,
//! closing and punch edits in `admin_days.rs`.

use std::net::IpAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::clock::Clock;
use crate::model::{NewEmployee, RateLimit, SimError, TokenOptions};
use crate::simulator::Simulator;

pub(crate) fn routes() -> axum::Router<Simulator> {
    axum::Router::new()
        .route("/_admin/companies", post(create_company))
        .route("/_admin/companies/{company}/tokens", post(add_token))
        .route("/_admin/companies/{company}/divisions", post(add_division))
        .route("/_admin/companies/{company}/employees", post(add_employee))
        .route("/_admin/companies/{company}/punches", get(punches))
        .route("/_admin/tokens/{token}/suspend", post(suspend_token))
        .route("/_admin/employees/{key}/code", put(change_code))
        .route("/_admin/employees/{key}/resignation", put(set_resignation))
        .route("/_admin/employees/{key}/hired", put(set_hired_date))
        .route("/_admin/clock", put(set_clock).get(get_clock))
        .route("/_admin/rate-limits", put(set_rate_limits))
        .route("/_admin/requests", get(request_log))
        .route("/_admin/requests", delete(clear_request_log))
        .merge(crate::admin_faults::routes())
        .merge(crate::admin_days::routes())
}

/// Admin errors are `{"error": "..."}`; only the KING OF TIME API imitates KOT's shape.
pub(crate) struct AdminError(pub StatusCode, pub String);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<SimError> for AdminError {
    fn from(error: SimError) -> Self {
        let status = match error {
            SimError::UnknownCompany(_)
            | SimError::UnknownToken
            | SimError::UnknownEmployee
            | SimError::UnknownPunch(_) => StatusCode::NOT_FOUND,
            SimError::UnknownDivision(_) | SimError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            SimError::DuplicateCompany(_)
            | SimError::DuplicateToken
            | SimError::DuplicateDivision(_)
            | SimError::DuplicateEmployeeCode(_) => StatusCode::CONFLICT,
        };
        Self(status, error.to_string())
    }
}

impl From<JsonRejection> for AdminError {
    fn from(rejection: JsonRejection) -> Self {
        Self(StatusCode::BAD_REQUEST, rejection.body_text())
    }
}

pub(crate) type Body<T> = Result<Json<T>, JsonRejection>;
pub(crate) type Answer = Result<Response, AdminError>;

pub(crate) fn done() -> Answer {
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompanyIn {
    code: String,
}

async fn create_company(State(sim): State<Simulator>, body: Body<CompanyIn>) -> Answer {
    let Json(input) = body?;
    sim.create_company(&input.code)?;
    Ok((StatusCode::CREATED, Json(json!({ "code": input.code }))).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenIn {
    /// Omitted: the simulator issues a random 32-hex token.
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    permitted_ips: Option<Vec<IpAddr>>,
}

async fn add_token(
    State(sim): State<Simulator>,
    Path(company): Path<String>,
    body: Body<TokenIn>,
) -> Answer {
    let Json(input) = body?;
    let options = TokenOptions {
        permitted_ips: input.permitted_ips,
    };
    let token = match input.token {
        Some(token) => sim.add_token(&company, &token, options).map(|()| token)?,
        None => sim.issue_token(&company, options)?,
    };
    Ok((StatusCode::CREATED, Json(json!({ "token": token }))).into_response())
}

async fn suspend_token(State(sim): State<Simulator>, Path(token): Path<String>) -> Answer {
    sim.suspend_token(&token)?;
    done()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DivisionIn {
    code: String,
    name: String,
    /// `HH:MM`, 00:00 when omitted.
    #[serde(default)]
    day_border_time: Option<String>,
}

async fn add_division(
    State(sim): State<Simulator>,
    Path(company): Path<String>,
    body: Body<DivisionIn>,
) -> Answer {
    let Json(input) = body?;
    let border = match input.day_border_time.as_deref() {
        None => NaiveTime::MIN,
        Some(text) => NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| {
            AdminError(
                StatusCode::BAD_REQUEST,
                format!("dayBorderTime {text:?} is not HH:MM"),
            )
        })?,
    };
    sim.add_division(&company, &input.code, &input.name, border)?;
    Ok((StatusCode::CREATED, Json(json!({ "code": input.code }))).into_response())
}

async fn add_employee(
    State(sim): State<Simulator>,
    Path(company): Path<String>,
    body: Body<NewEmployee>,
) -> Answer {
    let Json(input) = body?;
    let key = sim.add_employee(&company, input)?;
    Ok((StatusCode::CREATED, Json(json!({ "key": key }))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeIn {
    code: String,
}

async fn change_code(
    State(sim): State<Simulator>,
    Path(key): Path<String>,
    body: Body<CodeIn>,
) -> Answer {
    let Json(input) = body?;
    sim.change_employee_code(&key, &input.code)?;
    done()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResignationIn {
    resigned_on: Option<NaiveDate>,
}

async fn set_resignation(
    State(sim): State<Simulator>,
    Path(key): Path<String>,
    body: Body<ResignationIn>,
) -> Answer {
    let Json(input) = body?;
    sim.set_resignation(&key, input.resigned_on)?;
    done()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HiredIn {
    hired_on: Option<NaiveDate>,
}

async fn set_hired_date(
    State(sim): State<Simulator>,
    Path(key): Path<String>,
    body: Body<HiredIn>,
) -> Answer {
    let Json(input) = body?;
    sim.set_hired_date(&key, input.hired_on)?;
    done()
}

#[derive(Deserialize)]
#[serde(tag = "mode", rename_all = "camelCase", deny_unknown_fields)]
enum ClockIn {
    Real,
    Fixed { at: DateTime<Utc> },
    StartingAt { at: DateTime<Utc> },
    Offset { seconds: i64 },
}

async fn set_clock(State(sim): State<Simulator>, body: Body<ClockIn>) -> Answer {
    let Json(input) = body?;
    let clock = match input {
        ClockIn::Real => Clock::Real,
        ClockIn::Fixed { at } => Clock::Fixed(at),
        ClockIn::StartingAt { at } => Clock::starting_at(at),
        ClockIn::Offset { seconds } => Clock::Offset(
            TimeDelta::try_seconds(seconds)
                .ok_or_else(|| AdminError(StatusCode::BAD_REQUEST, "offset out of range".into()))?,
        ),
    };
    sim.set_clock(clock);
    done()
}

async fn get_clock(State(sim): State<Simulator>) -> Answer {
    Ok(Json(json!({ "now": sim.now() })).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LimitIn {
    requests: u32,
    per_millis: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsIn {
    general: LimitIn,
    punch: LimitIn,
}

async fn set_rate_limits(State(sim): State<Simulator>, body: Body<LimitsIn>) -> Answer {
    let Json(input) = body?;
    let limit = |l: LimitIn| RateLimit {
        requests: l.requests,
        per: Duration::from_millis(l.per_millis),
    };
    sim.set_rate_limits(limit(input.general), limit(input.punch));
    done()
}

async fn punches(State(sim): State<Simulator>, Path(company): Path<String>) -> Answer {
    Ok(Json(sim.punches(&company)).into_response())
}

async fn request_log(State(sim): State<Simulator>) -> Answer {
    Ok(Json(sim.request_log()).into_response())
}

async fn clear_request_log(State(sim): State<Simulator>) -> Answer {
    sim.clear_request_log();
    done()
}
