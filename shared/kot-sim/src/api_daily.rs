//! `GET /daily-workings?division&ondivision&start&end` (日別勤務データ): KING OF TIME's
//! evaluation of each employee's day, with the outer shape of the punch listing. A read: the
//! general budget, refused in the restricted hours, at most 62 days.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Serialize;

use crate::api_read::{date_range, selected_employees, unless_near_window_edge, wants_field};
use crate::day_rules::{evaluate, outside_employment, workday_type_name};
use crate::guard::{Ctx, Endpoint, admit};
use crate::model::StoredPunch;
use crate::reply::json_response;
use crate::simulator::Simulator;
use crate::state::{EmployeeRec, State as SimState};
use crate::wire::{EmployeeFields, EmployeeOut, division_name};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DayOut {
    date: NaiveDate,
    daily_workings: Vec<SummaryOut>,
}

/// The documented fields \[docs\]; the values are the simulator's (see `day_rules`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryOut {
    date: NaiveDate,
    employee_key: String,
    work_place_division_code: String,
    work_place_division_name: String,
    is_closing: bool,
    is_help: bool,
    is_error: bool,
    workday_type_name: &'static str,
    assigned: i64,
    unassigned: i64,
    overtime: i64,
    late_night: i64,
    late_night_unassigned: i64,
    late_night_overtime: i64,
    break_time: i64,
    late: i64,
    early_leave: i64,
    total_work: i64,
    discretionary_vacation: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_date_employee: Option<EmployeeOut>,
}

pub(crate) async fn list_daily_workings(State(sim): State<Simulator>, ctx: Ctx) -> Response {
    let mut state = sim.lock();
    let result = admit(&mut state, &ctx, Endpoint::DailyWorkings).and_then(|caller| {
        let days: Vec<NaiveDate> = date_range(&state, &ctx, true)?.collect();
        let employees = selected_employees(&state, &caller, &ctx)?;
        let employees = unless_near_window_edge(&state, employees);
        let with_employee = wants_field(&ctx, "currentDateEmployee");
        let by_day = punches_by_day(&state, &days);
        let answer: Vec<DayOut> = days
            .iter()
            .map(|&date| DayOut {
                date,
                daily_workings: employees
                    .iter()
                    .map(|employee| {
                        let punches = by_day
                            .get(&(employee.key.as_str(), date))
                            .map_or(&[][..], Vec::as_slice);
                        summary(&state, employee, date, punches, with_employee)
                    })
                    .collect(),
            })
            .collect();
        Ok(json_response(StatusCode::OK, &answer))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// The stored punches of the range, by (employee key, working day): one pass over the store.
fn punches_by_day<'a>(
    state: &'a SimState,
    days: &[NaiveDate],
) -> HashMap<(&'a str, NaiveDate), Vec<&'a StoredPunch>> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return HashMap::new();
    };
    let mut by_day: HashMap<_, Vec<_>> = HashMap::new();
    for punch in state
        .punches
        .iter()
        .filter(|punch| (*first..=*last).contains(&punch.date))
    {
        by_day
            .entry((punch.employee_key.as_str(), punch.date))
            .or_default()
            .push(punch);
    }
    by_day
}

fn summary(
    state: &SimState,
    employee: &EmployeeRec,
    date: NaiveDate,
    punches: &[&StoredPunch],
    with_employee: bool,
) -> SummaryOut {
    let evaluation = evaluate(punches);
    // 在職外勤務: punches on a day the employee was not employed.
    let outside = !punches.is_empty() && outside_employment(employee, date);
    SummaryOut {
        date,
        employee_key: employee.key.clone(),
        work_place_division_code: employee.division_code.clone(),
        work_place_division_name: division_name(state, &employee.company, &employee.division_code),
        is_closing: state.is_closed(&employee.company, &employee.key, date),
        is_help: false,
        is_error: evaluation.is_error || outside,
        workday_type_name: workday_type_name(date),
        assigned: 0,
        unassigned: evaluation.total_work,
        overtime: 0,
        late_night: 0,
        late_night_unassigned: 0,
        late_night_overtime: 0,
        break_time: evaluation.break_time,
        late: 0,
        early_leave: 0,
        total_work: evaluation.total_work,
        discretionary_vacation: 0,
        current_date_employee: with_employee
            .then(|| EmployeeOut::new(state, employee, EmployeeFields::default())),
    }
}
