//! Client ↔ simulator: the `kot.request` span names the endpoint by its template and never
//! records the token or an employee key.

mod common;

use common::*;
use kintai_testkit::spans::Capture;
use kot_client::{KotError, PunchCode, TimeRecordRequest, Token};
use tracing_subscriber::layer::SubscriberExt;

#[tokio::test]
async fn kot_request_spans_name_templates_and_never_secrets() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    let f = fixture().await;

    assert!(f.client.token_available(&f.token).await.unwrap());
    let unknown = Token::new("fedcba9876543210fedcba9876543210");
    let refused = f.client.token_available(&unknown).await;
    assert!(
        matches!(refused, Err(KotError::AuthenticationFailed { .. })),
        "{refused:?}"
    );
    let punch = TimeRecordRequest {
        date: day("2024-06-03"),
        time: jst("2024-06-03T11:00:00"),
        code: PunchCode::ClockIn,
        division_code: None,
        latitude: None,
        longitude: None,
    };
    f.client
        .post_timerecord(&f.token, &f.ichiko, &punch)
        .await
        .unwrap();

    let spans = capture.named("kot.request");
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let (available, rejected, posted) = (&spans[0].1, &spans[1].1, &spans[2].1);

    assert_eq!(
        available.field("url.template"),
        Some("/tokens/{token}/available")
    );
    assert_eq!(
        available.field("otel.name"),
        Some("GET /tokens/{token}/available")
    );
    assert_eq!(available.field("otel.kind"), Some("client"));
    assert_eq!(available.field("http.request.method"), Some("GET"));
    assert_eq!(available.field("kot.budget"), Some("general"));
    assert_eq!(available.field("http.response.status_code"), Some("200"));
    assert_eq!(available.field("kot.outcome"), Some("ok"));
    assert_eq!(available.field("kot.rate_limit_wait_ms"), Some("0"));
    assert_eq!(available.field("otel.status_code"), None);
    assert_eq!(available.field("kot.error_code"), None);

    assert_eq!(
        rejected.field("url.template"),
        Some("/tokens/{token}/available")
    );
    assert_eq!(rejected.field("http.response.status_code"), Some("403"));
    assert_eq!(rejected.field("kot.error_code"), Some("100"));
    assert_eq!(rejected.field("kot.outcome"), Some("token_rejected"));
    assert_eq!(rejected.field("otel.status_code"), Some("ERROR"));

    assert_eq!(
        posted.field("otel.name"),
        Some("POST /daily-workings/timerecord/{employeeKey}")
    );
    assert_eq!(posted.field("kot.budget"), Some("punch"));
    assert_eq!(posted.field("kot.outcome"), Some("ok"));

    for secret in [SECRET, unknown.expose(), f.ichiko.as_str()] {
        for value in capture.all_values() {
            assert!(!value.contains(secret), "{value:?} holds a secret");
        }
    }
}
