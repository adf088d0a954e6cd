//! What KING OF TIME holds beyond our punches, over HTTP: employment dates (`hiredDate`,
//! `resignationDate` when `additionalFields` asks; punches outside them make an error day),
//! records an administrator enters with codes we never send or with no code, and the fault
//! that makes reads at the restricted windows' edges answer empty days.

mod common;

use common::*;
use kot_sim::{Clock, NewPunch, PunchSource};
use serde_json::{Value, json};

async fn punch(sim: &Sim, date: &str, time: &str, code: &str) -> u16 {
    let body = json!({"date": date, "time": format!("{time}+09:00"), "code": code}).to_string();
    let path = format!("/v1.0/daily-workings/timerecord/{}", sim.key);
    send(sim, "POST", &path, &[], Some(body.as_bytes())).await.0
}

async fn get(sim: &Sim, path: &str) -> (u16, Value) {
    send(sim, "GET", path, &[], None).await
}

/// `isError` of the employee's days from `start` to `end`, in date order.
async fn error_days(sim: &Sim, start: &str, end: &str) -> Vec<bool> {
    let (status, days) = get(
        sim,
        &format!("/v1.0/daily-workings?start={start}&end={end}"),
    )
    .await;
    assert_eq!(status, 200, "{days}");
    days.as_array()
        .unwrap()
        .iter()
        .map(|day| day["dailyWorkings"][0]["isError"].as_bool().unwrap())
        .collect()
}

