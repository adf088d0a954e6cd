//! Client ↔ simulator: the day readers of `AttendanceVendor` on the documented endpoints (the
//! simulator refuses any undocumented parameter, `employeeKeys` on `/daily-workings` included),
//! and a punch into a closed day, which KING OF TIME stores.

mod common;

use common::*;
use kot_client::{AttendanceVendor, KotError, PunchCode, TimeRecordRequest};
use kot_sim::{NewEmployee, NewPunch, PunchSource, RateLimit, SimConfig};

fn punch(date: &str, time: &str, code: PunchCode) -> TimeRecordRequest {
    TimeRecordRequest {
        date: day(date),
        time: jst(time),
        code,
        division_code: None,
        latitude: None,
        longitude: None,
    }
}

async fn post(f: &Fixture, key: &str, date: &str, time: &str, code: PunchCode) {
    f.client
        .post_timerecord(&f.token, key, &punch(date, time, code))
        .await
        .unwrap();
}

#[tokio::test]
async fn read_day_uses_the_range_endpoint_and_keeps_one_employee_day() {
    let f = fixture().await;
    post(
        &f,
        &f.ichiko,
        "2024-06-03",
        "2024-06-03T09:00:00",
        PunchCode::ClockIn,
    )
    .await;
    post(
        &f,
        &f.ichiko,
        "2024-06-02",
        "2024-06-03T01:00:00",
        PunchCode::ClockOut,
    )
    .await;
    post(
        &f,
        &f.shinsuke,
        "2024-06-03",
        "2024-06-03T09:30:00",
        PunchCode::ClockIn,
    )
    .await;
    f.sim.clear_request_log();
    let records = f
        .client
        .read_day(&f.token, &f.ichiko, day("2024-06-03"))
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0].is_same_punch(&jst("2024-06-03T09:00:00"), PunchCode::ClockIn));
    let log = f.sim.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("GET", "/v1.0/daily-workings/timerecord"),
        "the documented range endpoint, not /{{date}}"
    );
}

#[tokio::test]
async fn read_days_splits_ranges_and_keys_and_never_counts_a_record_twice() {
    let f = fixture().await;
    let mut keys = vec![f.ichiko.clone(), f.shinsuke.clone()];
    for n in 0..50 {
        let employee = NewEmployee {
            code: format!("X{n:04}"),
            last_name: "臨時".into(),
            first_name: format!("{n}"),
            division_code: "100".into(),
            resigned_on: None,
        };
        keys.push(f.sim.add_employee(COMPANY, employee).unwrap());
    }
    let last = keys[51].clone();
    post(
        &f,
        &f.ichiko,
        "2024-04-01",
        "2024-04-01T09:00:00",
        PunchCode::ClockIn,
    )
    .await;
    post(
        &f,
        &last,
        "2024-06-03",
        "2024-06-03T09:00:00",
        PunchCode::ClockIn,
    )
    .await;
    post(
        &f,
        &last,
        "2024-06-03",
        "2024-06-03T18:00:00",
        PunchCode::ClockOut,
    )
    .await;
    keys.push(f.ichiko.clone()); // asked twice
    f.sim.clear_request_log();
    let days = f
        .client
        .read_days(&f.token, &keys, day("2024-04-01"), day("2024-06-09"))
        .await
        .unwrap();
    assert_eq!(
        count(&f.sim, "GET", "/v1.0/daily-workings/timerecord", Some(200)),
        4,
        "52 keys × 70 days: 2 key batches × 2 ranges"
    );
    assert_eq!(days.len(), 52 * 70, "every employee-day once");
    assert_eq!(days[&(f.ichiko.clone(), day("2024-04-01"))].len(), 1);
    assert_eq!(days[&(last.clone(), day("2024-06-03"))].len(), 2);
    assert!(days[&(f.shinsuke.clone(), day("2024-06-03"))].is_empty());
    assert_eq!(days.values().map(Vec::len).sum::<usize>(), 3);
}

#[tokio::test]
async fn list_divisions_parses_the_day_border() {
    let f = fixture().await;
    let divisions = AttendanceVendor::list_divisions(&f.client, &f.token)
        .await
        .unwrap();
    let borders: Vec<_> = divisions
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.day_border_time.format("%H:%M").to_string(),
            )
        })
        .collect();
    assert_eq!(
        borders,
        [("100", "00:00".to_owned()), ("200", "05:00".to_owned())]
    );
}

