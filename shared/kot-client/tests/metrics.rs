//! Client ↔ simulator: every KING OF TIME request is counted, timed and its pacing wait
//! recorded, under bounded attributes that never hold the token.
//!
//! A test binary of its own: the meter provider is process-global and the client's
//! instruments are created once.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use kot_client::Token;
use kot_client::telemetry::names;
use opentelemetry::metrics::{
    Counter, Histogram, HistogramBuilder, InstrumentBuilder, InstrumentProvider, Meter,
    MeterProvider, SyncInstrument,
};
use opentelemetry::{InstrumentationScope, KeyValue};

/// One measurement: instrument name, unit, value and attributes as text.
#[derive(Debug, Clone)]
struct Measurement {
    instrument: String,
    unit: String,
    value: f64,
    attributes: Vec<(String, String)>,
}

type Log = Arc<Mutex<Vec<Measurement>>>;

struct Recorder {
    log: Log,
}

struct Instrument {
    log: Log,
    name: String,
    unit: String,
}

impl Instrument {
    fn new(log: &Log, name: &str, unit: Option<&str>) -> Arc<Self> {
        Arc::new(Self {
            log: log.clone(),
            name: name.to_owned(),
            unit: unit.unwrap_or_default().to_owned(),
        })
    }

    fn push(&self, value: f64, attributes: &[KeyValue]) {
        self.log.lock().unwrap().push(Measurement {
            instrument: self.name.clone(),
            unit: self.unit.clone(),
            value,
            attributes: attributes
                .iter()
                .map(|kv| (kv.key.to_string(), kv.value.to_string()))
                .collect(),
        });
    }
}

impl SyncInstrument<u64> for Instrument {
    fn measure(&self, value: u64, attributes: &[KeyValue]) {
        self.push(value as f64, attributes);
    }
}

impl SyncInstrument<f64> for Instrument {
    fn measure(&self, value: f64, attributes: &[KeyValue]) {
        self.push(value, attributes);
    }
}

impl InstrumentProvider for Recorder {
    fn u64_counter(&self, builder: InstrumentBuilder<'_, Counter<u64>>) -> Counter<u64> {
        Counter::new(Instrument::new(
            &self.log,
            &builder.name,
            builder.unit.as_deref(),
        ))
    }

    fn f64_histogram(&self, builder: HistogramBuilder<'_, Histogram<f64>>) -> Histogram<f64> {
        Histogram::new(Instrument::new(
            &self.log,
            &builder.name,
            builder.unit.as_deref(),
        ))
    }
}

impl MeterProvider for Recorder {
    fn meter_with_scope(&self, _: InstrumentationScope) -> Meter {
        Meter::new(Arc::new(Recorder {
            log: self.log.clone(),
        }))
    }
}

fn attributes(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn each_request_is_counted_timed_and_its_wait_recorded() {
    let log = Log::default();
    opentelemetry::global::set_meter_provider(Recorder { log: log.clone() });
    let f = fixture().await;

    assert!(f.client.token_available(&f.token).await.unwrap());
    let unknown = Token::new("fedcba9876543210fedcba9876543210");
    assert!(f.client.token_available(&unknown).await.is_err());

    let log = log.lock().unwrap().clone();
    let of = |name: &str| -> Vec<Measurement> {
        log.iter()
            .filter(|m| m.instrument == name)
            .cloned()
            .collect()
    };
    let requests = of(names::REQUESTS);
    let ok = attributes(&[
        ("http.request.method", "GET"),
        ("url.template", "/tokens/{token}/available"),
        ("outcome", "ok"),
    ]);
    let rejected = attributes(&[
        ("http.request.method", "GET"),
        ("url.template", "/tokens/{token}/available"),
        ("outcome", "token_rejected"),
    ]);
    let counted: Vec<_> = requests.iter().map(|m| &m.attributes).collect();
    assert_eq!(counted, [&ok, &rejected]);
    assert!(
        requests
            .iter()
            .all(|m| m.value == 1.0 && m.unit == "{request}")
    );

    let durations = of(names::REQUEST_DURATION);
    let timed: Vec<_> = durations.iter().map(|m| &m.attributes).collect();
    assert_eq!(timed, [&ok, &rejected]);
    assert!(durations.iter().all(|m| m.value >= 0.0 && m.unit == "s"));

    let waits = of(names::RATE_LIMIT_WAIT);
    assert_eq!(waits.len(), 2, "one wait per request, zero included");
    assert!(
        waits
            .iter()
            .all(|m| m.unit == "s" && m.attributes == attributes(&[("kot.budget", "general")]))
    );

    for measurement in &log {
        for (_, value) in &measurement.attributes {
            assert!(!value.contains(SECRET) && !value.contains(unknown.expose()));
        }
    }
}
