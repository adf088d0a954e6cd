//! KING OF TIME's side of a day over HTTP: `GET /daily-workings`, closing (締め), divisions with
//! a day border, and the punch edits of an administrator or a time recorder. Documented query
//! parameters are pinned in `params_http.rs`, employment dates and codes-less records in
//! `records_http.rs`.

mod common;

use common::*;
use serde_json::{Value, json};

const INVALID: i64 = kot_sim::CODE_INVALID_REQUEST;

async fn punch(sim: &Sim, key: &str, date: &str, time: &str, code: &str) -> (u16, Value) {
    let body = json!({"date": date, "time": format!("{time}+09:00"), "code": code}).to_string();
    let path = format!("/v1.0/daily-workings/timerecord/{key}");
    send(sim, "POST", &path, &[], Some(body.as_bytes())).await
}

async fn evaluated(sim: &Sim, query: &str) -> (u16, Value) {
    send(
        sim,
        "GET",
        &format!("/v1.0/daily-workings?{query}"),
        &[],
        None,
    )
    .await
}

#[tokio::test]
async fn daily_workings_is_a_strict_read() {
    let sim = start().await;
    let key = sim.key.clone();
    for query in [
        "start=2024-01-01&end=2024-03-03",
        "start=2024-06-03",
        "start=2024-06-03&end=2024-06-02",
        "division=999",
        "division=100&ondivision=maybe",
        "start=2024/06/03&end=2024-06-03",
    ] {
        assert_error(&evaluated(&sim, query).await, 400, INVALID);
    }
    let (status, days) = evaluated(&sim, "start=2024-01-01&end=2024-03-02").await;
    assert_eq!((status, days.as_array().map(Vec::len)), (200, Some(62)));
    let (_, today) = evaluated(&sim, "").await;
    assert_eq!(today[0]["date"], "2024-06-03", "today by default");
    assert!(
        today[0]["dailyWorkings"][0]
            .get("currentDateEmployee")
            .is_none()
    );

    // The general budget: one request per minute; the punch listing has its own.
    let base = sim.handle.admin_url.as_str().to_owned();
    let limits = json!({"general": {"requests": 1, "perMillis": 60000}, "punch": {"requests": 100, "perMillis": 60000}});
    assert_eq!(
        admin(&base, "PUT", "/rate-limits", Some(limits)).await.0,
        204
    );
    assert_eq!(evaluated(&sim, "").await.0, 200);
    let refused = evaluated(&sim, "").await;
    assert_eq!(
        refused,
        (429, json!({"code": "303", "message": "Too Many Requests"}))
    );
    let listing = format!("/v1.0/daily-workings/timerecord?employeeKeys={key}");
    assert_eq!(send(&sim, "GET", &listing, &[], None).await.0, 200);

    sim.sim
        .set_clock(kot_sim::Clock::Fixed(utc("2024-06-03T17:30:00")));
    assert_error(
        &evaluated(&sim, "").await,
        403,
        kot_sim::CODE_RESTRICTED_HOURS,
    );
}

#[tokio::test]
async fn error_days_follow_the_punches() {
    let sim = start().await;
    let key = sim.key.clone();
    for (date, time, code) in [
        ("2024-06-01", "2024-06-01T09:00:00", "1"),
        ("2024-06-01", "2024-06-01T09:10:00", "1"),
        ("2024-06-02", "2024-06-02T09:00:00", "1"),
        ("2024-06-02", "2024-06-02T17:30:00", "2"),
        ("2024-06-03", "2024-06-03T09:00:00", "1"),
        ("2024-06-03", "2024-06-03T12:00:00", "3"),
    ] {
        assert_eq!(punch(&sim, &key, date, time, code).await.0, 201);
    }
    let (_, days) = evaluated(
        &sim,
        "start=2024-06-01&end=2024-06-03&additionalFields=currentDateEmployee",
    )
    .await;
    let flags: Vec<_> = days
        .as_array()
        .unwrap()
        .iter()
        .map(|day| {
            let summary = &day["dailyWorkings"][0];
            (summary["isError"].clone(), summary["totalWork"].clone())
        })
        .collect();
    assert_eq!(
        flags,
        [
            (json!(true), json!(0)),
            (json!(false), json!(510)),
            (json!(true), json!(0))
        ],
        "two 出勤; a complete day; a break never ended"
    );
    let sunday = &days[1]["dailyWorkings"][0];
    assert_eq!(sunday["workdayTypeName"], "法定休日");
    assert_eq!(sunday["currentDateEmployee"]["code"], "U000123");
}

