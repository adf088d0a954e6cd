//! The example bodies of kot-api.md parse with the client's types, and the simulator's answers
//! have the documented field names and JSON types.

mod common;

use common::*;
use kot_client::{
    DailyTimeRecords, Division, Employee, KotError, PunchCode, TimeRecordRequest,
    TimeRecordResponse, TokenAvailability,
};
use serde_json::{Value, json};

#[test]
fn documented_bodies_parse() {
    let employee: Employee = serde_json::from_value(json!({
        "key": "8b6ee646a9620b286499c3df6918c4888a97dd7bbc6a26a18743f4697a1de4b3",
        "code": "0001", "lastName": "市ヶ谷", "firstName": "いちこ",
        "divisionCode": "1000", "divisionName": "本社", "gender": "female",
        "typeCode": "1", "typeName": "正社員",
        "employeeGroups": [{"code": "0001", "name": "営業"}],
        "resignationDate": "2024-03-31", "someFutureField": {"x": 1}
    }))
    .unwrap();
    assert_eq!(employee.code, "0001");
    assert_eq!(employee.employee_groups[0].name, "営業");
    assert_eq!(employee.resignation_date, Some(day("2024-03-31")));

    let divisions: Vec<Division> = serde_json::from_str(
        r#"[{"code":"1000","name":"本社","dayBorderTime":"05:00"},{"code":"2","name":"x"}]"#,
    )
    .unwrap();
    assert_eq!(divisions[0].day_border_time.to_string(), "05:00:00");
    assert_eq!(
        divisions[1].day_border_time.to_string(),
        "00:00:00",
        "default 00:00"
    );

    let created: TimeRecordResponse = serde_json::from_value(json!({
        "date": "2016-05-10", "employeeKey": "8b6ee646a9620b286499c3df6918c4888a97dd7bbc6a26a18743f4697a1de4b3",
        "timeRecord": {"time": "2016-05-10T10:00:00+09:00", "code": "1", "name": "出勤",
                       "divisionCode": "1000", "divisionName": "本社", "latitude": 35.6, "longitude": 139.7}
    }))
    .unwrap();
    assert_eq!(created.time_record.punch_code(), Some(PunchCode::ClockIn));
    assert!(
        created
            .time_record
            .is_same_punch(&jst("2016-05-10T10:00:00"), PunchCode::ClockIn)
    );

    let listed: Vec<DailyTimeRecords> = serde_json::from_value(json!([{
        "date": "2016-05-10",
        "dailyWorkings": [{
            "date": "2016-05-10", "employeeKey": "k1", "currentDateEmployee": {"code": "0001"},
            "timeRecord": [
                {"time": "2016-05-10T19:00:00+09:00", "code": "2", "name": "退勤", "divisionCode": "1000",
                 "divisionName": "本社", "credentialCode": 300, "credentialName": "タイムカード"},
                {"time": "2016-05-10T10:00:00+09:00", "code": 1, "name": "出勤"}
            ]
        }]
    }]))
    .unwrap();
    let records = &listed[0].daily_workings[0].time_record;
    assert_eq!(records[0].credential_code, Some(300));
    assert_eq!(
        records[1].punch_code(),
        Some(PunchCode::ClockIn),
        "a numeric code is tolerated on read"
    );

    let available: TokenAvailability = serde_json::from_str(r#"{"available": true}"#).unwrap();
    assert!(available.available);
}

#[test]
fn punch_request_serializes_as_documented() {
    let request = TimeRecordRequest {
        date: day("2016-05-10"),
        time: jst("2016-05-10T10:00:00").to_utc().fixed_offset(),
        code: PunchCode::BreakEnd,
        division_code: Some("1000".into()),
        latitude: Some(35.0),
        longitude: None,
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"date": "2016-05-10", "time": "2016-05-10T10:00:00+09:00", "code": "4", "divisionCode": "1000", "latitude": 35.0})
    );
    for code in PunchCode::ALL {
        assert!(serde_json::to_value(code).unwrap().is_string());
    }
}

/// Field name → JSON type of every property in `value`, checked against `expected`.
fn assert_shape(value: &Value, expected: &[(&str, &str)]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    for (field, kind) in expected {
        let found = object
            .get(*field)
            .unwrap_or_else(|| panic!("{field} missing in {value}"));
        let actual = match found {
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Bool(_) => "bool",
            Value::Null => "null",
        };
        assert_eq!(actual, *kind, "{field} in {value}");
    }
    assert!(
        !object.values().any(Value::is_null),
        "null properties are omitted: {value}"
    );
}

