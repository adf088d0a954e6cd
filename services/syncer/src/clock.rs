//! The syncer's "now", injectable so tests can stand in a chosen month, inside the restricted
//! hours, or next to the 10-minute-future limit, together with the simulator's clock.

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock the test moves: fixed at an instant, or flowing from one (the machine's clock plus
/// a constant offset), mirroring `kot_sim::Clock`.
#[derive(Debug)]
pub struct ManualClock {
    reading: Mutex<Reading>,
}

#[derive(Debug, Clone, Copy)]
enum Reading {
    Fixed(DateTime<Utc>),
    Offset(TimeDelta),
}

impl ManualClock {
    /// Frozen at `at` until moved.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self {
            reading: Mutex::new(Reading::Fixed(at)),
        }
    }

    /// Reads `start` now and flows with real time.
    pub fn flowing_from(start: DateTime<Utc>) -> Self {
        Self {
            reading: Mutex::new(Reading::Offset(start.signed_duration_since(Utc::now()))),
        }
    }

    /// Freezes the clock at `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = Reading::Fixed(at);
    }

    /// Reads `start` now and flows with real time from there.
    pub fn flow_from(&self, start: DateTime<Utc>) {
        *self.lock() = Reading::Offset(start.signed_duration_since(Utc::now()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Reading> {
        // A reading cannot be left half-written, so a poisoned lock is still usable.
        self.reading
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match *self.lock() {
            Reading::Fixed(at) => at,
            Reading::Offset(delta) => Utc::now()
                .checked_add_signed(delta)
                .unwrap_or_else(Utc::now),
        }
    }
}
