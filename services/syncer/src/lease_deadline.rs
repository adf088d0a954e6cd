//! Until when a run may still have a POST out (design.md, "Exactly once"). The in-flight mark
//! is fenced by the lease in the database, but a POST leaves later: after the token's pacing,
//! or after the run's task was not polled for a while. If the lease passed to another run
//! meanwhile (renewals failing, a stalled process), that run reads the day back, finds nothing
//! and posts again, and then our POST arrives too: a duplicate (seen once in the saturation
//! bench when a run's task stalled for 30 s). So every POST starts before, and is abandoned at,
//! a deadline a third of a lease before the lease can expire: the last renewal this process
//! knows succeeded, plus the ttl, less the margin. Another holder can only take the lease at
//! its expiry, so a POST of ours is either answered, abandoned or landed by then.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The deadline of one lease held by one run.
#[derive(Debug)]
pub(crate) struct LeaseDeadline {
    /// When the last successful take or renewal was asked for (before the statement left, so
    /// the database's expiry is later than this plus the ttl).
    renewed: Mutex<Instant>,
    /// The ttl less the margin.
    usable: Duration,
}

impl LeaseDeadline {
    /// For a lease taken by a statement that left at `asked`.
    pub fn new(asked: Instant, ttl: Duration) -> Self {
        Self {
            renewed: Mutex::new(asked),
            usable: ttl.saturating_sub(ttl / 3),
        }
    }

    /// A renewal asked for at `asked` succeeded.
    pub fn renewed(&self, asked: Instant) {
        let mut renewed = self
            .renewed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *renewed = (*renewed).max(asked);
    }

    /// No POST may be out after this.
    pub fn deadline(&self) -> Instant {
        let renewed = self
            .renewed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *renewed + self.usable
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.deadline()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_a_third_of_a_lease_before_its_expiry_and_moves_with_renewals() {
        let start = Instant::now();
        let lease = LeaseDeadline::new(start, Duration::from_secs(30));
        assert_eq!(lease.deadline(), start + Duration::from_secs(20));
        lease.renewed(start + Duration::from_secs(10));
        assert_eq!(lease.deadline(), start + Duration::from_secs(30));
        // A renewal asked for earlier that answered late does not move it back.
        lease.renewed(start + Duration::from_secs(5));
        assert_eq!(lease.deadline(), start + Duration::from_secs(30));
        assert!(!lease.passed());
        let gone = LeaseDeadline::new(start - Duration::from_secs(21), Duration::from_secs(30));
        assert!(gone.passed());
    }
}
