//! The simulator refuses a request without a valid bearer token (403, code 100: missing, another
//! scheme, unknown, suspended, from outside the permitted IPs) and one without the JSON UTF-8
//! content type (400), as kot-api.md describes, one test per rule.

mod common;

use common::*;
use kot_sim::TokenOptions;
use kot_sim::{CODE_AUTHENTICATION_FAILED as AUTH, CODE_INVALID_REQUEST as INVALID};

#[tokio::test]
async fn missing_authorization_is_403_100() {
    let sim = start().await;
    assert_error(
        &send(
            &sim,
            "GET",
            "/v1.0/divisions",
            &[("authorization", None)],
            None,
        )
        .await,
        403,
        AUTH,
    );
}

#[tokio::test]
async fn non_bearer_scheme_is_403_100() {
    let sim = start().await;
    let basic = format!("Basic {TOKEN}");
    assert_error(
        &send(
            &sim,
            "GET",
            "/v1.0/divisions",
            &[("authorization", Some(&basic))],
            None,
        )
        .await,
        403,
        AUTH,
    );
}

#[tokio::test]
async fn unknown_token_is_403_100() {
    let sim = start().await;
    let answer = send(
        &sim,
        "GET",
        "/v1.0/divisions",
        &[("authorization", Some("Bearer nope"))],
        None,
    )
    .await;
    assert_error(&answer, 403, AUTH);
}

#[tokio::test]
async fn suspended_token_is_403_100() {
    let sim = start().await;
    sim.sim.suspend_token(TOKEN).unwrap();
    assert_error(
        &send(&sim, "GET", "/v1.0/divisions", &[], None).await,
        403,
        AUTH,
    );
}

#[tokio::test]
async fn peer_outside_permitted_ips_is_403_100() {
    let sim = start().await;
    let options = TokenOptions {
        permitted_ips: Some(vec!["203.0.113.7".parse().unwrap()]),
    };
    sim.sim.add_token(COMPANY, "fenced", options).unwrap();
    let answer = send(
        &sim,
        "GET",
        "/v1.0/divisions",
        &[("authorization", Some("Bearer fenced"))],
        None,
    )
    .await;
    assert_error(&answer, 403, AUTH);
}

#[tokio::test]
async fn missing_content_type_is_400() {
    let sim = start().await;
    assert_error(
        &send(
            &sim,
            "GET",
            "/v1.0/divisions",
            &[("content-type", None)],
            None,
        )
        .await,
        400,
        INVALID,
    );
}

#[tokio::test]
async fn non_json_content_type_is_400() {
    let sim = start().await;
    let answer = send(
        &sim,
        "GET",
        "/v1.0/divisions",
        &[("content-type", Some("text/plain; charset=utf-8"))],
        None,
    )
    .await;
    assert_error(&answer, 400, INVALID);
}

#[tokio::test]
async fn json_without_utf8_charset_is_400() {
    let sim = start().await;
    let answer = send(
        &sim,
        "GET",
        "/v1.0/divisions",
        &[("content-type", Some("application/json"))],
        None,
    )
    .await;
    assert_error(&answer, 400, INVALID);
}
