//! Per-token request pacing.
//!
//! KING OF TIME limits requests per token (kot-api.md: 500 / 5 min in general, 2000 / 5 min for
//! the punch APIs). Instead of bursting until a 303 comes back, every request takes the next
//! free slot of an evenly spaced schedule, so a client running flat out stays under a server
//! counting with the same limits. The registry lives in the client: every clone and every task
//! using one token in this process shares one schedule.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RateLimit;
use crate::token::Token;

/// Which budget a request spends \[ours\]: the timerecord endpoints spend the punch budget only,
/// everything else (employees, divisions, tokens) the general one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    General,
    Punch,
}

/// Extra spacing so that N+1 consecutive requests always span more than the window even when
/// their arrival at the server jitters: 1% of the window, at least 250 ms.
fn safety_margin(per: Duration) -> Duration {
    (per / 100).max(Duration::from_millis(250))
}

/// An evenly spaced schedule: slot k starts at `next + k * interval`.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    fn new(limit: RateLimit) -> Self {
        let requests = limit.requests.max(1);
        let interval = (limit.per + safety_margin(limit.per)) / requests;
        Self {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Reserves the next slot and returns when it starts. The lock is held only to book the
    /// slot, never across the wait. A cancelled caller leaves its slot unused, which only errs
    /// on the side of sending less.
    fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = next.map_or(now, |booked| booked.max(now));
        *next = Some(slot + self.interval);
        slot
    }
}

#[derive(Debug)]
struct TokenPacers {
    general: Pacer,
    punch: Pacer,
}

/// Pacers by token digest; tokens are few per process, so entries are never evicted.
#[derive(Debug)]
pub(crate) struct Limiters {
    general: RateLimit,
    punch: RateLimit,
    by_token: Mutex<HashMap<[u8; 32], Arc<TokenPacers>>>,
}

impl Limiters {
    pub(crate) fn new(general: RateLimit, punch: RateLimit) -> Self {
        Self {
            general,
            punch,
            by_token: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until `token` may send one more request from `budget`.
    pub(crate) async fn acquire(&self, token: &Token, budget: Budget) {
        let pacers = self.pacers(token);
        let pacer = match budget {
            Budget::General => &pacers.general,
            Budget::Punch => &pacers.punch,
        };
        let slot = pacer.reserve();
        if slot > Instant::now() {
            tokio::time::sleep_until(slot).await;
        }
    }

    fn pacers(&self, token: &Token) -> Arc<TokenPacers> {
        let mut map = self
            .by_token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(token.digest())
            .or_insert_with(|| {
                Arc::new(TokenPacers {
                    general: Pacer::new(self.general),
                    punch: Pacer::new(self.punch),
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(requests: u32, millis: u64) -> RateLimit {
        RateLimit {
            requests,
            per: Duration::from_millis(millis),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_evenly_and_never_bursts() {
        let limiters = Limiters::new(limit(10, 10_000), limit(1000, 1000));
        let token = Token::new("a");
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..11 {
            limiters.acquire(&token, Budget::General).await;
            times.push(Instant::now() - start);
        }
        // 10 requests per 10 s plus a 250 ms margin: 1.025 s apart, 11 requests span > 10 s.
        assert_eq!(times[0], Duration::ZERO);
        assert_eq!(times[1], Duration::from_millis(1025));
        assert!(times[10] > Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_and_budgets_are_independent() {
        let limiters = Limiters::new(limit(1, 60_000), limit(1, 60_000));
        let (a, b) = (Token::new("a"), Token::new("b"));
        let start = Instant::now();
        limiters.acquire(&a, Budget::General).await;
        limiters.acquire(&a, Budget::Punch).await;
        limiters.acquire(&b, Budget::General).await;
        assert_eq!(
            Instant::now(),
            start,
            "first request of each budget and token is free"
        );
        limiters.acquire(&a, Budget::General).await;
        assert!(Instant::now() - start >= Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_tasks_share_one_schedule() {
        let limiters = Arc::new(Limiters::new(limit(4, 4000), limit(1000, 1000)));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let limiters = limiters.clone();
            tasks.push(tokio::spawn(async move {
                limiters
                    .acquire(&Token::new("shared"), Budget::General)
                    .await;
                Instant::now() - start
            }));
        }
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times.sort();
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_millis(1000),
                "{times:?}"
            );
        }
    }
}
