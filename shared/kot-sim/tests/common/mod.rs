//! A simulator at 2024-06-03 12:00 JST with one company, token, division and employee, and a
//! raw HTTP helper that sends exactly what a test says.
#![allow(dead_code)]

use chrono::NaiveTime;
use kot_sim::{Clock, NewEmployee, SimConfig, SimHandle, Simulator, TokenOptions};
use serde_json::Value;

pub const COMPANY: &str = "acme";
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const JSON: &str = "application/json; charset=utf-8";

pub struct Sim {
    pub handle: SimHandle,
    pub sim: Simulator,
    pub key: String,
}

/// An instant given in JST, as a `DateTime<Utc>`.
pub use kintai_testkit::jst as utc;

pub async fn start() -> Sim {
    let sim = Simulator::new(SimConfig {
        clock: Clock::Fixed(utc("2024-06-03T12:00:00")),
        ..SimConfig::default()
    });
    sim.create_company(COMPANY).unwrap();
    sim.add_token(COMPANY, TOKEN, TokenOptions::default())
        .unwrap();
    sim.add_division(COMPANY, "100", "本社", NaiveTime::MIN)
        .unwrap();
    let employee = NewEmployee {
        code: "U000123".into(),
        last_name: "市ヶ谷".into(),
        first_name: "市子".into(),
        division_code: "100".into(),
        resigned_on: None,
    };
    let key = sim.add_employee(COMPANY, employee).unwrap();
    let handle = sim.spawn_local().await.unwrap();
    Sim { handle, sim, key }
}

/// One request as given: `headers` replace the defaults (bearer token, JSON content type)
/// when they name the same header; `None` as a value removes it.
pub async fn send(
    sim: &Sim,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, Option<&str>)],
    body: Option<&[u8]>,
) -> (u16, Value) {
    let url = format!("http://{}{path_and_query}", sim.handle.addr);
    let mut request = reqwest::Client::new().request(method.parse().unwrap(), url);
    let bearer = format!("Bearer {TOKEN}");
    let defaults = [
        ("authorization", Some(bearer.as_str())),
        ("content-type", Some(JSON)),
    ];
    for (name, value) in defaults {
        let value = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(value, |(_, v)| *v);
        if let Some(value) = value {
            request = request.header(name, value);
        }
    }
    for (name, value) in headers {
        if !defaults.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
            && let Some(value) = value
        {
            request = request.header(*name, *value);
        }
    }
    if let Some(body) = body {
        request = request.body(body.to_vec());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The `{"errors":[{"message","code"}]}` shape with this code; returns the first message.
pub fn assert_error(answer: &(u16, Value), status: u16, code: i64) -> String {
    assert_eq!(answer.0, status, "{answer:?}");
    let errors = answer.1["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors array: {answer:?}"));
    assert!(!errors.is_empty());
    for error in errors {
        assert_eq!(error["code"], code, "{answer:?}");
        assert!(error["message"].is_string(), "{answer:?}");
    }
    errors[0]["message"].as_str().unwrap_or_default().to_owned()
}

/// One admin call: `base` is the simulator's `admin_url`, `path` what follows `/_admin`.
pub async fn admin(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request =
        reqwest::Client::new().request(method.parse().unwrap(), format!("{base}{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
