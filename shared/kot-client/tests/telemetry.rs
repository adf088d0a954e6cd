//! Client ↔ simulator: the `kot.request` span names the endpoint by its template and never
//! records the token or an employee key.

mod common;

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use common::*;
use kot_client::{KotError, PunchCode, TimeRecordRequest, Token};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span's name and the fields recorded on it, in order.
#[derive(Debug, Clone, Default)]
struct CapturedSpan {
    name: &'static str,
    fields: Vec<(String, String)>,
}

impl CapturedSpan {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every span's fields and every event's, as text. Spans are kept in the order they were
/// opened; `live` maps a span id to its place while the span is open, because the registry
/// reuses the id of a closed span (the simulator's own spans would otherwise overwrite ours).
#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<Vec<CapturedSpan>>>,
    live: Arc<Mutex<HashMap<u64, usize>>>,
    events: Arc<Mutex<Vec<(String, String)>>>,
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut span = CapturedSpan {
            name: attrs.metadata().name(),
            fields: Vec::new(),
        };
        attrs.record(&mut Fields(&mut span.fields));
        let mut spans = self.spans.lock().unwrap();
        self.live.lock().unwrap().insert(id.into_u64(), spans.len());
        spans.push(span);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let Some(index) = self.live.lock().unwrap().get(&id.into_u64()).copied() else {
            return;
        };
        if let Some(span) = self.spans.lock().unwrap().get_mut(index) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        event.record(&mut Fields(&mut self.events.lock().unwrap()));
    }
}

impl Capture {
    fn kot_requests(&self) -> Vec<CapturedSpan> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|span| span.name == "kot.request")
            .cloned()
            .collect()
    }

    /// Every value recorded anywhere: span fields and event fields.
    fn all_values(&self) -> Vec<String> {
        let spans = self.spans.lock().unwrap();
        let events = self.events.lock().unwrap();
        spans
            .iter()
            .flat_map(|span| span.fields.iter())
            .chain(events.iter())
            .map(|(_, value)| value.clone())
            .collect()
    }
}

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

    let spans = capture.kot_requests();
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let (available, rejected, posted) = (&spans[0], &spans[1], &spans[2]);

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
