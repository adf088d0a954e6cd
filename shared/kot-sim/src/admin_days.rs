//! `/_admin` control of KING OF TIME's side of a day, mirroring `sim_days.rs`:
//!
//! | call | body | effect |
//! |---|---|---|
//! | `PUT /_admin/employees/{key}/closing` | `{"date": D, "closed": true}` | closes (reopens) one day |
//! | `PUT /_admin/companies/{company}/closing` | `{"through": D}` (`null` lifts) | closes every day up to D |
//! | `POST /_admin/employees/{key}/punches` | a [`NewPunch`] | a punch from elsewhere → `{"id"}` |
//! | `PUT /_admin/punches/{id}` | a [`PunchEdit`] | replaced by a new punch → `{"id"}` |
//! | `DELETE /_admin/punches/{id}` | | removed → the removed punch |
//!
//! Stored punches, with their ids, are listed by `GET /_admin/companies/{company}/punches`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{post, put};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use crate::admin::{Answer, Body, done};
use crate::model::{NewPunch, PunchEdit};
use crate::simulator::Simulator;

pub(crate) fn routes() -> axum::Router<Simulator> {
    axum::Router::new()
        .route("/_admin/employees/{key}/closing", put(close_day))
        .route("/_admin/companies/{company}/closing", put(close_company))
        .route("/_admin/employees/{key}/punches", post(add_punch))
        .route(
            "/_admin/punches/{id}",
            put(replace_punch).delete(remove_punch),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DayClosingIn {
    date: NaiveDate,
    closed: bool,
}

async fn close_day(
    State(sim): State<Simulator>,
    Path(key): Path<String>,
    body: Body<DayClosingIn>,
) -> Answer {
    let Json(input) = body?;
    sim.set_day_closed(&key, input.date, input.closed)?;
    done()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompanyClosingIn {
    through: Option<NaiveDate>,
}

async fn close_company(
    State(sim): State<Simulator>,
    Path(company): Path<String>,
    body: Body<CompanyClosingIn>,
) -> Answer {
    let Json(input) = body?;
    sim.close_company_through(&company, input.through)?;
    done()
}

async fn add_punch(
    State(sim): State<Simulator>,
    Path(key): Path<String>,
    body: Body<NewPunch>,
) -> Answer {
    let Json(input) = body?;
    let id = sim.add_punch(&key, input)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

async fn replace_punch(
    State(sim): State<Simulator>,
    Path(id): Path<u64>,
    body: Body<PunchEdit>,
) -> Answer {
    let Json(input) = body?;
    let id = sim.replace_punch(id, input)?;
    Ok(Json(json!({ "id": id })).into_response())
}

async fn remove_punch(State(sim): State<Simulator>, Path(id): Path<u64>) -> Answer {
    Ok(Json(sim.remove_punch(id)?).into_response())
}
