//! The faults of a real network and load balancer, driven over the admin API: what the client
//! receives, and whether the punch was stored.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const PUNCH: &str = r#"{"date":"2024-06-03","time":"2024-06-03T12:00:00+09:00","code":"1"}"#;

/// A raw punch POST: the status, content type and body text, or the transport error.
async fn post_punch_raw(
    sim: &Sim,
    timeout: Duration,
) -> Result<(u16, String, String), reqwest::Error> {
    let url = format!(
        "{}/daily-workings/timerecord/{}",
        sim.handle.base_url, sim.key
    );
    let response = reqwest::Client::builder()
        .timeout(timeout)
        .build()?
        .post(url)
        .bearer_auth(TOKEN)
        .header("content-type", JSON)
        .body(PUNCH)
        .send()
        .await?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((status, content_type, response.text().await?))
}

async fn inject(sim: &Sim, kind: &str, count: u32) {
    let base = sim.handle.admin_url.as_str();
    let fault = json!({"kind": kind, "count": count});
    assert_eq!(
        admin(base, "POST", "/faults", Some(fault)).await.0,
        204,
        "{kind}"
    );
}

const PATIENT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn gateway_pages_answer_before_anything_is_stored() {
    let sim = start().await;
    for (kind, status, html) in [
        ("gateway502Html", 502, true),
        ("status502Html", 502, true),
        ("gateway503Html", 503, true),
        ("gateway504Html", 504, true),
        ("gateway503Empty", 503, false),
        ("status503", 503, false),
    ] {
        inject(&sim, kind, 1).await;
        let (got, content_type, body) = post_punch_raw(&sim, PATIENT).await.unwrap();
        assert_eq!(got, status, "{kind}");
        if html {
            assert_eq!(content_type, "text/html", "{kind}");
            assert!(body.contains(&format!("<h1>{status} ")), "{kind}: {body}");
        } else {
            assert!(body.is_empty(), "{kind}: {body}");
        }
    }
    assert!(sim.sim.punches(COMPANY).is_empty());
    let log = sim.sim.request_log();
    assert_eq!(
        log.iter().map(|e| e.status).collect::<Vec<_>>(),
        [502, 502, 503, 504, 503, 503].map(Some)
    );
    assert!(log.iter().all(|e| e.fault.is_some() && e.code.is_none()));
}

#[tokio::test]
async fn after_store_faults_store_the_punch_then_spoil_the_answer() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    inject(&sim, "gateway504AfterStore", 1).await;
    let (status, content_type, _) = post_punch_raw(&sim, PATIENT).await.unwrap();
    assert_eq!((status, content_type.as_str()), (504, "text/html"));
    assert_eq!(sim.sim.punches(COMPANY).len(), 1);

    inject(&sim, "resetAfterStore", 1).await;
    let error = post_punch_raw(&sim, PATIENT).await.unwrap_err();
    assert!(!error.is_connect() && !error.is_status(), "{error:?}");
    assert_eq!(sim.sim.punches(COMPANY).len(), 2);

    let slow = json!({"millis": 2000});
    assert_eq!(
        admin(&base, "PUT", "/faults/slow-after-store", Some(slow))
            .await
            .0,
        204
    );
    inject(&sim, "slowAfterStore", 1).await;
    let error = post_punch_raw(&sim, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(sim.sim.punches(COMPANY).len(), 3);

    // On a read, an after-store kind strikes once the read was answered.
    inject(&sim, "gateway504AfterStore", 1).await;
    assert_eq!(send(&sim, "GET", "/v1.0/divisions", &[], None).await.0, 504);

    let (_, log) = admin(&base, "GET", "/requests", None).await;
    let logged: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["status"].clone(), e["fault"].clone()))
        .collect();
    assert_eq!(
        logged,
        [
            (json!(504), json!("gateway504AfterStore")),
            (Value::Null, json!("resetAfterStore")),
            (json!(201), json!("slowAfterStore")),
            (json!(504), json!("gateway504AfterStore")),
        ]
    );
}

#[tokio::test]
async fn an_outage_fails_every_api_call_until_cleared() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    let outage = json!({"seconds": 600});
    assert_eq!(
        admin(&base, "POST", "/faults/outage", Some(outage)).await.0,
        204
    );
    let (status, content_type, _) = post_punch_raw(&sim, PATIENT).await.unwrap();
    assert_eq!((status, content_type.as_str()), (503, "text/html"));
    for path in [
        "/v1.0/divisions".to_owned(),
        format!("/v1.0/tokens/{TOKEN}/available"),
    ] {
        assert_eq!(send(&sim, "GET", &path, &[], None).await.0, 503, "{path}");
    }
    assert_eq!(
        send(&sim, "POST", &format!("/v1.0/tokens/{TOKEN}"), &[], None)
            .await
            .0,
        503
    );
    assert!(sim.sim.punches(COMPANY).is_empty());
    assert!(sim.sim.token_is_active(TOKEN), "the refresh did not happen");
    // The simulator's clock is frozen; the outage runs on the wall clock regardless. Admin
    // calls are never hit.
    assert_eq!(admin(&base, "GET", "/clock", None).await.0, 200);

    let gateway = json!({"seconds": 600, "kind": "gateway504Html"});
    assert_eq!(
        admin(&base, "POST", "/faults/outage", Some(gateway))
            .await
            .0,
        204
    );
    assert_eq!(send(&sim, "GET", "/v1.0/divisions", &[], None).await.0, 504);
    for bad in [
        json!({"seconds": 5, "kind": "resetAfterStore"}),
        json!({"seconds": -1}),
        json!({"seconds": 5, "kind": "meteor"}),
        json!({"minutes": 5}),
    ] {
        assert_eq!(
            admin(&base, "POST", "/faults/outage", Some(bad.clone()))
                .await
                .0,
            400,
            "{bad}"
        );
    }
    assert_eq!(admin(&base, "DELETE", "/faults", None).await.0, 204);
    assert_eq!(send(&sim, "GET", "/v1.0/divisions", &[], None).await.0, 200);
}