/// The records of the employee's 2024-06-03 in the range listing.
async fn records(sim: &Sim) -> Vec<Value> {
    let (_, days) = get(
        sim,
        "/v1.0/daily-workings/timerecord?start=2024-06-03&end=2024-06-03",
    )
    .await;
    days[0]["dailyWorkings"][0]["timeRecord"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn employment_dates_are_answered_when_asked_and_bound_the_working_days() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    let hired = json!({"hiredOn": "2024-06-03"});
    let path = format!("/employees/{}/hired", sim.key);
    assert_eq!(admin(&base, "PUT", &path, Some(hired)).await.0, 204);
    sim.sim
        .set_resignation(&sim.key, Some(kintai_testkit::day("2024-06-04")))
        .unwrap();

    let (_, plain) = get(&sim, "/v1.0/employees").await;
    assert!(plain[0].get("hiredDate").is_none() && plain[0].get("resignationDate").is_none());
    let (_, asked) = get(
        &sim,
        "/v1.0/employees?additionalFields=hiredDate,resignationDate",
    )
    .await;
    assert_eq!(
        (&asked[0]["hiredDate"], &asked[0]["resignationDate"]),
        (&json!("2024-06-03"), &json!("2024-06-04"))
    );
    let (_, one) = get(&sim, "/v1.0/employees/U000123?additionalFields=hiredDate").await;
    assert_eq!(one["hiredDate"], "2024-06-03");
    assert!(one.get("resignationDate").is_none());

    // The day before hiring, the hiring and resignation days, the day after resigning.
    for (date, time) in [
        ("2024-06-02", "2024-06-02T09:00:00"),
        ("2024-06-03", "2024-06-03T09:00:00"),
        ("2024-06-04", "2024-06-04T09:00:00"),
        ("2024-06-05", "2024-06-05T09:00:00"),
    ] {
        assert_eq!(punch(&sim, date, time, "1").await, 201, "{date}");
    }
    assert_eq!(
        error_days(&sim, "2024-06-01", "2024-06-06").await,
        [false, true, false, false, true, false],
        "在職外勤務 only where there are punches outside employment"
    );
    assert_eq!(
        admin(&base, "PUT", &path, Some(json!({"hiredOn": null})))
            .await
            .0,
        204
    );
    assert_eq!(error_days(&sim, "2024-06-02", "2024-06-02").await, [false]);
    let nobody = json!({"hiredOn": "2024-06-03"});
    assert_eq!(
        admin(&base, "PUT", "/employees/nope/hired", Some(nobody))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn outings_and_records_without_a_code_are_entered_and_read() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    assert_eq!(
        punch(&sim, "2024-06-03", "2024-06-03T09:00:00", "1").await,
        201
    );
    let path = format!("/employees/{}/punches", sim.key);
    for body in [
        json!({"date": "2024-06-03", "time": "2024-06-03T10:30:00+09:00", "code": "7", "source": "adminEdit"}),
        json!({"date": "2024-06-03", "time": "2024-06-03T11:00:00+09:00", "code": "8"}),
        json!({"date": "2024-06-03", "time": "2024-06-03T12:00:00+09:00"}),
    ] {
        assert_eq!(
            admin(&base, "POST", &path, Some(body.clone())).await.0,
            201,
            "{body}"
        );
    }
    sim.sim
        .add_punch(
            &sim.key,
            NewPunch {
                date: kintai_testkit::day("2024-06-03"),
                time: utc("2024-06-03T12:30:00").fixed_offset(),
                code: None,
                division_code: None,
                source: PunchSource::AdminEdit,
            },
        )
        .unwrap();
    let mut listed: Vec<(String, Value, Value)> = records(&sim)
        .await
        .into_iter()
        .map(|r| {
            (
                r["time"].as_str().unwrap().to_owned(),
                r["code"].clone(),
                r["name"].clone(),
            )
        })
        .collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        listed,
        [
            (
                "2024-06-03T09:00:00+09:00".to_owned(),
                json!("1"),
                json!("出勤")
            ),
            (
                "2024-06-03T10:30:00+09:00".to_owned(),
                json!("7"),
                json!("外出")
            ),
            (
                "2024-06-03T11:00:00+09:00".to_owned(),
                json!("8"),
                json!("外出戻り")
            ),
            (
                "2024-06-03T12:00:00+09:00".to_owned(),
                Value::Null,
                Value::Null
            ),
            (
                "2024-06-03T12:30:00+09:00".to_owned(),
                Value::Null,
                Value::Null
            ),
        ],
        "a record without a code has neither code nor name"
    );
    assert_eq!(error_days(&sim, "2024-06-03", "2024-06-03").await, [false]);
    let bad = json!({"date": "2024-06-03", "time": "2024-06-03T12:00:00+09:00", "code": "5"});
    assert_eq!(admin(&base, "POST", &path, Some(bad)).await.0, 400);
}

#[tokio::test]
async fn reads_near_the_windows_edges_answer_empty_days_while_the_fault_holds() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    assert_eq!(
        punch(&sim, "2024-06-03", "2024-06-03T08:00:00", "1").await,
        201
    );
    let on = json!({"seconds": 120});
    assert_eq!(
        admin(&base, "PUT", "/faults/empty-edge-reads", Some(on))
            .await
            .0,
        204
    );
    let day_read = "/v1.0/daily-workings?start=2024-06-03&end=2024-06-03";
    let one_day = "/v1.0/daily-workings/timerecord/2024-06-03";
    for (hms, empty) in [
        ("08:27:59", false),
        ("08:29:00", true),
        ("10:00:00", true),
        ("10:01:59", true),
        ("10:02:00", false),
        ("17:29:00", true),
        ("18:31:00", true),
        ("12:00:00", false),
    ] {
        sim.sim
            .set_clock(Clock::Fixed(utc(&format!("2024-06-03T{hms}"))));
        assert_eq!(records(&sim).await.is_empty(), empty, "listing at {hms}");
        let (status, days) = get(&sim, day_read).await;
        assert_eq!(status, 200, "{hms}");
        assert_eq!(
            days[0]["dailyWorkings"].as_array().unwrap().is_empty(),
            empty,
            "daily-workings at {hms}"
        );
        let (_, day) = get(&sim, one_day).await;
        assert_eq!(
            day["dailyWorkings"].as_array().unwrap().is_empty(),
            empty,
            "{hms}"
        );
    }
    // Inside a window it is the documented 403, not an empty day.
    sim.sim.set_clock(Clock::Fixed(utc("2024-06-03T09:00:00")));
    assert_error(
        &get(&sim, day_read).await,
        403,
        kot_sim::CODE_RESTRICTED_HOURS,
    );
    // Punches are still stored at the edge; lifting the fault shows them.
    sim.sim.set_clock(Clock::Fixed(utc("2024-06-03T08:29:00")));
    assert_eq!(
        punch(&sim, "2024-06-03", "2024-06-03T08:29:00", "2").await,
        201
    );
    assert!(records(&sim).await.is_empty());
    let off = json!({"seconds": null});
    assert_eq!(
        admin(&base, "PUT", "/faults/empty-edge-reads", Some(off))
            .await
            .0,
        204
    );
    assert_eq!(records(&sim).await.len(), 2);
    // In-process too, and cleared with the other faults.
    sim.sim
        .empty_reads_near_window_edges(Some(std::time::Duration::from_secs(120)));
    assert!(records(&sim).await.is_empty());
    sim.sim.clear_faults();
    assert_eq!(records(&sim).await.len(), 2);
}
