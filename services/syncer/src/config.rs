//! `[syncer]` in the binary's configuration: the syncer's own settings, their defaults (stated
//! here once; [`SyncOptions::default`] is these), and how they become [`SyncOptions`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{DispatchOptions, RetryPolicy, SyncOptions};

/// Companies synced at once in a run over every company (RunSync, the CronJob).
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Companies one process's dispatcher syncs at once (see `dispatch_max_running`).
pub const DEFAULT_DISPATCH_MAX_RUNNING: usize = 256;

/// Employees of one company posted at once (not a setting: KING OF TIME's per-token limits, which
/// the client paces, are what bounds a company).
const EMPLOYEES_IN_PARALLEL: usize = 4;

/// `[syncer]`: how sync runs share the work and how long a punch may wait.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SyncerConfig {
    /// Companies handled at once in a run over every company.
    pub concurrency: usize,
    /// How long a company's lease outlives its holder: a live run renews it every third of
    /// this, so after a crash the company waits about this long.
    pub lease_ttl_secs: u64,
    /// Punches still not in KING OF TIME this long after they arrived are reported (RunSync's
    /// `undelivered`, the `kintai.punches.undelivered` gauge).
    pub undelivered_after_secs: u64,
    /// The longest wait between two attempts of one punch after transient failures (the wait
    /// starts at 1 s and doubles).
    pub retry_max_backoff_secs: u64,
    /// Prompt delivery: this process claims companies with new punches (or a retry time) and
    /// syncs them within seconds. Off: only RunSync (the CronJob, operators) sends.
    pub dispatch: bool,
    /// A company with new punches is synced this long after the first of them (a burst
    /// becomes one run).
    pub dispatch_debounce_ms: u64,
    /// How often the dispatcher looks for due companies.
    pub dispatch_poll_ms: u64,
    /// Companies this process's dispatcher syncs at once. A run mostly waits for its token's
    /// pacing (one punch per ~150 ms), so it is cheap to hold; fewer than the companies with a
    /// backlog leaves the others' KING OF TIME budget unused (32 let 100 busy companies reach
    /// only 61 % of their allowed rate over two replicas).
    pub dispatch_max_running: usize,
    /// How often the dispatcher compares settings' revisions with what the runs planned on (a
    /// user switched on again, a token fixed: the held punches go then).
    pub settings_watch_secs: u64,
    /// No read of KING OF TIME's days (read-backs, the day check) within this many seconds
    /// before or after a restricted window: KING OF TIME has answered empty days there.
    pub read_margin_secs: u64,
    /// A read-back that does not find a punch is repeated after this many seconds; only two
    /// reads that agree conclude "not stored" (and the punch is posted again).
    pub readback_confirm_secs: u64,
    /// How far ahead of this server's clock a recorded punch may be, in seconds: a phone's
    /// clock runs a little ahead of ours; a punch further ahead would reach KING OF TIME before
    /// its own instant, so RecordPunches refuses it (naming `punched_at`).
    pub max_clock_skew_secs: u64,
}

/// The largest `max_clock_skew_secs`: beyond an hour a punch would be accepted for a time the
/// employee has not reached, posted to KING OF TIME as if it had happened.
const MAX_CLOCK_SKEW_SECS: u64 = 3_600;

impl Default for SyncerConfig {
    fn default() -> Self {
        Self {
            concurrency: DEFAULT_CONCURRENCY,
            lease_ttl_secs: 30,
            undelivered_after_secs: 4 * 3600,
            retry_max_backoff_secs: 30 * 60,
            dispatch: true,
            dispatch_debounce_ms: 2_000,
            dispatch_poll_ms: 500,
            dispatch_max_running: DEFAULT_DISPATCH_MAX_RUNNING,
            settings_watch_secs: 10,
            read_margin_secs: 120,
            readback_confirm_secs: 10,
            max_clock_skew_secs: 120,
        }
    }
}