async fn raw(
    f: &Fixture,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", f.handle.base_url))
        .bearer_auth(SECRET)
        .header("content-type", "application/json; charset=utf-8");
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn simulator_answers_have_documented_names_and_types() {
    let f = fixture().await;
    let (_, employees) = raw(
        &f,
        reqwest::Method::GET,
        "/employees?includeResigner=true&additionalFields=resignationDate",
        None,
    )
    .await;
    let employee_shape = [
        ("key", "string"),
        ("code", "string"),
        ("lastName", "string"),
        ("firstName", "string"),
        ("divisionCode", "string"),
        ("divisionName", "string"),
        ("typeCode", "string"),
        ("typeName", "string"),
        ("employeeGroups", "array"),
    ];
    for employee in employees.as_array().unwrap() {
        assert_shape(employee, &employee_shape);
    }
    assert_shape(&employees[2], &[("resignationDate", "string")]);

    let (_, divisions) = raw(&f, reqwest::Method::GET, "/divisions", None).await;
    assert_shape(
        &divisions[1],
        &[
            ("code", "string"),
            ("name", "string"),
            ("dayBorderTime", "string"),
        ],
    );
    assert_eq!(divisions[1]["dayBorderTime"], "05:00");

    let body = json!({"date": "2024-06-03", "time": "2024-06-03T09:00:00+09:00", "code": "1", "latitude": 35.5, "longitude": 139.5});
    let (status, created) = raw(
        &f,
        reqwest::Method::POST,
        &format!("/daily-workings/timerecord/{}", f.ichiko),
        Some(body),
    )
    .await;
    assert_eq!(status, 201);
    assert_shape(
        &created,
        &[
            ("date", "string"),
            ("employeeKey", "string"),
            ("timeRecord", "object"),
        ],
    );
    let record_shape = [
        ("time", "string"),
        ("code", "string"),
        ("name", "string"),
        ("divisionCode", "string"),
        ("divisionName", "string"),
        ("latitude", "number"),
        ("longitude", "number"),
    ];
    assert_shape(&created["timeRecord"], &record_shape);
    assert_eq!(created["timeRecord"]["time"], "2024-06-03T09:00:00+09:00");

    let path = format!(
        "/daily-workings/timerecord?employeeKeys={}&start=2024-06-03&end=2024-06-03",
        f.ichiko
    );
    let (_, listed) = raw(&f, reqwest::Method::GET, &path, None).await;
    assert_shape(
        &listed[0],
        &[("date", "string"), ("dailyWorkings", "array")],
    );
    let working = &listed[0]["dailyWorkings"][0];
    assert_shape(
        working,
        &[
            ("date", "string"),
            ("employeeKey", "string"),
            ("currentDateEmployee", "object"),
            ("timeRecord", "array"),
        ],
    );
    assert_shape(
        &working["timeRecord"][0],
        &[("credentialCode", "number"), ("credentialName", "string")],
    );
    assert_shape(&working["timeRecord"][0], &record_shape);
    let (_, one_day) = raw(
        &f,
        reqwest::Method::GET,
        "/daily-workings/timerecord/2024-06-03",
        None,
    )
    .await;
    assert_shape(&one_day, &[("date", "string"), ("dailyWorkings", "array")]);

    // By division: `/daily-workings` documents no employeeKeys (ichiko is first in 100).
    let path = "/daily-workings?division=100&ondivision=true&start=2024-06-03&end=2024-06-03&additionalFields=currentDateEmployee";
    let (_, evaluated) = raw(&f, reqwest::Method::GET, path, None).await;
    assert_eq!(
        evaluated[0]["dailyWorkings"][0]["employeeKey"],
        f.ichiko.as_str()
    );
    assert_shape(
        &evaluated[0],
        &[("date", "string"), ("dailyWorkings", "array")],
    );
    let mut summary_shape = vec![
        ("date", "string"),
        ("employeeKey", "string"),
        ("workPlaceDivisionCode", "string"),
        ("workPlaceDivisionName", "string"),
        ("isClosing", "bool"),
        ("isHelp", "bool"),
        ("isError", "bool"),
        ("workdayTypeName", "string"),
        ("currentDateEmployee", "object"),
    ];
    for total in [
        "assigned",
        "unassigned",
        "overtime",
        "lateNight",
        "lateNightUnassigned",
        "lateNightOvertime",
        "breakTime",
        "late",
        "earlyLeave",
        "totalWork",
        "discretionaryVacation",
    ] {
        summary_shape.push((total, "number"));
    }
    assert_shape(&evaluated[0]["dailyWorkings"][0], &summary_shape);

    let (_, available) = raw(
        &f,
        reqwest::Method::GET,
        &format!("/tokens/{SECRET}/available"),
        None,
    )
    .await;
    assert_shape(&available, &[("available", "bool")]);
    let (status, fresh) = raw(
        &f,
        reqwest::Method::POST,
        &format!("/tokens/{SECRET}"),
        None,
    )
    .await;
    assert_eq!(status, 201);
    assert_shape(&fresh, &[("token", "string")]);
}

#[tokio::test]
async fn simulator_error_shapes() {
    let f = fixture().await;
    f.sim
        .set_clock(kot_sim::Clock::Fixed(utc("2024-06-03T09:00:00")));
    let (status, restricted) = raw(&f, reqwest::Method::GET, "/divisions", None).await;
    assert_eq!(status, 403);
    assert_eq!(
        restricted,
        json!({"errors": [{"message": "次の時間帯(JST)はAPIへのアクセスが禁止されています [08:30 ~ 10:00, 17:30 ~ 18:30]", "code": 104}]})
    );
    f.sim.fail_next(1, kot_sim::FailureKind::RateLimited);
    let (_, flat) = raw(&f, reqwest::Method::GET, "/divisions", None).await;
    assert_eq!(flat, json!({"code": "303", "message": "Too Many Requests"}));
    let err = f
        .client
        .get_employee(&kot_client::Token::new("bad"), "x")
        .await
        .unwrap_err();
    assert!(matches!(err, KotError::AuthenticationFailed { .. }));
}
