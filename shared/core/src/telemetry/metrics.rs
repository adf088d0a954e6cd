//! The service-level instruments, named once. They come from the global meter provider, which is
//! OpenTelemetry's no-op until [`super::init`] installs the OTLP one: without an endpoint every
//! `add` and `record` below is a no-op call.
//!
//! The KING OF TIME request instruments live with the client (`kot_client::telemetry`), which
//! does not depend on this crate.

use std::sync::OnceLock;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram};

/// Instrument names, as exported (the README's telemetry section lists them).
pub mod names {
    pub const PUNCHES_RECEIVED: &str = "kintai.punches.received";
    pub const PUNCHES_SENT: &str = "kintai.punches.sent";
    pub const PUNCHES_HELD: &str = "kintai.punches.held";
    pub const PUNCHES_FAILED: &str = "kintai.punches.failed";
    pub const RUN_DURATION: &str = "kintai.run.duration";
    pub const TOKEN_REJECTED: &str = "kintai.company.token_rejected";
    pub const PUNCHES_UNDELIVERED: &str = "kintai.punches.undelivered";
    pub const TOKEN_UNREADABLE: &str = "kintai.company.token_unreadable";
    pub const DAYS_KOT_ERROR: &str = "kintai.days.kot_error";
}

/// Every service-level instrument of the process.
pub struct Metrics {
    /// Punches RecordPunches was given, by `result`: `accepted`, `duplicate` or `rejected`.
    pub punches_received: Counter<u64>,
    /// Punches KING OF TIME confirmed (or that a read-back found stored).
    pub punches_sent: Counter<u64>,
    /// Punches a sync run held, by `reason` (a short code, see the README).
    pub punches_held: Counter<u64>,
    /// Punches a sync run gave up on, by `reason`.
    pub punches_failed: Counter<u64>,
    /// One company's run, in seconds, by `service` (`matcher`, `syncer`) and `outcome`.
    pub run_duration: Histogram<f64>,
    /// 1 while a company's token is rejected by KING OF TIME, 0 once it works, by `company_id`.
    pub token_rejected: Gauge<u64>,
    /// Punches not in KING OF TIME although received longer ago than the configured limit, by
    /// `company_id`, as the company's last sync run counted them.
    pub punches_undelivered: Gauge<u64>,
    /// 1 while a company's stored token cannot be decrypted with the configured keys, 0 once it
    /// can (or is gone), by `company_id`.
    pub token_unreadable: Gauge<u64>,
    /// User-days of the checked window that KING OF TIME marks as エラー勤務, by `company_id`,
    /// as the company's last successful day check left them.
    pub days_kot_error: Gauge<u64>,
}

/// The process's instruments, created on first use from the global meter provider.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let meter = opentelemetry::global::meter("kintai");
        Metrics {
            punches_received: meter
                .u64_counter(names::PUNCHES_RECEIVED)
                .with_unit("{punch}")
                .with_description("punches given to RecordPunches, by result")
                .build(),
            punches_sent: meter
                .u64_counter(names::PUNCHES_SENT)
                .with_unit("{punch}")
                .with_description("punches KING OF TIME has stored")
                .build(),
            punches_held: meter
                .u64_counter(names::PUNCHES_HELD)
                .with_unit("{punch}")
                .with_description(
                    "punches held by a sync run, by reason (counted by every run that holds them)",
                )
                .build(),
            punches_failed: meter
                .u64_counter(names::PUNCHES_FAILED)
                .with_unit("{punch}")
                .with_description("punches a sync run gave up on, by reason")
                .build(),
            run_duration: meter
                .f64_histogram(names::RUN_DURATION)
                .with_unit("s")
                .with_description("one company's matcher or syncer run")
                // A run takes from milliseconds (nothing to do) to minutes (a paced backlog).
                .with_boundaries(vec![
                    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
                    600.0, 1800.0,
                ])
                .build(),
            token_rejected: meter
                .u64_gauge(names::TOKEN_REJECTED)
                .with_description(
                    "1 while KING OF TIME rejects the company's token (403, code 100)",
                )
                .build(),
            punches_undelivered: meter
                .u64_gauge(names::PUNCHES_UNDELIVERED)
                .with_unit("{punch}")
                .with_description(
                    "punches still not in KING OF TIME long after they arrived (syncer.undelivered_after_secs)",
                )
                .build(),
            token_unreadable: meter
                .u64_gauge(names::TOKEN_UNREADABLE)
                .with_description(
                    "1 while the company's stored token cannot be decrypted with the configured keys",
                )
                .build(),
            days_kot_error: meter
                .u64_gauge(names::DAYS_KOT_ERROR)
                .with_unit("{day}")
                .with_description(
                    "days of the day check's window that KING OF TIME marks as error days (エラー勤務)",
                )
                .build(),
        }
    })
}

/// What happened to punches, for [`record_punches`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PunchResult {
    /// Given to RecordPunches: `accepted`, `duplicate` or `rejected`.
    Received(&'static str),
    Sent,
    /// Held, with the reason code.
    Held(&'static str),
    /// Given up on, with the reason code.
    Failed(&'static str),
}

/// Counts `count` punches under `result`. Zero counts are skipped.
pub fn record_punches(result: PunchResult, count: u64) {
    if count == 0 {
        return;
    }
    let metrics = metrics();
    match result {
        PunchResult::Received(result) => metrics
            .punches_received
            .add(count, &[KeyValue::new("result", result)]),
        PunchResult::Sent => metrics.punches_sent.add(count, &[]),
        PunchResult::Held(reason) => metrics
            .punches_held
            .add(count, &[KeyValue::new("reason", reason)]),
        PunchResult::Failed(reason) => metrics
            .punches_failed
            .add(count, &[KeyValue::new("reason", reason)]),
    }
}

/// Records one company's run: its duration under `service` and `outcome`.
pub fn record_run(service: &'static str, outcome: &'static str, seconds: f64) {
    metrics().run_duration.record(
        seconds,
        &[
            KeyValue::new("service", service),
            KeyValue::new("outcome", outcome),
        ],
    );
}

/// Records whether a company's token is rejected.
pub fn record_token_rejected(company_id: &str, rejected: bool) {
    metrics().token_rejected.record(
        u64::from(rejected),
        &[KeyValue::new("company_id", company_id.to_owned())],
    );
}

/// Records how many of a company's punches are long undelivered.
pub fn record_undelivered(company_id: &str, count: u64) {
    metrics()
        .punches_undelivered
        .record(count, &[KeyValue::new("company_id", company_id.to_owned())]);
}

/// Records whether a company's stored token can be decrypted.
pub fn record_token_unreadable(company_id: &str, unreadable: bool) {
    metrics().token_unreadable.record(
        u64::from(unreadable),
        &[KeyValue::new("company_id", company_id.to_owned())],
    );
}

/// Records how many of a company's days KING OF TIME marks as error days (エラー勤務).
pub fn record_kot_error_days(company_id: &str, count: u64) {
    metrics()
        .days_kot_error
        .record(count, &[KeyValue::new("company_id", company_id.to_owned())]);
}
