//! Client ↔ simulator: what KING OF TIME holds beyond our punches is read and kept — 外出 ("7"),
//! 外出戻り ("8") and records without a code, entered by an administrator — and never taken for
//! one of ours; employees' employment dates parse when asked for. Plus the defensive shapes of
//! kot-api.md (a `timeRecord` that arrives as an object, a code that is null or missing).

mod common;

use common::*;
use kot_client::{AttendanceVendor, DailyWorking, EmployeeQuery, PunchCode, TimeRecordRequest};
use kot_sim::{NewPunch, PunchSource};

fn admin_record(date: &str, time: &str, code: Option<&str>) -> NewPunch {
    NewPunch {
        date: day(date),
        time: jst(time),
        code: code.map(str::to_owned),
        division_code: None,
        source: PunchSource::AdminEdit,
    }
}

#[tokio::test]
async fn outings_and_code_less_records_are_read_and_never_ours() {
    let f = fixture().await;
    let ours = TimeRecordRequest {
        date: day("2024-06-03"),
        time: jst("2024-06-03T09:00:00"),
        code: PunchCode::ClockIn,
        division_code: None,
        latitude: None,
        longitude: None,
    };
    f.client
        .post_timerecord(&f.token, &f.ichiko, &ours)
        .await
        .unwrap();
    for (time, code) in [
        ("2024-06-03T10:30:00", Some("7")),
        ("2024-06-03T11:00:00", Some("8")),
        // Same second as our punch, no code: it must not pass for our 出勤.
        ("2024-06-03T09:00:00", None),
    ] {
        f.sim
            .add_punch(&f.ichiko, admin_record("2024-06-03", time, code))
            .unwrap();
    }
    let records = f
        .client
        .read_day(&f.token, &f.ichiko, day("2024-06-03"))
        .await
        .unwrap();
    let mut codes: Vec<&str> = records.iter().map(|r| r.code.as_str()).collect();
    codes.sort_unstable();
    assert_eq!(codes, ["", "1", "7", "8"], "every record kept");
    let matching: Vec<_> = records
        .iter()
        .filter(|r| r.is_same_punch(&ours.time, PunchCode::ClockIn))
        .collect();
    assert_eq!(matching.len(), 1, "only our 出勤 is ours: {records:?}");
    let code_less = records.iter().find(|r| r.code.is_empty()).unwrap();
    assert_eq!((code_less.punch_code(), &code_less.name), (None, &None));
    assert_eq!(
        records
            .iter()
            .filter_map(|r| r.punch_code())
            .collect::<Vec<_>>()
            .len(),
        3
    );

    let days = f
        .client
        .read_days(
            &f.token,
            std::slice::from_ref(&f.ichiko),
            day("2024-06-03"),
            day("2024-06-03"),
        )
        .await
        .unwrap();
    assert_eq!(days[&(f.ichiko.clone(), day("2024-06-03"))].len(), 4);
    let summaries = f
        .client
        .daily_workings(&f.token, Some("100"), day("2024-06-03"), day("2024-06-03"))
        .await
        .unwrap();
    assert!(summaries.iter().all(|s| !s.is_error), "{summaries:?}");
}

#[tokio::test]
async fn employment_dates_parse_when_asked_for() {
    let f = fixture().await;
    f.sim
        .set_hired_date(&f.ichiko, Some(day("2020-04-01")))
        .unwrap();
    let query = EmployeeQuery {
        include_resigned: true,
        additional_fields: vec!["hiredDate".into()],
        ..EmployeeQuery::default()
    };
    let employees = f.client.list_employees(&f.token, &query).await.unwrap();
    let ichiko = employees.iter().find(|e| e.key == f.ichiko).unwrap();
    let goro = employees.iter().find(|e| e.key == f.goro).unwrap();
    assert_eq!(ichiko.hired_date, Some(day("2020-04-01")));
    assert_eq!(ichiko.resignation_date, None);
    assert_eq!(goro.resignation_date, Some(day("2024-05-31")));
    assert_eq!(goro.hired_date, None);
    // The vendor's employee list (the matcher's) asks for both: a punch outside them is held.
    let listed = AttendanceVendor::list_employees(&f.client, &f.token, true)
        .await
        .unwrap();
    let ichiko = listed.iter().find(|e| e.key == f.ichiko).unwrap();
    assert_eq!(ichiko.hired_date, Some(day("2020-04-01")));
    let plain = f
        .client
        .list_employees(&f.token, &EmployeeQuery::default())
        .await
        .unwrap();
    assert!(
        plain.iter().all(|e| e.hired_date.is_none()),
        "not asked for"
    );
}

#[test]
fn a_time_record_object_and_a_missing_or_null_code_are_read() {
    let object = r#"{"date":"2024-06-03","employeeKey":"k","timeRecord":
        {"time":"2024-06-03T09:00:00+09:00","code":"1","name":"出勤"}}"#;
    let working: DailyWorking = serde_json::from_str(object).unwrap();
    assert_eq!(working.time_record.len(), 1);
    assert_eq!(
        working.time_record[0].punch_code(),
        Some(PunchCode::ClockIn)
    );
    let odd = r#"{"date":"2024-06-03","employeeKey":"k","timeRecord":[
        {"time":"2024-06-03T09:00:00+09:00"},
        {"time":"2024-06-03T10:00:00+09:00","code":null},
        {"time":"2024-06-03T11:00:00+09:00","code":"7","name":"外出"}]}"#;
    let working: DailyWorking = serde_json::from_str(odd).unwrap();
    let codes: Vec<&str> = working
        .time_record
        .iter()
        .map(|r| r.code.as_str())
        .collect();
    assert_eq!(codes, ["", "", "7"]);
    let none: DailyWorking =
        serde_json::from_str(r#"{"date":"2024-06-03","employeeKey":"k","timeRecord":null}"#)
            .unwrap();
    assert!(none.time_record.is_empty());
}
