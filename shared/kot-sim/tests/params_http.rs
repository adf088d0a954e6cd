//! Only documented query parameters (kot-api.md): every path answers an undocumented one with a
//! 400 in KING OF TIME's error shape that names it, `employeeKeys` on `GET /daily-workings` and
//! on the one-day listing included, while the documented ones keep working.

mod common;

use common::*;
use kot_sim::NewEmployee;
use serde_json::Value;

const INVALID: i64 = kot_sim::CODE_INVALID_REQUEST;

fn second_employee(sim: &Sim, division: &str) -> String {
    let employee = NewEmployee {
        code: "U000124".into(),
        last_name: "湊山".into(),
        first_name: "信輔".into(),
        division_code: division.into(),
        resigned_on: None,
    };
    sim.sim.add_employee(COMPANY, employee).unwrap()
}

fn keys_of(day: &Value) -> Vec<String> {
    day["dailyWorkings"]
        .as_array()
        .map(|workings| {
            workings
                .iter()
                .filter_map(|w| w["employeeKey"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The answer is KING OF TIME's 400 and its message names `name`.
async fn refused_naming(sim: &Sim, method: &str, path: &str, name: &str) {
    let body = (method == "POST")
        .then_some(&br#"{"date":"2024-06-03","time":"2024-06-03T09:00:00+09:00","code":"1"}"#[..]);
    let answer = send(sim, method, path, &[], body).await;
    let message = assert_error(&answer, 400, INVALID);
    assert!(message.contains(name), "{path}: {message}");
}

#[tokio::test]
async fn employee_keys_are_refused_where_undocumented() {
    let sim = start().await;
    let key = sim.key.clone();
    refused_naming(
        &sim,
        "GET",
        &format!("/v1.0/daily-workings?employeeKeys={key}&start=2024-06-03&end=2024-06-03"),
        "employeeKeys",
    )
    .await;
    refused_naming(
        &sim,
        "GET",
        &format!("/v1.0/daily-workings/timerecord/2024-06-03?employeeKeys={key}"),
        "employeeKeys",
    )
    .await;
    // Where documented it filters, but only without `division` [docs].
    let listing = format!("/v1.0/daily-workings/timerecord?employeeKeys={key}&start=2024-06-03");
    assert_eq!(send(&sim, "GET", &listing, &[], None).await.0, 200);
    let both = format!("{listing}&division=100");
    assert_error(&send(&sim, "GET", &both, &[], None).await, 400, INVALID);
    assert!(
        sim.sim.punches(COMPANY).is_empty(),
        "nothing was stored by the reads"
    );
}

#[tokio::test]
async fn every_path_refuses_what_it_does_not_document() {
    let sim = start().await;
    let key = sim.key.clone();
    for (method, path, name) in [
        (
            "GET",
            "/v1.0/employees?employeeKeys=x".to_owned(),
            "employeeKeys",
        ),
        ("GET", "/v1.0/employees?limit=10".to_owned(), "limit"),
        (
            "GET",
            "/v1.0/employees/U000123?division=100".to_owned(),
            "division",
        ),
        ("GET", "/v1.0/divisions?division=100".to_owned(), "division"),
        (
            "GET",
            "/v1.0/daily-workings?start=2024-06-03&end=2024-06-03&page=2".to_owned(),
            "page",
        ),
        (
            "GET",
            "/v1.0/daily-workings/timerecord?start=2024-06-03&employeeKey=x".to_owned(),
            "employeeKey",
        ),
        (
            "GET",
            "/v1.0/daily-workings/timerecord/2024-06-03?start=2024-06-03".to_owned(),
            "start",
        ),
        (
            "POST",
            format!("/v1.0/daily-workings/timerecord/{key}?date=2024-06-03"),
            "date",
        ),
        (
            "GET",
            format!("/v1.0/tokens/{TOKEN}/available?verbose=1"),
            "verbose",
        ),
    ] {
        refused_naming(&sim, method, &path, name).await;
    }
    assert!(
        sim.sim.punches(COMPANY).is_empty(),
        "a refused POST stores nothing"
    );
}

#[tokio::test]
async fn documented_parameters_are_answered() {
    let sim = start().await;
    sim.sim
        .add_division(COMPANY, "200", "支店", chrono::NaiveTime::MIN)
        .unwrap();
    let other = second_employee(&sim, "200");
    for path in [
        "/v1.0/employees?date=2024-06-03&division=100&includeResigner=true&additionalFields=hiredDate,resignationDate",
        "/v1.0/employees/U000123?date=2024-06-03&additionalFields=resignationDate",
        "/v1.0/divisions",
        "/v1.0/daily-workings?division=100&ondivision=true&start=2024-06-01&end=2024-06-03&additionalFields=currentDateEmployee",
        "/v1.0/daily-workings/timerecord?division=100&ondivision=true&start=2024-06-03&end=2024-06-03&additionalFields=currentDateEmployee",
        "/v1.0/daily-workings/timerecord/2024-06-03?division=100&ondivision=false&additionalFields=currentDateEmployee",
    ] {
        assert_eq!(send(&sim, "GET", path, &[], None).await.0, 200, "{path}");
    }
    // By company or by division: the caller keeps the employees it needs.
    let (_, company) = send(
        &sim,
        "GET",
        "/v1.0/daily-workings?start=2024-06-03&end=2024-06-03",
        &[],
        None,
    )
    .await;
    assert_eq!(keys_of(&company[0]), [sim.key.clone(), other.clone()]);
    let (_, branch) = send(
        &sim,
        "GET",
        "/v1.0/daily-workings?division=200&ondivision=true&start=2024-06-03&end=2024-06-03",
        &[],
        None,
    )
    .await;
    assert_eq!(keys_of(&branch[0]), std::slice::from_ref(&other));
    let (_, day) = send(
        &sim,
        "GET",
        "/v1.0/daily-workings/timerecord/2024-06-03?division=200",
        &[],
        None,
    )
    .await;
    assert_eq!(keys_of(&day), [other]);
    let unknown_division = "/v1.0/daily-workings/timerecord/2024-06-03?division=999";
    assert_error(
        &send(&sim, "GET", unknown_division, &[], None).await,
        400,
        INVALID,
    );
}
