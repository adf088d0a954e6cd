//! How long a punch waits after a transient failure (design.md: "Nothing is given up for a
//! transient reason"): exponential backoff with jitter, capped, persisted as the punch's
//! `next_attempt_at` so that later runs honour it.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;

/// Retry timing of one company's run.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Wait after a punch's first transient failure; doubled for each further one.
    pub base_backoff: Duration,
    /// The longest wait between two attempts of one punch.
    pub max_backoff: Duration,
    /// A run retries a punch itself while the wait is at most this; a longer wait is left to a
    /// later run (the punch's `next_attempt_at`), so one slow punch does not hold the run.
    pub inline_backoff_limit: Duration,
    /// Pause after a 303 (Too Many Requests) before the company continues.
    pub rate_limited_backoff: Duration,
    /// 303 answers one company's run accepts before it stops and leaves the rest for later.
    pub max_rate_limited: u32,
    /// Wait after an unconfirmed POST (timeout, reset, gateway error) before reading the day
    /// back, so a request still travelling is not mistaken for a lost one.
    pub verify_delay: Duration,
    /// No read of KING OF TIME's days this close to a restricted window, before or after it
    /// (empty answers are reported there; crate::read_margin).
    pub read_margin: chrono::TimeDelta,
    /// A read-back that does not find a punch is repeated after this; only two that agree say
    /// "not stored" (crate::verify).
    pub readback_confirm: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30 * 60),
            inline_backoff_limit: Duration::from_secs(5),
            rate_limited_backoff: Duration::from_secs(30),
            max_rate_limited: 5,
            verify_delay: Duration::from_secs(2),
            read_margin: chrono::TimeDelta::minutes(2),
            readback_confirm: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `failures`-th transient failure, before jitter.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.base_backoff
            .saturating_mul(1_u32 << doublings)
            .min(self.max_backoff)
    }

    /// Whether the run waits for the next attempt itself.
    pub fn retry_inline(&self, failures: u32) -> bool {
        self.backoff(failures) <= self.inline_backoff_limit
    }

    /// When to try again after the `failures`-th failure: between half and all of the backoff
    /// ("equal jitter"), so punches that failed together do not come back together.
    pub fn next_attempt(&self, failures: u32, now: DateTime<Utc>) -> DateTime<Utc> {
        let full = self.backoff(failures);
        let half = full / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..=spread));
        let wait = TimeDelta::from_std(half + jitter).unwrap_or(TimeDelta::MAX);
        now.checked_add_signed(wait).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let waits: Vec<u64> = [1, 2, 3, 4, 11, 12, 40]
            .into_iter()
            .map(|n| policy.backoff(n).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 1024, 1800, 1800]);
        assert!(policy.retry_inline(3) && !policy.retry_inline(4));
    }

    #[test]
    fn next_attempt_is_jittered_within_the_backoff() {
        let policy = RetryPolicy::default();
        let now = Utc::now();
        let times: Vec<DateTime<Utc>> = (0..200).map(|_| policy.next_attempt(6, now)).collect();
        let full = TimeDelta::seconds(32);
        assert!(
            times
                .iter()
                .all(|at| *at >= now + full / 2 && *at <= now + full)
        );
        let distinct: std::collections::HashSet<_> = times.iter().collect();
        assert!(distinct.len() > 100, "jitter spreads the retries");
    }
}
