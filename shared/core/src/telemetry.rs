//! Logs and traces: `tracing` with an env filter, human or JSON lines on stderr, and — only when
//! an OTLP endpoint is configured — the `tracing-opentelemetry` layer plus an OTLP metrics
//! exporter. Without an endpoint nothing is exported and no exporter exists.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Human,
            log_filter: "info".to_owned(),
            otlp_endpoint: String::new(),
        }
    }
}

/// Flushes and stops the exporters when dropped (at the end of `main`).
#[derive(Default)]
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
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

/// Installs the global subscriber. `service_name` names this process in exported telemetry.
/// Must run inside a Tokio runtime when an endpoint is configured (the exporters use it).
pub fn init(config: &TelemetryConfig, service_name: &str) -> anyhow::Result<TelemetryGuard> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_filter))
        .map_err(|error| anyhow::anyhow!("telemetry.log_filter is not a valid filter: {error}"))?;
    let (fmt_human, fmt_json) = match config.log_format {
        LogFormat::Human => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_writer(std::io::stderr),
            ),
            None,
        ),
        LogFormat::Json => (
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr),
            ),
        ),
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
        let meter_provider = SdkMeterProvider::builder()
            .with_periodic_exporter(metric_exporter)
            .with_resource(resource)
            .build();
        opentelemetry::global::set_meter_provider(meter_provider.clone());
        let tracer = tracer_provider.tracer("kintai");
        opentelemetry::global::set_tracer_provider(tracer_provider.clone());
        guard.tracer_provider = Some(tracer_provider);
        guard.meter_provider = Some(meter_provider);
        Some(tracing_opentelemetry::layer().with_tracer(tracer))
    };

    tracing_subscriber::registry()
        .with(filter)
        .with(fmt_human)
        .with(fmt_json)
        .with(otel_layer)
        .try_init()
        .map_err(|error| anyhow::anyhow!("telemetry already initialised: {error}"))?;
    Ok(guard)
}
