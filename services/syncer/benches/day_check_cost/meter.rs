//! Measuring a phase of the bench: calls from the simulator's request log, bytes through the
//! counting proxy, heap from the counting allocator; and printing the figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kintai_syncer::CompanyReport;
use kot_sim::RequestLogEntry;

use crate::HEAP;

/// The simulator's admin API (not proxied, not logged).
pub(crate) struct Admin {
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
}

pub(crate) struct Meter {
    pub(crate) admin: Admin,
    /// Bytes from the simulator to us through the proxy.
    pub(crate) counter: Arc<AtomicU64>,
}

impl Meter {
    pub(crate) async fn set_clock(&self, clock: &kintai_core::Clock, now: DateTime<Utc>) {
        clock.set(now);
        self.admin
            .http
            .put(format!("{}/clock", self.admin.url))
            .json(&serde_json::json!({ "mode": "fixed", "at": now }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }

    pub(crate) async fn start(&self) -> Phase {
        self.admin
            .http
            .delete(format!("{}/requests", self.admin.url))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        HEAP.reset_peak_usage();
        Phase {
            bytes: self.counter.load(Ordering::SeqCst),
            heap: HEAP.current_usage(),
            started: Instant::now(),
        }
    }

    pub(crate) async fn log(&self) -> Vec<RequestLogEntry> {
        self.admin
            .http
            .get(format!("{}/requests", self.admin.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

pub(crate) struct Phase {
    bytes: u64,
    heap: usize,
    started: Instant,
}

#[derive(Debug, Default)]
pub(crate) struct Figures {
    pub(crate) general: usize,
    pub(crate) punch: usize,
    pub(crate) posts: usize,
    pub(crate) bytes: u64,
    pub(crate) peak_heap: usize,
    pub(crate) wall: Duration,
    pub(crate) days: Option<u32>,
    pub(crate) queries: Vec<String>,
}

impl Phase {
    pub(crate) async fn finish_plain(&mut self, meter: &Meter) -> Figures {
        let wall = self.started.elapsed();
        let peak_heap = HEAP.peak_usage().saturating_sub(self.heap);
        let bytes = meter.counter.load(Ordering::SeqCst) - self.bytes;
        let log = meter.log().await;
        let refused: Vec<_> = log
            .iter()
            .filter(|e| e.status.is_none_or(|s| s >= 300))
            .collect();
        assert!(refused.is_empty(), "refused or dropped: {refused:?}");
        let gets = |timerecord: bool| {
            log.iter()
                .filter(move |e| e.method == "GET" && e.path.contains("/timerecord") == timerecord)
        };
        Figures {
            general: gets(false).count(),
            punch: gets(true).count(),
            posts: log.iter().filter(|e| e.method == "POST").count(),
            bytes,
            peak_heap,
            wall,
            days: None,
            queries: gets(false)
                .map(|e| e.query.clone().unwrap_or_default())
                .collect(),
        }
    }

    pub(crate) async fn finish(&mut self, meter: &Meter, report: &CompanyReport) -> Figures {
        let mut figures = self.finish_plain(meter).await;
        figures.days = Some(report.days_checked);
        figures
    }
}

impl Figures {
    pub(crate) fn row(&self, name: &str) -> String {
        format!(
            "{name:<46} {:>8} {:>8} {:>6} {:>12} {:>10} {:>7.2}s {:>7}",
            self.general,
            self.punch,
            self.posts,
            bytes(self.bytes as f64),
            bytes(self.peak_heap as f64),
            self.wall.as_secs_f64(),
            self.days.map_or("-".into(), |d| d.to_string()),
        )
    }
}

pub(crate) fn ratio(name: &str, ours: &Figures, base: &Figures) -> String {
    let r = |a: f64, b: f64| {
        if b == 0.0 {
            "-".to_owned()
        } else {
            format!("{:.2}x", a / b)
        }
    };
    format!(
        "{name:<46} {:>8} {:>8} {:>6} {:>12} {:>10} {:>8}",
        r(ours.general as f64, base.general as f64),
        r(ours.punch as f64, base.punch as f64),
        "",
        r(ours.bytes as f64, base.bytes as f64),
        r(ours.peak_heap as f64, base.peak_heap as f64),
        r(ours.wall.as_secs_f64(), base.wall.as_secs_f64()),
    )
}

pub(crate) fn bytes(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n:.0} B")
    }
}
