//! One client span and a few metrics per KING OF TIME request.
//!
//! Everything here is keyed by the endpoint's path template, never by the URL: `/tokens/{token}`
//! URLs carry the secret, and query strings carry employee keys. The instruments come from the
//! global meter provider, which is OpenTelemetry's no-op until the binary installs an exporter,
//! and the span costs nothing without a subscriber.

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram};
use reqwest::Method;
use tracing::Span;
use tracing::field::Empty;

use crate::error::{ErrorBody, KotError};
use crate::limiter::Budget;

/// Instrument names, as exported.
pub mod names {
    pub const REQUESTS: &str = "kintai.kot.requests";
    pub const REQUEST_DURATION: &str = "kintai.kot.request.duration";
    pub const RATE_LIMIT_WAIT: &str = "kintai.kot.rate_limit.wait";
}

/// The default histogram buckets are sized for milliseconds; these are seconds. A request is
/// bounded by the client's timeout (30 s by default).
const DURATION_BOUNDARIES: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// One pacing slot is 0.6 s (general) or 0.15 s (punch); a backlog behind one token waits for
/// many slots.
const WAIT_BOUNDARIES: [f64; 12] = [
    0.0, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

struct Instruments {
    requests: Counter<u64>,
    duration: Histogram<f64>,
    rate_limit_wait: Histogram<f64>,
}

fn instruments() -> &'static Instruments {
    static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();
    INSTRUMENTS.get_or_init(|| {
        let meter = opentelemetry::global::meter("kintai");
        Instruments {
            requests: meter
                .u64_counter(names::REQUESTS)
                .with_unit("{request}")
                .with_description("KING OF TIME requests, by method, path template and outcome")
                .build(),
            duration: meter
                .f64_histogram(names::REQUEST_DURATION)
                .with_unit("s")
                .with_description(
                    "KING OF TIME HTTP calls (answer read included, pacing wait excluded)",
                )
                .with_boundaries(DURATION_BOUNDARIES.to_vec())
                .build(),
            rate_limit_wait: meter
                .f64_histogram(names::RATE_LIMIT_WAIT)
                .with_unit("s")
                .with_description(
                    "time a KING OF TIME request waited for its token's pacing slot, by budget",
                )
                .with_boundaries(WAIT_BOUNDARIES.to_vec())
                .build(),
        }
    })
}

/// The span of one request: pacing wait, HTTP call and answer.
pub(crate) fn request_span(method: &Method, endpoint: &'static str, budget: Budget) -> Span {
    tracing::info_span!(
        "kot.request",
        otel.name = %format_args!("{method} {endpoint}"),
        otel.kind = "client",
        otel.status_code = Empty,
        http.request.method = method_label(method),
        url.template = endpoint,
        kot.budget = budget_label(budget),
        kot.rate_limit_wait_ms = Empty,
        http.response.status_code = Empty,
        kot.error_code = Empty,
        kot.outcome = Empty,
    )
}

/// The pacer's wait, for every request (zero included, so that its count is the requests').
pub(crate) fn record_wait(span: &Span, budget: Budget, waited: Duration) {
    span.record(
        "kot.rate_limit_wait_ms",
        u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
    );
    instruments().rate_limit_wait.record(
        waited.as_secs_f64(),
        &[KeyValue::new("kot.budget", budget_label(budget))],
    );
}

pub(crate) fn record_status(span: &Span, status: u16) {
    span.record("http.response.status_code", status);
}

/// KING OF TIME's error code, from an answer that is an error (any status: code 303 may come
/// with a 200).
pub(crate) fn record_error_code(span: &Span, body: &[u8]) {
    if span.is_disabled() {
        return;
    }
    if let Some(code) = ErrorBody::parse(body).and_then(|error| error.code) {
        span.record("kot.error_code", code);
    }
}

