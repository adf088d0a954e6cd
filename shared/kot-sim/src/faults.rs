//! Which fault, if any, strikes the next API request: an outage window, the queue of
//! [`FailureKind`]s, and a seeded random profile, in that order of precedence.
//!
//! - **Outage**: for a wall-clock duration (not the simulator's injectable clock, which tests
//!   freeze), every API request fails with one *before* kind; nothing is stored.
//! - **Queue**: runs of kinds consumed by the next API requests, whatever they are; an
//!   after-store kind on a read is applied after the read was answered.
//! - **Profile**: per-request probabilities, drawn from two seeded generators — one for punch
//!   POSTs (before and after-store kinds), one for reads (GETs; before kinds only) — so a run is
//!   repeatable and the punches' faults do not depend on how many reads came in between.
//!   Token POST/DELETE calls are never hit by the profile \[ours\].

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::model::{FailureKind, SimError};

/// How long [`FailureKind::SlowAfterStore`] holds an answer back unless set.
pub const DEFAULT_SLOW_AFTER_STORE: Duration = Duration::from_secs(3);

/// Mixed into the seed of the reads' generator, so that both streams differ.
const READS_STREAM: u64 = 0x7265_6164_735f_5f31;

/// Per-request fault probabilities (0–1, all optional), with the seed that makes them repeatable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultProfile {
    pub seed: u64,
    #[serde(default)]
    pub punch_post: PunchPostFaults,
    #[serde(default)]
    pub reads: ReadFaults,
    /// The delay of [`FailureKind::SlowAfterStore`]; unchanged when omitted.
    #[serde(default)]
    pub slow_after_store_ms: Option<u64>,
}

/// Probabilities per punch POST.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PunchPostFaults {
    pub status500_code300: Option<f64>,
    pub gateway502_before_store: Option<f64>,
    pub gateway503_before_store: Option<f64>,
    pub gateway504_before_store: Option<f64>,
    pub gateway504_after_store: Option<f64>,
    pub reset_after_store: Option<f64>,
    pub slow_after_store: Option<f64>,
}

/// Probabilities per read (GET); reads are never processed before these faults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadFaults {
    pub status500_code300: Option<f64>,
    pub gateway502: Option<f64>,
    pub gateway503: Option<f64>,
    pub gateway504: Option<f64>,
}

impl PunchPostFaults {
    fn table(&self) -> Vec<(FailureKind, Option<f64>)> {
        vec![
            (FailureKind::Status500Code300, self.status500_code300),
            (FailureKind::Status502Html, self.gateway502_before_store),
            (FailureKind::Gateway503Html, self.gateway503_before_store),
            (FailureKind::Gateway504Html, self.gateway504_before_store),
            (
                FailureKind::Gateway504AfterStore,
                self.gateway504_after_store,
            ),
            (FailureKind::ResetAfterStore, self.reset_after_store),
            (FailureKind::SlowAfterStore, self.slow_after_store),
        ]
    }
}

impl ReadFaults {
    fn table(&self) -> Vec<(FailureKind, Option<f64>)> {
        vec![
            (FailureKind::Status500Code300, self.status500_code300),
            (FailureKind::Status502Html, self.gateway502),
            (FailureKind::Gateway503Html, self.gateway503),
            (FailureKind::Gateway504Html, self.gateway504),
        ]
    }
}

/// Kinds with their probabilities, checked: each within 0–1, together at most 1.
#[derive(Debug, Clone)]
struct Table(Vec<(FailureKind, f64)>);

impl Table {
    fn new(name: &str, entries: Vec<(FailureKind, Option<f64>)>) -> Result<Self, SimError> {
        let mut table = Vec::new();
        for (kind, probability) in entries {
            let Some(p) = probability else { continue };
            if !(0.0..=1.0).contains(&p) {
                return Err(SimError::InvalidInput(format!(
                    "{name}: probability {p} of {kind:?} is not within 0–1"
                )));
            }
            table.push((kind, p));
        }
        let total: f64 = table.iter().map(|(_, p)| p).sum();
        if total > 1.0 + 1e-9 {
            return Err(SimError::InvalidInput(format!(
                "{name}: probabilities add up to {total}, more than 1"
            )));
        }
        Ok(Self(table))
    }