impl SyncerConfig {
    /// Why these settings cannot run, naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.concurrency == 0 || self.lease_ttl_secs < 5 {
            return Err(
                "syncer.concurrency must be at least 1 and syncer.lease_ttl_secs at least 5"
                    .to_owned(),
            );
        }
        if self.dispatch_max_running == 0 {
            return Err("syncer.dispatch_max_running must be at least 1".to_owned());
        }
        if self.dispatch_poll_ms == 0 || self.settings_watch_secs == 0 {
            return Err(
                "syncer.dispatch_poll_ms / syncer.settings_watch_secs: must be positive".to_owned(),
            );
        }
        if self.read_margin_secs > 3600 || self.readback_confirm_secs > 600 {
            return Err(
                "syncer.read_margin_secs must be at most 3600 and syncer.readback_confirm_secs at most 600"
                    .to_owned(),
            );
        }
        if self.undelivered_after_secs == 0 || self.retry_max_backoff_secs == 0 {
            return Err(
                "syncer.undelivered_after_secs / syncer.retry_max_backoff_secs: must be positive"
                    .to_owned(),
            );
        }
        if self.max_clock_skew_secs > MAX_CLOCK_SKEW_SECS {
            return Err(format!(
                "syncer.max_clock_skew_secs must be at most {MAX_CLOCK_SKEW_SECS} (an hour)"
            ));
        }
        Ok(())
    }

    /// The tuning of sync runs these settings describe.
    pub fn options(&self) -> SyncOptions {
        SyncOptions {
            concurrency: self.concurrency,
            employees_in_parallel: EMPLOYEES_IN_PARALLEL,
            lease_ttl: Duration::from_secs(self.lease_ttl_secs),
            undelivered_after: Duration::from_secs(self.undelivered_after_secs),
            dispatch: DispatchOptions {
                enabled: self.dispatch,
                debounce: Duration::from_millis(self.dispatch_debounce_ms),
                poll: Duration::from_millis(self.dispatch_poll_ms),
                max_running: self.dispatch_max_running,
                watch: Duration::from_secs(self.settings_watch_secs),
            },
            retry: RetryPolicy {
                max_backoff: Duration::from_secs(self.retry_max_backoff_secs),
                read_margin: chrono::TimeDelta::seconds(
                    i64::try_from(self.read_margin_secs).unwrap_or(i64::MAX),
                ),
                readback_confirm: Duration::from_secs(self.readback_confirm_secs),
                ..RetryPolicy::default()
            },
            max_clock_skew: Duration::from_secs(self.max_clock_skew_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_configured_defaults() {
        let options = SyncOptions::default();
        assert_eq!(options.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(options.dispatch.max_running, DEFAULT_DISPATCH_MAX_RUNNING);
        assert_eq!(options.lease_ttl, Duration::from_secs(30));
        assert_eq!(options.undelivered_after, Duration::from_secs(4 * 3600));
        assert_eq!(
            options.retry.max_backoff,
            RetryPolicy::default().max_backoff
        );
        assert_eq!(options.employees_in_parallel, 4);
        assert!(options.dispatch.enabled);
        assert_eq!(options.dispatch.debounce, Duration::from_secs(2));
        assert_eq!(options.dispatch.poll, Duration::from_millis(500));
        assert_eq!(options.dispatch.watch, Duration::from_secs(10));
        let retry = RetryPolicy::default();
        assert_eq!(options.retry.read_margin, retry.read_margin);
        assert_eq!(options.retry.readback_confirm, retry.readback_confirm);
        assert_eq!(options.max_clock_skew, Duration::from_secs(120));
    }

    #[test]
    fn the_clock_skew_is_bounded() {
        let config = |secs| SyncerConfig {
            max_clock_skew_secs: secs,
            ..SyncerConfig::default()
        };
        assert!(config(0).validate().is_ok());
        assert!(config(3_600).validate().is_ok());
        let error = config(3_601).validate().unwrap_err();
        assert!(error.contains("syncer.max_clock_skew_secs"), "{error}");
    }
}
