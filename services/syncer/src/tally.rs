//! What became of each punch in one company's run, and the counts the run reports.

use kintai_core::telemetry::metrics;

/// What became of one punch in this run; held and failed carry their metric reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Done {
    Sent,
    /// `refused`: KING OF TIME said no in its own words.
    Failed(&'static str),
    Held(&'static str),
    /// Left for a later run (a retry time, a read-back, a stop).
    Deferred,
}

/// Counts of one company's run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub sent: u32,
    pub failed: u32,
    pub held: u32,
    pub deferred: u32,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.sent += other.sent;
        self.failed += other.failed;
        self.held += other.held;
        self.deferred += other.deferred;
    }

    pub fn count(&mut self, done: Done) {
        match done {
            Done::Sent => self.sent += 1,
            Done::Failed(_) => self.failed += 1,
            Done::Held(_) => self.held += 1,
            Done::Deferred => self.deferred += 1,
        }
    }
}

/// Counts the punch in the exported metrics (a no-op without an OTLP endpoint).
pub(crate) fn record_done(done: Done) {
    match done {
        Done::Sent => metrics::record_punches(metrics::PunchResult::Sent, 1),
        Done::Failed(reason) => metrics::record_punches(metrics::PunchResult::Failed(reason), 1),
        Done::Held(reason) => metrics::record_punches(metrics::PunchResult::Held(reason), 1),
        Done::Deferred => {}
    }
}
