//! In-process fault injection (mirrored under `/_admin/faults`). See `faults.rs` for how the
//! outage, the queue and the profile combine.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::faults::FaultProfile;
use crate::model::{FailureKind, SimError};
use crate::simulator::Simulator;

impl Simulator {
    /// Delay added to every API answer, after the request was processed: a client that times
    /// out on a punch POST finds the punch stored (the ambiguous case).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().faults.latency = latency;
    }

    /// The next `count` API requests, whatever they are, get `kind`: a before kind answers
    /// without processing; an after-store kind lets the request be processed (a punch is
    /// stored), then spoils the answer.
    pub fn fail_next(&self, count: u32, kind: FailureKind) {
        if count > 0 {
            self.lock().faults.failures.push_back((kind, count));
        }
    }

    /// The next `count` successful punch POSTs store the punch, then close the connection
    /// without any HTTP answer.
    pub fn drop_connection_after_next_punch(&self, count: u32) {
        self.lock().faults.drop_after_punch = count;
    }

    /// How long [`FailureKind::SlowAfterStore`] holds an answer back (3 s unless set): make it
    /// longer than the client's timeout.
    pub fn set_slow_after_store(&self, delay: Duration) {
        self.lock().faults.slow_after_store = delay;
    }

    /// While `Some(margin)`, `GET /daily-workings/timerecord` (both forms) and
    /// `GET /daily-workings` answer 200 with no records when the simulator's clock stands within
    /// `margin` before or after a restricted window, as a production KING OF TIME has been
    /// reported to do (kot-api.md, "Reads at the edges"). `None` lifts it; so does
    /// [`Simulator::clear_faults`].
    pub fn empty_reads_near_window_edges(&self, margin: Option<Duration>) {
        self.lock().faults.empty_reads_near_edges = margin;
    }

    /// For `duration` of wall-clock time from now, every API request fails with `kind` (a
    /// before kind: nothing is stored), whatever the simulator's clock says.
    pub fn start_outage(&self, duration: Duration, kind: FailureKind) -> Result<(), SimError> {
        self.lock().faults.start_outage(duration, kind)
    }

    /// Random faults from now on, repeatable from the profile's seed.
    pub fn set_fault_profile(&self, profile: FaultProfile) -> Result<(), SimError> {
        self.lock().faults.set_profile(&profile)
    }

    /// No more random faults; the rest stays.
    pub fn clear_fault_profile(&self) {
        self.lock().faults.clear_profile();
    }

    /// Removes everything injected: the queue, the profile, the outage, connection drops,
    /// latency, the slow-answer delay and empty edge reads. The statistics stay ([`Simulator::reset_fault_stats`]).
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// How many faults of each kind were injected so far (every kind present, zero included).
    pub fn fault_stats(&self) -> BTreeMap<FailureKind, u64> {
        self.lock().faults.stats()
    }

    pub fn reset_fault_stats(&self) {
        self.lock().faults.reset_stats();
    }
}