#[tokio::test]
async fn daily_workings_report_error_days_closing_and_totals() {
    let f = fixture().await;
    // ichiko: a complete day on 06-03; two 出勤 on 06-04.
    post(
        &f,
        &f.ichiko,
        "2024-06-03",
        "2024-06-03T09:00:00",
        PunchCode::ClockIn,
    )
    .await;
    post(
        &f,
        &f.ichiko,
        "2024-06-03",
        "2024-06-03T12:00:00",
        PunchCode::BreakStart,
    )
    .await;
    post(
        &f,
        &f.ichiko,
        "2024-06-03",
        "2024-06-03T13:00:00",
        PunchCode::BreakEnd,
    )
    .await;
    post(
        &f,
        &f.ichiko,
        "2024-06-03",
        "2024-06-03T18:00:00",
        PunchCode::ClockOut,
    )
    .await;
    post(
        &f,
        &f.ichiko,
        "2024-06-04",
        "2024-06-04T09:00:00",
        PunchCode::ClockIn,
    )
    .await;
    post(
        &f,
        &f.ichiko,
        "2024-06-04",
        "2024-06-04T09:01:00",
        PunchCode::ClockIn,
    )
    .await;
    // shinsuke: a 退勤 from a time recorder without any 出勤.
    let recorder = NewPunch {
        date: day("2024-06-03"),
        time: jst("2024-06-03T22:00:00"),
        code: Some("2".into()),
        division_code: None,
        source: PunchSource::TimeRecorder,
    };
    f.sim.add_punch(&f.shinsuke, recorder).unwrap();
    f.sim
        .set_day_closed(&f.shinsuke, day("2024-06-04"), true)
        .unwrap();
    f.sim
        .close_company_through(COMPANY, Some(day("2024-05-31")))
        .unwrap();

    // By company: every employee (goro, resigned, too), the caller keeps whom it needs.
    let summaries = f
        .client
        .daily_workings(&f.token, None, day("2024-05-31"), day("2024-06-04"))
        .await
        .unwrap();
    assert_eq!(summaries.len(), 3 * 5);
    let night = f
        .client
        .daily_workings(&f.token, Some("200"), day("2024-05-31"), day("2024-06-04"))
        .await
        .unwrap();
    assert_eq!(night.len(), 5, "one division: shinsuke only");
    assert!(night.iter().all(|s| s.employee_key == f.shinsuke));
    let of = |key: &str, date: &str| {
        summaries
            .iter()
            .find(|s| s.employee_key == key && s.date == day(date))
            .unwrap()
    };
    let complete = of(&f.ichiko, "2024-06-03");
    assert!(!complete.is_error && !complete.is_closing);
    assert_eq!(
        (complete.totals.total_work, complete.totals.break_time),
        (Some(8 * 60), Some(60))
    );
    assert_eq!(complete.workday_type_name.as_deref(), Some("平日"));
    assert!(of(&f.ichiko, "2024-06-04").is_error, "two 出勤");
    assert!(of(&f.shinsuke, "2024-06-03").is_error, "退勤 without 出勤");
    assert!(of(&f.shinsuke, "2024-06-04").is_closing);
    assert!(!of(&f.ichiko, "2024-06-04").is_closing);
    assert!(
        of(&f.ichiko, "2024-05-31").is_closing,
        "company closed through May"
    );
    let order: Vec<_> = summaries
        .iter()
        .map(|s| (s.date, s.employee_key.clone()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "by date, then key");
}

#[tokio::test]
async fn daily_workings_split_long_ranges_and_spend_the_general_budget() {
    let f = fixture_with(SimConfig {
        clock: kot_sim::Clock::Fixed(utc("2024-06-03T12:00:00")),
        general_limit: RateLimit {
            requests: 2,
            per: std::time::Duration::from_secs(300),
        },
        ..SimConfig::default()
    })
    .await;
    let summaries = f
        .client
        .daily_workings(&f.token, Some("100"), day("2024-04-01"), day("2024-06-09"))
        .await
        .unwrap();
    assert_eq!(summaries.len(), 2 * 70, "ichiko and goro, 70 days each");
    assert_eq!(count(&f.sim, "GET", "/v1.0/daily-workings", Some(200)), 2);
    let err = f
        .client
        .daily_workings(&f.token, None, day("2024-06-03"), day("2024-06-03"))
        .await
        .unwrap_err();
    assert!(matches!(err, KotError::RateLimited { .. }), "{err:?}");
    f.client
        .read_day(&f.token, &f.ichiko, day("2024-06-03"))
        .await
        .expect("the punch listing has its own budget");
    let backwards = f
        .client
        .daily_workings(&f.token, None, day("2024-06-03"), day("2024-06-02"))
        .await;
    assert!(
        matches!(backwards, Err(KotError::InvalidConfig { .. })),
        "{backwards:?}"
    );
}

#[tokio::test]
async fn a_punch_into_a_closed_day_is_stored_and_the_day_stays_closed() {
    let f = fixture().await;
    f.sim
        .set_day_closed(&f.ichiko, day("2024-06-03"), true)
        .unwrap();
    let request = punch("2024-06-03", "2024-06-03T09:00:00", PunchCode::ClockIn);
    // Closing does not stop API punches (kot-api.md, "Closed days").
    let answer = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &request)
        .await
        .unwrap();
    assert_eq!(answer.date, day("2024-06-03"));
    assert_eq!(f.sim.punches(COMPANY).len(), 1);
    let summaries = f
        .client
        .daily_workings(&f.token, Some("100"), day("2024-06-03"), day("2024-06-03"))
        .await
        .unwrap();
    let closed = summaries
        .iter()
        .find(|s| s.employee_key == f.ichiko)
        .unwrap();
    assert!(closed.is_closing && !closed.is_error, "{closed:?}");
}
