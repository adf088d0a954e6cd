//! `[matcher]` in the binary's configuration: the matcher's own settings and their defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{DispatchOptions, MatcherDeps};

/// `[matcher]`: how match runs share the work, and prompt re-matching.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MatcherConfig {
    /// Companies handled at once in a run over every company.
    pub concurrency: usize,
    /// How long a company's lease outlives its holder: after a crash, the company waits this
    /// long before another run takes it (a live run renews it).
    pub lease_ttl_secs: u64,
    /// Prompt re-matching: this process matches a company again soon after its directory
    /// changed in settings (a user added, deleted or given another code). Off: only RunMatch
    /// (the hourly CronJob, operators) matches.
    pub dispatch: bool,
    /// A directory change is matched this long after it was seen (a burst becomes one match).
    pub dispatch_debounce_secs: u64,
    /// How often settings' directory revisions are compared with what was matched.
    pub settings_watch_secs: u64,
}

impl Default for MatcherConfig {
    fn default() -> Self {
        Self {
            concurrency: MatcherDeps::DEFAULT_CONCURRENCY,
            lease_ttl_secs: MatcherDeps::DEFAULT_LEASE_TTL.as_secs(),
            dispatch: true,
            dispatch_debounce_secs: 5,
            settings_watch_secs: 15,
        }
    }
}

impl MatcherConfig {
    /// Why these settings cannot run, naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.concurrency == 0 || self.lease_ttl_secs < 5 {
            return Err(
                "matcher.concurrency must be at least 1 and matcher.lease_ttl_secs at least 5"
                    .to_owned(),
            );
        }
        if self.settings_watch_secs == 0 {
            return Err("matcher.settings_watch_secs: must be positive".to_owned());
        }
        Ok(())
    }

    /// How prompt re-matching works with these settings.
    pub fn dispatch_options(&self) -> DispatchOptions {
        DispatchOptions {
            debounce: Duration::from_secs(self.dispatch_debounce_secs),
            watch: Duration::from_secs(self.settings_watch_secs),
            // Re-matches after directory changes stay a small share of the match work.
            max_running: self.concurrency.min(8),
            ..DispatchOptions::default()
        }
    }
}