/// The request's outcome, once its answer is read and decoded. `took` is the HTTP call without
/// the pacing wait.
pub(crate) fn record_outcome<T>(
    span: &Span,
    method: &Method,
    endpoint: &'static str,
    result: &Result<T, KotError>,
    took: Duration,
) {
    let outcome = outcome(result);
    span.record("kot.outcome", outcome);
    if result.is_err() {
        span.record("otel.status_code", "ERROR");
    }
    let attributes = [
        KeyValue::new("http.request.method", method_label(method)),
        KeyValue::new("url.template", endpoint),
        KeyValue::new("outcome", outcome),
    ];
    let instruments = instruments();
    instruments.requests.add(1, &attributes);
    instruments.duration.record(took.as_secs_f64(), &attributes);
}

/// A bounded label for a request's result, shared by the span and the metrics.
pub(crate) fn outcome<T>(result: &Result<T, KotError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => match error {
            KotError::RateLimited { .. } => "rate_limited",
            KotError::AuthenticationFailed { .. } => "token_rejected",
            KotError::RestrictedHours { .. } => "restricted_hours",
            KotError::NotFound { .. } => "not_found",
            KotError::Rejected { .. } => "rejected",
            KotError::ServerError { .. } => "server_error",
            KotError::NotSent { .. } => "not_sent",
            KotError::OutcomeUnknown { .. } => "unknown",
            KotError::InvalidResponse { .. } => "invalid_response",
            KotError::InvalidConfig { .. } => "error",
        },
    }
}

/// Static labels, so that recording allocates nothing; the client uses only these three.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        _ => "_OTHER",
    }
}

fn budget_label(budget: Budget) -> &'static str {
    match budget {
        Budget::General => "general",
        Budget::Punch => "punch",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(error: KotError) -> &'static str {
        outcome::<()>(&Err(error))
    }

    #[test]
    fn every_error_has_its_outcome() {
        let message = || "m".to_owned();
        assert_eq!(outcome(&Ok::<_, KotError>(())), "ok");
        assert_eq!(
            err(KotError::RateLimited { message: message() }),
            "rate_limited"
        );
        assert_eq!(
            err(KotError::AuthenticationFailed { message: message() }),
            "token_rejected"
        );
        assert_eq!(
            err(KotError::RestrictedHours { message: message() }),
            "restricted_hours"
        );
        assert_eq!(err(KotError::NotFound { message: message() }), "not_found");
        assert_eq!(
            err(KotError::Rejected {
                status: 400,
                code: Some(200),
                message: message()
            }),
            "rejected"
        );
        assert_eq!(
            err(KotError::ServerError {
                status: 500,
                code: Some(300),
                message: message()
            }),
            "server_error"
        );
        assert_eq!(err(KotError::NotSent { reason: message() }), "not_sent");
        assert_eq!(
            err(KotError::OutcomeUnknown { reason: message() }),
            "unknown"
        );
        assert_eq!(
            err(KotError::InvalidResponse { reason: message() }),
            "invalid_response"
        );
        assert_eq!(err(KotError::InvalidConfig { reason: message() }), "error");
    }

    #[test]
    fn classified_answers_map_to_their_outcomes() {
        let cases: [(u16, &[u8], &str); 6] = [
            (
                403,
                br#"{"errors":[{"message":"a","code":100}]}"#,
                "token_rejected",
            ),
            (
                403,
                br#"{"errors":[{"message":"r","code":104}]}"#,
                "restricted_hours",
            ),
            (
                429,
                br#"{"code":"303","message":"Too Many Requests"}"#,
                "rate_limited",
            ),
            (404, b"", "not_found"),
            (
                400,
                br#"{"errors":[{"message":"bad","code":200}]}"#,
                "rejected",
            ),
            (503, b"<html>down</html>", "server_error"),
        ];
        for (status, body, expected) in cases {
            let error = KotError::from_response(status, body, "secret");
            assert_eq!(err(error), expected, "HTTP {status}");
        }
    }

    #[test]
    fn labels_are_static_and_bounded() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::PATCH), "_OTHER");
        assert_eq!(budget_label(Budget::Punch), "punch");
    }
}
