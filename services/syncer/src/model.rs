//! The syncer's domain: punches as cyzen recorded them and where each stands in the upload
//! ledger. Independent of the proto types so storage and upload logic do not depend on the wire.

use chrono::{DateTime, NaiveDate, Utc};
use kot_client::PunchCode;

/// The kind (種類) a cyzen status had when the punch was recorded. Stored as the proto number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    WorkStart,
    Working,
    WorkEnd,
    OffDuty,
}

impl StatusKind {
    pub fn to_i64(self) -> i64 {
        match self {
            Self::WorkStart => 1,
            Self::Working => 2,
            Self::WorkEnd => 3,
            Self::OffDuty => 4,
        }
    }

    pub fn from_i64(value: i64) -> Option<Self> {
        match value {
            1 => Some(Self::WorkStart),
            2 => Some(Self::Working),
            3 => Some(Self::WorkEnd),
            4 => Some(Self::OffDuty),
            _ => None,
        }
    }

    /// The kind as cyzen's admin screen names it.
    pub fn japanese_name(self) -> &'static str {
        match self {
            Self::WorkStart => "勤務開始",
            Self::Working => "勤務中",
            Self::WorkEnd => "勤務終了",
            Self::OffDuty => "勤務外",
        }
    }
}

/// What a punch becomes in KING OF TIME (design.md, "Punch translation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PunchType {
    ClockIn,
    ClockOut,
    BreakStart,
    BreakEnd,
    NotSynced,
}

impl PunchType {
    pub fn to_i64(self) -> i64 {
        match self {
            Self::ClockIn => 1,
            Self::ClockOut => 2,
            Self::BreakStart => 3,
            Self::BreakEnd => 4,
            Self::NotSynced => 5,
        }
    }

    pub fn from_i64(value: i64) -> Option<Self> {
        match value {
            1 => Some(Self::ClockIn),
            2 => Some(Self::ClockOut),
            3 => Some(Self::BreakStart),
            4 => Some(Self::BreakEnd),
            5 => Some(Self::NotSynced),
            _ => None,
        }
    }

    /// The KING OF TIME punch code; `None` for a punch that is never sent.
    pub fn code(self) -> Option<PunchCode> {
        match self {
            Self::ClockIn => Some(PunchCode::ClockIn),
            Self::ClockOut => Some(PunchCode::ClockOut),
            Self::BreakStart => Some(PunchCode::BreakStart),
            Self::BreakEnd => Some(PunchCode::BreakEnd),
            Self::NotSynced => None,
        }
    }
}

/// The cyzen app's platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    Android,
    Ios,
}

impl Platform {
    pub fn to_i64(self) -> i64 {
        match self {
            Self::Android => 1,
            Self::Ios => 2,
        }
    }

    pub fn from_i64(value: i64) -> Option<Self> {
        match value {
            1 => Some(Self::Android),
            2 => Some(Self::Ios),
            _ => None,
        }
    }
}

/// Where a punch stands in the upload ledger (design.md, "Exactly once").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerState {
    /// Not eligible now; the reason says why.
    Held,
    /// Eligible; the next run sends it.
    Pending,
    /// Committed just before its POST; verified by reading the day back before any resend.
    InFlight,
    Sent,
    /// The status is not synced (× 連携されません).
    NotSynced,
    /// KING OF TIME refused it in its own words; only an operator's RetryPunches sends it again.
    Failed,
    /// Never sent: punched before the months KING OF TIME receives from us.
    Expired,
}

impl LedgerState {
    pub const ALL: [Self; 7] = [
        Self::Held,
        Self::Pending,
        Self::InFlight,
        Self::Sent,
        Self::NotSynced,
        Self::Failed,
        Self::Expired,
    ];

    /// The stored form: words, so an operator reading the table needs no decoder.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Sent => "sent",
            Self::NotSynced => "not_synced",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

/// A validated punch as cyzen sent it. `punched_at` is truncated to milliseconds, the storage
/// precision, so a resend compares equal to what was stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPunch {
    pub punch_id: String,
    pub user_id: String,
    pub status_id: String,
    pub status_name: String,
    pub status_kind: StatusKind,
    pub punched_at: DateTime<Utc>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
    pub platform: Platform,
    pub app_version: String,
    pub unsupported_app_version: bool,
}

impl NewPunch {
    /// Same content as a stored punch: what decides "duplicate" versus "conflict". Coordinates
    /// compare bit for bit; both engines store them as 64-bit floats.
    pub fn same_content(&self, other: &NewPunch) -> bool {
        self.user_id == other.user_id
            && self.status_id == other.status_id
            && self.status_name == other.status_name
            && self.status_kind == other.status_kind
            && self.punched_at == other.punched_at
            && same_float(self.latitude, other.latitude)
            && same_float(self.longitude, other.longitude)
            && self.address == other.address
            && self.platform == other.platform
            && self.app_version == other.app_version
    }
}

fn same_float(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.to_bits() == b.to_bits() || a == b,
        (None, None) => true,
        _ => false,
    }
}

/// A stored punch with its ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct PunchRecord {
    pub punch: NewPunch,
    pub received_at: DateTime<Utc>,
    pub punch_type: PunchType,
    pub state: LedgerState,
    /// Why it is in this state, as stored ([`kintai_i18n::Text::to_stored`]); rendered in the
    /// reader's language when listed.
    pub reason: String,
    pub attempts: u32,
    pub working_day: Option<NaiveDate>,
    pub employee_key: String,
    pub sent_at: Option<DateTime<Utc>>,
    /// After a transient failure: not tried again before this.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Transient failures since the punch last made progress (the backoff's exponent).
    pub failures: u32,
    /// What KING OF TIME or the network answered last, when something failed.
    pub last_error: String,
    /// An operator's RetryPunches: who (as they said) and when.
    pub retry_requested_by: String,
    pub retry_requested_at: Option<DateTime<Utc>>,
    /// The closed (締め) working day an operator chose to send this punch into (RetryPunches'
    /// `closed_day`): the pre-flight does not hold it for that day's closing.
    pub closed_day_override: Option<NaiveDate>,
}