    /// One draw per request, whether or not a fault results, so the stream stays aligned.
    fn draw(&self, rng: &mut StdRng) -> Option<FailureKind> {
        let mut point: f64 = rng.r#gen();
        for (kind, p) in &self.0 {
            if point < *p {
                return Some(*kind);
            }
            point -= p;
        }
        None
    }
}

#[derive(Debug)]
struct ActiveProfile {
    punch_post: Table,
    reads: Table,
    punch_rng: StdRng,
    read_rng: StdRng,
}

/// What a request is, as far as the profile cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    PunchPost,
    Read,
    Other,
}

#[derive(Debug)]
pub(crate) struct Faults {
    /// Runs of (kind, remaining count) consumed front first.
    pub failures: VecDeque<(FailureKind, u32)>,
    pub latency: Duration,
    pub drop_after_punch: u32,
    pub slow_after_store: Duration,
    /// While set, punch and day reads within this margin of a restricted window answer no
    /// records (`Simulator::empty_reads_near_window_edges`).
    pub empty_reads_near_edges: Option<Duration>,
    outage: Option<(Instant, FailureKind)>,
    profile: Option<ActiveProfile>,
    stats: BTreeMap<FailureKind, u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            failures: VecDeque::new(),
            latency: Duration::ZERO,
            drop_after_punch: 0,
            slow_after_store: DEFAULT_SLOW_AFTER_STORE,
            empty_reads_near_edges: None,
            outage: None,
            profile: None,
            stats: BTreeMap::new(),
        }
    }
}

impl Faults {
    /// Everything injected is removed; the statistics stay, so a test can clear the faults to
    /// let a run settle and still see what was injected.
    pub fn clear(&mut self) {
        let stats = std::mem::take(&mut self.stats);
        *self = Self {
            stats,
            ..Self::default()
        };
    }

    pub fn take_failure(&mut self) -> Option<FailureKind> {
        let (kind, remaining) = self.failures.front_mut()?;
        let kind = *kind;
        *remaining = remaining.saturating_sub(1);
        if *remaining == 0 {
            self.failures.pop_front();
        }
        Some(kind)
    }

    pub fn start_outage(&mut self, duration: Duration, kind: FailureKind) -> Result<(), SimError> {
        if kind.is_after_store() {
            return Err(SimError::InvalidInput(format!(
                "an outage stores nothing: {kind:?} is an after-store fault"
            )));
        }
        self.outage = Some((Instant::now() + duration, kind));
        Ok(())
    }

    pub fn clear_profile(&mut self) {
        self.profile = None;
    }

    pub fn set_profile(&mut self, profile: &FaultProfile) -> Result<(), SimError> {
        let active = ActiveProfile {
            punch_post: Table::new("punchPost", profile.punch_post.table())?,
            reads: Table::new("reads", profile.reads.table())?,
            punch_rng: StdRng::seed_from_u64(profile.seed),
            read_rng: StdRng::seed_from_u64(profile.seed ^ READS_STREAM),
        };
        if let Some(millis) = profile.slow_after_store_ms {
            self.slow_after_store = Duration::from_millis(millis);
        }
        self.profile = Some(active);
        Ok(())
    }

    /// The fault for the next request, counted in the statistics.
    pub fn pick(&mut self, target: Target) -> Option<FailureKind> {
        let kind = self
            .outage_kind()
            .or_else(|| self.take_failure())
            .or_else(|| {
                let profile = self.profile.as_mut()?;
                match target {
                    Target::PunchPost => profile.punch_post.draw(&mut profile.punch_rng),
                    Target::Read => profile.reads.draw(&mut profile.read_rng),
                    Target::Other => None,
                }
            })?;
        self.count(kind);
        Some(kind)
    }

    pub fn count(&mut self, kind: FailureKind) {
        *self.stats.entry(kind).or_default() += 1;
    }

    /// Every kind with its count so far (zero included, so the shape is stable).
    pub fn stats(&self) -> BTreeMap<FailureKind, u64> {
        FailureKind::ALL
            .into_iter()
            .map(|kind| (kind, self.stats.get(&kind).copied().unwrap_or(0)))
            .collect()
    }

    pub fn reset_stats(&mut self) {
        self.stats.clear();
    }

    fn outage_kind(&mut self) -> Option<FailureKind> {
        let (until, kind) = self.outage?;
        if Instant::now() < until {
            Some(kind)
        } else {
            self.outage = None;
            None
        }
    }
}

#[cfg(test)]
#[path = "faults_tests.rs"]
mod tests;
