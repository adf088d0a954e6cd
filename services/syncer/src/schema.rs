//! The syncer service's tables. Portable types only (TEXT, BIGINT, DOUBLE PRECISION): instants
//! are Unix milliseconds, enums are small integers or short words.

use kintai_core::migrate::Migration;

// `punches`: one row per cyzen punch, keyed by (company, cyzen punch id) so a resend is found.
// The content columns are what cyzen sent; the ledger columns (state .. in_flight_at) say where
// the punch stands. `employee_key` and `working_day` are fixed when the punch goes in flight, so
// a read-back after a crash looks at exactly the day the POST named.
//
// `syncer_eligibility`: since when a run has seen a user eligible without interruption. A punch
// of the previous month is still sent when the user was already eligible when it was punched
// (the month-end punch whose run falls on the 1st); a user who starts mid-month gets only the
// current month (manual: 当月分のデータはすべて連携されます).
//
// `syncer_leases`: one row per company while a run holds it (see kintai_core::lease).
const V1: &str = "\
CREATE TABLE punches (
    company_id TEXT NOT NULL,
    punch_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status_id TEXT NOT NULL,
    status_name TEXT NOT NULL,
    status_kind BIGINT NOT NULL,
    punched_at BIGINT NOT NULL,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    address TEXT NOT NULL,
    platform BIGINT NOT NULL,
    app_version TEXT NOT NULL,
    unsupported_app_version BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    punch_type BIGINT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    working_day TEXT NOT NULL,
    employee_key TEXT NOT NULL,
    sent_at BIGINT,
    in_flight_at BIGINT,
    PRIMARY KEY (company_id, punch_id)
);
CREATE INDEX punches_by_instant ON punches (company_id, punched_at, punch_id);
CREATE INDEX punches_by_user ON punches (company_id, user_id, punched_at);
CREATE INDEX punches_by_state ON punches (company_id, state, punched_at);
CREATE TABLE syncer_eligibility (
    company_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    eligible_since BIGINT NOT NULL,
    PRIMARY KEY (company_id, user_id)
);
CREATE TABLE syncer_leases (company_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);
";

// V2, delivery that never gives a punch up: the retry state of a punch. `next_attempt_at` (NULL:
// the next run may try) is when a pending punch is posted again, or an unconfirmed one read back,
// after a transient failure; `last_error` is what KING OF TIME or the network answered last;
// `failures` counts transient failures (POSTs and read-backs) since the punch last made progress,
// the exponent of its backoff; `retry_requested_*` record an operator's RetryPunches.
// ALTER TABLE ... ADD COLUMN with a constant default is instant on both engines.
const V2: &str = "\
ALTER TABLE punches ADD COLUMN next_attempt_at BIGINT;
ALTER TABLE punches ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE punches ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE punches ADD COLUMN retry_requested_by TEXT NOT NULL DEFAULT '';
ALTER TABLE punches ADD COLUMN retry_requested_at BIGINT;
";

// V3, prompt delivery: `syncer_due` is the dispatcher's queue of companies that need a run
// (kintai_core::due): marked by RecordPunches, RetryPunches and retry times, claimed by every
// syncer replica.
const V3: &str = "\
CREATE TABLE syncer_due (company_id TEXT PRIMARY KEY, due_at BIGINT NOT NULL, version BIGINT NOT NULL);
CREATE INDEX syncer_due_by_time ON syncer_due (due_at);
";

// V4, who is synced decided at send time: `syncer_seen` is settings' revision of a company as its
// last run planned on it. The dispatcher compares it with settings' revisions every few seconds
// and makes a company whose revision moved on due (a user switched on again, a token fixed).
const V4: &str = "\
CREATE TABLE syncer_seen (company_id TEXT PRIMARY KEY, revision BIGINT NOT NULL);
";

// V5, the day check (照合, issue 18): `syncer_days` holds one verdict per user and working day
// we touched — the verdict word (ok, kot_error_day, missing_clock_in, missing_clock_out, closed,
// differs), its reason as a stored kintai-i18n text, the employee it was read for, KING OF
// TIME's punches of that day as read (JSON: time, code, name; also what the working-day rule
// uses for a time recorder's 出勤) and when it was checked. `syncer_day_checks` remembers the
// JST day of a company's last whole-month check (once a day). `punches.day_checked` is 0 until
// a check has looked at the day a sent punch went to: that is how "the days just sent" are found.
const V5: &str = "\
CREATE TABLE syncer_days (
    company_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    working_day TEXT NOT NULL,
    employee_key TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    kot_punches TEXT NOT NULL,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, user_id, working_day)
);
CREATE INDEX syncer_days_by_day ON syncer_days (company_id, working_day, user_id);
CREATE TABLE syncer_day_checks (company_id TEXT PRIMARY KEY, month_checked_on TEXT NOT NULL);
ALTER TABLE punches ADD COLUMN day_checked BIGINT NOT NULL DEFAULT 0;
CREATE INDEX punches_by_day ON punches (company_id, working_day, user_id);
";

// V6, one claimer per due company: `claimed_until` is when the dispatcher's claim of a company
// ends (NULL when nobody holds it). A mark no longer hands a claimed company to a second
// replica (kintai_core::due).
const V6: &str = "
ALTER TABLE syncer_due ADD COLUMN claimed_until BIGINT;
";

// V7, a read-back never credits another company's punch: two companies registered with one KING
// OF TIME token share its employees, so the sent punches a read-back counts against are those of
// the employee key and day in every company (ledger::count_sent_alike).
const V7: &str = "
CREATE INDEX punches_by_employee_day ON punches (employee_key, working_day);
";

// V8, pre-flight: KING OF TIME stores a punch even into a closed (締め) day, so such a punch is
// held; an operator may send it anyway with RetryPunches naming that day, and the day named is
// kept with the punch (who asked is retry_requested_by) so the pre-flight lets it through once.
const V8: &str = "
ALTER TABLE punches ADD COLUMN closed_day_override TEXT NOT NULL DEFAULT '';
";

/// The dispatcher's queue (kintai_core::due).
pub const DUE_TABLE: &str = "syncer_due";

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "punches, eligibility and leases",
        sqlite: V1,
        postgres: V1,
    },
    Migration {
        version: 2,
        name: "retry state of a punch",
        sqlite: V2,
        postgres: V2,
    },
    Migration {
        version: 3,
        name: "companies due for a run",
        sqlite: V3,
        postgres: V3,
    },
    Migration {
        version: 4,
        name: "settings revisions seen by the runs",
        sqlite: V4,
        postgres: V4,
    },
    Migration {
        version: 5,
        name: "day check verdicts",
        sqlite: V5,
        postgres: V5,
    },
    Migration {
        version: 6,
        name: "one claimer per due company",
        sqlite: V6,
        postgres: V6,
    },
    Migration {
        version: 7,
        name: "sent punches by employee and day",
        sqlite: V7,
        postgres: V7,
    },
    Migration {
        version: 8,
        name: "closed day an operator sends into",
        sqlite: V8,
        postgres: V8,
    },
];