#[tokio::test]
async fn the_documented_profile_shape_is_accepted_and_checked() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    let documented = json!({"seed": 42,
        "punchPost": {"status500Code300": 0.05, "gateway502BeforeStore": 0.02, "gateway503BeforeStore": 0.0,
                      "gateway504BeforeStore": 0.0, "gateway504AfterStore": 0.02, "resetAfterStore": 0.02,
                      "slowAfterStore": 0.01},
        "reads": {"status500Code300": 0.05, "gateway502": 0.02, "gateway503": 0.0, "gateway504": 0.0},
        "slowAfterStoreMs": 3000});
    assert_eq!(
        admin(&base, "PUT", "/faults/profile", Some(documented))
            .await
            .0,
        204
    );
    for (bad, why) in [
        (
            json!({"seed": 1, "punchPost": {"gateway502": 0.1}}),
            "reads' name under punchPost",
        ),
        (
            json!({"seed": 1, "reads": {"resetAfterStore": 0.1}}),
            "reads have no after-store kinds",
        ),
        (json!({"seed": 1, "reads": {"gateway502": 1.5}}), "above 1"),
        (
            json!({"seed": 1, "punchPost": {"status500Code300": 0.6, "resetAfterStore": 0.6}}),
            "sum above 1",
        ),
        (json!({"punchPost": {}}), "no seed"),
        (json!({"seed": 1, "extra": true}), "unknown field"),
    ] {
        assert_eq!(
            admin(&base, "PUT", "/faults/profile", Some(bad)).await.0,
            400,
            "{why}"
        );
    }

    let certain = json!({"seed": 7, "punchPost": {"gateway504AfterStore": 1.0}, "reads": {"gateway502": 1.0}});
    assert_eq!(
        admin(&base, "PUT", "/faults/profile", Some(certain))
            .await
            .0,
        204
    );
    let (status, _, _) = post_punch_raw(&sim, PATIENT).await.unwrap();
    assert_eq!(status, 504);
    assert_eq!(sim.sim.punches(COMPANY).len(), 1, "after store");
    assert_eq!(send(&sim, "GET", "/v1.0/divisions", &[], None).await.0, 502);
    assert_eq!(
        send(&sim, "POST", &format!("/v1.0/tokens/{TOKEN}"), &[], None)
            .await
            .0,
        201,
        "token calls are not hit by the profile"
    );
    assert_eq!(admin(&base, "DELETE", "/faults/profile", None).await.0, 204);
    let (_, punches) = admin(&base, "GET", "/companies/acme/punches", None).await;
    assert_eq!(punches.as_array().map(Vec::len), Some(1));
    let (status, _) = admin(&base, "GET", "/faults/stats", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        sim.sim.fault_stats().values().sum::<u64>(),
        2,
        "504 and 502"
    );
}

#[tokio::test]
async fn stats_count_every_injected_fault_and_survive_clearing() {
    let sim = start().await;
    let base = sim.handle.admin_url.as_str().to_owned();
    inject(&sim, "status500Code300", 2).await;
    inject(&sim, "gateway504AfterStore", 1).await;
    for _ in 0..3 {
        post_punch_raw(&sim, PATIENT).await.unwrap();
    }
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
    assert!(post_punch_raw(&sim, PATIENT).await.is_err());
    let (status, stats) = admin(&base, "GET", "/faults/stats", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        stats,
        json!({"status500Code300": 2, "gateway502Html": 0, "gateway503Empty": 0,
               "gateway503Html": 0, "gateway504Html": 0, "rateLimited": 0,
               "gateway504AfterStore": 1, "resetAfterStore": 1, "slowAfterStore": 0})
    );
    assert_eq!(admin(&base, "DELETE", "/faults", None).await.0, 204);
    assert_eq!(
        admin(&base, "GET", "/faults/stats", None).await.1["status500Code300"],
        2
    );
    assert_eq!(admin(&base, "DELETE", "/faults/stats", None).await.0, 204);
    assert_eq!(
        admin(&base, "GET", "/faults/stats", None).await.1["status500Code300"],
        0
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults_over_http() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sim = start().await;
        let base = sim.handle.admin_url.as_str().to_owned();
        let profile = json!({"seed": 9, "reads": {"status500Code300": 0.2, "gateway503": 0.2}});
        assert_eq!(
            admin(&base, "PUT", "/faults/profile", Some(profile))
                .await
                .0,
            204
        );
        let mut statuses = Vec::new();
        for _ in 0..60 {
            statuses.push(send(&sim, "GET", "/v1.0/divisions", &[], None).await.0);
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&500) && runs[0].contains(&503) && runs[0].contains(&200));
}
