//! The read endpoints: employees, divisions, punch listings. All of them are refused in the
//! restricted hours.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Months, NaiveDate};

use crate::clock::{jst_today, near_window_edge};
use crate::guard::{Caller, Ctx, Endpoint, admit};
use crate::reply::{ApiError, json_response};
use crate::simulator::Simulator;
use crate::state::{EmployeeRec, State as SimState};
use crate::validate::{MAX_RANGE_DAYS, parse_bool, parse_date};
use crate::wire::{DayOut, DivisionOut, EmployeeFields, EmployeeOut};

/// `GET /employees?date&division&includeResigner&additionalFields`.
pub(crate) async fn list_employees(State(sim): State<Simulator>, ctx: Ctx) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::Employees).and_then(|caller| {
        let as_of = as_of_date(&state, &ctx)?;
        let include_resigned = optional_bool(&ctx, "includeResigner")?.unwrap_or(false);
        let division = ctx.query.get("division");
        if let Some(division) = division
            && state.division(&caller.company, division).is_none()
        {
            return Err(ApiError::invalid(format!(
                "division {division:?} does not exist"
            )));
        }
        let fields = employee_fields(&ctx);
        let employees: Vec<EmployeeOut> = state
            .employees
            .iter()
            .filter(|e| e.company == caller.company)
            .filter(|e| division.is_none_or(|d| &e.division_code == d))
            .filter(|e| include_resigned || !e.resigned_as_of(as_of))
            .map(|e| EmployeeOut::new(&state, e, fields))
            .collect();
        Ok(json_response(StatusCode::OK, &employees))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /employees/{code}`: by code; unknown code is 404 \[ours: 400 or 404 in the docs\].
pub(crate) async fn get_employee(
    State(sim): State<Simulator>,
    ctx: Ctx,
    code: Result<Path<String>, PathRejection>,
) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::Employee).and_then(|caller| {
        let Path(code) = code.map_err(|e| ApiError::invalid(e.body_text()))?;
        as_of_date(&state, &ctx)?;
        let employee = state
            .employee_by_code(&caller.company, &code)
            .ok_or_else(|| ApiError::not_found(format!("no employee with code {code:?}")))?;
        let answer = EmployeeOut::new(&state, employee, employee_fields(&ctx));
        Ok(json_response(StatusCode::OK, &answer))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /divisions`.
pub(crate) async fn list_divisions(State(sim): State<Simulator>, ctx: Ctx) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::Divisions).map(|caller| {
        let divisions: Vec<DivisionOut> = state
            .companies
            .get(&caller.company)
            .map(|company| {
                company
                    .divisions
                    .iter()
                    .map(|(code, d)| DivisionOut::new(code, d))
                    .collect()
            })
            .unwrap_or_default();
        json_response(StatusCode::OK, &divisions)
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /daily-workings/timerecord?employeeKeys|division&start&end`: at most 62 days.
pub(crate) async fn list_timerecords(State(sim): State<Simulator>, ctx: Ctx) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::PunchList).and_then(|caller| {
        let days = date_range(&state, &ctx, false)?;
        let employees = selected_employees(&state, &caller, &ctx)?;
        let employees = unless_near_window_edge(&state, employees);
        let answer: Vec<DayOut> = days
            .map(|date| DayOut::new(&state, &caller.company, date, &employees))
            .collect();
        Ok(json_response(StatusCode::OK, &answer))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `start`..=`end` (both today by default), at most 62 days. With `end_required`, a `start`
/// without `end` is refused, as `GET /daily-workings` documents \[docs\].
pub(crate) fn date_range(
    state: &SimState,
    ctx: &Ctx,
    end_required: bool,
) -> Result<impl Iterator<Item = NaiveDate> + use<>, ApiError> {
    let today = jst_today(state.now());
    let start = optional_date(ctx, "start")?;
    let end = optional_date(ctx, "end")?;
    if end_required && start.is_some() && end.is_none() {
        return Err(ApiError::invalid("end is required when start is given"));
    }
    let (start, end) = (start.unwrap_or(today), end.unwrap_or(today));
    if end < start {
        return Err(ApiError::invalid(format!(
            "end {end} is before start {start}"
        )));
    }
    let days = (end - start).num_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(ApiError::invalid(format!(
            "range of {days} days exceeds {MAX_RANGE_DAYS}"
        )));
    }
    Ok((0..days).map(move |offset| start + Duration::days(offset)))
}

/// `GET /daily-workings/timerecord/{date}`: one working day, as one object, for the whole
/// company or one `division`. `employeeKeys` is not a documented parameter here \[docs\]: the
/// guard refuses it (`params.rs`).
pub(crate) async fn day_timerecords(
    State(sim): State<Simulator>,
    ctx: Ctx,
    date: Result<Path<String>, PathRejection>,
) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::PunchDay).and_then(|caller| {
        let Path(date) = date.map_err(|e| ApiError::invalid(e.body_text()))?;
        let date = parse_date(&date)
            .ok_or_else(|| ApiError::invalid(format!("date {date:?} is not YYYY-MM-DD")))?;
        let employees = selected_employees(&state, &caller, &ctx)?;
        let employees = unless_near_window_edge(&state, employees);
        Ok(json_response(
            StatusCode::OK,
            &DayOut::new(&state, &caller.company, date, &employees),
        ))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `employeeKeys` (comma list; an unknown key is 400 \[ours\]; the guard lets it through only
/// where documented) or `division` (with optional `ondivision`), or every employee of the
/// company. `employeeKeys` is documented only when `division` is not given \[docs\]: both at
/// once are refused.
pub(crate) fn selected_employees<'a>(
    state: &'a SimState,
    caller: &Caller,
    ctx: &Ctx,
) -> Result<Vec<&'a EmployeeRec>, ApiError> {
    optional_bool(ctx, "ondivision")?;
    if ctx.query.contains_key("employeeKeys") && ctx.query.contains_key("division") {
        return Err(ApiError::invalid(
            "employeeKeys and division cannot be given together",
        ));
    }
    if let Some(keys) = ctx.query.get("employeeKeys") {
        return keys
            .split(',')
            .map(|key| {
                state
                    .employee_in(&caller.company, key.trim())
                    .ok_or_else(|| ApiError::invalid(format!("employeeKeys: unknown key {key:?}")))
            })
            .collect();
    }
    if let Some(division) = ctx.query.get("division") {
        if state.division(&caller.company, division).is_none() {
            return Err(ApiError::invalid(format!(
                "division {division:?} does not exist"
            )));
        }
        return Ok(state
            .employees
            .iter()
            .filter(|e| e.company == caller.company && &e.division_code == division)
            .collect());
    }
    Ok(state
        .employees
        .iter()
        .filter(|e| e.company == caller.company)
        .collect())
}

/// `date` of the employee calls: at most 3 years back and 1 year ahead \[docs\].
fn as_of_date(state: &SimState, ctx: &Ctx) -> Result<NaiveDate, ApiError> {
    let today = jst_today(state.now());
    let Some(date) = optional_date(ctx, "date")? else {
        return Ok(today);
    };
    let earliest = today
        .checked_sub_months(Months::new(36))
        .unwrap_or(NaiveDate::MIN);
    let latest = today
        .checked_add_months(Months::new(12))
        .unwrap_or(NaiveDate::MAX);
    if date < earliest || date > latest {
        return Err(ApiError::invalid(format!(
            "date {date} must be between {earliest} and {latest}"
        )));
    }
    Ok(date)
}

fn optional_date(ctx: &Ctx, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    ctx.query
        .get(name)
        .map(|text| {
            parse_date(text)
                .ok_or_else(|| ApiError::invalid(format!("{name} {text:?} is not YYYY-MM-DD")))
        })
        .transpose()
}

fn optional_bool(ctx: &Ctx, name: &str) -> Result<Option<bool>, ApiError> {
    ctx.query
        .get(name)
        .map(|text| {
            parse_bool(text)
                .ok_or_else(|| ApiError::invalid(format!("{name} must be true or false")))
        })
        .transpose()
}

/// Which employees a punch or day read answers for: none while the "empty reads near the
/// windows' edges" fault holds and the clock stands within its margin of a restricted window
/// (kot-api.md: reads there have answered 0 records).
pub(crate) fn unless_near_window_edge<'a>(
    state: &SimState,
    employees: Vec<&'a EmployeeRec>,
) -> Vec<&'a EmployeeRec> {
    let empty = state
        .faults
        .empty_reads_near_edges
        .is_some_and(|margin| near_window_edge(state.now(), margin));
    if empty { Vec::new() } else { employees }
}

fn employee_fields(ctx: &Ctx) -> EmployeeFields {
    EmployeeFields {
        hired_date: wants_field(ctx, "hiredDate"),
        resignation_date: wants_field(ctx, "resignationDate"),
    }
}

/// Unknown `additionalFields` names are ignored: the documented list is open-ended.
pub(crate) fn wants_field(ctx: &Ctx, field: &str) -> bool {
    ctx.query
        .get("additionalFields")
        .is_some_and(|fields| fields.split(',').any(|f| f.trim() == field))
}
