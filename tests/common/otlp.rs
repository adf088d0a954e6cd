//! An in-process OTLP receiver: the collector's trace and metrics gRPC services (from the
//! published OpenTelemetry protos, as the `opentelemetry-proto` crate generates them) keeping
//! every export, flattened for assertions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use tonic::{Request, Response, Status};

/// Everything received, in arrival order.
#[derive(Clone, Default)]
pub struct Receiver {
    traces: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    metrics: Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.traces.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.metrics.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// One exported span, flattened.
#[derive(Debug, Clone)]
pub struct SpanSeen {
    pub service: String,
    pub name: String,
    /// OTLP span kind: 1 internal, 2 server, 3 client.
    pub kind: i32,
    pub trace_id: Vec<u8>,
    pub span_id: Vec<u8>,
    pub parent_span_id: Vec<u8>,
    pub attributes: BTreeMap<String, String>,
}

/// One metric data point, flattened: for sums and gauges `value`, for histograms the count.
#[derive(Debug, Clone)]
pub struct PointSeen {
    pub service: String,
    pub metric: String,
    pub attributes: BTreeMap<String, String>,
    pub value: f64,
}

impl Receiver {
    /// Serves on an ephemeral loopback port; returns the endpoint URL.
    pub async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(self.clone()))
            .add_service(MetricsServiceServer::new(self.clone()));
        tokio::spawn(
            router.serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        format!("http://{address}")
    }

    /// Every export as the Debug text of the messages: to search for what must never appear.
    pub fn everything(&self) -> String {
        format!(
            "{:?}\n{:?}",
            self.traces.lock().unwrap(),
            self.metrics.lock().unwrap()
        )
    }

    pub fn spans(&self) -> Vec<SpanSeen> {
        let mut seen = Vec::new();
        for request in self.traces.lock().unwrap().iter() {
            for resource_spans in &request.resource_spans {
                let service = service_name(resource_spans.resource.as_ref().map(|r| &r.attributes));
                for scope in &resource_spans.scope_spans {
                    for span in &scope.spans {
                        seen.push(SpanSeen {
                            service: service.clone(),
                            name: span.name.clone(),
                            kind: span.kind,
                            trace_id: span.trace_id.clone(),
                            span_id: span.span_id.clone(),
                            parent_span_id: span.parent_span_id.clone(),
                            attributes: flatten(&span.attributes),
                        });
                    }
                }
            }
        }
        seen
    }

    /// The latest value of every (service, metric, attributes) series: the exporters send
    /// cumulative values, so the last export holds the totals.
    pub fn points(&self) -> Vec<PointSeen> {
        let mut latest: BTreeMap<(String, String, String), PointSeen> = BTreeMap::new();
        for request in self.metrics.lock().unwrap().iter() {
            for resource_metrics in &request.resource_metrics {
                let service =
                    service_name(resource_metrics.resource.as_ref().map(|r| &r.attributes));
                for scope in &resource_metrics.scope_metrics {
                    for metric in &scope.metrics {
                        let points: Vec<(BTreeMap<String, String>, f64)> = match &metric.data {
                            Some(metric::Data::Sum(sum)) => sum
                                .data_points
                                .iter()
                                .map(|p| (flatten(&p.attributes), number(p.value)))
                                .collect(),
                            Some(metric::Data::Gauge(gauge)) => gauge
                                .data_points
                                .iter()
                                .map(|p| (flatten(&p.attributes), number(p.value)))
                                .collect(),
                            Some(metric::Data::Histogram(histogram)) => histogram
                                .data_points
                                .iter()
                                .map(|p| (flatten(&p.attributes), p.count as f64))
                                .collect(),
                            _ => Vec::new(),
                        };
                        for (attributes, value) in points {
                            let key = (
                                service.clone(),
                                metric.name.clone(),
                                format!("{attributes:?}"),
                            );
                            latest.insert(
                                key,
                                PointSeen {
                                    service: service.clone(),
                                    metric: metric.name.clone(),
                                    attributes,
                                    value,
                                },
                            );
                        }
                    }
                }
            }
        }
        latest.into_values().collect()
    }
}

fn number(value: Option<number_data_point::Value>) -> f64 {
    match value {
        Some(number_data_point::Value::AsInt(n)) => n as f64,
        Some(number_data_point::Value::AsDouble(x)) => x,
        None => f64::NAN,
    }
}

fn service_name(attributes: Option<&Vec<KeyValue>>) -> String {
    attributes
        .map(|a| flatten(a))
        .and_then(|a| a.get("service.name").cloned())
        .unwrap_or_default()
}

fn flatten(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
        .collect()
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(n)) => n.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(x)) => x.to_string(),
        other => format!("{other:?}"),
    }
}