#[tokio::test]
async fn a_day_closed_over_admin_still_stores_api_punches() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    let key = sim.key.clone();
    let close = json!({"date": "2024-06-03", "closed": true});
    let path = format!("/employees/{key}/closing");
    assert_eq!(admin(&base, "PUT", &path, Some(close)).await.0, 204);
    // Closing does not stop API punches (kot-api.md, "Closed days"): stored, and the day
    // stays closed.
    let stored = punch(&sim, &key, "2024-06-03", "2024-06-03T09:00:00", "1").await;
    assert_eq!(stored.0, 201, "{stored:?}");
    assert_eq!(stored.1["timeRecord"]["code"], "1");
    assert_eq!(sim.sim.punches(COMPANY).len(), 1);
    let (_, days) = evaluated(&sim, "start=2024-06-02&end=2024-06-03").await;
    assert_eq!(days[0]["dailyWorkings"][0]["isClosing"], false);
    assert_eq!(days[1]["dailyWorkings"][0]["isClosing"], true);
    assert_eq!(days[1]["dailyWorkings"][0]["isError"], false);
    let listing = "/v1.0/daily-workings/timerecord?start=2024-06-03&end=2024-06-03";
    let (_, listed) = send(&sim, "GET", listing, &[], None).await;
    assert_eq!(listed[0]["dailyWorkings"][0]["timeRecord"][0]["code"], "1");

    let through = json!({"through": "2024-05-31"});
    assert_eq!(
        admin(&base, "PUT", "/companies/acme/closing", Some(through))
            .await
            .0,
        204
    );
    let (_, may) = evaluated(&sim, "start=2024-05-31&end=2024-06-01").await;
    assert_eq!(may[0]["dailyWorkings"][0]["isClosing"], true);
    assert_eq!(may[1]["dailyWorkings"][0]["isClosing"], false);
    let lift = json!({"through": null});
    assert_eq!(
        admin(&base, "PUT", "/companies/acme/closing", Some(lift))
            .await
            .0,
        204
    );
    let (_, may) = evaluated(&sim, "start=2024-05-31&end=2024-05-31").await;
    assert_eq!(may[0]["dailyWorkings"][0]["isClosing"], false);

    let unknown = json!({"date": "2024-06-03", "closed": true});
    assert_eq!(
        admin(&base, "PUT", "/employees/nope/closing", Some(unknown))
            .await
            .0,
        404
    );
    assert_eq!(
        admin(
            &base,
            "PUT",
            "/companies/nope/closing",
            Some(json!({"through": null}))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        admin(
            &base,
            "PUT",
            "/closed-day-policy",
            Some(json!({"policy": "reject"}))
        )
        .await
        .0,
        404,
        "no policy: a closed day always stores"
    );
}

#[tokio::test]
async fn divisions_with_a_day_border_are_created_over_admin_and_served() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    let night = json!({"code": "200", "name": "夜勤", "dayBorderTime": "05:00"});
    assert_eq!(
        admin(&base, "POST", "/companies/acme/divisions", Some(night))
            .await
            .0,
        201
    );
    let bad = json!({"code": "300", "name": "x", "dayBorderTime": "25:00"});
    assert_eq!(
        admin(&base, "POST", "/companies/acme/divisions", Some(bad))
            .await
            .0,
        400
    );
    let (_, divisions) = send(&sim, "GET", "/v1.0/divisions", &[], None).await;
    assert_eq!(
        divisions,
        json!([
            {"code": "100", "name": "本社", "dayBorderTime": "00:00"},
            {"code": "200", "name": "夜勤", "dayBorderTime": "05:00"}
        ])
    );
}

/// The one record of the employee's 2024-06-03, as the range listing reports it.
async fn records(sim: &Sim) -> Vec<Value> {
    let path = format!(
        "/v1.0/daily-workings/timerecord?employeeKeys={}&start=2024-06-03&end=2024-06-03",
        sim.key
    );
    let (_, days) = send(sim, "GET", &path, &[], None).await;
    days[0]["dailyWorkings"][0]["timeRecord"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn punches_from_elsewhere_and_administrators_edits() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    let path = format!("/employees/{}/punches", sim.key);
    let recorder = json!({"date": "2024-06-03", "time": "2024-06-03T08:58:00+09:00", "code": "1"});
    let (status, created) = admin(&base, "POST", &path, Some(recorder)).await;
    assert_eq!(status, 201);
    let id = created["id"].as_u64().unwrap();
    let listed = records(&sim).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (&listed[0]["credentialCode"], &listed[0]["credentialName"]),
        (&json!(300), &json!("タイムレコーダー"))
    );

    let edit = json!({"time": "2024-06-03T09:00:00+09:00"});
    let (status, replaced) = admin(&base, "PUT", &format!("/punches/{id}"), Some(edit)).await;
    assert_eq!(status, 200);
    let new_id = replaced["id"].as_u64().unwrap();
    assert_ne!(new_id, id, "a 打刻申請 replaces the punch by a new one");
    let listed = records(&sim).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["time"], "2024-06-03T09:00:00+09:00");
    assert_eq!(listed[0]["credentialName"], "管理画面");
    assert_eq!(
        admin(&base, "DELETE", &format!("/punches/{id}"), None)
            .await
            .0,
        404
    );

    let (status, removed) = admin(&base, "DELETE", &format!("/punches/{new_id}"), None).await;
    assert_eq!((status, &removed["source"]), (200, &json!("adminEdit")));
    assert!(records(&sim).await.is_empty());

    for bad in [
        json!({"date": "2024-06-03", "time": "2024-06-03T09:00:00+09:00", "code": "9"}),
        json!({"date": "2024-06-03", "time": "09:00", "code": "1"}),
        json!({"date": "2024-06-03", "time": "2024-06-03T09:00:00+09:00", "code": "1", "divisionCode": "999"}),
    ] {
        assert_eq!(
            admin(&base, "POST", &path, Some(bad.clone())).await.0,
            400,
            "{bad}"
        );
    }
    let nobody = json!({"date": "2024-06-03", "time": "2024-06-03T09:00:00+09:00", "code": "1"});
    assert_eq!(
        admin(&base, "POST", "/employees/nope/punches", Some(nobody))
            .await
            .0,
        404
    );
    let api_punch = punch(&sim, &sim.key, "2024-06-03", "2024-06-03T18:00:00", "2").await;
    assert_eq!(api_punch.0, 201);
    let (_, stored) = admin(&base, "GET", "/companies/acme/punches", None).await;
    assert_eq!(stored[0]["source"], "api");
    assert!(stored[0]["id"].as_u64().unwrap() > new_id);
}
