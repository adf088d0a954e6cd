//! "Now", the one clock every service takes: the machine's clock in production, shifted to a
//! chosen start in `kintai dev --now` and the demo, fixed or moved by tests (a chosen month,
//! inside KING OF TIME's restricted hours, next to the 10-minute-future limit), in step with the
//! simulator's own clock.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, TimeDelta, Utc};

/// A clock. Cheap to clone; clones share one reading, so a test that moves its clock moves the
/// service's too.
#[derive(Clone)]
pub struct Clock {
    reading: Arc<Mutex<Reading>>,
}

#[derive(Debug, Clone, Copy)]
enum Reading {
    /// The machine's clock.
    System,
    /// Frozen at an instant.
    Fixed(DateTime<Utc>),
    /// The machine's clock plus a constant: time flows, from a chosen start.
    Offset(TimeDelta),
}

impl Clock {
    /// The machine's clock.
    pub fn system() -> Self {
        Self::reading(Reading::System)
    }

    /// Frozen at `at` until moved.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self::reading(Reading::Fixed(at))
    }

    /// Reads `start` now and flows with real time from there.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self::reading(Reading::Offset(start.signed_duration_since(Utc::now())))
    }

    fn reading(reading: Reading) -> Self {
        Self {
            reading: Arc::new(Mutex::new(reading)),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match *self.lock() {
            Reading::System => Utc::now(),
            Reading::Fixed(at) => at,
            Reading::Offset(delta) => Utc::now()
                .checked_add_signed(delta)
                .unwrap_or_else(Utc::now),
        }
    }

    /// Freezes the clock (and its clones) at `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = Reading::Fixed(at);
    }

    /// Makes the clock (and its clones) read `start` now and flow with real time from there.
    pub fn flow_from(&self, start: DateTime<Utc>) {
        *self.lock() = Reading::Offset(start.signed_duration_since(Utc::now()));
    }

    fn lock(&self) -> MutexGuard<'_, Reading> {
        // A reading cannot be left half-written, so a poisoned lock is still usable.
        self.reading
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Clock").field(&*self.lock()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_fixed_clock_stays_and_its_clones_move_with_it() {
        let clock = Clock::fixed(at("2024-06-03T03:00:00Z"));
        let clone = clock.clone();
        assert_eq!(clone.now(), at("2024-06-03T03:00:00Z"));
        clock.set(at("2024-06-30T15:00:00Z"));
        assert_eq!(clone.now(), at("2024-06-30T15:00:00Z"));
    }

    #[test]
    fn a_shifted_clock_reads_the_chosen_day_not_the_machines() {
        let start = at("2024-06-03T12:00:00Z");
        let clock = Clock::starting_at(start);
        assert_eq!(clock.now().date_naive(), start.date_naive());
        let clone = clock.clone();
        clock.flow_from(at("2030-01-01T12:00:00Z"));
        assert_eq!(
            clone.now().date_naive(),
            at("2030-01-01T12:00:00Z").date_naive()
        );
    }

    #[test]
    fn the_system_clock_reads_the_machine() {
        let before = Utc::now();
        let now = Clock::system().now();
        assert!(now >= before);
    }
}
