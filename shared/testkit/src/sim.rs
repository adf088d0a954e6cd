//! The KING OF TIME simulator as tests start it, and the one way to build a client for it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kot_client::{KotClient, KotConfig, RateLimit};
use kot_sim::{Clock, SimConfig, SimHandle, Simulator};

pub use kot_sim::SimHandle as Sim;

/// A simulator on `127.0.0.1:0` whose clock stands at `now` (tests move it).
pub async fn start(now: DateTime<Utc>) -> SimHandle {
    start_with(SimConfig {
        clock: Clock::Fixed(now),
        ..SimConfig::default()
    })
    .await
}

/// A simulator with its configuration spelled out (rate limits, clock, seed).
pub async fn start_with(config: SimConfig) -> SimHandle {
    Simulator::new(config)
        .spawn_local()
        .await
        .expect("the simulator binds 127.0.0.1:0")
}

/// A client for the simulator with the production configuration but two things: short
/// timeouts, and a punch pacing far above the real limit — the simulator's clock stands still
/// in most tests, so its 5-minute windows never drain, and a test must not wait out our pacing
/// of a limit it does not test. The simulator still enforces its own limits, and answers 303
/// past them.
pub fn client(sim: &SimHandle) -> KotClient {
    client_with(sim, |_| {})
}

/// [`client`] with changes to its configuration (e.g. a limit under test).
pub fn client_with(sim: &SimHandle, change: impl FnOnce(&mut KotConfig)) -> KotClient {
    let mut config = KotConfig {
        base_url: sim.base_url.clone(),
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        punch_limit: RateLimit {
            requests: 100_000,
            per: Duration::from_secs(300),
        },
        ..KotConfig::default()
    };
    change(&mut config);
    KotClient::new(config).expect("a client for a local URL builds")
}
