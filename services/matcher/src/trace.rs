//! How one company's match run shows up in traces and metrics.

use std::time::Instant;

use kintai_core::telemetry::metrics;
use tracing::Span;
use tracing::field::Empty;

use crate::report::{CompanyResult, Outcome};

/// One company's run as traced and measured: its `match company` span, a child of the span
/// current where the run starts (RunMatch's), so that the company's settings and KING OF TIME
/// calls are its children; and when it started.
pub(crate) struct CompanyTrace {
    pub(crate) span: Span,
    pub(crate) started: Instant,
}

impl CompanyTrace {
    pub(crate) fn start(company_id: &str) -> Self {
        let span = tracing::info_span!(
            "match company",
            otel.name = "match company",
            otel.status_code = Empty,
            company_id,
            outcome = Empty,
            users = Empty,
            linked = Empty,
            unlinked = Empty,
            employees = Empty,
        );
        Self {
            span,
            started: Instant::now(),
        }
    }

    /// Records the result on the span, and the run's duration; once per company.
    pub(crate) fn finish(self, result: &CompanyResult) {
        let outcome = result.outcome.as_str();
        let span = &self.span;
        span.record("outcome", outcome);
        span.record("users", result.users);
        span.record("linked", result.linked);
        span.record("unlinked", result.unlinked);
        span.record("employees", result.employees);
        if result.outcome == Outcome::Failed {
            span.record("otel.status_code", "ERROR");
        }
        metrics::record_run("matcher", outcome, self.started.elapsed().as_secs_f64());
    }
}
