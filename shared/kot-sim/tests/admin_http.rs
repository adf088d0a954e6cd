//! The admin API over HTTP, as another process (the laptop demo, a benchmark) would use it.

mod common;

use common::*;
use kot_sim::{Simulator, spawn_local};
use serde_json::{Value, json};

async fn api(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("http://{addr}/v1.0{path}"))
        .bearer_auth(token)
        .header("content-type", JSON);
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn set_up_a_company_and_punch_entirely_over_http() {
    let handle = spawn_local().await.unwrap();
    let base = handle.admin_url.as_str().to_owned();
    assert_eq!(
        admin(
            &base,
            "PUT",
            "/clock",
            Some(json!({"mode": "fixed", "at": "2024-06-03T03:00:00Z"}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        admin(&base, "GET", "/clock", None).await.1["now"],
        "2024-06-03T03:00:00Z"
    );
    assert_eq!(
        admin(&base, "POST", "/companies", Some(json!({"code": "acme"})))
            .await
            .0,
        201
    );
    assert_eq!(
        admin(&base, "POST", "/companies", Some(json!({"code": "acme"})))
            .await
            .0,
        409
    );
    let (status, issued) = admin(&base, "POST", "/companies/acme/tokens", Some(json!({}))).await;
    assert_eq!(status, 201);
    let token = issued["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    let division = json!({"code": "100", "name": "本社", "dayBorderTime": "05:00"});
    assert_eq!(
        admin(&base, "POST", "/companies/acme/divisions", Some(division))
            .await
            .0,
        201
    );
    let employee = json!({"code": "U000123", "lastName": "市ヶ谷", "firstName": "市子", "divisionCode": "100"});
    let (status, created) = admin(&base, "POST", "/companies/acme/employees", Some(employee)).await;
    assert_eq!(status, 201);
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(
        key.len() == 64
            && key
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let bad_division =
        json!({"code": "U000124", "lastName": "a", "firstName": "b", "divisionCode": "999"});
    assert_eq!(
        admin(
            &base,
            "POST",
            "/companies/acme/employees",
            Some(bad_division)
        )
        .await
        .0,
        400
    );
    let short_code =
        json!({"code": "U1", "lastName": "a", "firstName": "b", "divisionCode": "100"});
    assert_eq!(
        admin(&base, "POST", "/companies/acme/employees", Some(short_code))
            .await
            .0,
        400
    );

    let punch = json!({"date": "2024-06-03", "time": "2024-06-03T12:00:00+09:00", "code": "1"});
    assert_eq!(
        api(
            handle.addr,
            "POST",
            &format!("/daily-workings/timerecord/{key}"),
            &token,
            Some(punch)
        )
        .await
        .0,
        201
    );
    let (_, punches) = admin(&base, "GET", "/companies/acme/punches", None).await;
    assert_eq!(punches[0]["employeeKey"], key.as_str());
    assert_eq!(punches[0]["time"], "2024-06-03T12:00:00+09:00");
    assert_eq!(punches[0]["code"], "1");
    assert_eq!(punches[0]["receivedAt"], "2024-06-03T03:00:00Z");

    assert_eq!(
        admin(
            &base,
            "PUT",
            &format!("/employees/{key}/code"),
            Some(json!({"code": "U000999"}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        api(handle.addr, "GET", "/employees/U000999", &token, None)
            .await
            .1["key"],
        key.as_str()
    );
    let resign = json!({"resignedOn": "2024-05-31"});
    assert_eq!(
        admin(
            &base,
            "PUT",
            &format!("/employees/{key}/resignation"),
            Some(resign)
        )
        .await
        .0,
        204
    );
    assert_eq!(
        api(handle.addr, "GET", "/employees", &token, None).await.1,
        json!([])
    );

    assert_eq!(
        admin(&base, "POST", &format!("/tokens/{token}/suspend"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        api(handle.addr, "GET", "/divisions", &token, None).await.0,
        403
    );
    assert_eq!(
        admin(&base, "POST", "/tokens/unknown/suspend", None)
            .await
            .0,
        404
    );

    let (_, log) = admin(&base, "GET", "/requests", None).await;
    let statuses: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 200, 200, 403]);
    assert_eq!(admin(&base, "DELETE", "/requests", None).await.0, 204);
    assert_eq!(admin(&base, "GET", "/requests", None).await.1, json!([]));
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn faults_limits_and_clock_over_http() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    let fault = json!({"kind": "status500Code300", "count": 1});
    assert_eq!(admin(&base, "POST", "/faults", Some(fault)).await.0, 204);
    let (status, body) = api(sim.handle.addr, "GET", "/divisions", TOKEN, None).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_i64()),
        (500, Some(300))
    );

    let limits = json!({"general": {"requests": 1, "perMillis": 60000}, "punch": {"requests": 5, "perMillis": 60000}});
    assert_eq!(
        admin(&base, "PUT", "/rate-limits", Some(limits)).await.0,
        204
    );
    assert_eq!(
        api(sim.handle.addr, "GET", "/divisions", TOKEN, None)
            .await
            .0,
        200
    );
    let (status, body) = api(sim.handle.addr, "GET", "/divisions", TOKEN, None).await;
    assert_eq!(
        (status, body),
        (429, json!({"code": "303", "message": "Too Many Requests"}))
    );

    // Moving the clock restarts the windows; inside the restricted hours reads are refused.
    let clock = json!({"mode": "startingAt", "at": "2024-06-03T00:30:00Z"});
    assert_eq!(admin(&base, "PUT", "/clock", Some(clock)).await.0, 204);
    assert_eq!(
        api(sim.handle.addr, "GET", "/divisions", TOKEN, None)
            .await
            .1["errors"][0]["code"],
        104
    );

    assert_eq!(
        admin(
            &base,
            "POST",
            "/faults/drop-after-punch",
            Some(json!({"count": 1}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        admin(&base, "PUT", "/latency", Some(json!({"millis": 1})))
            .await
            .0,
        204
    );
    assert_eq!(admin(&base, "DELETE", "/faults", None).await.0, 204);
    let punch = json!({"date": "2024-06-03", "time": "2024-06-03T09:31:00+09:00", "code": "1"});
    let path = format!("/daily-workings/timerecord/{}", sim.key);
    assert_eq!(
        api(sim.handle.addr, "POST", &path, TOKEN, Some(punch))
            .await
            .0,
        201,
        "cleared faults do not fire"
    );

    assert_eq!(
        admin(
            &base,
            "POST",
            "/faults",
            Some(json!({"kind": "explode", "count": 1}))
        )
        .await
        .0,
        400
    );
    assert_eq!(
        admin(
            &base,
            "PUT",
            "/clock",
            Some(json!({"mode": "offset", "seconds": i64::MAX}))
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn dropped_connection_sends_no_http_answer() {
    let sim = start().await;
    sim.sim.drop_connection_after_next_punch(1);
    let url = format!(
        "{}/daily-workings/timerecord/{}",
        sim.handle.base_url, sim.key
    );
    let result = reqwest::Client::new()
        .post(url)
        .bearer_auth(TOKEN)
        .header("content-type", JSON)
        .body(r#"{"date":"2024-06-03","time":"2024-06-03T12:00:00+09:00","code":"1"}"#)
        .send()
        .await;
    let error = result.expect_err("no HTTP answer at all");
    assert!(!error.is_connect() && !error.is_status(), "{error:?}");
    assert_eq!(sim.sim.punches(COMPANY).len(), 1);
    assert_eq!(sim.sim.request_log()[0].status, None);
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let handle = Simulator::default().spawn_local().await.unwrap();
    let addr = handle.addr;
    handle.shutdown().await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
