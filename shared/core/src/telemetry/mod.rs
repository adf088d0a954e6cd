//! Logs, traces and metrics: `tracing` with an env filter, human or JSON lines on stderr, and —
//! only when an OTLP endpoint is configured — the `tracing-opentelemetry` layer plus an OTLP
//! metrics exporter. Without an endpoint nothing is exported, no exporter exists, the gRPC trace
//! layers pass calls straight through and the instruments are OpenTelemetry's no-ops.
//!
//! Traces and logs are filtered apart: `log_filter` (or `RUST_LOG`) says what is printed,
//! `trace_filter` what is exported, so quieting the logs does not blind the traces.

mod grpc;
pub mod metrics;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use grpc::{ClientTrace, ServerTrace, ServerTraceLayer};

/// Set once the OTLP exporters are installed.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether this process exports telemetry (an OTLP endpoint is configured).
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Log line format.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// Telemetry settings (`[telemetry]` in the configuration).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// An `EnvFilter` directive, e.g. `info` or `kintai=debug,info`. `RUST_LOG` wins when set.
    pub log_filter: String,
    /// OTLP/gRPC endpoint, e.g. `http://otel-collector:4317`; empty turns export off.
    pub otlp_endpoint: String,
    /// An `EnvFilter` directive for the exported spans (independent of the logs).
    pub trace_filter: String,
    /// How often metrics are exported, in seconds (and once more at shutdown).
    pub metrics_interval_secs: u64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Human,
            log_filter: "info".to_owned(),
            otlp_endpoint: String::new(),
            trace_filter: "info".to_owned(),
            metrics_interval_secs: 60,
        }
    }
}

/// Flushes and stops the exporters when dropped (at the end of `main`).
#[derive(Default)]
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
}

impl TelemetryGuard {
    /// Flushes what is still buffered and stops the exporters. Call it outside the async
    /// runtime's worker threads (e.g. after `block_on` returns) while the runtime still exists:
    /// the exporters' gRPC channel runs on it.
    pub fn shutdown(mut self) {
        self.flush();
    }

    fn flush(&mut self) {
        if let Some(provider) = self.tracer_provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("telemetry: flushing traces failed: {error}");
        }
        if let Some(provider) = self.meter_provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("telemetry: flushing metrics failed: {error}");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Installs the global subscriber. `service_name` names this process in exported telemetry.
/// Must run inside a Tokio runtime when an endpoint is configured (the exporters use it).
pub fn init(config: &TelemetryConfig, service_name: &str) -> anyhow::Result<TelemetryGuard> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_filter))
        .map_err(|error| anyhow::anyhow!("telemetry.log_filter is not a valid filter: {error}"))?;
    let trace_filter = EnvFilter::try_new(&config.trace_filter).map_err(|error| {
        anyhow::anyhow!("telemetry.trace_filter is not a valid filter: {error}")
    })?;
    if config.metrics_interval_secs == 0 {
        anyhow::bail!("telemetry.metrics_interval_secs must be at least 1");
    }
    let fmt_layer = match config.log_format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed(),
    };

    let mut guard = TelemetryGuard::default();
    let otel_layer = if config.otlp_endpoint.is_empty() {
        None
    } else {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let resource = Resource::builder()
            .with_service_name(service_name.to_owned())
            .build();
        let span_exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(config.otlp_endpoint.clone())
            .build()?;
        let tracer_provider = SdkTracerProvider::builder()
            .with_batch_exporter(span_exporter)
            .with_resource(resource.clone())
            .build();
        let metric_exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(config.otlp_endpoint.clone())
            .build()?;
        let reader = opentelemetry_sdk::metrics::PeriodicReader::builder(metric_exporter)
            .with_interval(Duration::from_secs(config.metrics_interval_secs))
            .build();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(reader)
            .with_resource(resource)
            .build();
        opentelemetry::global::set_meter_provider(meter_provider.clone());
        let tracer = tracer_provider.tracer("kintai");
        opentelemetry::global::set_tracer_provider(tracer_provider.clone());
        guard.tracer_provider = Some(tracer_provider);
        guard.meter_provider = Some(meter_provider);
        EXPORTING.store(true, Ordering::Relaxed);
        Some(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(trace_filter),
        )
    };

    tracing_subscriber::registry()
        .with(fmt_layer.with_filter(filter))
        .with(otel_layer)
        .try_init()
        .map_err(|error| anyhow::anyhow!("telemetry already initialised: {error}"))?;
    Ok(guard)
}
