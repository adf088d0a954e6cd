//! One `match company` span per company, a child of the caller's span and the parent of the
//! company's KING OF TIME calls even though each company runs in a task of its own; and one
//! `kintai.run.duration` measurement per company. Names, codes and tokens are never recorded.
//!
//! A test binary of its own: the meter provider is process-global.

mod common;

use std::sync::{Arc, Mutex};

use common::env;
use kintai_matcher::Outcome;
use kintai_testkit::TestDb;
use kintai_testkit::spans::Capture;
use opentelemetry::metrics::{
    Histogram, HistogramBuilder, InstrumentProvider, Meter, MeterProvider, SyncInstrument,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

/// f64 histogram measurements: (instrument, attributes, value).
type Measurements = Arc<Mutex<Vec<(String, Vec<(String, String)>, f64)>>>;

#[derive(Clone, Default)]
struct Recorder {
    log: Measurements,
}

struct Recording {
    log: Measurements,
    name: String,
}

impl SyncInstrument<f64> for Recording {
    fn measure(&self, value: f64, attributes: &[KeyValue]) {
        let attributes = attributes
            .iter()
            .map(|kv| (kv.key.to_string(), kv.value.to_string()))
            .collect();
        let measurement = (self.name.clone(), attributes, value);
        self.log.lock().unwrap().push(measurement);
    }
}

impl InstrumentProvider for Recorder {
    fn f64_histogram(&self, builder: HistogramBuilder<'_, Histogram<f64>>) -> Histogram<f64> {
        Histogram::new(Arc::new(Recording {
            log: self.log.clone(),
            name: builder.name.to_string(),
        }))
    }
}

impl MeterProvider for Recorder {
    fn meter_with_scope(&self, _: InstrumentationScope) -> Meter {
        Meter::new(Arc::new(self.clone()))
    }
}

#[tokio::test]
async fn each_company_run_is_a_child_span_with_its_kot_calls() {
    let recorder = Recorder::default();
    opentelemetry::global::set_meter_provider(recorder.clone());
    let capture = Capture::default();
    let _default =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let test_db = TestDb::sqlite().await;
    let env = env(test_db.db.clone()).await;

    let token = env.company("c1");
    env.employee("c1", "U000123", "市ヶ谷", "いちこ");
    env.employee("c1", "U000124", "湊山", "信輔");
    env.users(
        "c1",
        &[
            ("u1", "U000123", "市ヶ谷 市子"),
            ("u2", "U00999", "戸田 八郎"),
        ],
    );
    env.company("c2");
    env.settings.update("c2", |c| c.token = None);

    // In-process, not RunMatch: the test follows tracing's own span tree, and a gRPC hop
    // carries the caller's context as W3C headers for OpenTelemetry, not as a tracing parent.
    let report = env
        .matcher
        .run_all()
        .instrument(tracing::info_span!("RunMatch"))
        .await
        .unwrap();
    let outcomes: Vec<_> = report.results.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [Outcome::Matched, Outcome::Skipped]);

    let spans = capture.spans();
    let named = |name: &str| capture.named(name);
    let [(root, _)] = named("RunMatch")[..] else {
        panic!("one RunMatch span: {spans:#?}");
    };
    let companies = named("match company");
    assert_eq!(companies.len(), 2, "{companies:#?}");
    assert!(companies.iter().all(|(_, span)| span.parent == Some(root)));
    let (c1, c1_span) = companies
        .iter()
        .find(|(_, span)| span.field("company_id") == Some("c1"))
        .expect("c1's span");
    assert_eq!(c1_span.field("otel.name"), Some("match company"));
    assert_eq!(c1_span.field("outcome"), Some("matched"));
    assert_eq!(c1_span.field("users"), Some("2"));
    assert_eq!(c1_span.field("linked"), Some("1"));
    assert_eq!(c1_span.field("unlinked"), Some("1"));
    assert_eq!(c1_span.field("employees"), Some("2"));
    assert_eq!(c1_span.field("otel.status_code"), None);
    let (_, c2_span) = companies
        .iter()
        .find(|(_, span)| span.field("company_id") == Some("c2"))
        .expect("c2's span");
    assert_eq!(c2_span.field("outcome"), Some("skipped"));

    let kot = named("kot.request");
    // The employee list and the divisions (each link's day border), both under c1's run.
    assert_eq!(kot.len(), 2, "only c1 reads KING OF TIME: {kot:#?}");
    assert!(
        kot.iter().all(|(_, span)| span.parent == Some(*c1)),
        "{kot:#?}"
    );
    let batches = named("take leases");
    assert_eq!(batches.len(), 1, "two companies, one batch: {batches:#?}");
    assert_eq!(batches[0].1.parent, Some(root));
    assert_eq!(batches[0].1.field("companies"), Some("2"));

    let values = capture.all_values();
    for secret in [token.as_str(), "U000123", "U00999", "市ヶ谷", "戸田"] {
        for value in &values {
            assert!(!value.contains(secret), "{value:?} holds {secret:?}");
        }
    }

    let mut runs: Vec<_> = recorder
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|(name, _, _)| name == "kintai.run.duration")
        .map(|(_, attributes, seconds)| (attributes.clone(), *seconds))
        .collect();
    runs.sort_by(|a, b| a.0.cmp(&b.0));
    let run = |outcome: &str| {
        vec![
            ("service".to_owned(), "matcher".to_owned()),
            ("outcome".to_owned(), outcome.to_owned()),
        ]
    };
    let labels: Vec<_> = runs
        .iter()
        .map(|(attributes, _)| attributes.clone())
        .collect();
    assert_eq!(labels, [run("matched"), run("skipped")], "one per company");
    assert!(runs.iter().all(|(_, seconds)| *seconds >= 0.0));

    drop(env);
    test_db.finish().await;
}
